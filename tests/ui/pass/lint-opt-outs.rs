// The same changes as the failing lint cases, written the safe way or opted out.
static MIGRATIONS: migraph::Migrations =
    migraph::embed_migrations!("fixtures/pass/lint-opt-outs", dialect = postgres, lint = [online]);
static PLANS: migraph::Migrations =
    migraph::embed_migrations!("fixtures/pass/lint-mysql-opt-out", dialect = mysql);

fn main() {
    assert_eq!(MIGRATIONS.heads().unwrap()[0].revision(), "c3");
    assert_eq!(PLANS.heads().unwrap()[0].revision(), "a1");
}
