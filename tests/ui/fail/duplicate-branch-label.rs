static MIGRATIONS: migrations::Migrations = migrations::embed_migrations!("fixtures/ui/duplicate-branch-label");

fn main() {}
