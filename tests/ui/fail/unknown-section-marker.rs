static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/unknown-section-marker");

fn main() {}
