//! One driver per database behind one trait. What differs between the databases (quoting,
//! placeholders, column types, how an error reads) is data in `postgres.rs`, `mysql.rs`
//! and `sqlite.rs`; how a revision is run and recorded is written once, in
//! [`impl_driver!`], and instantiated for each.

// Without a driver, what the drivers share is compiled but not used.
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]
// The `Driver` trait is sealed and its methods hidden: the types they pass are this
// crate's own business.
#![allow(private_interfaces, private_bounds)]

use std::future::Future;

use futures_util::future::BoxFuture;

use crate::error::Error;
use crate::lock::Held;
use crate::migrator::{Adoption, Direction, Migrator, Repair, Start};
use crate::report::Report;
use crate::table::{AppliedRevision, RevisionState, TableName};

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
mod template;

pub use migraph_core::Dialect;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
use template::impl_driver;

/// How a database behaves online, beyond its SQL's shape (`crate::dialect`): which
/// errors mean what, and how it locks.
pub(crate) struct DialectInfo {
    /// Whether an error says the version table does not exist.
    pub(crate) missing_table: fn(&sqlx::Error) -> bool,
    /// Whether an error only says that SQL had no statement in it (comments only).
    pub(crate) empty_query: fn(&sqlx::Error) -> bool,
    /// Takes the session-level migration lock without waiting, `{key}` standing for the
    /// lock key's literal and `{token}` for the run's token's; returns a number above 0
    /// when taken. `None` where each revision's transaction is the lock (SQLite).
    pub(crate) try_lock: Option<&'static str>,
    /// Releases the session-level lock (`{key}` as above).
    pub(crate) unlock: Option<&'static str>,
    /// SQL that fails with SQLSTATE `MG001` unless this session took the lock with
    /// `{token}` (PostgreSQL, where a pooler in transaction mode may hand a run's
    /// transactions to other server sessions).
    pub(crate) session_check: Option<&'static str>,
    /// Takes a transaction-scoped lock without waiting, `{key}` as above; returns `1` or
    /// `0` as text. `None` where there is none (MySQL; SQLite's is its `BEGIN IMMEDIATE`).
    pub(crate) xact_lock: Option<&'static str>,
    /// The pragma that reads and sets how long a connection waits for other writers; set
    /// to the lock timeout around each revision (SQLite).
    pub(crate) busy_timeout: Option<&'static str>,
    /// Whether an error says another writer held the database past the busy timeout.
    pub(crate) busy: fn(&sqlx::Error) -> bool,
    /// What the database said, field by field.
    pub(crate) describe: fn(&sqlx::Error) -> crate::error::DatabaseError,
    /// Where a transactional revision can travel as one text (`BEGIN`, its SQL, its
    /// version row, `COMMIT`) and so cost one round trip: the SQL expression for the
    /// time since the server received the text, in milliseconds, which becomes the
    /// row's execution time.
    pub(crate) elapsed_ms: Option<&'static str>,
    /// Where a revision run outside a transaction can send its `running` row with its
    /// first statement and its `applied` row with its last (one text each, in autocommit,
    /// so each statement's outcome still stands on its own): the SQL expression for the
    /// time since the `running` row was written, in milliseconds.
    pub(crate) running_elapsed_ms: Option<&'static str>,
    /// Queries that return a BIGINT, 1 when the server or session takes no writes; the
    /// first that the server understands decides (MariaDB and MySQL name the session's
    /// setting differently).
    pub(crate) read_only: &'static [&'static str],
}

/// The online behaviour of a dialect whose driver is compiled in.
pub(crate) fn info(dialect: Dialect) -> &'static DialectInfo {
    match dialect {
        #[cfg(feature = "postgres")]
        Dialect::Postgres => &postgres::INFO,
        #[cfg(feature = "mysql")]
        Dialect::MySql => &mysql::INFO,
        #[cfg(feature = "sqlite")]
        Dialect::Sqlite => &sqlite::INFO,
        #[allow(unreachable_patterns)]
        _ => &GENERIC,
    }
}

