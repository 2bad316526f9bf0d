static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/label-is-revision");

fn main() {}
