//! PostgreSQL: transactional DDL, `$n` placeholders, double-quoted identifiers.

use super::{Dialect, DialectInfo, impl_driver};
use crate::dialect::DialectSql as _;

pub(super) static INFO: DialectInfo = DialectInfo {
    missing_table: |e| sqlstate(e) == Some("42P01"),
    empty_query: |_| false,
    // The run's token is set in the same statement that takes the lock, so that only the
    // server session holding the lock carries it.
    try_lock: Some(
        "SELECT CAST(CASE WHEN pg_try_advisory_lock(hashtextextended({key}, 0)) THEN length(set_config('migraph.lock', {token}, false)) ELSE 0 END AS BIGINT)",
    ),
    unlock: Some(
        "SELECT pg_advisory_unlock(hashtextextended({key}, 0)), set_config('migraph.lock', '', false)",
    ),
    session_check: Some(
        "DO $migraph$ BEGIN IF current_setting('migraph.lock', true) IS DISTINCT FROM {token} THEN RAISE EXCEPTION USING ERRCODE = 'MG001', MESSAGE = 'this server session does not hold the migration lock that the run took: a pooler in transaction mode (PgBouncer?) handed the run''s transactions to other server sessions', HINT = 'behind such a pooler, run with --lock transaction (or --lock table)'; END IF; END $migraph$",
    ),
    xact_lock: Some(
        "SELECT CAST(CASE WHEN pg_try_advisory_xact_lock(hashtextextended({key}, 0)) THEN 1 ELSE 0 END AS TEXT)",
    ),
    busy_timeout: None,
    busy: |_| false,
    describe,
    elapsed_ms: Some(
        "CAST(EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp()) * 1000 AS BIGINT)",
    ),
    running_elapsed_ms: None,
    read_only: &[
        "SELECT CAST(CASE WHEN pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on' THEN 1 ELSE 0 END AS BIGINT)",
    ],
};

fn sqlstate(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .map(|e| e.code()),
        _ => None,
    }
}

/// PostgreSQL's error fields: SQLSTATE, message (without the server's source line),
/// DETAIL, HINT and the position in the SQL sent.
fn describe(e: &sqlx::Error) -> crate::error::DatabaseError {
    let sqlx::Error::Database(db) = e else {
        return crate::error::DatabaseError::generic(e);
    };
    let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() else {
        return crate::error::DatabaseError::generic(e);
    };
    crate::error::DatabaseError {
        code: Some(pg.code().to_owned()),
        message: pg.message().to_owned(),
        detail: pg.detail().map(str::to_owned),
        hint: pg.hint().map(str::to_owned),
        position: match pg.position() {
            Some(sqlx::postgres::PgErrorPosition::Original(p)) => Some(p),
            _ => None,
        },
    }
}

impl_driver!(sqlx::Postgres, Dialect::Postgres);
