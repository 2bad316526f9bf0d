// Two heads are fine when each carries a branch label: the branches are on purpose.
static MIGRATIONS: migraph::Migrations =
    migraph::embed_migrations!("fixtures/pass/labelled-branches");

fn main() {
    let heads: Vec<&str> = MIGRATIONS.heads().unwrap().iter().map(|m| m.revision()).collect();
    assert_eq!(heads, ["b3", "c2"]);
    assert_eq!(MIGRATIONS.get("b2").unwrap().branch_labels(), ["billing"]);
}
