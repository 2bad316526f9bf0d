static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/non-utf8");

fn main() {}
