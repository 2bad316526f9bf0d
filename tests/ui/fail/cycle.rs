static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/cycle");

fn main() {}
