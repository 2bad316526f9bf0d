static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/repeated-header-key");

fn main() {}
