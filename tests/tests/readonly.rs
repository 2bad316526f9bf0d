//! A run that would change something on a server or session that takes no writes is
//! refused before it takes the lock, with a message that names the problem; reading
//! commands still work there. PostgreSQL's read-only default for a database, MariaDB's
//! and SQLite's read-only sessions stand in for replicas (whose `pg_is_in_recovery()` and
//! `read_only` the same check reads).

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
