//! The runtime against real PostgreSQL, MariaDB and SQLite databases: every test runs once
//! per database, each on a database of its own.

#![allow(clippy::unwrap_used, clippy::panic)]

use migraph::{Action, Error, Migrations, Repair, RevisionState, embed_migrations};
use migraph_tests::{Backend, TestDb, migrations_dir, on_every_database};

static MIGRATIONS: Migrations = embed_migrations!("fixtures/db/basic");

// The same folder again, each used only at head, so that the first use decides from the
// embedded table, before anything is decoded.
static AT_HEAD: Migrations = embed_migrations!("fixtures/db/basic");
static EDITED: Migrations = embed_migrations!("fixtures/db/basic");
static UNKNOWN: Migrations = embed_migrations!("fixtures/db/basic");
static DIRTY: Migrations = embed_migrations!("fixtures/db/basic");
static BEHIND: Migrations = embed_migrations!("fixtures/db/basic");
static OTHER_TARGET: Migrations = embed_migrations!("fixtures/db/basic");

const A1: &str = "-- revision: a1\n-- down_revision: none\n-- message: first\n-- migrate:upgrade\nCREATE TABLE first_table (id INTEGER PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE first_table;\n";
const B2: &str = "-- revision: b2\n-- down_revision: a1\n-- message: second\n-- migrate:upgrade\nCREATE TABLE second_table (id INTEGER PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE second_table;\n";

async fn current<DB: Backend>(db: &TestDb<DB>, m: &Migrations) -> Vec<String> {
    m.current(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.revision)
        .collect()
}

on_every_database!(
    at_head_nothing_runs_and_what_is_wrong_is_still_refused,
    upgrade_head_applies_everything_once,
    downgrade_minus_one_undoes_the_current_revision,
    downgrade_base_undoes_everything,
    stamp_records_revisions_without_running_them,
    an_edited_applied_migration_is_refused_by_checksum,
    an_unknown_applied_revision_is_refused,
    a_failing_revision_leaves_the_database_as_before_it,
    crlf_and_lf_copies_have_the_same_checksum,
    an_irreversible_revision_stops_a_downgrade_before_it_starts,
    a_custom_version_table_is_used,
    a_revision_left_part_way_is_refused_until_repaired,
    a_changed_checksum_is_re_recorded_on_purpose,
    a_single_transaction_run_is_all_or_nothing,
    a_failed_run_in_the_callers_transaction_leaves_it_usable,
    an_older_binary_rolls_back_revisions_it_does_not_know_on_request,
);

async fn a_single_transaction_run_is_all_or_nothing<DB: Backend>(db: &TestDb<DB>) {
    let broken = "-- revision: c3\n-- down_revision: b2\n-- migrate:upgrade\nINSERT INTO no_such_table VALUES (1);\n";
    let dir = migrations_dir(&[
        ("a1_first.sql", A1),
        ("b2_second.sql", B2),
        ("c3_broken.sql", broken),
    ]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    let runner = m.runner().single_transaction(true);
    let err = runner.upgrade(&db.pool, "head").await.unwrap_err();
    if !DB::TRANSACTIONAL_DDL {
        assert!(matches!(err, Error::SingleTransaction { .. }), "{err}");
        assert!(!DB::table_exists(&db.pool, "first_table").await);
        return;
    }
    assert!(
        matches!(&err, Error::Execute { revision, .. } if revision == "c3"),
        "{err}"
    );
    // a1 and b2 ran, and went with c3.
    assert!(current(db, &m).await.is_empty());
    assert!(!DB::table_exists(&db.pool, "first_table").await);
    assert!(!DB::table_exists(&db.pool, "second_table").await);
    assert_eq!(
        runner.upgrade(&db.pool, "b2").await.unwrap().revisions(),
        ["a1", "b2"]
    );
    assert_eq!(
        runner
            .downgrade(&db.pool, "base")
            .await
            .unwrap()
            .revisions(),
        ["b2", "a1"]
    );
    // A revision that must run outside a transaction cannot be part of one.
    let outside = "-- revision: c3\n-- down_revision: b2\n-- transaction: false\n-- migrate:upgrade\nCREATE TABLE third (id INTEGER);\n";
    let dir = migrations_dir(&[
        ("a1_first.sql", A1),
        ("b2_second.sql", B2),
        ("c3_outside.sql", outside),
    ]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    let err = m
        .runner()
        .single_transaction(true)
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::SingleTransaction { reason } if reason.contains("`c3`")),
        "{err}"
    );
    assert!(current(db, &m).await.is_empty());
}

