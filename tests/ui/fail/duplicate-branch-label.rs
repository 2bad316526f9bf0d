static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/ui/duplicate-branch-label");

fn main() {}
