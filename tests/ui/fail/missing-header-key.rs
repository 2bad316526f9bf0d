static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/missing-header-key");

fn main() {}
