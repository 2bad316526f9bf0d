//! What each dialect's SQL looks like: the version table's statements, identifier quoting
//! and string literals. Known for every dialect whatever drivers are compiled in, so an
//! offline script for MySQL is MySQL's even in a binary built with the SQLite driver
//! only. The drivers (`driver/<database>.rs`) add how each database behaves online.

// Without a driver only the offline scripts use this module.
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]

use migraph_core::Dialect;

use crate::table::TableName;

/// The shape of a dialect's SQL.
pub(crate) struct Syntax {
    /// Identifier quote character.
    pub(crate) quote: char,
    /// The server's clock in milliseconds since 1970, as an SQL expression (lease times
    /// come from the server, so that runners' clocks need not agree).
    pub(crate) now_ms: &'static str,
    /// How an `INSERT` that does nothing when the key exists begins and ends.
    pub(crate) insert_ignore: (&'static str, &'static str),
    /// The function for the larger of two values.
    pub(crate) greatest: &'static str,
    /// Column type of a revision id (it is the primary key).
    pub(crate) id_type: &'static str,
    /// Column definition of `applied_at`.
    pub(crate) applied_at: &'static str,
    /// How to select `applied_at` as text.
    pub(crate) applied_at_text: &'static str,
    /// Whether DDL takes part in transactions. Where it does not (MySQL), every revision
    /// runs with the `running`/`failed` row protocol.
    pub(crate) transactional_ddl: bool,
    /// The statement that opens a revision's transaction.
    pub(crate) begin: &'static str,
    /// Whether a backslash escapes in string literals (MySQL).
    pub(crate) backslash_escapes: bool,
    /// The type to `CAST(... AS ...)` to for text.
    pub(crate) text_cast: &'static str,
}

static POSTGRES: Syntax = Syntax {
    quote: '"',
    now_ms: "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    insert_ignore: ("INSERT INTO", " ON CONFLICT DO NOTHING"),
    greatest: "GREATEST",
    id_type: "VARCHAR(64)",
    applied_at: "TIMESTAMPTZ NOT NULL DEFAULT now()",
    applied_at_text: "CAST(applied_at AS TEXT)",
    transactional_ddl: true,
    begin: "BEGIN",
    backslash_escapes: false,
    text_cast: "TEXT",
};

static MYSQL: Syntax = Syntax {
    quote: '`',
    now_ms: "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)",
    insert_ignore: ("INSERT IGNORE INTO", ""),
    greatest: "GREATEST",
    id_type: "VARCHAR(64)",
    applied_at: "TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)",
    applied_at_text: "CAST(applied_at AS CHAR)",
    transactional_ddl: false,
    begin: "BEGIN",
    backslash_escapes: true,
    text_cast: "CHAR",
};

static SQLITE: Syntax = Syntax {
    quote: '"',
    now_ms: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    insert_ignore: ("INSERT OR IGNORE INTO", ""),
    greatest: "MAX",
    id_type: "TEXT",
    applied_at: "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    applied_at_text: "applied_at",
    transactional_ddl: true,
    begin: "BEGIN IMMEDIATE",
    backslash_escapes: false,
    text_cast: "TEXT",
};

/// The values of a version row's `INSERT`, as literals (every statement the runner sends
/// is plain text: nothing is prepared, so that a pooler in transaction mode can hand each
/// transaction to another server connection).
pub(crate) enum Values<'a> {
    /// Revision, parents, message, checksum, downgrade SQL; `applied`, execution time 0.
    Literals(&'a [Option<&'a str>]),
    /// Literals, with the execution time given by an SQL expression rather than 0.
    Timed(&'a [Option<&'a str>], &'a str),
    /// Literals for a row that says `running`, its execution time 0.
    Running(&'a [Option<&'a str>]),
    /// The same, with how far the revision got in its `error` column.
    RunningAt(&'a [Option<&'a str>], &'a str),
}

