static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/squash-not-linear");

fn main() {}
