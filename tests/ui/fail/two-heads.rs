static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/two-heads");

fn main() {}
