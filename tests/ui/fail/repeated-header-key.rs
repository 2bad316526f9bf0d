static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/repeated-header-key");

fn main() {}
