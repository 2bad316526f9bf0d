static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/pass/linear", dialect = oracle);

fn main() {}
