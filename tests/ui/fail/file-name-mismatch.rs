static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/file-name-mismatch");

fn main() {}