/// Used only when a dialect's cargo feature is off; never reached, since no driver for it
/// is compiled.
static GENERIC: DialectInfo = DialectInfo {
    missing_table: |_| false,
    empty_query: |_| false,
    try_lock: None,
    unlock: None,
    session_check: None,
    xact_lock: None,
    busy_timeout: None,
    busy: |_| false,
    describe: crate::error::DatabaseError::generic,
    elapsed_ms: None,
    running_elapsed_ms: None,
    read_only: &[],
};

/// A row to write to the version table.
#[derive(Debug, Clone)]
pub(crate) struct NewRow<'a> {
    pub(crate) revision: &'a str,
    pub(crate) parents: String,
    pub(crate) message: &'a str,
    pub(crate) checksum: &'a str,
    pub(crate) downgrade_sql: Option<&'a str>,
}

impl NewRow<'_> {
    /// The row's values in the order of [`crate::dialect::Values`]: revision, parents,
    /// message, checksum, downgrade SQL.
    pub(crate) fn values(&self) -> [Option<&str>; 5] {
        [
            Some(self.revision),
            Some(self.parents.as_str()),
            Some(self.message),
            Some(self.checksum),
            self.downgrade_sql,
        ]
    }
}

/// What a revision's run does to the version table once its SQL has run.
#[derive(Debug, Clone)]
pub(crate) enum RowChange<'a> {
    Insert(NewRow<'a>),
    Delete(&'a str),
}

/// One revision's SQL and its version-table change.
#[derive(Debug, Clone)]
pub(crate) struct Change<'a> {
    pub(crate) sql: &'a str,
    /// The line of the file on which `sql` starts; 0 when there is no file.
    pub(crate) first_line: usize,
    pub(crate) transactional: bool,
    /// Whether the run's own transaction holds every revision (whole-run mode): a failure
    /// rolls all of it back, so a revision needs no savepoint of its own.
    pub(crate) in_run_transaction: bool,
    pub(crate) row: RowChange<'a>,
    /// A Rust revision's compiled code (a `RustCode` of this database), run instead of
    /// `sql`.
    pub(crate) code: Option<&'a (dyn std::any::Any + Send + Sync)>,
    /// Whether this is a downgrade (which of the code's functions runs).
    pub(crate) down: bool,
    /// What the revision's run does to stay under the run's lock.
    pub(crate) guard: &'a Guard,
    /// How long to wait for another runner: for a transaction-scoped lock, or for a
    /// revision another runner has claimed.
    pub(crate) lock_timeout: std::time::Duration,
    /// `repair --resume`: the revision's row is already `running` or `failed`, and its
    /// statements run from this one (0-based) on, outside a transaction.
    pub(crate) resume: Option<usize>,
}

/// How far a revision run outside a transaction got, as its row's `error` column says
/// while it runs (`upgrade at statement 2 of 3, line 7: ...`) or after it failed
/// (`upgrade failed at statement 2 of 3 (line 7): ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Whether it was a downgrade.
    pub(crate) down: bool,
    /// The statement it was at, 1-based.
    pub(crate) statement: usize,
    /// How many statements the section has.
    pub(crate) of: usize,
}

impl Progress {
    /// Reads what a row's `error` column says; `None` for text that does not say (a row
    /// written before progress was recorded, or a Rust revision's).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (action, rest) = text.split_once(' ')?;
        let down = match action.trim_end_matches(':') {
            "upgrade" => false,
            "downgrade" => true,
            _ => return None,
        };
        let rest = &rest[rest.find("statement ")? + "statement ".len()..];
        let (statement, rest) = rest.split_once(" of ")?;
        let of: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some(Self {
            down,
            statement: statement.parse().ok()?,
            of: of.parse().ok()?,
        })
    }
}

/// What each revision's run does to stay under the run's lock ([`crate::LockStrategy`]).
#[derive(Debug, Clone)]
pub(crate) enum Guard {
    /// Nothing: a session lock that cannot be lost, or no lock at all.
    Free,
    /// SQL that fails unless the session running it holds the run's session lock (behind
    /// a pooler in transaction mode it may be another server session): sent first in each
    /// revision's transaction, or with its `running` row.
    Session(String),
    /// SQL renewing the run's lease, which must change exactly one row: sent first in each
    /// revision's transaction, and before each statement of a revision run outside one.
    Lease(String),
    /// SQL taking a transaction-scoped lock (empty where the transaction is itself the
    /// lock, as SQLite's `BEGIN IMMEDIATE`), sent first in each revision's transaction;
    /// the revision's row is then read again. A revision run outside a transaction is
    /// claimed by its `running` row, written under that lock; other runners wait up to
    /// the lock timeout for it to be done.
    Transaction { lock: String },
}