async fn an_older_binary_rolls_back_revisions_it_does_not_know_on_request<DB: Backend>(
    db: &TestDb<DB>,
) {
    let c3 = "-- revision: c3\n-- down_revision: b2\n-- migrate:upgrade\nCREATE TABLE third_table (id INTEGER PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE third_table;\n";
    let newer = migrations_dir(&[
        ("a1_first.sql", A1),
        ("b2_second.sql", B2),
        ("c3_third.sql", c3),
    ]);
    Migrations::from_dir(newer.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    let older = Migrations::from_dir(migrations_dir(&[("a1_first.sql", A1)]).path()).unwrap();
    assert!(matches!(
        older.upgrade(&db.pool, "head").await,
        Err(Error::UnknownApplied { .. })
    ));
    let report = older
        .runner()
        .roll_back_unknown(true)
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    assert_eq!(report.revisions(), ["c3", "b2"]);
    assert!(report.steps.iter().all(|s| s.action == Action::Downgrade));
    assert!(!DB::table_exists(&db.pool, "third_table").await);
    assert!(!DB::table_exists(&db.pool, "second_table").await);
    assert_eq!(current(db, &older).await, ["a1"]);
    // Without stored downgrade SQL there is nothing to run: refused, nothing changed.
    let one_way = "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE kept (id INTEGER PRIMARY KEY);\n";
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_one_way.sql", one_way)]);
    Migrations::from_dir(dir.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    let err = older
        .runner()
        .roll_back_unknown(true)
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Irreversible { revision, .. } if revision == "b2"),
        "{err}"
    );
    assert!(DB::table_exists(&db.pool, "kept").await);
}

async fn a_revision_left_part_way_is_refused_until_repaired<DB: Backend>(db: &TestDb<DB>) {
    // Outside a transaction, a failure after the first statement leaves the revision's
    // row `failed`.
    let broken = "-- revision: b2\n-- down_revision: a1\n-- transaction: false\n-- migrate:upgrade\nCREATE TABLE part_of_b2 (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n";
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_broken.sql", broken)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    assert!(matches!(
        m.upgrade(&db.pool, "head").await,
        Err(Error::Execute { .. })
    ));
    for _ in 0..2 {
        let err = m.upgrade(&db.pool, "head").await.unwrap_err();
        match &err {
            Error::Dirty {
                revision,
                state,
                error,
            } => {
                assert_eq!(revision, "b2");
                assert_eq!(*state, RevisionState::Failed);
                assert!(error.as_deref().unwrap().contains("no_such_table"));
            }
            other => panic!("expected the dirty state to be refused, got {other}"),
        }
        assert!(err.to_string().contains("repair"), "{err}");
    }
    assert!(matches!(
        m.downgrade(&db.pool, "base").await,
        Err(Error::Dirty { .. })
    ));
    // A revision that is not left part-way cannot be repaired.
    let err = m
        .runner()
        .repair(&db.pool, "a1", Repair::Applied)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Repair { .. }), "{err}");
    // The user finished b2 by hand.
    m.runner()
        .repair(&db.pool, "b2", Repair::Applied)
        .await
        .unwrap();
    assert_eq!(current(db, &m).await, ["b2"]);
    assert!(m.upgrade(&db.pool, "head").await.unwrap().is_empty());
}

