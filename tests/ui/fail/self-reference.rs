static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/self-reference");

fn main() {}
