static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/non-utf8");

fn main() {}