async fn a_changed_checksum_is_re_recorded_on_purpose<DB: Backend>(db: &TestDb<DB>) {
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_second.sql", B2)]);
    Migrations::from_dir(dir.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    std::fs::write(
        dir.path().join("b2_second.sql"),
        B2.replace("-- migrate:upgrade\n", "-- migrate:upgrade\n-- reviewed\n"),
    )
    .unwrap();
    let m = Migrations::from_dir(dir.path()).unwrap();
    assert!(matches!(
        m.upgrade(&db.pool, "head").await,
        Err(Error::ChecksumMismatch { .. })
    ));
    let err = m
        .runner()
        .repair_checksums(&db.pool, &["zz"])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Repair { .. }), "{err}");
    assert_eq!(
        m.runner().repair_checksums(&db.pool, &[]).await.unwrap(),
        ["b2"]
    );
    assert!(m.upgrade(&db.pool, "head").await.unwrap().is_empty());
    let rows = m.runner().applied(&db.pool).await.unwrap();
    assert_eq!(
        rows.iter().find(|r| r.revision == "b2").unwrap().checksum,
        m.get("b2").unwrap().checksum()
    );
}

/// At head, `upgrade` decides from the rows and the embedded table alone; whatever is
/// wrong with the rows still gets the full check's answer.
async fn at_head_nothing_runs_and_what_is_wrong_is_still_refused<DB: Backend>(db: &TestDb<DB>) {
    MIGRATIONS.upgrade(&db.pool, "head").await.unwrap();
    for target in ["head", "heads"] {
        let report = AT_HEAD.upgrade(&db.pool, target).await.unwrap();
        assert!(report.is_empty(), "{target}: {:?}", report.revisions());
    }
    // Not a target this check decides: the graph answers, the same way.
    assert!(
        OTHER_TARGET
            .upgrade(&db.pool, "c3")
            .await
            .unwrap()
            .is_empty()
    );

    let checksum = DB::text(
        &db.pool,
        "SELECT checksum FROM _migrations WHERE revision = 'b2'",
    )
    .await;
    DB::execute(
        &db.pool,
        "UPDATE _migrations SET checksum = 'edited' WHERE revision = 'b2'",
    )
    .await;
    let err = EDITED.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::ChecksumMismatch { revision, .. } if revision == "b2"),
        "{err}"
    );
    DB::execute(
        &db.pool,
        &format!("UPDATE _migrations SET checksum = '{checksum}' WHERE revision = 'b2'"),
    )
    .await;

    DB::execute(
        &db.pool,
        "INSERT INTO _migrations (revision, parents, message, checksum, execution_ms, state) SELECT 'z9', 'c3', 'newer', checksum, execution_ms, state FROM _migrations WHERE revision = 'c3'",
    )
    .await;
    let err = UNKNOWN.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownApplied { revisions } if revisions == &["z9"]),
        "{err}"
    );
    DB::execute(&db.pool, "DELETE FROM _migrations WHERE revision = 'z9'").await;

    DB::execute(
        &db.pool,
        "UPDATE _migrations SET state = 'failed' WHERE revision = 'c3'",
    )
    .await;
    let err = DIRTY.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::Dirty { revision, .. } if revision == "c3"),
        "{err}"
    );
    DB::execute(
        &db.pool,
        "UPDATE _migrations SET state = 'applied' WHERE revision = 'c3'",
    )
    .await;

    MIGRATIONS.downgrade(&db.pool, "-1").await.unwrap();
    let report = BEHIND.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(report.revisions(), ["c3"]);
}

