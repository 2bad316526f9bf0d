static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/lint-not-in-transaction", dialect = postgres);

fn main() {}
