static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/lint-online", dialect = postgres, lint = [online]);

fn main() {}
