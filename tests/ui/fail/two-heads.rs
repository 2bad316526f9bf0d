static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/two-heads");

fn main() {}
