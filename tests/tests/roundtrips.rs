//! The common start-up case, a database already at head, costs one statement and takes no
//! lock. Statements are counted from sqlx's own statement log (`sqlx::query` events).

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use migraph::{Dialect, Migrations, embed_migrations};
use migraph_tests::{Backend, TestDb};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

static MIGRATIONS: Migrations = embed_migrations!("fixtures/db/basic");

/// Counts the statements sqlx logs, with the text of each.
struct StatementLog;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);
static LOG: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

impl Subscriber for StatementLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "sqlx::query"
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() == "sqlx::query" {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
            let mut text = String::new();
            event.record(
                &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                    if field.name() == "summary" {
                        text = format!("{value:?}");
                    }
                },
            );
            LOG.lock().unwrap().push(text);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Statements logged while `f` runs.
async fn statements_during<F: Future>(f: F) -> (F::Output, usize, Vec<String>) {
    LOG.lock().unwrap().clear();
    let before = STATEMENTS.load(Ordering::SeqCst);
    let out = f.await;
    let count = STATEMENTS.load(Ordering::SeqCst) - before;
    (out, count, LOG.lock().unwrap().clone())
}

async fn no_op_start_is_one_statement<DB: Backend>(db: &TestDb<DB>) {
    let (first, count, log) = statements_during(MIGRATIONS.upgrade(&db.pool, "head")).await;
    assert_eq!(first.unwrap().revisions(), ["a1", "b2", "c3"]);
    assert!(
        count > 3,
        "the statement log works: {count} statements for three revisions"
    );
    // Under a session lock a revision's row is not read again inside its transaction;
    // SQLite, whose lock is each revision's transaction, reads it.
    let rechecks = log
        .iter()
        .filter(|s| s.contains("SELECT state FROM"))
        .count();
    assert_eq!(rechecks, if DB::SESSION_LOCK { 0 } else { 3 }, "{log:?}");
    if DB::DIALECT == Dialect::Postgres {
        // Each revision is one text (BEGIN, the check that this session holds the lock,
        // its SQL, its row, COMMIT), one round trip;
        // around them: the no-op read, the read-only check, the lock, the read under it,
        // the version table's CREATE IF NOT EXISTS and the unlock.
        let texts = log
            .iter()
            .filter(|s| s.starts_with("\"BEGIN; DO $migraph$"))
            .count();
        assert_eq!((texts, count), (3, 9), "{log:?}");
    }
    if DB::DIALECT == Dialect::MySql {
        // Statement by statement (DDL commits on its own), the `running` row going with
        // the first and the `applied` row with the last: seven texts for seven statements,
        // and the same six around them.
        assert_eq!(count, 7 + 6, "{log:?}");
        let rows = MIGRATIONS.runner().applied(&db.pool).await.unwrap();
        assert!(
            rows.iter()
                .all(|r| r.state == migraph::RevisionState::Applied && r.execution_ms >= 0)
        );
    }
    // On one connection, so that the pool opening a connection (SQLite logs its set-up as
    // statements) is not counted.
    let mut conn = db.pool.acquire().await.unwrap();
    let (again, count, log) = statements_during(MIGRATIONS.upgrade(&mut conn, "head")).await;
    assert!(again.unwrap().is_empty());
    assert_eq!(count, 1, "{log:?}");
    // The revisions' ids, checksums and states (on SQLite as one aggregated row).
    assert!(
        log[0].contains("SELECT revision") || log[0].contains("SELECT group_concat(revision"),
        "{log:?}"
    );
}

// One test for the three databases, one after the other: the statement log is global.
#[tokio::test]
async fn the_no_op_start_costs_one_statement_and_no_lock() {
    tracing::subscriber::set_global_default(StatementLog).unwrap();
    if let Some(db) = TestDb::<sqlx::Sqlite>::sqlite().await {
        no_op_start_is_one_statement(&db).await;
    }
    if let Some(db) = TestDb::<sqlx::Postgres>::postgres().await {
        no_op_start_is_one_statement(&db).await;
    }
    if let Some(db) = TestDb::<sqlx::MySql>::mysql().await {
        no_op_start_is_one_statement(&db).await;
    }
}
