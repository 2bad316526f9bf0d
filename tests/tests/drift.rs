//! `diff`: the schema the applied revisions build, on a scratch database, against the live
//! one. A database changed by hand after migrating (an index added, a column's type
//! changed, a constraint dropped) is reported exactly, on every database; an untouched
//! one reports nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use migraph::{Error, Migrations};
use migraph_tests::{Backend, TestDb, migrations_dir};
use sqlx::Pool;

const A1: &str = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n\
CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, nickname VARCHAR(50));\n\
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, total NUMERIC(10,2), \
CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id));\n";
const B2: &str = "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\n\
CREATE INDEX orders_user ON orders (user_id);\n\
CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 100;\n";

fn migrations() -> (tempfile::TempDir, Migrations) {
    let dir = migrations_dir(&[("a1_users.sql", A1), ("b2_index.sql", B2)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    (dir, m)
}

/// Migrates `live`, finds no drift, changes it `by_hand`, and finds exactly `expected`;
/// each comparison on a scratch database of its own.
async fn drift_is_reported_exactly<DB: Backend>(
    live: &TestDb<DB>,
    [first, second]: [Pool<DB>; 2],
    by_hand: &[&str],
    expected: &[&str],
) where
    for<'c> &'c Pool<DB>:
        sqlx::Acquire<'c, Database = DB, Connection = sqlx::pool::PoolConnection<DB>>,
{
    let (_dir, m) = migrations();
    m.upgrade(&live.pool, "head").await.unwrap();
    assert_eq!(m.runner().diff(&live.pool, &first).await.unwrap(), []);
    // A scratch database that already holds revisions is refused.
    let err = m.runner().diff(&live.pool, &first).await.unwrap_err();
    assert!(
        matches!(&err, Error::Diff { reason } if reason.contains("empty database")),
        "{err}"
    );
    // On one connection, in order.
    DB::execute(&live.pool, &by_hand.join(";\n")).await;
    let drift: Vec<String> = m
        .runner()
        .diff(&live.pool, &second)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(drift, expected);
    // The live database was only read.
    let current: Vec<String> = m
        .current(&live.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(current, ["b2"]);
}

#[tokio::test]
async fn drift_on_postgres() {
    let Some(live) = TestDb::<sqlx::Postgres>::postgres().await else {
        return;
    };
    let scratch = [
        TestDb::<sqlx::Postgres>::postgres().await.unwrap(),
        TestDb::<sqlx::Postgres>::postgres().await.unwrap(),
    ];
    drift_is_reported_exactly(
        &live,
        [scratch[0].pool.clone(), scratch[1].pool.clone()],
        &[
            "CREATE INDEX users_email_idx ON users (email)",
            "ALTER TABLE users ALTER COLUMN nickname TYPE VARCHAR(80)",
            "ALTER TABLE orders DROP CONSTRAINT orders_user_fk",
        ],
        &[
            "- constraint orders_user_fk on orders foreign key (user_id) references users(id)",
            "~ column users.nickname: character varying(50) -> character varying(80)",
            "+ index users_email_idx on users (email)",
        ],
    )
    .await;
}

#[tokio::test]
async fn drift_on_mysql() {
    let Some(live) = TestDb::<sqlx::MySql>::mysql().await else {
        return;
    };
    let scratch = [
        TestDb::<sqlx::MySql>::mysql().await.unwrap(),
        TestDb::<sqlx::MySql>::mysql().await.unwrap(),
    ];
    drift_is_reported_exactly(
        &live,
        [scratch[0].pool.clone(), scratch[1].pool.clone()],
        &[
            "CREATE INDEX users_email_idx ON users (email)",
            "ALTER TABLE users MODIFY nickname VARCHAR(80)",
            "ALTER TABLE orders DROP FOREIGN KEY orders_user_fk",
            // MariaDB reads a nullable column's missing default as `NULL`: no default.
            "ALTER TABLE users ADD COLUMN note TEXT",
        ],
        &[
            "- constraint orders_user_fk on orders foreign key (user_id) references users (id)",
            "~ column users.nickname: varchar(50) -> varchar(80)",
            "+ column users.note text",
            "+ index users_email_idx on users (email)",
        ],
    )
    .await;
}

/// An in-memory database on one connection that stays open.
async fn sqlite_memory() -> Pool<sqlx::Sqlite> {
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await
        .unwrap()
}

#[tokio::test]
async fn drift_on_sqlite() {
    let live = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
    drift_is_reported_exactly(
        &live,
        [sqlite_memory().await, sqlite_memory().await],
        &[
            "CREATE INDEX users_email_idx ON users (email)",
            // SQLite changes a column's type by dropping and adding it...
            "ALTER TABLE users DROP COLUMN nickname",
            "ALTER TABLE users ADD COLUMN nickname TEXT",
            // ...and drops a constraint by rebuilding the table.
            "DROP VIEW big_orders",
            "CREATE TABLE orders_new (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, total NUMERIC(10,2))",
            "INSERT INTO orders_new SELECT id, user_id, total FROM orders",
            "DROP TABLE orders",
            "ALTER TABLE orders_new RENAME TO orders",
            "CREATE INDEX orders_user ON orders (user_id)",
            "CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 100",
        ],
        &[
            "- constraint on orders foreign key (user_id) references users (id)",
            "~ column users.nickname: VARCHAR(50) -> TEXT",
            "+ index users_email_idx on users (email)",
        ],
    )
    .await;
}

/// A table, a view, a partial index and a column's default and nullability, each
/// changed: every kind of difference has its line.
#[tokio::test]
async fn tables_views_defaults_and_partial_indexes_are_compared() {
    let live = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
    let (_dir, m) = migrations();
    m.upgrade(&live.pool, "head").await.unwrap();
    for sql in [
        "CREATE TABLE audit (id INTEGER)",
        "DROP VIEW big_orders",
        "CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 1000",
        "CREATE UNIQUE INDEX users_lower ON users (email) WHERE nickname IS NOT NULL",
        "ALTER TABLE orders ADD COLUMN note TEXT NOT NULL DEFAULT 'none'",
    ] {
        <sqlx::Sqlite as Backend>::execute(&live.pool, sql).await;
    }
    let drift: Vec<String> = m
        .runner()
        .diff(&live.pool, &sqlite_memory().await)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        drift,
        [
            "+ table audit",
            "+ column orders.note TEXT not null default 'none'",
            "+ index users_lower on users unique (email) where nickname IS NOT NULL",
            "~ view big_orders: its definition differs",
        ]
    );
}

/// A database holding a revision this build does not have cannot be compared: the
/// schema it made is unknown.
#[tokio::test]
async fn an_unknown_applied_revision_is_refused() {
    let live = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
    let (_dir, m) = migrations();
    m.upgrade(&live.pool, "head").await.unwrap();
    let older = Migrations::from_dir(migrations_dir(&[("a1_users.sql", A1)]).path()).unwrap();
    let err = older
        .runner()
        .diff(&live.pool, &sqlite_memory().await)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Diff { reason } if reason.contains("`b2` is applied to the database but this build does not have it")),
        "{err}"
    );
}
