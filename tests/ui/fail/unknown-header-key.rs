static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/unknown-header-key");

fn main() {}
