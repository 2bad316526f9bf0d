static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/reserved-revision-id");

fn main() {}
