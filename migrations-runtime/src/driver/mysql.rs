//! MySQL and MariaDB: DDL commits implicitly, `?` placeholders, backquoted identifiers.

use super::{Dialect, DialectInfo, impl_driver};
use crate::dialect::DialectSql as _;

pub(super) static INFO: DialectInfo = DialectInfo {
    // ER_NO_SUCH_TABLE
    missing_table: |e| number(e) == Some(1146),
    // ER_EMPTY_QUERY: a section holding only comments
    empty_query: |e| number(e) == Some(1065),
    // Server-wide lock names: the database's name is part of the key.
    try_lock: Some(
        "SELECT CAST(COALESCE(GET_LOCK(CONCAT('migrations_', LEFT(SHA1(CONCAT(DATABASE(), '/', {key})), 40)), 0), 0) AS SIGNED)",
    ),
    unlock: Some(
        "SELECT RELEASE_LOCK(CONCAT('migrations_', LEFT(SHA1(CONCAT(DATABASE(), '/', {key})), 40)))",
    ),
    // GET_LOCK is the session's; ProxySQL keeps a session that took one on its server
    // connection.
    session_check: None,
    // No transaction-scoped lock, and DDL commits on its own: `transaction` is refused.
    xact_lock: None,
    busy_timeout: None,
    busy: |_| false,
    describe,
    elapsed_ms: None,
    running_elapsed_ms: Some(
        "TIMESTAMPDIFF(MICROSECOND, applied_at, CURRENT_TIMESTAMP(6)) DIV 1000",
    ),
    read_only: &[
        "SELECT CAST((@@global.read_only OR @@session.tx_read_only) AS SIGNED)",
        "SELECT CAST((@@global.read_only OR @@session.transaction_read_only) AS SIGNED)",
    ],
};

fn number(e: &sqlx::Error) -> Option<u16> {
    match e {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .map(sqlx::mysql::MySqlDatabaseError::number),
        _ => None,
    }
}

/// MySQL's error: its number with the SQLSTATE, and the message.
fn describe(e: &sqlx::Error) -> crate::error::DatabaseError {
    let sqlx::Error::Database(db) = e else {
        return crate::error::DatabaseError::generic(e);
    };
    let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() else {
        return crate::error::DatabaseError::generic(e);
    };
    crate::error::DatabaseError {
        code: Some(match my.code() {
            Some(state) => format!("{} ({state})", my.number()),
            None => my.number().to_string(),
        }),
        message: my.message().to_owned(),
        ..crate::error::DatabaseError::default()
    }
}

impl_driver!(sqlx::MySql, Dialect::MySql);
