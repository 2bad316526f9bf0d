//! SQLite: transactional DDL, `?` placeholders, double-quoted identifiers.

use super::{Dialect, DialectInfo, DialectSql as _, impl_driver};

pub(super) static INFO: DialectInfo = DialectInfo {
    quote: '"',
    numbered: false,
    id_type: "TEXT",
    applied_at: "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    applied_at_text: "applied_at",
    missing_table: |e| matches!(e, sqlx::Error::Database(db) if db.message().starts_with("no such table")),
    empty_query: |_| false,
    try_lock: None,
    unlock: None,
    transactional_ddl: true,
    begin: "BEGIN IMMEDIATE",
    busy_timeout: Some("PRAGMA busy_timeout"),
    // SQLITE_BUSY, and its extended codes (their low byte is 5)
    busy: |e| {
        matches!(e, sqlx::Error::Database(db)
            if db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| c & 0xff == 5))
    },
    describe: crate::error::DatabaseError::generic,
};

impl_driver!(sqlx::Sqlite, Dialect::Sqlite);
