static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/repeated-parent");

fn main() {}
