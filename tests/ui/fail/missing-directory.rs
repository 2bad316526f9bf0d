static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/does-not-exist");

fn main() {}
