static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/unknown-depends-on");

fn main() {}
