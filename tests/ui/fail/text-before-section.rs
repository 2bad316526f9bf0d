static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/text-before-section");

fn main() {}
