static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/does-not-exist");

fn main() {}
