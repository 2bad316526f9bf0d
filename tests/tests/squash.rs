//! Squash: `migraph squash a1:c3` writes one revision that replaces the run. A fresh
//! database applies the squash only; one where the whole run is applied records it
//! without running SQL; one part-way through finishes the run, then records it; after the
//! run's files are deleted, the first two still work and the third is told to upgrade with
//! an older release first. On every database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::ExitCode;

use migraph::{Action, Error, Migrations};
use migraph_tests::{Backend, TestDb, cli, on_every_database};

/// a1 b2 c3 d4, a chain, each a table.
fn write_chain(dir: &Path) {
    let mut parent = "none";
    for id in ["a1", "b2", "c3", "d4"] {
        std::fs::write(
            dir.join(format!("{id}_step.sql")),
            format!("-- revision: {id}\n-- down_revision: {parent}\n-- message: make {id}\n-- migrate:upgrade\nCREATE TABLE t_{id} (id INTEGER);\n-- migrate:downgrade\nDROP TABLE t_{id};\n"),
        )
        .unwrap();
        parent = id;
    }
}

/// The three releases: before the squash, with it, and with the run's files deleted.
struct Releases {
    _root: tempfile::TempDir,
    before: Migrations,
    with: Migrations,
    after: Migrations,
}

fn releases() -> Releases {
    let root = tempfile::tempdir().unwrap();
    let (before, with, after) = (
        root.path().join("before"),
        root.path().join("with"),
        root.path().join("after"),
    );
    for dir in [&before, &with] {
        std::fs::create_dir(dir).unwrap();
        write_chain(dir);
    }
    // The command line has a runtime of its own: outside the test's.
    let dir = with.to_str().unwrap().to_owned();
    let (code, out, err) = std::thread::spawn(move || {
        cli(&[
            "--dir", &dir, "squash", "a1:c3", "-m", "baseline", "--rev-id", "s1",
        ])
    })
    .join()
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(out.contains("replaces a1, b2, c3"), "{out}");
    std::fs::create_dir(&after).unwrap();
    for name in ["s1_baseline.sql", "d4_step.sql"] {
        std::fs::copy(with.join(name), after.join(name)).unwrap();
    }
    Releases {
        before: Migrations::from_dir(&before).unwrap(),
        with: Migrations::from_dir(&with).unwrap(),
        after: Migrations::from_dir(&after).unwrap(),
        _root: root,
    }
}

async fn rows<DB: Backend>(m: &Migrations, db: &TestDb<DB>) -> Vec<String> {
    let mut rows: Vec<String> = m
        .runner()
        .applied(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{}<{}", r.revision, r.parents.join(",")))
        .collect();
    rows.sort();
    rows
}

fn steps(report: &migraph::Report) -> Vec<String> {
    report
        .steps
        .iter()
        .map(|s| format!("{} {}", s.action, s.revision))
        .collect()
}

async fn a_fresh_database_applies_the_squash_only<DB: Backend>(db: &TestDb<DB>) {
    let r = releases();
    let report = r.with.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(steps(&report), ["upgrade s1", "upgrade d4"]);
    assert_eq!(rows(&r.with, db).await, ["d4<s1", "s1<"]);
    for t in ["t_a1", "t_b2", "t_c3", "t_d4"] {
        assert!(DB::table_exists(&db.pool, t).await, "{t}");
    }
    // Undone as one revision, its downgrades in reverse.
    r.with.downgrade(&db.pool, "base").await.unwrap();
    assert!(!DB::table_exists(&db.pool, "t_a1").await);
}

async fn a_database_with_the_whole_run_records_the_squash<DB: Backend>(db: &TestDb<DB>) {
    let r = releases();
    r.before.upgrade(&db.pool, "head").await.unwrap();
    // No SQL runs: the squash's CREATE TABLE would fail on the tables that exist.
    let report = r.with.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(steps(&report), ["stamp s1"]);
    assert_eq!(report.steps[0].action, Action::Stamp);
    assert_eq!(rows(&r.with, db).await, ["d4<s1", "s1<"]);
    assert_eq!(r.with.current(&db.pool).await.unwrap()[0].revision, "d4");
    assert!(
        r.with
            .upgrade(&db.pool, "head")
            .await
            .unwrap()
            .steps
            .is_empty()
    );
}

async fn a_database_part_way_finishes_the_run_first<DB: Backend>(db: &TestDb<DB>) {
    let r = releases();
    r.before.upgrade(&db.pool, "a1").await.unwrap();
    // Part-way, a downgrade past the squash is refused: the run must be finished first.
    let err = r.with.downgrade(&db.pool, "base").await.unwrap_err();
    assert!(
        matches!(&err, Error::Squash { reason, .. } if reason.contains("upgrade first")),
        "{err}"
    );
    let report = r.with.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(
        steps(&report),
        ["upgrade b2", "upgrade c3", "stamp s1", "upgrade d4"]
    );
    assert_eq!(rows(&r.with, db).await, ["d4<s1", "s1<"]);
}

async fn after_the_files_are_deleted<DB: Backend>(db: &TestDb<DB>) {
    let r = releases();
    // A database with the whole run applied still records the squash.
    r.before.upgrade(&db.pool, "head").await.unwrap();
    let report = r.after.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(steps(&report), ["stamp s1"]);
    assert_eq!(rows(&r.after, db).await, ["d4<s1", "s1<"]);
    // One part-way through it is told to upgrade with an older release first.
    r.after.downgrade(&db.pool, "base").await.unwrap();
    r.before.upgrade(&db.pool, "b2").await.unwrap();
    let err = r.after.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::Squash { squash, reason } if squash == "s1" && reason.contains("upgrade with an older release")),
        "{err}"
    );
    assert!(!DB::table_exists(&db.pool, "t_c3").await);
    // Which then works: the older release finishes the run, this one records it.
    r.before.upgrade(&db.pool, "c3").await.unwrap();
    assert_eq!(
        steps(&r.after.upgrade(&db.pool, "head").await.unwrap()),
        ["stamp s1", "upgrade d4"]
    );
}

