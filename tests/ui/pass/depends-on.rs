static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/pass/depends-on");

fn main() {
    // notes.txt is not a migration and is not embedded.
    assert_eq!(MIGRATIONS.migrations().len(), 3);
    assert_eq!(MIGRATIONS.get("c1").unwrap().depends_on(), ["a1"]);
    // a1 is only depended on, so it is still a head.
    let heads: Vec<&str> = MIGRATIONS.heads().unwrap().iter().map(|m| m.revision()).collect();
    assert_eq!(heads, ["a1", "c1"]);
}