impl Guard {
    /// Whether each revision's row must be read again inside its transaction: another
    /// runner may have done it since the plan was read. Not under a session lock
    /// (PostgreSQL, MySQL: nobody else can have), nor under a lease, which each revision
    /// renews in its own transaction; SQLite's lock is each revision's `BEGIN IMMEDIATE`.
    pub(crate) fn recheck(&self, session_lock: bool) -> bool {
        match self {
            Self::Transaction { .. } => true,
            Self::Lease(_) => false,
            Self::Free | Self::Session(_) => !session_lock,
        }
    }
}

impl RowChange<'_> {
    fn revision(&self) -> &str {
        match self {
            Self::Insert(row) => row.revision,
            Self::Delete(revision) => revision,
        }
    }
}

/// Why a revision's run failed.
pub(crate) struct RunError {
    /// The database's error.
    pub(crate) error: sqlx::Error,
    /// The index (0-based) of the statement that failed: for SQL run statement by
    /// statement, that statement; for SQL sent whole, how many of its statements
    /// completed before the error. `None` when the error came from no statement of the
    /// revision's SQL.
    pub(crate) statement: Option<usize>,
    /// How many characters were sent before the revision's SQL in the same text, to take
    /// off the database's error position.
    pub(crate) offset: usize,
    /// What a Rust revision's code returned, when it is not a database error (`error` then
    /// only stands in).
    pub(crate) code_error: Option<crate::BoxError>,
    /// Why the revision was not run at all (the run's lock was lost; another runner left
    /// it part-way), when that is the failure (`error` then only stands in).
    pub(crate) refused: Option<Box<Error>>,
}

impl RunError {
    /// An error outside the revision's SQL (opening the transaction, the version row).
    pub(crate) fn plain(error: sqlx::Error) -> Self {
        Self {
            error,
            statement: None,
            offset: 0,
            code_error: None,
            refused: None,
        }
    }

    /// The revision was not run, for `why`.
    pub(crate) fn refused(why: Error) -> Self {
        Self {
            refused: Some(Box::new(why)),
            ..Self::plain(sqlx::Error::Protocol("refused".to_owned()))
        }
    }

    /// Under a session lock, `error` says that the revision's version row, which this run
    /// was inserting, exists already: another runner recorded the revision while this run
    /// held the lock, so the lock did not keep it out (behind a pooler in transaction
    /// mode; the session check names one when it sees it first). `then` says what became
    /// of this run's part. `None` for any other error.
    pub(crate) fn lost_lock(
        table: &TableName,
        change: &Change<'_>,
        error: &sqlx::Error,
        then: &str,
    ) -> Option<Self> {
        let lost = matches!(change.guard, Guard::Session(_))
            && matches!(change.row, RowChange::Insert(_))
            && error
                .as_database_error()
                .is_some_and(|e| e.is_unique_violation());
        lost.then(|| {
            Self::refused(Error::LockLost {
                table: table.to_string(),
                reason: format!(
                    "another runner recorded revision `{}` while this run held the lock, so the lock did not keep other runners out (behind a pooler in transaction mode, run with --lock transaction); {then}",
                    change.row.revision()
                ),
            })
        })
    }
}

