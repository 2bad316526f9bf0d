//! SQLite: transactional DDL, `?` placeholders, double-quoted identifiers.

use super::{Dialect, DialectInfo, impl_driver};

pub(super) static INFO: DialectInfo = DialectInfo {
    quote: '"',
    numbered: false,
    id_type: "TEXT",
    applied_at: "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    applied_at_text: "applied_at",
    missing_table: |e| matches!(e, sqlx::Error::Database(db) if db.message().starts_with("no such table")),
    empty_query: |_| false,
};

impl_driver!(sqlx::Sqlite, Dialect::Sqlite);
