static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/several-graph-problems");

fn main() {}
