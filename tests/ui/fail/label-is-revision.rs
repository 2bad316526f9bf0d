static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/label-is-revision");

fn main() {}
