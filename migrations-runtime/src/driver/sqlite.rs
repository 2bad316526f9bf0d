//! SQLite: transactional DDL, `?` placeholders, double-quoted identifiers.

use super::{Dialect, DialectInfo, impl_driver};
use crate::dialect::DialectSql as _;

pub(super) static INFO: DialectInfo = DialectInfo {
    missing_table: |e| matches!(e, sqlx::Error::Database(db) if db.message().starts_with("no such table")),
    empty_query: |_| false,
    try_lock: None,
    unlock: None,
    session_check: None,
    xact_lock: None,
    busy_timeout: Some("PRAGMA busy_timeout"),
    // SQLITE_BUSY, and its extended codes (their low byte is 5)
    busy: |e| {
        matches!(e, sqlx::Error::Database(db)
            if db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 5))
    },
    describe: crate::error::DatabaseError::generic,
    elapsed_ms: None,
    running_elapsed_ms: None,
    read_only: &["PRAGMA query_only"],
};

impl_driver!(sqlx::Sqlite, Dialect::Sqlite);
