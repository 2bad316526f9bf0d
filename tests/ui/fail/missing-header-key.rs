static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/missing-header-key");

fn main() {}
