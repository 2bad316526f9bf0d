static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/bad-revision-id");

fn main() {}
