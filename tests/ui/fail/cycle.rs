static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/cycle");

fn main() {}
