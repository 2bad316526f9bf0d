static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/self-reference");

fn main() {}
