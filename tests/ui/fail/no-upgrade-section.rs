static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/no-upgrade-section");

fn main() {}
