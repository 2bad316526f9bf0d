static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/several-problems");

fn main() {}
