static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/pass/linear", lint = [online]);

fn main() {}
