static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/several-graph-problems");

fn main() {}