/// A repair of one version row.
#[derive(Debug, Clone)]
pub(crate) enum RowFix<'a> {
    /// Mark the row applied and clear its error.
    MarkApplied(&'a str),
    /// Delete the row.
    Remove(&'a str),
    /// Insert an applied row (a squash taking over its revisions' rows).
    Record(NewRow<'a>),
    /// Re-record a row's parents (`,`-separated): those a squash replaced become it.
    Parents { revision: &'a str, parents: String },
    /// Re-record the checksum and downgrade SQL of the row.
    Checksum {
        revision: &'a str,
        checksum: &'a str,
        downgrade_sql: Option<&'a str>,
    },
}

mod sealed {
    pub trait Sealed {}
}

/// A database the runtime can migrate: implemented for `sqlx::Postgres`, `sqlx::MySql`
/// and `sqlx::Sqlite` (each behind its cargo feature). Sealed: the set of databases is
/// this crate's to extend.
pub trait Driver: sqlx::Database + sealed::Sealed {
    /// The SQL dialect.
    const DIALECT: Dialect;

    /// Whether the migration lock belongs to the session (so that a connection dropped
    /// while holding it must be closed).
    #[doc(hidden)]
    const SESSION_LOCK: bool;

    /// Reads every row of the version table; `None` when the table does not exist.
    #[doc(hidden)]
    fn read_rows<'e>(
        conn: &'e mut Self::Connection,
        table: &'e TableName,
    ) -> impl Future<Output = Result<Option<Vec<AppliedRevision>>, sqlx::Error>> + Send + 'e;

    /// Reads the revision, checksum and state of every row, with room made for
    /// `expected` rows; `None` when the table does not exist.
    #[doc(hidden)]
    fn read_states<'e>(
        conn: &'e mut Self::Connection,
        table: &'e TableName,
        expected: usize,
    ) -> impl Future<Output = Result<Option<StateRows>, sqlx::Error>> + Send + 'e;

    /// Runs a query and returns its rows with every column as text (`None` for NULL);
    /// `None` when its table does not exist.
    #[doc(hidden)]
    fn read_text<'e>(
        conn: &'e mut <Self as sqlx::Database>::Connection,
        sql: &'e str,
    ) -> impl Future<Output = Result<Option<Vec<Vec<Option<String>>>>, sqlx::Error>> + Send + 'e;

    /// Whether the server or the session takes no writes.
    #[doc(hidden)]
    fn read_only(
        conn: &mut Self::Connection,
    ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send + '_;

    /// Creates the version table if it does not exist (another runner racing to create it
    /// is no error).
    #[doc(hidden)]
    fn create_table<'e>(
        conn: &'e mut Self::Connection,
        table: &'e TableName,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e;

    /// Runs one revision's SQL and its version-table change, in one transaction when the
    /// revision is transactional. Inside that transaction it first checks that the change
    /// is still to be made; `Ok(false)` when another process made it already.
    #[doc(hidden)]
    fn run<'e>(
        conn: &'e mut Self::Connection,
        table: &'e TableName,
        change: &'e Change<'e>,
    ) -> impl Future<Output = Result<bool, RunError>> + Send + 'e;

    /// Runs SQL as given (session settings), its statements in one call.
    #[doc(hidden)]
    fn run_sql<'e>(
        conn: &'e mut Self::Connection,
        sql: &'e str,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e;

    /// Changes version rows without running revision SQL, all in one transaction: sets
    /// states (`None` deletes the row) and re-records checksums.
    #[doc(hidden)]
    fn fix_rows<'e>(
        conn: &'e mut Self::Connection,
        table: &'e TableName,
        fixes: &'e [RowFix<'e>],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e;

    /// Opens the transaction a whole run takes place in.
    #[doc(hidden)]
    fn begin_run(
        conn: &mut Self::Connection,
    ) -> impl Future<Output = Result<sqlx::Transaction<'_, Self>, sqlx::Error>> + Send;

    /// Tries once to take the session-level migration lock named `key`, marking the
    /// session with the run's `token`; `Ok(true)` when taken, or when the database has
    /// no such lock (SQLite).
    #[doc(hidden)]
    fn try_lock<'e>(
        conn: &'e mut Self::Connection,
        key: &'e str,
        token: &'e str,
    ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send + 'e;

    /// Runs SQL as plain text and says how many rows it changed.
    #[doc(hidden)]
    fn execute_counted<'e>(
        conn: &'e mut Self::Connection,
        sql: &'e str,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'e;

    /// Makes the connection wait up to `timeout` for other writers (SQLite's busy
    /// timeout); returns the previous setting for [`Driver::restore_wait`].
    #[doc(hidden)]
    fn wait_for_writers<'e>(
        conn: &'e mut Self::Connection,
        timeout: std::time::Duration,
    ) -> impl Future<Output = Result<Option<i64>, sqlx::Error>> + Send + 'e;

    /// Puts back the setting [`Driver::wait_for_writers`] replaced.
    #[doc(hidden)]
    fn restore_wait<'e>(
        conn: &'e mut Self::Connection,
        previous: Option<i64>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e;

    /// Whether an error says that the database was busy with another writer for longer
    /// than the lock timeout.
    #[doc(hidden)]
    fn is_busy(error: &sqlx::Error) -> bool;

    /// Releases the lock taken by [`Driver::try_lock`].
    #[doc(hidden)]
    fn unlock<'e>(
        conn: &'e mut Self::Connection,
        key: &'e str,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e;

    /// Inserts and deletes version rows without running any revision SQL, in one
    /// transaction.
    #[doc(hidden)]
    fn stamp<'e>(
        conn: &'e mut Self::Connection,
        table: &'e TableName,
        insert: &'e [NewRow<'e>],
        delete: &'e [&'e str],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'e;

    // The runner's entry points for this database. `impl_driver!` implements them for
    // each database type, so the runner is compiled here, once per database, and an
    // application's crate compiles only the public method's call of one of these.

    /// Upgrade, downgrade or `to` (see [`crate::Migrator::upgrade`]).
    #[doc(hidden)]
    fn migrate<'a>(
        runner: &'a Migrator<'_>,
        conn: Held<'a, Self>,
        direction: Direction,
    ) -> BoxFuture<'a, Result<Report, Error>>;

    /// See [`crate::Migrator::pending`].
    #[doc(hidden)]
    fn pending<'a, 'm>(
        runner: &'a Migrator<'m>,
        conn: Held<'a, Self>,
        target: migraph_core::Target,
    ) -> BoxFuture<'a, Result<Vec<&'m migraph_core::Migration>, Error>>;

    /// See [`crate::Migrator::applied`].
    #[doc(hidden)]
    fn applied<'a>(
        runner: &'a Migrator<'_>,
        conn: Held<'a, Self>,
    ) -> BoxFuture<'a, Result<Vec<AppliedRevision>, Error>>;

    /// See [`crate::Migrator::stamp`] and [`crate::Migrator::purge_and_stamp`].
    #[doc(hidden)]
    fn stamp_targets<'a>(
        runner: &'a Migrator<'_>,
        conn: Held<'a, Self>,
        targets: Vec<migraph_core::Target>,
        start: Start,
    ) -> BoxFuture<'a, Result<Report, Error>>;

    /// See [`crate::Migrator::repair`].
    #[doc(hidden)]
    fn repair<'a>(
        runner: &'a Migrator<'_>,
        conn: Held<'a, Self>,
        revision: &'a str,
        how: Repair,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// See [`crate::Migrator::repair_checksums`].
    #[doc(hidden)]
    fn repair_checksums<'a>(
        runner: &'a Migrator<'_>,
        conn: Held<'a, Self>,
        revisions: &'a [&'a str],
    ) -> BoxFuture<'a, Result<Vec<String>, Error>>;

    /// See [`crate::Migrator::adopt`].
    #[doc(hidden)]
    fn adopt<'a>(
        runner: &'a Migrator<'_>,
        conn: Held<'a, Self>,
        tool: migraph_core::import::Tool,
    ) -> BoxFuture<'a, Result<Adoption, Error>>;
}

