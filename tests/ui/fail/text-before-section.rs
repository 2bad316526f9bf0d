static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/text-before-section");

fn main() {}