async fn upgrade_head_applies_everything_once<DB: Backend>(db: &TestDb<DB>) {
    let report = MIGRATIONS.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(report.revisions(), ["a1", "b2", "c3"]);
    assert!(report.steps.iter().all(|s| s.action == Action::Upgrade));
    for table in ["account", "note", "tag", "_migrations"] {
        assert!(DB::table_exists(&db.pool, table).await, "{table} exists");
    }
    assert!(
        MIGRATIONS
            .upgrade(&db.pool, "head")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(current(db, &MIGRATIONS).await, ["c3"]);
    let rows = MIGRATIONS.runner().applied(&db.pool).await.unwrap();
    assert_eq!(rows.len(), 3);
    let b2 = rows.iter().find(|r| r.revision == "b2").unwrap();
    assert_eq!(b2.parents, ["a1"]);
    assert_eq!(b2.message, "create note");
    assert_eq!(b2.checksum, MIGRATIONS.get("b2").unwrap().checksum());
    assert_eq!(b2.downgrade_sql.as_deref(), Some("DROP TABLE note;"));
    assert!(!b2.applied_at.is_empty());
}

async fn downgrade_minus_one_undoes_the_current_revision<DB: Backend>(db: &TestDb<DB>) {
    MIGRATIONS.upgrade(&db.pool, "head").await.unwrap();
    let report = MIGRATIONS.downgrade(&db.pool, "-1").await.unwrap();
    assert_eq!(report.revisions(), ["c3"]);
    assert_eq!(report.steps[0].action, Action::Downgrade);
    assert!(!DB::table_exists(&db.pool, "tag").await);
    assert!(DB::table_exists(&db.pool, "note").await);
    assert_eq!(current(db, &MIGRATIONS).await, ["b2"]);
}

async fn downgrade_base_undoes_everything<DB: Backend>(db: &TestDb<DB>) {
    MIGRATIONS.upgrade(&db.pool, "head").await.unwrap();
    let report = MIGRATIONS.downgrade(&db.pool, "base").await.unwrap();
    assert_eq!(report.revisions(), ["c3", "b2", "a1"]);
    for table in ["account", "note", "tag"] {
        assert!(!DB::table_exists(&db.pool, table).await, "{table} dropped");
    }
    assert!(current(db, &MIGRATIONS).await.is_empty());
    // Back up again from base: the same revisions, in the same order.
    assert_eq!(
        MIGRATIONS
            .upgrade(&db.pool, "head")
            .await
            .unwrap()
            .revisions(),
        ["a1", "b2", "c3"]
    );
}

async fn stamp_records_revisions_without_running_them<DB: Backend>(db: &TestDb<DB>) {
    // An existing database that already has a1 and b2's schema, made by hand.
    DB::execute(
        &db.pool,
        "CREATE TABLE account (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)",
    )
    .await;
    DB::execute(&db.pool, "CREATE TABLE note (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, body TEXT NOT NULL)").await;
    let report = MIGRATIONS.runner().stamp(&db.pool, &["b2"]).await.unwrap();
    assert_eq!(report.revisions(), ["a1", "b2"]);
    assert!(report.steps.iter().all(|s| s.action == Action::Stamp));
    assert_eq!(current(db, &MIGRATIONS).await, ["b2"]);
    assert_eq!(
        MIGRATIONS
            .upgrade(&db.pool, "head")
            .await
            .unwrap()
            .revisions(),
        ["c3"]
    );
    // Stamping back to a1 forgets b2 and c3 without dropping their tables.
    let report = MIGRATIONS.runner().stamp(&db.pool, &["a1"]).await.unwrap();
    assert_eq!(report.revisions(), ["c3", "b2"]);
    assert!(report.steps.iter().all(|s| s.action == Action::Unstamp));
    assert!(DB::table_exists(&db.pool, "tag").await);
    assert_eq!(current(db, &MIGRATIONS).await, ["a1"]);
}

async fn an_edited_applied_migration_is_refused_by_checksum<DB: Backend>(db: &TestDb<DB>) {
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_second.sql", B2)]);
    Migrations::from_dir(dir.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    let edited = B2.replace(
        "second_table (id INTEGER PRIMARY KEY)",
        "second_table (id INTEGER PRIMARY KEY, x INTEGER)",
    );
    std::fs::write(dir.path().join("b2_second.sql"), edited).unwrap();
    let err = Migrations::from_dir(dir.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    match &err {
        Error::ChecksumMismatch { revision, file, .. } => {
            assert_eq!(revision, "b2");
            assert!(file.ends_with("b2_second.sql"), "{file}");
        }
        other => panic!("expected a checksum mismatch, got {other}"),
    }
    assert!(err.to_string().contains("put the change in a new revision"));
}

async fn an_unknown_applied_revision_is_refused<DB: Backend>(db: &TestDb<DB>) {
    let newer = migrations_dir(&[("a1_first.sql", A1), ("b2_second.sql", B2)]);
    Migrations::from_dir(newer.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    let older = Migrations::from_dir(migrations_dir(&[("a1_first.sql", A1)]).path()).unwrap();
    let err = older.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownApplied { revisions } if revisions == &["b2"]),
        "{err}"
    );
    // Reading the state still works, and shows the revision the binary does not know.
    assert_eq!(current(db, &older).await, ["b2"]);
}

async fn a_failing_revision_leaves_the_database_as_before_it<DB: Backend>(db: &TestDb<DB>) {
    let broken = "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE half_done (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n";
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_broken.sql", broken)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    let err = m.upgrade(&db.pool, "head").await.unwrap_err();
    match &err {
        Error::Execute {
            revision,
            action,
            statement,
            line,
            database,
            ..
        } => {
            assert_eq!(revision, "b2");
            assert_eq!(*action, Action::Upgrade);
            assert_eq!((*statement, *line), (Some(2), Some(5)), "{err}");
            assert!(database.message.contains("no_such_table"), "{err}");
            // PostgreSQL's position counts from the start of the revision's SQL, though
            // BEGIN travelled before it. Only PostgreSQL gives a position.
            assert_eq!(
                database.position.is_some(),
                DB::DIALECT == migraph::Dialect::Postgres
            );
            if let Some(p) = database.position {
                let sql = m.get("b2").unwrap().upgrade_sql();
                let at: String = sql.chars().skip(p - 1).take(13).collect();
                assert_eq!(at, "no_such_table", "{err}");
            }
        }
        other => panic!("expected the revision to fail, got {other}"),
    }
    assert!(err.to_string().contains("b2_broken.sql"), "{err}");
    assert_eq!(current(db, &m).await, ["a1"]);
    assert!(DB::table_exists(&db.pool, "first_table").await);
    if DB::TRANSACTIONAL_DDL {
        assert!(
            !DB::table_exists(&db.pool, "half_done").await,
            "b2's DDL was rolled back"
        );
    }
}

async fn crlf_and_lf_copies_have_the_same_checksum<DB: Backend>(db: &TestDb<DB>) {
    let lf = migrations_dir(&[("a1_first.sql", A1), ("b2_second.sql", B2)]);
    Migrations::from_dir(lf.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    let crlf_text = |s: &str| s.replace('\n', "\r\n");
    let crlf = migrations_dir(&[
        ("a1_first.sql", &crlf_text(A1)),
        ("b2_second.sql", &crlf_text(B2)),
    ]);
    let m = Migrations::from_dir(crlf.path()).unwrap();
    assert_eq!(
        m.get("b2").unwrap().checksum(),
        Migrations::from_dir(lf.path())
            .unwrap()
            .get("b2")
            .unwrap()
            .checksum()
    );
    assert!(m.upgrade(&db.pool, "head").await.unwrap().is_empty());
}

async fn an_irreversible_revision_stops_a_downgrade_before_it_starts<DB: Backend>(db: &TestDb<DB>) {
    let one_way = "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE kept (id INTEGER PRIMARY KEY);\n";
    let c3 = "-- revision: c3\n-- down_revision: b2\n-- migrate:upgrade\nCREATE TABLE third (id INTEGER PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE third;\n";
    let dir = migrations_dir(&[
        ("a1_first.sql", A1),
        ("b2_one_way.sql", one_way),
        ("c3_third.sql", c3),
    ]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    m.upgrade(&db.pool, "head").await.unwrap();
    let err = m.downgrade(&db.pool, "base").await.unwrap_err();
    assert!(
        matches!(&err, Error::Irreversible { revision, .. } if revision == "b2"),
        "{err}"
    );
    // Nothing ran: c3, which could be undone, is still there.
    assert_eq!(current(db, &m).await, ["c3"]);
    assert!(DB::table_exists(&db.pool, "third").await);
    assert_eq!(
        m.downgrade(&db.pool, "b2").await.unwrap().revisions(),
        ["c3"]
    );
}

async fn a_custom_version_table_is_used<DB: Backend>(db: &TestDb<DB>) {
    let runner = MIGRATIONS.runner().table("app_versions");
    runner.upgrade(&db.pool, "a1").await.unwrap();
    assert!(DB::table_exists(&db.pool, "app_versions").await);
    assert!(!DB::table_exists(&db.pool, "_migrations").await);
    assert_eq!(runner.current(&db.pool).await.unwrap()[0].revision, "a1");
    // The default table knows nothing of it.
    assert!(current(db, &MIGRATIONS).await.is_empty());
    let err = MIGRATIONS
        .runner()
        .table("bad name")
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTable { .. }), "{err}");
}

/// An in-memory SQLite database lives as long as its connection: a run must not close it.
#[tokio::test]
async fn an_in_memory_sqlite_database_survives_runs() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    assert_eq!(
        MIGRATIONS.upgrade(&pool, "b2").await.unwrap().revisions(),
        ["a1", "b2"]
    );
    assert_eq!(
        MIGRATIONS.upgrade(&pool, "head").await.unwrap().revisions(),
        ["c3"]
    );
    assert!(MIGRATIONS.upgrade(&pool, "head").await.unwrap().is_empty());
    assert_eq!(
        MIGRATIONS.downgrade(&pool, "-1").await.unwrap().revisions(),
        ["c3"]
    );
    assert_eq!(MIGRATIONS.current(&pool).await.unwrap()[0].revision, "b2");
}

/// Run inside a transaction the caller opened, a failed revision is undone to its own
/// savepoint (or, in whole-run mode, the run to its own), and the caller's transaction
/// goes on.
async fn a_failed_run_in_the_callers_transaction_leaves_it_usable<DB: Backend>(db: &TestDb<DB>)
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    if !DB::TRANSACTIONAL_DDL {
        return; // MySQL commits the caller's transaction at the first DDL
    }
    let broken = "-- revision: c3\n-- down_revision: b2\n-- migrate:upgrade\nCREATE TABLE third_table (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n";
    let dir = migrations_dir(&[
        ("a1_first.sql", A1),
        ("b2_second.sql", B2),
        ("c3_broken.sql", broken),
    ]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    for whole in [false, true] {
        let mut tx = db.pool.begin().await.unwrap();
        let err = m
            .runner()
            .single_transaction(whole)
            .upgrade(&mut tx, "head")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Execute { revision, statement: Some(2), .. } if revision == "c3"),
            "whole run: {whole}: {err:?}"
        );
        let kept = format!("CREATE TABLE callers_{whole} (id INTEGER)");
        sqlx::raw_sql(sqlx::AssertSqlSafe(kept))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(DB::table_exists(&db.pool, &format!("callers_{whole}")).await);
        assert!(!DB::table_exists(&db.pool, "third_table").await);
        if whole {
            assert!(current(db, &m).await.is_empty());
        } else {
            assert_eq!(current(db, &m).await, ["b2"]);
            m.downgrade(&db.pool, "base").await.unwrap();
        }
    }
}

