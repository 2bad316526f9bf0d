static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/pass/linear");

fn main() {
    let revisions: Vec<&str> = MIGRATIONS.history().unwrap().iter().map(|m| m.revision()).collect();
    assert_eq!(revisions, ["a1", "b2", "c3"]);
    assert_eq!(MIGRATIONS.heads().unwrap()[0].revision(), "c3");
}
