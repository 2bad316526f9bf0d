//! `migraph::blocking` from plain functions, with no async runtime around the calls, on
//! real SQLite, PostgreSQL and MariaDB databases (a runtime only makes and drops the test
//! databases).

#![allow(clippy::unwrap_used, clippy::panic)]

use migraph::{AppliedRevision, Error, Migrations, blocking, embed_migrations};
use migraph_tests::TestDb;

static MIGRATIONS: Migrations = embed_migrations!("fixtures/db/basic");

/// Calls `f` with the URL of a fresh database of each kind that is configured.
fn on_each_database(f: impl Fn(&str)) {
    let setup = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sqlite = setup.block_on(TestDb::<sqlx::Sqlite>::sqlite()).unwrap();
    f(&sqlite.url);
    if let Some(db) = setup.block_on(TestDb::<sqlx::Postgres>::postgres()) {
        f(&db.url);
    }
    if let Some(db) = setup.block_on(TestDb::<sqlx::MySql>::mysql()) {
        f(&db.url);
    }
}

#[test]
fn the_commands_run_from_plain_functions() {
    on_each_database(|url| {
        let runner = MIGRATIONS.runner();
        assert_eq!(blocking::check(&runner, url).unwrap().len(), 3);
        let report = blocking::upgrade(&runner, url, "head").unwrap();
        assert_eq!(report.revisions(), ["a1", "b2", "c3"], "{url}");
        assert!(blocking::check(&runner, url).unwrap().is_empty());
        let rows = blocking::current(&runner, url).unwrap();
        let current: Vec<&str> = AppliedRevision::current(&rows)
            .iter()
            .map(|r| r.revision.as_str())
            .collect();
        assert_eq!(current, ["c3"]);
        let report = blocking::downgrade(&runner, url, "-1").unwrap();
        assert_eq!(report.revisions(), ["c3"]);
        blocking::stamp(&runner, url, &["c3"]).unwrap();
        assert!(blocking::check(&runner, url).unwrap().is_empty());
    });
}

#[test]
fn blocking_refuses_inside_a_runtime_and_names_a_missing_driver() {
    let runner = MIGRATIONS.runner();
    let err = blocking::upgrade(&runner, "oracle://db", "head").unwrap_err();
    assert!(
        err.to_string().contains("no driver for `oracle:` URLs"),
        "{err}"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = rt.block_on(async { blocking::upgrade(&runner, "sqlite::memory:", "head") });
    assert!(
        matches!(&err, Err(Error::Database(_)) if err.as_ref().unwrap_err().to_string().contains("inside an async runtime")),
        "{err:?}"
    );
}
