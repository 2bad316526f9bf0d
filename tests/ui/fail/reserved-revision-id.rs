static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/reserved-revision-id");

fn main() {}
