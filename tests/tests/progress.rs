//! Which statement a crash interrupted: a revision run statement by statement (every
//! revision on MariaDB, `transaction: false` ones on PostgreSQL) records the statement
//! it is at before it starts. The connection is killed in the middle of a three-statement
//! revision; the next `check` names the statement, and `repair --resume` completes it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use migraph::{Error, Repair, RevisionState};
use migraph_tests::{Backend, TestDb, load_folder};

/// The slow statement, the query that finds the session running it (0 when none), and
/// how to kill it.
struct Killer {
    header: &'static str,
    sleep: &'static str,
    find: &'static str,
    kill: &'static str,
}

const MARIADB: Killer = Killer {
    header: "",
    sleep: "SELECT SLEEP(2)",
    find: "SELECT CAST(COALESCE(MAX(ID), 0) AS SIGNED) FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(2)'",
    kill: "KILL {id}",
};

const POSTGRES: Killer = Killer {
    header: "-- transaction: false\n",
    sleep: "SELECT pg_sleep(2)",
    find: "SELECT COALESCE(MAX(pid), 0)::bigint FROM pg_stat_activity WHERE query LIKE '%SELECT pg_sleep(2)%' AND pid <> pg_backend_pid()",
    kill: "SELECT pg_terminate_backend({id})",
};

async fn killed_mid_revision_then_resumed<DB: Backend>(db: &TestDb<DB>, killer: &Killer) {
    let b2 = format!(
        "-- revision: b2\n-- down_revision: a1\n{}-- migrate:upgrade\nCREATE TABLE p1 (id INTEGER);\n{};\nCREATE TABLE p2 (id INTEGER);\n",
        killer.header, killer.sleep
    );
    let sleep_line = 5 + usize::from(!killer.header.is_empty());
    let (_dir, m) = load_folder(&[
        (
            "a1_first.sql".to_owned(),
            "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t1 (id INTEGER);\n".to_owned(),
        ),
        ("b2_three.sql".to_owned(), b2),
    ]);
    // Kill the runner's session while it sleeps in the second statement.
    let kill = async {
        let started = Instant::now();
        loop {
            let id = DB::scalar(&db.pool, killer.find).await;
            if id != 0 {
                DB::execute(&db.pool, &killer.kill.replace("{id}", &id.to_string())).await;
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the slow statement never ran"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (run, ()) = tokio::join!(m.upgrade(&db.pool, "head"), kill);
    assert!(run.is_err(), "the run went through: {run:?}");
    assert!(DB::table_exists(&db.pool, "p1").await);
    assert!(!DB::table_exists(&db.pool, "p2").await);

    // The row says where it stopped; so do `current`'s rows and the refusal of a new run.
    let rows = m.runner().applied(&db.pool).await.unwrap();
    let row = rows.iter().find(|r| r.revision == "b2").unwrap();
    assert_eq!(row.state, RevisionState::Running);
    let at = format!(
        "upgrade at statement 2 of 3, line {sleep_line}: {}",
        killer.sleep
    );
    assert_eq!(row.error.as_deref(), Some(at.as_str()));
    // `check` reads the pending revisions, and gives the refusal as its answer.
    let check = m.runner().pending(&db.pool, "heads").await.unwrap_err();
    assert!(check.to_string().contains(&at), "{check}");
    let err = m.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(matches!(err, Error::Dirty { .. }), "{err}");
    assert!(err.to_string().contains(&at), "{err}");
    assert!(err.to_string().contains("repair --resume"), "{err}");

    // Resumed: the second and third statements run, the row is applied.
    m.runner()
        .repair(&db.pool, "b2", Repair::Resume)
        .await
        .unwrap();
    assert!(DB::table_exists(&db.pool, "p2").await);
    let rows = m.runner().applied(&db.pool).await.unwrap();
    let row = rows.iter().find(|r| r.revision == "b2").unwrap();
    assert_eq!(row.state, RevisionState::Applied);
    assert_eq!(row.error, None);
    assert!(m.upgrade(&db.pool, "head").await.unwrap().steps.is_empty());
    // An applied revision has nothing to resume.
    let err = m
        .runner()
        .repair(&db.pool, "b2", Repair::Resume)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Repair { .. }), "{err}");
}

#[tokio::test]
async fn killed_on_mariadb() {
    let Some(db) = TestDb::<sqlx::MySql>::mysql().await else {
        return;
    };
    killed_mid_revision_then_resumed(&db, &MARIADB).await;
}

#[tokio::test]
async fn killed_on_postgres() {
    let Some(db) = TestDb::<sqlx::Postgres>::postgres().await else {
        return;
    };
    killed_mid_revision_then_resumed(&db, &POSTGRES).await;
}

/// A failed statement is recorded with its number, and resuming runs it again with the
/// rest once the cause is fixed (here: the table it needs is created by hand).
#[tokio::test]
async fn a_failed_statement_is_resumed_once_fixed() {
    let db = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
    let (_dir, m) = load_folder(&[(
        "a1_first.sql".to_owned(),
        "-- revision: a1\n-- down_revision: none\n-- transaction: false\n-- migrate:upgrade\nCREATE TABLE t1 (id INTEGER);\nINSERT INTO later (id) VALUES (1);\nCREATE TABLE t3 (id INTEGER);\n".to_owned(),
    )]);
    m.upgrade(&db.pool, "head").await.unwrap_err();
    let rows = m.runner().applied(&db.pool).await.unwrap();
    assert_eq!(rows[0].state, RevisionState::Failed);
    assert!(
        rows[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("upgrade failed at statement 2 of 3 (line 6): "),
        "{:?}",
        rows[0].error
    );
    let err = m
        .runner()
        .repair(&db.pool, "a1", Repair::Resume)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Execute { .. }), "{err}");
    <sqlx::Sqlite as Backend>::execute(&db.pool, "CREATE TABLE later (id INTEGER)").await;
    m.runner()
        .repair(&db.pool, "a1", Repair::Resume)
        .await
        .unwrap();
    assert!(<sqlx::Sqlite as Backend>::table_exists(&db.pool, "t3").await);
    assert_eq!(
        <sqlx::Sqlite as Backend>::scalar(&db.pool, "SELECT COUNT(*) FROM later").await,
        1
    );
    assert_eq!(m.current(&db.pool).await.unwrap()[0].revision, "a1");
}