/// A row's state; one this binary does not know reads as `failed`, saying why.
fn decode_state(state: &str, error: Option<String>) -> (RevisionState, Option<String>) {
    match RevisionState::parse(state) {
        Some(s) => (s, error),
        None => (
            RevisionState::Failed,
            Some(format!("unknown state `{state}` in the version table")),
        ),
    }
}

/// The revision, checksum and state of every row of the version table, as read for the
/// decision a run starts with: every cell's text in one buffer. A start at head reads
/// every row, and this costs it two allocations where a row of [`AppliedRevision`] each
/// (about 200 bytes, and a string for each cell) cost a page fault every twenty rows.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct StateRows {
    text: String,
    /// Where each row's revision, checksum and state are in `text`.
    rows: Vec<[(usize, usize); 3]>,
}

impl StateRows {
    /// Room for `rows` rows of revisions as long as most are: written into as the rows
    /// arrive, with no copy as they grow.
    fn with_capacity(rows: usize) -> Self {
        // A checksum's 64 hex digits, `applied` and a revision of up to 25 characters.
        let rows = rows.min(1 << 20);
        Self {
            text: String::with_capacity(rows * 96),
            rows: Vec::with_capacity(rows),
        }
    }

    /// A row's three cells, copied in.
    fn push(&mut self, cells: [&str; 3]) {
        let spans = cells.map(|cell| {
            let start = self.text.len();
            self.text.push_str(cell);
            (start, self.text.len())
        });
        self.rows.push(spans);
    }