/// The version table's SQL in each dialect.
pub(crate) trait DialectSql: Copy {
    fn syntax(self) -> &'static Syntax;
    fn literal(self, text: &str) -> String;
    fn create_table(self, table: &TableName) -> String;
    fn select_rows(self, table: &TableName) -> String;
    fn select_states(self, table: &TableName) -> String;
    fn select_state(self, table: &TableName, revision: &str) -> String;
    fn insert_row(self, table: &TableName, values: Values<'_>) -> String;
    fn set_state(
        self,
        table: &TableName,
        revision: &str,
        state: &str,
        ms: Option<&str>,
        error: Option<&str>,
    ) -> String;
    fn update_checksum(
        self,
        table: &TableName,
        revision: &str,
        checksum: &str,
        downgrade_sql: Option<&str>,
    ) -> String;
    fn delete_row(self, table: &TableName, revision: &str) -> String;
    fn lease_table(self, table: &TableName) -> String;
    fn lease_take(self, table: &TableName, key: &str, owner: &str, ms: u64) -> String;
    fn lease_expire(self, table: &TableName, key: &str) -> String;
    fn lease_renew(self, table: &TableName, key: &str, owner: &str, ms: u64) -> String;
    fn lease_release(self, table: &TableName, key: &str, owner: &str) -> String;
    fn lease_holder(self, table: &TableName, key: &str) -> String;
}

impl DialectSql for Dialect {
    fn syntax(self) -> &'static Syntax {
        match self {
            Self::Postgres => &POSTGRES,
            Self::MySql => &MYSQL,
            _ => &SQLITE,
        }
    }

    /// A string literal: quotes doubled, and on MySQL backslashes and NUL escaped too.
    /// On PostgreSQL a text with a backslash is written `E'...'` with the backslashes
    /// doubled, which reads the same whatever `standard_conforming_strings` says.
    /// (PostgreSQL's text cannot hold NUL at all; SQLite's can, as written.)
    fn literal(self, text: &str) -> String {
        let mut escaped = text.replace('\'', "''");
        if self.syntax().backslash_escapes {
            escaped = escaped.replace('\\', "\\\\").replace('\0', "\\0");
        } else if self == Self::Postgres && text.contains('\\') {
            return format!("E'{}'", escaped.replace('\\', "\\\\"));
        }
        format!("'{escaped}'")
    }

