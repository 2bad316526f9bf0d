static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/lint-mixed-ddl-dml", dialect = mysql);

fn main() {}
