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
    /// Whether placeholders are numbered (`$1`) rather than `?`.
    pub(crate) numbered: bool,
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
    numbered: true,
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
    numbered: false,
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
    numbered: false,
    id_type: "TEXT",
    applied_at: "TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))",
    applied_at_text: "applied_at",
    transactional_ddl: true,
    begin: "BEGIN IMMEDIATE",
    backslash_escapes: false,
    text_cast: "TEXT",
};

/// The values of a version row's statement: placeholders for a driver to bind, or
/// literals for an offline script.
pub(crate) enum Values<'a> {
    Placeholders,
    Literals(&'a [Option<&'a str>]),
    /// Literals, with the execution time given by an SQL expression rather than 0.
    Timed(&'a [Option<&'a str>], &'a str),
    /// Literals for a row that says `running`, its execution time 0.
    Running(&'a [Option<&'a str>]),
}

/// The version table's SQL in each dialect.
pub(crate) trait DialectSql: Copy {
    fn syntax(self) -> &'static Syntax;
    fn placeholder(self, i: usize) -> String;
    fn literal(self, text: &str) -> String;
    fn create_table(self, table: &TableName) -> String;
    fn select_rows(self, table: &TableName) -> String;
    fn select_states(self, table: &TableName) -> String;
    fn insert_row(self, table: &TableName, values: Values<'_>) -> String;
    fn count_row(self, table: &TableName) -> String;
    fn set_state(self, table: &TableName) -> String;
    fn set_state_literal(
        self,
        table: &TableName,
        revision: &str,
        state: &str,
        ms: Option<&str>,
    ) -> String;
    fn update_checksum(self, table: &TableName) -> String;
    fn delete_row(self, table: &TableName, values: Values<'_>) -> String;
}

impl DialectSql for Dialect {
    fn syntax(self) -> &'static Syntax {
        match self {
            Self::Postgres => &POSTGRES,
            Self::MySql => &MYSQL,
            _ => &SQLITE,
        }
    }

    /// The `i`th (1-based) placeholder.
    fn placeholder(self, i: usize) -> String {
        if self.syntax().numbered {
            format!("${i}")
        } else {
            "?".to_owned()
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

    fn select_rows(self, table: &TableName) -> String {
        format!(
            "SELECT revision, parents, message, checksum, downgrade_sql, {}, execution_ms, state, error FROM {}",
            self.syntax().applied_at_text,
            table.quoted(self.syntax().quote)
        )
    }

    /// Only what the no-op decision needs: revision, checksum, state.
    fn select_states(self, table: &TableName) -> String {
        format!(
            "SELECT revision, checksum, state FROM {}",
            table.quoted(self.syntax().quote)
        )
    }

    /// Inserts a version row: revision, parents, message, checksum, downgrade SQL,
    /// execution time, state, error (as literals: the first five, then 0, `applied`,
    /// NULL).
    fn insert_row(self, table: &TableName, values: Values<'_>) -> String {
        let values = match values {
            Values::Placeholders => (1..=8)
                .map(|i| self.placeholder(i))
                .collect::<Vec<_>>()
                .join(", "),
            Values::Literals(given) | Values::Timed(given, _) | Values::Running(given) => {
                let (ms, state) = match values {
                    Values::Timed(_, ms) => (ms, "applied"),
                    Values::Running(_) => ("0", "running"),
                    _ => ("0", "applied"),
                };
                let mut v: Vec<String> = given
                    .iter()
                    .map(|t| t.map_or_else(|| "NULL".to_owned(), |t| self.literal(t)))
                    .collect();
                v.extend([ms.to_owned(), format!("'{state}'"), "NULL".to_owned()]);
                v.join(", ")
            }
        };
        format!(
            "INSERT INTO {} (revision, parents, message, checksum, downgrade_sql, execution_ms, state, error) VALUES ({values})",
            table.quoted(self.syntax().quote),
        )
    }

    fn count_row(self, table: &TableName) -> String {
        format!(
            "SELECT COUNT(*) FROM {} WHERE revision = {}",
            table.quoted(self.syntax().quote),
            self.placeholder(1)
        )
    }

    fn set_state(self, table: &TableName) -> String {
        let p = |i| self.placeholder(i);
        format!(
            "UPDATE {} SET state = {}, execution_ms = COALESCE({}, execution_ms), error = {} WHERE revision = {}",
            table.quoted(self.syntax().quote),
            p(1),
            p(2),
            p(3),
            p(4)
        )
    }

    /// Sets a row's state, with no error, and its execution time when `ms` (an SQL
    /// expression) is given; the revision as a literal.
    fn set_state_literal(
        self,
        table: &TableName,
        revision: &str,
        state: &str,
        ms: Option<&str>,
    ) -> String {
        format!(
            "UPDATE {} SET state = {}, execution_ms = {}, error = NULL WHERE revision = {}",
            table.quoted(self.syntax().quote),
            self.literal(state),
            ms.unwrap_or("execution_ms"),
            self.literal(revision)
        )
    }

    fn update_checksum(self, table: &TableName) -> String {
        let p = |i| self.placeholder(i);
        format!(
            "UPDATE {} SET checksum = {}, downgrade_sql = {} WHERE revision = {}",
            table.quoted(self.syntax().quote),
            p(1),
            p(2),
            p(3)
        )
    }

    /// Deletes a version row: the revision as a placeholder, or the literal given.
    fn delete_row(self, table: &TableName, values: Values<'_>) -> String {
        let revision = match values {
            Values::Literals([Some(revision), ..])
            | Values::Timed([Some(revision), ..], _)
            | Values::Running([Some(revision), ..]) => self.literal(revision),
            _ => self.placeholder(1),
        };
        format!(
            "DELETE FROM {} WHERE revision = {revision}",
            table.quoted(self.syntax().quote),
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
    fn placeholders_and_literals() {
        let t = table();
        assert_eq!(
            Dialect::Postgres.set_state(&t),
            "UPDATE \"app\".\"versions\" SET state = $1, execution_ms = COALESCE($2, execution_ms), error = $3 WHERE revision = $4"
        );
        assert_eq!(
            Dialect::MySql.delete_row(&t, Values::Placeholders),
            "DELETE FROM `app`.`versions` WHERE revision = ?"
        );
        assert_eq!(
            Dialect::Sqlite.delete_row(&t, Values::Literals(&[Some("a'1")])),
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
            Dialect::Postgres.insert_row(&t, Values::Placeholders),
            "INSERT INTO \"app\".\"versions\" (revision, parents, message, checksum, downgrade_sql, execution_ms, state, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
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
