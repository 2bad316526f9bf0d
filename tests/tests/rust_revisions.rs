//! Revisions written in Rust: a `.rs` file between two SQL revisions backfills a column
//! from existing rows, applied and reverted on real PostgreSQL, MariaDB and SQLite
//! databases, in the same transaction and version-row logic as SQL revisions.

#![allow(clippy::unwrap_used, clippy::panic)]

use migraph::{Error, Migrations, RevisionState, embed_migrations};
use migraph_tests::{Backend, TestDb};

static POSTGRES: Migrations =
    embed_migrations!("fixtures/rust/postgres", database = sqlx::Postgres);
static MYSQL: Migrations = embed_migrations!("fixtures/rust/mysql", database = sqlx::MySql);
static SQLITE: Migrations = embed_migrations!("fixtures/rust/sqlite", database = sqlx::Sqlite);

async fn display_names<DB: Backend>(db: &TestDb<DB>) -> Vec<String> {
    let mut out = Vec::new();
    for id in [1, 2] {
        out.push(
            DB::text(
                &db.pool,
                &format!("SELECT COALESCE(display_name, '-') FROM users WHERE id = {id}"),
            )
            .await,
        );
    }
    out
}

async fn a_rust_revision_backfills_and_reverts<DB: Backend>(db: &TestDb<DB>, m: &Migrations) {
    let b2 = m.get("b2").unwrap();
    assert!(b2.is_rust());
    assert!(b2.downgrade_sql().is_some());
    let report = m.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(report.revisions(), ["a1", "b2", "c3"]);
    assert_eq!(display_names(db).await, ["ADA #1", "GRACE #2"]);
    let rows = m.runner().applied(&db.pool).await.unwrap();
    let row = rows.iter().find(|r| r.revision == "b2").unwrap();
    assert_eq!(row.state, RevisionState::Applied);
    // The checksum covers the file's source.
    assert_eq!(row.checksum, b2.checksum());
    assert_eq!(
        m.downgrade(&db.pool, "a1").await.unwrap().revisions(),
        ["c3", "b2"]
    );
    assert_eq!(display_names(db).await, ["-", "-"]);
    assert!(
        m.upgrade(&db.pool, "head")
            .await
            .unwrap()
            .revisions()
            .contains(&"b2")
    );
    assert_eq!(display_names(db).await, ["ADA #1", "GRACE #2"]);
}

#[tokio::test]
async fn on_postgres() {
    if let Some(db) = TestDb::<sqlx::Postgres>::postgres().await {
        a_rust_revision_backfills_and_reverts(&db, &POSTGRES).await;
    }
}

#[tokio::test]
async fn on_mysql() {
    if let Some(db) = TestDb::<sqlx::MySql>::mysql().await {
        a_rust_revision_backfills_and_reverts(&db, &MYSQL).await;
    }
}

#[tokio::test]
async fn on_sqlite() {
    let db = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
    a_rust_revision_backfills_and_reverts(&db, &SQLITE).await;
}

/// Run on another database than the one it names, from a binary that does not carry it
/// (the standalone `migraph`), or as an offline script: refused, nothing changed.
#[tokio::test]
async fn a_rust_revision_runs_only_where_it_was_compiled_for() {
    let db = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
    let err = POSTGRES.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("written in Rust for another database"),
        "{err}"
    );
    // a1 ran before b2 was refused; b2 and c3 did not.
    let applied = POSTGRES.runner().applied(&db.pool).await.unwrap();
    assert_eq!(applied.len(), 1);
    let files =
        Migrations::from_dir(migraph_tests::workspace_root().join("tests/fixtures/rust/sqlite"))
            .unwrap();
    let err = files.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::RustNotEmbedded { revision, .. } if revision == "b2"),
        "{err}"
    );
    assert_eq!(files.runner().applied(&db.pool).await.unwrap().len(), 1);
    let err = SQLITE
        .runner()
        .upgrade_script(migraph::Dialect::Sqlite, "base", "head")
        .unwrap_err();
    assert!(
        matches!(&err, Error::RustNotScripted { revision, .. } if revision == "b2"),
        "{err}"
    );
    assert!(
        SQLITE
            .runner()
            .upgrade_script(migraph::Dialect::Sqlite, "base", "a1")
            .is_ok()
    );
}

static FAILING: Migrations = embed_migrations!("fixtures/rust/failing", database = sqlx::Sqlite);

/// An error from the code is the run's error, naming the revision and its file; the
/// transaction takes back what the code did, and the revision stays pending.
#[tokio::test]
async fn an_error_from_the_code_rolls_the_revision_back() {
    let db = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
    let err = FAILING.upgrade(&db.pool, "head").await.unwrap_err();
    let Error::Code {
        revision,
        file,
        error,
        completed,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(revision, "b2");
    assert!(file.ends_with("b2_fails.rs"), "{file}");
    assert_eq!(error.to_string(), "no display name can be made for user 2");
    assert_eq!(completed.revisions(), ["a1"]);
    assert!(err.to_string().contains("failed in its Rust code"), "{err}");
    assert_eq!(display_names(&db).await, ["-", "-"]);
    assert_eq!(FAILING.runner().applied(&db.pool).await.unwrap().len(), 1);
}
