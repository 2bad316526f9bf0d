static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/repeated-parent");

fn main() {}
