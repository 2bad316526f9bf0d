static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/no-upgrade-section");

fn main() {}
