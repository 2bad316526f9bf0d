static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/unknown-header-key");

fn main() {}
