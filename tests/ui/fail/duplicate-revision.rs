static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/duplicate-revision");

fn main() {}
