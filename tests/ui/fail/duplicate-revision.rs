static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/duplicate-revision");

fn main() {}
