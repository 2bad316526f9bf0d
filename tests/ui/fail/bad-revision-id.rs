static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/bad-revision-id");

fn main() {}
