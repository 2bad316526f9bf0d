static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/bad-transaction-value");

fn main() {}