    /// `CREATE TABLE IF NOT EXISTS` for the version table.
    fn create_table(self, table: &TableName) -> String {
        let s = self.syntax();
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             revision {id} NOT NULL PRIMARY KEY, \
             parents TEXT NOT NULL, \
             message TEXT NOT NULL, \
             checksum VARCHAR(64) NOT NULL, \
             downgrade_sql TEXT, \
             applied_at {}, \
             execution_ms BIGINT NOT NULL, \
             state VARCHAR(16) NOT NULL, \
             error TEXT)",
            table.quoted(s.quote),
            s.applied_at,
            id = s.id_type,
        )
    }

    /// Every column as text (the execution time cast), for a plain-text read.
    fn select_rows(self, table: &TableName) -> String {
        let s = self.syntax();
        format!(
            "SELECT revision, parents, message, checksum, downgrade_sql, {}, CAST(execution_ms AS {}), state, error FROM {}",
            s.applied_at_text,
            s.text_cast,
            table.quoted(s.quote)
        )
    }

    /// Only what the no-op decision needs: revision, checksum, state. On SQLite, in one
    /// row (fields split by U+001F, rows by U+001E): sqlx hands each row from SQLite's
    /// worker thread over on its own, which costs more than the reading.
    fn select_states(self, table: &TableName) -> String {
        let table = table.quoted(self.syntax().quote);
        match self {
            Dialect::Sqlite => format!(
                "SELECT group_concat(revision || char(31) || checksum || char(31) || state, char(30)) FROM {table}"
            ),
            _ => format!("SELECT revision, checksum, state FROM {table}"),
        }
    }

    /// One revision's state: no row when it has none.
    fn select_state(self, table: &TableName, revision: &str) -> String {
        format!(
            "SELECT state FROM {} WHERE revision = {}",
            table.quoted(self.syntax().quote),
            self.literal(revision)
        )
    }

    /// Inserts a version row: revision, parents, message, checksum, downgrade SQL,
    /// execution time, state, error (as literals: the first five, then 0, `applied`,
    /// NULL).
    fn insert_row(self, table: &TableName, values: Values<'_>) -> String {
        let (given, ms, state, error) = match values {
            Values::Timed(given, ms) => (given, ms, "applied", None),
            Values::Running(given) => (given, "0", "running", None),
            Values::RunningAt(given, at) => (given, "0", "running", Some(at)),
            Values::Literals(given) => (given, "0", "applied", None),
        };
        let mut v: Vec<String> = given
            .iter()
            .map(|t| t.map_or_else(|| "NULL".to_owned(), |t| self.literal(t)))
            .collect();
        let error = error.map_or_else(|| "NULL".to_owned(), |e| self.literal(e));
        v.extend([ms.to_owned(), format!("'{state}'"), error]);
        format!(
            "INSERT INTO {} (revision, parents, message, checksum, downgrade_sql, execution_ms, state, error) VALUES ({})",
            table.quoted(self.syntax().quote),
            v.join(", ")
        )
    }

    /// Sets a row's state and error text, and its execution time when `ms` (an SQL
    /// expression) is given.
    fn set_state(
        self,
        table: &TableName,
        revision: &str,
        state: &str,
        ms: Option<&str>,
        error: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET state = {}, execution_ms = {}, error = {} WHERE revision = {}",
            table.quoted(self.syntax().quote),
            self.literal(state),
            ms.unwrap_or("execution_ms"),
            error.map_or_else(|| "NULL".to_owned(), |e| self.literal(e)),
            self.literal(revision)
        )
    }

    fn update_checksum(
        self,
        table: &TableName,
        revision: &str,
        checksum: &str,
        downgrade_sql: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET checksum = {}, downgrade_sql = {} WHERE revision = {}",
            table.quoted(self.syntax().quote),
            self.literal(checksum),
            downgrade_sql.map_or_else(|| "NULL".to_owned(), |d| self.literal(d)),
            self.literal(revision)
        )
    }

    fn delete_row(self, table: &TableName, revision: &str) -> String {
        format!(
            "DELETE FROM {} WHERE revision = {}",
            table.quoted(self.syntax().quote),
            self.literal(revision)
        )
    }

    /// The lease table of the `table` lock strategy: one row per lock, its holder and
    /// when its lease ends, in the server's milliseconds.
    fn lease_table(self, table: &TableName) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             name VARCHAR(191) NOT NULL PRIMARY KEY, \
             owner VARCHAR(255) NOT NULL, \
             acquired_at_ms BIGINT NOT NULL, \
             expires_at_ms BIGINT NOT NULL)",
            table.quoted(self.syntax().quote)
        )
    }

    /// Takes the lease `key` for `ms` when nobody holds it: one row inserted, or none.
    fn lease_take(self, table: &TableName, key: &str, owner: &str, ms: u64) -> String {
        let s = self.syntax();
        format!(
            "{} {} (name, owner, acquired_at_ms, expires_at_ms) VALUES ({}, {}, {now}, {now} + {ms}){}",
            s.insert_ignore.0,
            table.quoted(s.quote),
            self.literal(key),
            self.literal(owner),
            s.insert_ignore.1,
            now = s.now_ms,
        )
    }

    /// Ends a lease whose time is up (its holder stopped renewing it).
    fn lease_expire(self, table: &TableName, key: &str) -> String {
        format!(
            "DELETE FROM {} WHERE name = {} AND expires_at_ms < {}",
            table.quoted(self.syntax().quote),
            self.literal(key),
            self.syntax().now_ms
        )
    }

    /// Extends `owner`'s lease by `ms` from now: one row changed while it holds it, none
    /// once it has lost it. The end always moves (at least by a millisecond), so that a
    /// database that counts changed rows rather than matched ones (MySQL) counts it.
    fn lease_renew(self, table: &TableName, key: &str, owner: &str, ms: u64) -> String {
        let s = self.syntax();
        format!(
            "UPDATE {} SET expires_at_ms = {}(expires_at_ms + 1, {} + {ms}) WHERE name = {} AND owner = {}",
            table.quoted(s.quote),
            s.greatest,
            s.now_ms,
            self.literal(key),
            self.literal(owner)
        )
    }

    fn lease_release(self, table: &TableName, key: &str, owner: &str) -> String {
        format!(
            "DELETE FROM {} WHERE name = {} AND owner = {}",
            table.quoted(self.syntax().quote),
            self.literal(key),
            self.literal(owner)
        )
    }

    /// Who holds the lease and for how many more milliseconds, as text.
    fn lease_holder(self, table: &TableName, key: &str) -> String {
        let s = self.syntax();
        format!(
            "SELECT owner, CAST(expires_at_ms - {} AS {}) FROM {} WHERE name = {}",
            s.now_ms,
            s.text_cast,
            table.quoted(s.quote),
            self.literal(key)
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn table() -> TableName {
        "app.versions".parse().unwrap()
    }

    #[test]
    fn each_dialect_writes_its_own_version_table() {
        assert_eq!(
            Dialect::Postgres.create_table(&table()),
            "CREATE TABLE IF NOT EXISTS \"app\".\"versions\" (revision VARCHAR(64) NOT NULL PRIMARY KEY, parents TEXT NOT NULL, message TEXT NOT NULL, checksum VARCHAR(64) NOT NULL, downgrade_sql TEXT, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_ms BIGINT NOT NULL, state VARCHAR(16) NOT NULL, error TEXT)"
        );
        assert_eq!(
            Dialect::MySql.create_table(&table()),
            "CREATE TABLE IF NOT EXISTS `app`.`versions` (revision VARCHAR(64) NOT NULL PRIMARY KEY, parents TEXT NOT NULL, message TEXT NOT NULL, checksum VARCHAR(64) NOT NULL, downgrade_sql TEXT, applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), execution_ms BIGINT NOT NULL, state VARCHAR(16) NOT NULL, error TEXT)"
        );
        assert_eq!(
            Dialect::Sqlite.create_table(&table()),
            "CREATE TABLE IF NOT EXISTS \"app\".\"versions\" (revision TEXT NOT NULL PRIMARY KEY, parents TEXT NOT NULL, message TEXT NOT NULL, checksum VARCHAR(64) NOT NULL, downgrade_sql TEXT, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), execution_ms BIGINT NOT NULL, state VARCHAR(16) NOT NULL, error TEXT)"
        );
    }

    #[test]
    fn every_statement_carries_its_values_as_literals() {
        let t = table();
        assert_eq!(
            Dialect::Postgres.set_state(&t, "b2", "failed", None, Some("it's")),
            "UPDATE \"app\".\"versions\" SET state = 'failed', execution_ms = execution_ms, error = 'it''s' WHERE revision = 'b2'"
        );
        assert_eq!(
            Dialect::Sqlite.delete_row(&t, "a'1"),
            "DELETE FROM \"app\".\"versions\" WHERE revision = 'a''1'"
        );
        let values = [Some("b2"), Some("a1"), Some("it's"), Some("c0ffee"), None];
        assert_eq!(
            Dialect::MySql.insert_row(&t, Values::Literals(&values)),
            "INSERT INTO `app`.`versions` (revision, parents, message, checksum, downgrade_sql, execution_ms, state, error) VALUES ('b2', 'a1', 'it''s', 'c0ffee', NULL, 0, 'applied', NULL)"
        );
        assert_eq!(
            Dialect::Postgres.insert_row(&t, Values::Timed(&values, "now_ms()")),
            "INSERT INTO \"app\".\"versions\" (revision, parents, message, checksum, downgrade_sql, execution_ms, state, error) VALUES ('b2', 'a1', 'it''s', 'c0ffee', NULL, now_ms(), 'applied', NULL)"
        );
        assert_eq!(
            Dialect::MySql.update_checksum(&t, "b2", "c0ffee", Some("DROP TABLE `x\\`")),
            "UPDATE `app`.`versions` SET checksum = 'c0ffee', downgrade_sql = 'DROP TABLE `x\\\\`' WHERE revision = 'b2'"
        );
    }

    #[test]
    fn a_lease_is_taken_only_when_free_and_renewed_only_by_its_owner() {
        let t: TableName = "_migrations_lock".parse().unwrap();
        assert_eq!(
            Dialect::Postgres.lease_take(&t, "k", "me", 60_000),
            "INSERT INTO \"_migrations_lock\" (name, owner, acquired_at_ms, expires_at_ms) VALUES ('k', 'me', CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT), CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) + 60000) ON CONFLICT DO NOTHING"
        );
        assert!(
            Dialect::MySql
                .lease_take(&t, "k", "me", 1)
                .starts_with("INSERT IGNORE INTO `_migrations_lock`")
        );
        assert!(
            Dialect::Sqlite
                .lease_take(&t, "k", "me", 1)
                .starts_with("INSERT OR IGNORE INTO")
        );
        assert!(
            Dialect::Sqlite
                .lease_renew(&t, "k", "me", 5)
                .ends_with("+ 5) WHERE name = 'k' AND owner = 'me'")
        );
    }

    #[test]
    fn literals_escape_quotes_everywhere_and_backslashes_on_mysql_and_postgres() {
        let text = "it's a \\ path;\nline\0end";
        assert_eq!(
            Dialect::Postgres.literal(text),
            "E'it''s a \\\\ path;\nline\0end'"
        );
        assert_eq!(Dialect::Postgres.literal("it's"), "'it''s'");
        assert_eq!(
            Dialect::Sqlite.literal(text),
            "'it''s a \\ path;\nline\0end'"
        );
        assert_eq!(
            Dialect::MySql.literal(text),
            "'it''s a \\\\ path;\nline\\0end'"
        );
    }
}
