//! `transaction: false` revisions on PostgreSQL: statement by statement, outside a
//! transaction, so that `CREATE INDEX CONCURRENTLY` works; a failure part-way is recorded
//! and refused until repaired.

#![allow(clippy::unwrap_used, clippy::panic)]

use migraph::{Error, Migrations, Repair, RevisionState};
use migraph_tests::{Backend, TestDb, migrations_dir};

const A1: &str = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (x INTEGER, y INTEGER);\n-- migrate:downgrade\nDROP TABLE t;\n";
const B2: &str = "-- revision: b2\n-- down_revision: a1\n-- transaction: false\n-- migrate:upgrade\nCREATE INDEX CONCURRENTLY t_x ON t (x);\n-- a comment; with a semicolon\nCREATE INDEX CONCURRENTLY t_y ON t (y);\n-- migrate:downgrade\nDROP INDEX CONCURRENTLY t_y;\nDROP INDEX CONCURRENTLY t_x;\n";

async fn indexes(db: &TestDb<sqlx::Postgres>) -> i64 {
    sqlx::Postgres::scalar(
        &db.pool,
        "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 't'",
    )
    .await
}

#[tokio::test]
async fn concurrent_index_builds_apply_and_undo_statement_by_statement() {
    let Some(db) = TestDb::<sqlx::Postgres>::postgres().await else {
        return;
    };
    let m = Migrations::from_dir(migrations_dir(&[("a1_t.sql", A1), ("b2_index.sql", B2)]).path())
        .unwrap();
    assert_eq!(
        m.upgrade(&db.pool, "head").await.unwrap().revisions(),
        ["a1", "b2"]
    );
    assert_eq!(indexes(&db).await, 2);
    let rows = m.runner().applied(&db.pool).await.unwrap();
    assert!(rows.iter().all(|r| r.state == RevisionState::Applied));
    assert_eq!(
        m.downgrade(&db.pool, "-1").await.unwrap().revisions(),
        ["b2"]
    );
    assert_eq!(indexes(&db).await, 0);
}

#[tokio::test]
async fn a_failure_on_the_second_statement_is_dirty_until_repaired() {
    let Some(db) = TestDb::<sqlx::Postgres>::postgres().await else {
        return;
    };
    let broken = "-- revision: b2\n-- down_revision: a1\n-- transaction: false\n-- migrate:upgrade\nCREATE INDEX CONCURRENTLY t_x ON t (x);\nCREATE INDEX CONCURRENTLY t_z ON t (no_such_column);\n";
    let dir = migrations_dir(&[("a1_t.sql", A1), ("b2_index.sql", broken)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    let err = m.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::Execute { revision, statement: Some(2), .. } if revision == "b2"),
        "{err}"
    );
    assert!(err.to_string().contains("at statement 2"), "{err}");
    // The first statement ran and stays: the row says b2 failed part-way.
    assert_eq!(indexes(&db).await, 1);
    let err = m.upgrade(&db.pool, "head").await.unwrap_err();
    match &err {
        Error::Dirty {
            revision,
            state,
            error,
        } => {
            assert_eq!(revision, "b2");
            assert_eq!(*state, RevisionState::Failed);
            let error = error.as_deref().unwrap();
            assert!(
                error.contains("statement 2 of 2") && error.contains("no_such_column"),
                "{error}"
            );
        }
        other => panic!("expected the dirty state to be refused, got {other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("`b2`") && text.contains("statement 2") && text.contains("repair"),
        "{text}"
    );
    // The user finishes b2 by hand and says so.
    sqlx::Postgres::execute(&db.pool, "CREATE INDEX t_z ON t (y)").await;
    m.runner()
        .repair(&db.pool, "b2", Repair::Applied)
        .await
        .unwrap();
    assert!(m.upgrade(&db.pool, "head").await.unwrap().is_empty());
    assert_eq!(m.current(&db.pool).await.unwrap()[0].revision, "b2");
}
