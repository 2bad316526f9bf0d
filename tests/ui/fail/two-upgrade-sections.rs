static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/two-upgrade-sections");

fn main() {}
