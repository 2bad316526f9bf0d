static MIGRATIONS: migraph::Migrations =
    migraph::embed_migrations!("fixtures/pass/multiple-heads", allow_multiple_heads);

fn main() {
    assert_eq!(MIGRATIONS.heads().unwrap().len(), 2);
}