    /// SQLite's aggregated read, kept as it came: rows split by `\x1e`, cells by `\x1f`.
    fn joined(text: String) -> Self {
        let mut rows = Vec::new();
        let mut at = 0;
        if !text.is_empty() {
            for row in text.split('\u{1e}') {
                let mut spans = [(at, at); 3];
                let mut start = at;
                for (span, cell) in spans.iter_mut().zip(row.split('\u{1f}')) {
                    *span = (start, start + cell.len());
                    start += cell.len() + 1;
                }
                rows.push(spans);
                at += row.len() + 1;
            }
        }
        Self { text, rows }
    }

    /// Revision, checksum and state of each row, in the order read.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = [&str; 3]> {
        self.rows
            .iter()
            .map(|row| row.map(|(start, end)| self.text.get(start..end).unwrap_or_default()))
    }

    /// The rows, the columns not read left empty; a state this binary does not know reads
    /// as `failed`, saying why.
    pub(crate) fn into_rows(self) -> Vec<AppliedRevision> {
        self.iter()
            .map(|[revision, checksum, state]| {
                let mut row = AppliedRevision::applied(revision, &[]);
                row.checksum = checksum.to_owned();
                (row.state, row.error) = decode_state(state, None);
                row
            })
            .collect()
    }
}

/// A read of the version table, with "no such table" as `None` (nothing applied yet).
fn missing_as_none<T>(
    dialect: Dialect,
    read: Result<T, sqlx::Error>,
) -> Result<Option<T>, sqlx::Error> {
    match read {
        Ok(rows) => Ok(Some(rows)),
        Err(e) if (info(dialect).missing_table)(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A row of [`crate::dialect::DialectSql::select_rows`], every column as text.
fn decode_row(row: Vec<Option<String>>) -> AppliedRevision {
    let mut column = row.into_iter();
    let mut next = || column.next().flatten();
    let (revision, parents, message, checksum, downgrade_sql, applied_at, ms, state, error) = (
        next().unwrap_or_default(),
        next().unwrap_or_default(),
        next().unwrap_or_default(),
        next().unwrap_or_default(),
        next(),
        next().unwrap_or_default(),
        next(),
        next().unwrap_or_default(),
        next(),
    );
    let (state, error) = decode_state(&state, error);
    AppliedRevision {
        revision,
        parents: parents
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        message,
        checksum,
        downgrade_sql,
        applied_at,
        execution_ms: ms.and_then(|ms| ms.trim().parse().ok()).unwrap_or_default(),
        state,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::StateRows;
    use crate::table::RevisionState;

    #[test]
    fn state_rows_read_as_pushed_and_as_sqlite_joins_them() {
        let mut pushed = StateRows::default();
        pushed.push(["a1", "c1", "applied"]);
        pushed.push(["b2", "", "running"]);
        let joined = StateRows::joined("a1\u{1f}c1\u{1f}applied\u{1e}b2\u{1f}\u{1f}running".into());
        for rows in [&pushed, &joined] {
            let cells: Vec<[&str; 3]> = rows.iter().collect();
            assert_eq!(cells, [["a1", "c1", "applied"], ["b2", "", "running"]]);
        }
        let rows = joined.into_rows();
        assert_eq!(
            (rows[0].revision.as_str(), rows[0].checksum.as_str()),
            ("a1", "c1")
        );
        assert_eq!(rows[1].state, RevisionState::Running);
        // No rows (SQLite's aggregate of none), and a state this binary does not know.
        assert_eq!(StateRows::joined(String::new()).iter().len(), 0);
        let odd = StateRows::joined("a1\u{1f}c1\u{1f}paused".into()).into_rows();
        assert_eq!(odd[0].state, RevisionState::Failed);
        assert!(
            odd[0]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("paused"))
        );
    }
}
