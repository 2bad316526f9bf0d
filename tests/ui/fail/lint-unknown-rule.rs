static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/lint-unknown-rule", dialect = postgres);

fn main() {}
