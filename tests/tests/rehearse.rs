//! Rehearsal: the planned revisions run for real, under the lock, in one transaction that
//! is rolled back. After one that succeeds and one that fails at its third revision, the
//! schema and the version table are exactly as before, on PostgreSQL and SQLite; MySQL,
//! whose DDL commits on its own, and `transaction: false` revisions are refused before
//! anything runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use migraph::{Dialect, Error, Migrations};
use migraph_tests::{Backend, TestDb, load_folder as folder, migrations_dir, on_every_database};

fn revision(id: &str, parent: &str, sql: &str) -> (String, String) {
    (
        format!("{id}_step.sql"),
        format!("-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\n{sql}\n"),
    )
}

/// The tables of the database, and the version table's rows, as text.
async fn snapshot<DB: Backend>(db: &TestDb<DB>) -> String {
    let tables = match DB::DIALECT {
        Dialect::Postgres => {
            "SELECT COALESCE(string_agg(table_name, ',' ORDER BY table_name), '') FROM information_schema.tables WHERE table_schema = current_schema()"
        }
        Dialect::MySql => {
            "SELECT COALESCE(GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME), '') FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        }
        _ => {
            "SELECT COALESCE(group_concat(name, ','), '') FROM (SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name)"
        }
    };
    let mut text = DB::text(&db.pool, tables).await;
    if text.split(',').any(|t| t == "_migrations") {
        let m = Migrations::from_dir(migrations_dir(&[]).path()).unwrap();
        for row in m.runner().applied(&db.pool).await.unwrap() {
            text.push_str(&format!(
                "\n{} {} {} {}",
                row.revision, row.state, row.checksum, row.applied_at
            ));
        }
    }
    text
}

async fn a_rehearsal_leaves_everything_as_it_was<DB: Backend>(db: &TestDb<DB>) {
    let first = [revision(
        "a0",
        "none",
        "CREATE TABLE t0 (id INTEGER PRIMARY KEY);",
    )];
    let good = [
        revision(
            "a1",
            "a0",
            "CREATE TABLE t1 (id INTEGER);\nINSERT INTO t0 (id) VALUES (1);",
        ),
        revision("b2", "a1", "CREATE INDEX t1_id ON t1 (id);"),
        revision("c3", "b2", "CREATE TABLE t3 (id INTEGER);"),
    ];
    let bad = [
        good[0].clone(),
        good[1].clone(),
        revision(
            "c3",
            "b2",
            "CREATE TABLE t3 (id INTEGER);\nINSERT INTO missing_table VALUES (1);",
        ),
    ];
    let (_d0, only_first) = folder(&first);
    let (_d1, succeeds) = folder(&[first.as_slice(), &good].concat());
    let (_d2, fails) = folder(&[first.as_slice(), &bad].concat());

    if DB::DIALECT == Dialect::MySql {
        let err = succeeds
            .runner()
            .rehearse(true)
            .upgrade(&db.pool, "head")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Rehearse { reason } if reason.contains("commits DDL on its own")),
            "{err}"
        );
        assert_eq!(snapshot(db).await, "", "the version table was created");
        return;
    }
    let rehearse = async |m: &Migrations| m.runner().rehearse(true).upgrade(&db.pool, "head").await;
    // On a fresh database the version table is not even left behind.
    let report = rehearse(&succeeds).await.unwrap();
    assert_eq!(report.revisions(), ["a0", "a1", "b2", "c3"]);
    assert!(report.steps.iter().all(|s| s.duration > Duration::ZERO));
    assert_eq!(snapshot(db).await, "");

    only_first.upgrade(&db.pool, "head").await.unwrap();
    let before = snapshot(db).await;
    assert!(before.contains("\na0 applied"), "{before}");
    let report = rehearse(&succeeds).await.unwrap();
    assert_eq!(report.revisions(), ["a1", "b2", "c3"]);
    assert_eq!(snapshot(db).await, before);
    assert_eq!(DB::scalar(&db.pool, "SELECT COUNT(*) FROM t0").await, 0);

    // It fails at its third revision, naming it; nothing of the first two stays.
    let err = fails
        .runner()
        .rehearse(true)
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    match &err {
        Error::Execute {
            revision,
            completed,
            ..
        } => {
            assert_eq!(revision, "c3");
            assert!(completed.steps.is_empty(), "{completed:?}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(snapshot(db).await, before);

    // The real run afterwards applies everything once.
    let report = succeeds.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(report.revisions(), ["a1", "b2", "c3"]);
}

/// A `transaction: false` revision in the plan cannot be rolled back: refused before
/// anything runs.
async fn a_revision_outside_a_transaction_is_refused<DB: Backend>(db: &TestDb<DB>) {
    let files = [
        revision("a1", "none", "CREATE TABLE t1 (id INTEGER);"),
        (
            "b2_step.sql".to_owned(),
            "-- revision: b2\n-- down_revision: a1\n-- transaction: false\n-- migrate:upgrade\nCREATE TABLE t2 (id INTEGER);\n".to_owned(),
        ),
    ];
    let (_dir, m) = folder(&files);
    let err = m
        .runner()
        .rehearse(true)
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Rehearse { .. }), "{err}");
    if DB::DIALECT != Dialect::MySql {
        assert!(err.to_string().contains("`b2`"), "{err}");
    }
    assert!(!DB::table_exists(&db.pool, "t1").await);
    assert_eq!(snapshot(db).await, "");
}

/// A rehearsal takes the lock as a real run does: while another session holds it, the
/// rehearsal waits and times out with nothing run.
async fn a_rehearsal_takes_the_lock<DB: Backend>(db: &TestDb<DB>) {
    if DB::DIALECT == Dialect::MySql {
        return;
    }
    let (_dir, m) = folder(&[revision("a1", "none", "CREATE TABLE t1 (id INTEGER);")]);
    m.runner().applied(&db.pool).await.unwrap();
    let holder = DB::hold_lock(&db.pool).await;
    let err = m
        .runner()
        .rehearse(true)
        .lock_timeout(Duration::from_millis(500))
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    holder.close().await.unwrap();
}

on_every_database!(
    a_rehearsal_leaves_everything_as_it_was,
    a_revision_outside_a_transaction_is_refused,
    a_rehearsal_takes_the_lock,
);
