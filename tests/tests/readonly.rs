//! A run that would change something on a server or session that takes no writes is
//! refused before it takes the lock, with a message that names the problem; reading
//! commands still work there. PostgreSQL's read-only default for a database, MariaDB's
//! and SQLite's read-only sessions stand in for replicas (whose `pg_is_in_recovery()` and
//! `read_only` the same check reads), and a real hot standby streaming from its primary
//! (`tests/replica.sh`).

#![allow(clippy::unwrap_used, clippy::panic)]

use migraph::{Dialect, Error, Migrations, embed_migrations};
use migraph_tests::{Backend, TestDb, on_every_database};

static MIGRATIONS: Migrations = embed_migrations!("fixtures/db/basic");

on_every_database!(a_read_only_server_is_refused_before_the_lock);

async fn a_read_only_server_is_refused_before_the_lock<DB: Backend>(db: &TestDb<DB>) {
    let (pool, session): (sqlx::Pool<DB>, &[&str]) = match DB::DIALECT {
        Dialect::Postgres => {
            let name = db
                .url
                .rsplit('/')
                .next()
                .unwrap()
                .split('?')
                .next()
                .unwrap();
            DB::execute(
                &db.pool,
                &format!("ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"),
            )
            .await;
            // New connections start read-only, as on a hot standby.
            (sqlx::Pool::<DB>::connect(&db.url).await.unwrap(), &[])
        }
        Dialect::MySql => (db.pool.clone(), &["SET SESSION TRANSACTION READ ONLY"]),
        _ => (db.pool.clone(), &["PRAGMA query_only = ON"]),
    };
    let runner = MIGRATIONS.runner().session_sql(session.iter().copied());
    for err in [
        runner.upgrade(&pool, "head").await.unwrap_err(),
        runner.stamp(&pool, &["head"]).await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::ReadOnly), "{err}");
        assert!(
            err.to_string()
                .contains("point the database URL at the primary"),
            "{err}"
        );
    }
    // Reading still works, and nothing was made.
    assert!(runner.applied(&pool).await.unwrap().is_empty());
    assert_eq!(runner.pending(&pool, "head").await.unwrap().len(), 3);
    assert!(!DB::table_exists(&db.pool, "_migrations").await);
    pool.close().await;
}

/// A real hot standby: the database made and migrated to `a1` on its primary reaches it by
/// streaming replication; there a run with work is refused before the lock, and `current`
/// and `pending` read it.
#[tokio::test]
async fn a_streaming_replica_is_refused_and_can_be_read() {
    let Some(primary) =
        TestDb::<sqlx::Postgres>::server_at("MIGRATIONS_TEST_REPLICA_PRIMARY_URL").await
    else {
        return;
    };
    let Some(standby) = migraph_tests::url_from("MIGRATIONS_TEST_REPLICA_URL") else {
        return;
    };
    let name = primary.url.rsplit('/').next().unwrap();
    let standby = migraph_tests::with_database(&standby, name);
    MIGRATIONS.upgrade(&primary.pool, "a1").await.unwrap();
    // Replication is asynchronous: wait for the database and its version row.
    let started = std::time::Instant::now();
    let pool = loop {
        if let Ok(pool) = sqlx::PgPool::connect(&standby).await {
            if MIGRATIONS
                .current(&pool)
                .await
                .is_ok_and(|rows| rows.len() == 1)
            {
                break pool;
            }
            pool.close().await;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the standby did not catch up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(
        sqlx::Postgres::scalar(
            &pool,
            "SELECT CAST(CAST(pg_is_in_recovery() AS INTEGER) AS BIGINT)"
        )
        .await,
        1
    );
    let err = MIGRATIONS.upgrade(&pool, "head").await.unwrap_err();
    assert!(matches!(err, Error::ReadOnly), "{err}");
    assert!(
        err.to_string()
            .contains("point the database URL at the primary"),
        "{err}"
    );
    assert_eq!(MIGRATIONS.current(&pool).await.unwrap()[0].revision, "a1");
    let pending = MIGRATIONS.runner().pending(&pool, "head").await.unwrap();
    assert_eq!(pending.len(), 2);
    // At the revision it is at, a start does nothing, and so succeeds.
    assert!(MIGRATIONS.upgrade(&pool, "a1").await.unwrap().is_empty());
    pool.close().await;
}
