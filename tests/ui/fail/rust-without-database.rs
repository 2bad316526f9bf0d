static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/rust-without-database");

fn main() {}