/// `Migrator::upgrade_each`: many databases of one application, a few at once; one
/// broken database fails alone, and the results keep the order of the pools.
async fn upgrade_each_keeps_going_past_a_broken_database<DB: Backend>(dbs: &[TestDb<DB>]) {
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_second.sql", B2)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    // The second database already has the table the first revision creates.
    DB::execute(&dbs[1].pool, "CREATE TABLE first_table (id INTEGER)").await;
    let pools: Vec<&sqlx::Pool<DB>> = dbs.iter().map(|d| &d.pool).collect();
    let results = m.runner().upgrade_each(pools, "head", 2).await;
    assert_eq!(results.len(), dbs.len());
    for (i, result) in results.iter().enumerate() {
        match (i, result) {
            (1, Err(Error::Execute { revision, .. })) => assert_eq!(revision, "a1"),
            (1, other) => panic!("the broken database: {other:?}"),
            (_, Ok(report)) => assert_eq!(report.revisions(), ["a1", "b2"]),
            (_, Err(e)) => panic!("database {i}: {e}"),
        }
    }
}

#[tokio::test]
async fn upgrade_each_on_sqlite_and_postgres() {
    let mut lite = Vec::new();
    for _ in 0..12 {
        lite.push(TestDb::<sqlx::Sqlite>::sqlite().await.unwrap());
    }
    upgrade_each_keeps_going_past_a_broken_database(&lite).await;
    let mut pg = Vec::new();
    for _ in 0..3 {
        if let Some(db) = TestDb::<sqlx::Postgres>::postgres().await {
            pg.push(db);
        }
    }
    if !pg.is_empty() {
        upgrade_each_keeps_going_past_a_broken_database(&pg).await;
    }
}
