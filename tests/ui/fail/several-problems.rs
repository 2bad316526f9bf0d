static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/several-problems");

fn main() {}
