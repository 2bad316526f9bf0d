// A squash and the run it replaces: the graph holds the squash, and d4 follows it.
static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/pass/squash");

fn main() {
    let revisions: Vec<&str> = MIGRATIONS.history().unwrap().iter().map(|m| m.revision()).collect();
    assert_eq!(revisions, ["s1", "d4"]);
    assert_eq!(MIGRATIONS.get("d4").unwrap().down_revisions(), ["s1"]);
    assert_eq!(MIGRATIONS.get("s1").unwrap().replaces(), ["a1", "b2", "c3"]);
}
