static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/unknown-section-marker");

fn main() {}
