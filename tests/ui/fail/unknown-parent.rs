static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/unknown-parent");

fn main() {}