/// The squash and the files it replaces, embedded: a debug build, which looks for files
/// added after it was built, knows the replaced files as its own.
static EMBEDDED: Migrations = migraph::embed_migrations!("fixtures/pass/squash");

async fn an_embedded_squash_with_its_replaced_files_applies<DB: Backend>(db: &TestDb<DB>) {
    let report = EMBEDDED.upgrade(&db.pool, "head").await.unwrap();
    assert_eq!(steps(&report), ["upgrade s1", "upgrade d4"]);
    assert!(EMBEDDED.upgrade(&db.pool, "head").await.unwrap().is_empty());
}

on_every_database!(
    an_embedded_squash_with_its_replaced_files_applies,
    a_fresh_database_applies_the_squash_only,
    a_database_with_the_whole_run_records_the_squash,
    a_database_part_way_finishes_the_run_first,
    after_the_files_are_deleted,
);

/// A squash of a run that is not linear is refused at its `replaces` line.
#[test]
fn a_broken_squash_is_refused_at_its_line() {
    let root = tempfile::tempdir().unwrap();
    write_chain(root.path());
    std::fs::write(
        root.path().join("s1_bad.sql"),
        "-- revision: s1\n-- down_revision: none\n-- replaces: a1, c3\n-- migrate:upgrade\nSELECT 1;\n",
    )
    .unwrap();
    let err = Migrations::from_dir(root.path()).unwrap_err().to_string();
    assert!(err.contains("s1_bad.sql:3"), "{err}");
    assert!(err.contains("linear run"), "{err}");
}

/// Stamping below a squash whose run is applied takes the run's rows away with it, and
/// stamping the squash on a database part-way through its run replaces those rows.
async fn stamps_take_the_runs_rows_along<DB: Backend>(db: &TestDb<DB>) {
    let r = releases();
    r.before.upgrade(&db.pool, "c3").await.unwrap();
    let report = r.with.runner().stamp(&db.pool, &["base"]).await.unwrap();
    assert_eq!(steps(&report), ["unstamp s1"]);
    assert_eq!(rows(&r.with, db).await, Vec::<String>::new());
    r.before.runner().stamp(&db.pool, &["a1"]).await.unwrap();
    r.with.runner().stamp(&db.pool, &["s1"]).await.unwrap();
    assert_eq!(rows(&r.with, db).await, ["s1<"]);
}

on_every_database!(stamps_take_the_runs_rows_along);
