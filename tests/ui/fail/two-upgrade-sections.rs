static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/two-upgrade-sections");

fn main() {}
