static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("fixtures/pass/branch-merge");

fn main() {
    let heads = MIGRATIONS.heads().unwrap();
    assert_eq!(heads.len(), 1);
    assert_eq!(heads[0].down_revisions(), ["b2", "c3"]);
    assert_eq!(MIGRATIONS.get("d4").unwrap().upgrade_sql(), "");
}
