static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/unknown-parent");

fn main() {}
