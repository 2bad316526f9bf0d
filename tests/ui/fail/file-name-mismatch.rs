static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/file-name-mismatch");

fn main() {}
