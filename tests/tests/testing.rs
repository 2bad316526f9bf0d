//! `migraph::testing` on real SQLite, PostgreSQL and MariaDB databases: the stairway
//! test passes on correct downgrades (a chain with a branch and a merge) and names the
//! revision whose downgrade is wrong; template databases start at head.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use std::time::Instant;

use migraph::Migrations;
use migraph::testing::{StairwayError, Template, assert_reversible, assert_single_head, stairway};
use migraph_tests::{Backend, TestDb, migrations_dir, on_every_database};

on_every_database!(
    the_stairway_passes_on_correct_downgrades,
    the_stairway_names_a_downgrade_that_leaves_something_behind,
);

fn file(rev: &str, down: &str, up: &str, undo: &str) -> (String, String) {
    (
        format!("{rev}_x.sql"),
        format!(
            "-- revision: {rev}\n-- down_revision: {down}\n-- migrate:upgrade\n{up}\n-- migrate:downgrade\n{undo}\n"
        ),
    )
}

/// a1 -> b2 -> d4 (merge) <- c3 <- a1: a branch and a merge, every downgrade right.
fn correct() -> Vec<(String, String)> {
    vec![
        file(
            "a1",
            "none",
            "CREATE TABLE account (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);",
            "DROP TABLE account;",
        ),
        file(
            "b2",
            "a1",
            "ALTER TABLE account ADD COLUMN email VARCHAR(200);",
            "ALTER TABLE account DROP COLUMN email;",
        ),
        file(
            "c3",
            "a1",
            "CREATE TABLE audit (id INTEGER PRIMARY KEY, at VARCHAR(30));\nCREATE INDEX audit_at ON audit (at);",
            "DROP TABLE audit;",
        ),
        file(
            "d4",
            "b2, c3",
            "CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT);",
            "DROP TABLE note;",
        ),
    ]
}

fn load(files: &[(String, String)]) -> (tempfile::TempDir, Migrations) {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let dir = migrations_dir(&refs);
    let m = Migrations::from_dir(dir.path()).unwrap();
    (dir, m)
}

async fn the_stairway_passes_on_correct_downgrades<DB: Backend>(db: &TestDb<DB>) {
    let (_dir, m) = load(&correct());
    assert_single_head(&m);
    assert_reversible(&m);
    stairway(&m, &db.pool).await.unwrap();
    // It ends at head.
    assert!(m.upgrade(&db.pool, "head").await.unwrap().is_empty());
}

async fn the_stairway_names_a_downgrade_that_leaves_something_behind<DB: Backend>(db: &TestDb<DB>) {
    let mut files = correct();
    // b2's downgrade forgets its index.
    files[1] = file(
        "b2",
        "a1",
        "ALTER TABLE account ADD COLUMN email VARCHAR(200);\nCREATE INDEX account_name ON account (name);",
        "ALTER TABLE account DROP COLUMN email;",
    );
    let (_dir, m) = load(&files);
    let err = stairway(&m, &db.pool).await.unwrap_err();
    let StairwayError::Schema {
        revision,
        left,
        lost,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(revision, "b2");
    assert!(lost.is_empty(), "{err}");
    assert!(
        left.iter()
            .any(|l| l.starts_with("index account") && l.contains("account_name")),
        "{err}"
    );
    assert!(err.to_string().contains("b2_x.sql"), "{err}");
}

#[test]
#[should_panic(expected = "have 2 heads (b2 in b2_x.sql, c3 in c3_x.sql)")]
fn assert_single_head_names_the_heads() {
    let (_dir, m) = load(&correct()[..3]);
    assert_single_head(&m);
}

#[test]
#[should_panic(expected = "no `-- migrate:downgrade` section and cannot be undone: a1 (a1_x.sql)")]
fn assert_reversible_names_what_cannot_be_undone() {
    let files = [(
        "a1_x.sql".to_owned(),
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n"
            .to_owned(),
    )];
    let (_dir, m) = load(&files);
    assert_reversible(&m);
}

/// Fifty revisions, each a table and an index: what replaying costs per test.
fn fifty() -> &'static Migrations {
    let files: Vec<(String, String)> = (0..50)
        .map(|i| {
            let down = if i == 0 { "none".to_owned() } else { format!("r{:02}", i - 1) };
            file(
                &format!("r{i:02}"),
                &down,
                &format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v VARCHAR(20));\nCREATE INDEX t{i}_v ON t{i} (v);"),
                &format!("DROP TABLE t{i};"),
            )
        })
        .collect();
    let (dir, m) = load(&files);
    std::mem::forget(dir);
    Box::leak(Box::new(m))
}

#[tokio::test]
async fn template_databases_start_at_head_and_cost_less_than_a_replay() {
    let m = fifty();
    let template: &'static Template = Box::leak(Box::new(Template::new(m)));
    let started = Instant::now();
    let first = template.sqlite().await.unwrap();
    let made = started.elapsed();
    let started = Instant::now();
    let second = template.sqlite().await.unwrap();
    let copied = started.elapsed();
    for db in [&first, &second] {
        let pool = sqlx::SqlitePool::connect(db.url()).await.unwrap();
        assert!(m.upgrade(&pool, "head").await.unwrap().is_empty());
        pool.close().await;
    }
    eprintln!(
        "SQLite, 50 revisions: first database (migrate the template, copy) {made:?}, each after {copied:?}"
    );
    let Some(admin) = migraph_tests::url_from("MIGRATIONS_TEST_POSTGRES_URL") else {
        return;
    };
    let started = Instant::now();
    let first = template.postgres(&admin).await.unwrap();
    let made = started.elapsed();
    let started = Instant::now();
    let second = template.postgres(&admin).await.unwrap();
    let copied = started.elapsed();
    for db in [&first, &second] {
        let pool = sqlx::PgPool::connect(db.url()).await.unwrap();
        assert!(m.upgrade(&pool, "head").await.unwrap().is_empty());
        pool.close().await;
    }
    // Against the replay each test would do without it.
    let replay = TestDb::<sqlx::Postgres>::postgres().await.unwrap();
    let started = Instant::now();
    m.upgrade(&replay.pool, "head").await.unwrap();
    let replayed = started.elapsed();
    eprintln!(
        "PostgreSQL, 50 revisions: first database {made:?}, each after from the template {copied:?}, a replay {replayed:?}"
    );
    first.drop_database().await.unwrap();
    second.drop_database().await.unwrap();
}
