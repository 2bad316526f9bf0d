static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/bad-transaction-value");

fn main() {}
