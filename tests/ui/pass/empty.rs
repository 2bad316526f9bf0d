static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/pass/empty");

fn main() {
    assert!(MIGRATIONS.migrations().is_empty());
    assert!(MIGRATIONS.heads().unwrap().is_empty());
}
