//! One driver per database behind one trait. What differs between the databases (quoting,
//! placeholders, column types, how an error reads) is data in `postgres.rs`, `mysql.rs`
//! and `sqlite.rs`; how a revision is run and recorded is written once, in
//! [`impl_driver!`], and instantiated for each.

// The `Driver` trait is sealed and its methods hidden: the types they pass are this
// crate's own business.
#![allow(private_interfaces)]

use std::future::Future;

use crate::table::{AppliedRevision, RevisionState, TableName};

#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use migraph_core::Dialect;

/// How a database behaves online, beyond its SQL's shape (`crate::dialect`): which
/// errors mean what, and how it locks.
pub(crate) struct DialectInfo {
    /// Whether an error says the version table does not exist.
    pub(crate) missing_table: fn(&sqlx::Error) -> bool,
    /// Whether an error only says that SQL had no statement in it (comments only).
    pub(crate) empty_query: fn(&sqlx::Error) -> bool,
    /// Takes the session-level migration lock without waiting; one bind, the lock key;
    /// returns a BIGINT, 1 when taken. `None` where each revision's transaction is the
    /// lock (SQLite).
    pub(crate) try_lock: Option<&'static str>,
    /// Releases the session-level lock; one bind, the lock key.
    pub(crate) unlock: Option<&'static str>,
    /// The pragma that reads and sets how long a connection waits for other writers; set
    /// to the lock timeout around each revision (SQLite).
    pub(crate) busy_timeout: Option<&'static str>,
    /// Whether an error says another writer held the database past the busy timeout.
    pub(crate) busy: fn(&sqlx::Error) -> bool,
    /// What the database said, field by field.
    pub(crate) describe: fn(&sqlx::Error) -> crate::error::DatabaseError,
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
    busy_timeout: None,
    busy: |_| false,
    describe: crate::error::DatabaseError::generic,
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
    pub(crate) row: RowChange<'a>,
}

impl RowChange<'_> {
    fn revision(&self) -> &str {
        match self {
            Self::Insert(row) => row.revision,
            Self::Delete(revision) => revision,
        }
    }
}

/// Why a revision's run failed: the database's error, and the index (0-based) of the
/// statement that failed: for SQL run statement by statement, that statement; for SQL
/// sent whole, how many statements completed before the error.
pub(crate) type RunError = (sqlx::Error, Option<usize>);

/// A repair of one version row.
#[derive(Debug, Clone)]
pub(crate) enum RowFix<'a> {
    /// Mark the row applied and clear its error.
    MarkApplied(&'a str),
    /// Delete the row.
    Remove(&'a str),
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

    /// Creates the version table if it does not exist.
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

    /// Tries once to take the session-level migration lock named `key`; `Ok(true)` when
    /// taken, or when the database has no such lock (SQLite).
    #[doc(hidden)]
    fn try_lock<'e>(
        conn: &'e mut Self::Connection,
        key: &'e str,
    ) -> impl Future<Output = Result<bool, sqlx::Error>> + Send + 'e;

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
}

type RowTuple = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    String,
    Option<String>,
);

fn decode_row(row: RowTuple) -> AppliedRevision {
    let (
        revision,
        parents,
        message,
        checksum,
        downgrade_sql,
        applied_at,
        execution_ms,
        state,
        error,
    ) = row;
    let (state, error) = match RevisionState::parse(&state) {
        Some(s) => (s, error),
        None => (
            RevisionState::Failed,
            Some(format!("unknown state `{state}` in the version table")),
        ),
    };
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
        execution_ms,
        state,
        error,
    }
}

/// Implements [`Driver`] for one sqlx database type. The body is the same for every
/// database: only the types and the [`DialectInfo`] differ.
macro_rules! impl_driver {
    ($db:ty, $dialect:expr) => {
        impl $crate::driver::sealed::Sealed for $db {}

        impl $crate::driver::Driver for $db {
            const DIALECT: $crate::driver::Dialect = $dialect;
            const SESSION_LOCK: bool = INFO.try_lock.is_some();

            fn read_rows<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
            ) -> impl ::std::future::Future<
                Output = Result<Option<Vec<$crate::table::AppliedRevision>>, sqlx::Error>,
            > + Send
            + 'e {
                async move {
                    let sql = Self::DIALECT.select_rows(table);
                    let rows =
                        sqlx::query_as::<$db, $crate::driver::RowTuple>(sqlx::AssertSqlSafe(sql))
                            .fetch_all(&mut *conn)
                            .await;
                    match rows {
                        Ok(rows) => Ok(Some(
                            rows.into_iter().map($crate::driver::decode_row).collect(),
                        )),
                        Err(e) if ($crate::driver::info(Self::DIALECT).missing_table)(&e) => Ok(None),
                        Err(e) => Err(e),
                    }
                }
            }

            fn create_table<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(Self::DIALECT.create_table(table)))
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                }
            }

                    fn run<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
                change: &'e $crate::driver::Change<'e>,
            ) -> impl ::std::future::Future<Output = Result<bool, $crate::driver::RunError>> + Send + 'e {
                async move {
                    let started = ::std::time::Instant::now();
                    if change.transactional && $crate::dialect::DialectSql::syntax(Self::DIALECT).transactional_ddl {
                        in_transaction(&mut *conn, table, change, started).await
                    } else {
                        with_dirty_state(&mut *conn, table, change, started).await
                    }
                }
            }

            fn run_sql<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                sql: &'e str,
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move { execute_sql(conn, sql).await.map_err(|(e, _)| e) }
            }

                    fn fix_rows<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
                fixes: &'e [$crate::driver::RowFix<'e>],
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move {
                    let mut tx = open_transaction(&mut *conn).await?;
                    for fix in fixes {
                        match fix {
                            $crate::driver::RowFix::MarkApplied(revision) => {
                                set_state(&mut *tx, table, revision, $crate::table::RevisionState::Applied, None, None).await?;
                            }
                            $crate::driver::RowFix::Remove(revision) => {
                                let change = $crate::driver::RowChange::Delete(revision);
                                record(&mut *tx, table, &change, ::std::time::Instant::now(), $crate::table::RevisionState::Applied).await?;
                            }
                            $crate::driver::RowFix::Checksum { revision, checksum, downgrade_sql } => {
                                sqlx::query::<$db>(sqlx::AssertSqlSafe(Self::DIALECT.update_checksum(table)))
                                    .bind(*checksum)
                                    .bind(*downgrade_sql)
                                    .bind(*revision)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                        }
                    }
                    tx.commit().await
                }
            }

            fn begin_run(
                conn: &mut <Self as sqlx::Database>::Connection,
            ) -> impl ::std::future::Future<Output = Result<sqlx::Transaction<'_, Self>, sqlx::Error>> + Send {
                open_transaction(conn)
            }

            fn try_lock<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                key: &'e str,
            ) -> impl ::std::future::Future<Output = Result<bool, sqlx::Error>> + Send + 'e {
                async move {
                    let Some(sql) = $crate::driver::info(Self::DIALECT).try_lock else {
                        return Ok(true);
                    };
                    let taken: i64 = sqlx::query_scalar::<$db, i64>(sqlx::AssertSqlSafe(sql))
                        .bind(key)
                        .fetch_one(&mut *conn)
                        .await?;
                    Ok(taken == 1)
                }
            }

            fn wait_for_writers<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                timeout: ::std::time::Duration,
            ) -> impl ::std::future::Future<Output = Result<Option<i64>, sqlx::Error>> + Send + 'e {
                set_wait(conn, timeout)
            }

            fn restore_wait<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                previous: Option<i64>,
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                restore_wait(conn, previous)
            }

            fn is_busy(error: &sqlx::Error) -> bool {
                ($crate::driver::info(Self::DIALECT).busy)(error)
            }

            fn unlock<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                key: &'e str,
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move {
                    if let Some(sql) = $crate::driver::info(Self::DIALECT).unlock {
                        sqlx::query::<$db>(sqlx::AssertSqlSafe(sql)).bind(key).execute(&mut *conn).await?;
                    }
                    Ok(())
                }
            }

                    fn stamp<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
                insert: &'e [$crate::driver::NewRow<'e>],
                delete: &'e [&'e str],
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move {
                    let started = ::std::time::Instant::now();
                    let mut tx = open_transaction(&mut *conn).await?;
                    for revision in delete {
                        let change = $crate::driver::RowChange::Delete(revision);
                        record(&mut *tx, table, &change, started, $crate::table::RevisionState::Applied).await?;
                    }
                    for row in insert {
                        let change = $crate::driver::RowChange::Insert(row.clone());
                        record(&mut *tx, table, &change, started, $crate::table::RevisionState::Applied).await?;
                    }
                    tx.commit().await
                }
            }
        }

        /// Sets how long the connection waits for other writers (SQLite's busy timeout)
        /// and returns the previous setting, to restore with [`restore_wait`].
        async fn set_wait(
            conn: &mut <$db as sqlx::Database>::Connection,
            timeout: ::std::time::Duration,
        ) -> Result<Option<i64>, sqlx::Error> {
            let info = $crate::driver::info(<$db as $crate::driver::Driver>::DIALECT);
            let Some(pragma) = info.busy_timeout else {
                return Ok(None);
            };
            let previous: i64 = sqlx::query_scalar::<$db, i64>(pragma).fetch_one(&mut *conn).await?;
            let ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{pragma} = {ms}"))).execute(&mut *conn).await?;
            Ok(Some(previous))
        }

        async fn restore_wait(
            conn: &mut <$db as sqlx::Database>::Connection,
            previous: Option<i64>,
        ) -> Result<(), sqlx::Error> {
            let info = $crate::driver::info(<$db as $crate::driver::Driver>::DIALECT);
            if let (Some(pragma), Some(ms)) = (info.busy_timeout, previous) {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{pragma} = {ms}"))).execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Opens a transaction with the dialect's statement, or a savepoint when the
        /// connection is already in one (a whole run in one transaction, or a transaction
        /// the caller passed).
        async fn open_transaction(
            conn: &mut <$db as sqlx::Database>::Connection,
        ) -> Result<sqlx::Transaction<'_, $db>, sqlx::Error> {
            use sqlx::Connection as _;
            if conn.is_in_transaction() {
                conn.begin().await
            } else {
                conn.begin_with($crate::dialect::DialectSql::syntax(<$db as $crate::driver::Driver>::DIALECT).begin).await
            }
        }

        /// Runs a transactional revision: its SQL and its version row in one transaction,
        /// rolled back on any error.
        async fn in_transaction(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            started: ::std::time::Instant,
        ) -> Result<bool, $crate::driver::RunError> {
            let plain = |e: sqlx::Error| (e, None);
            let mut tx = open_transaction(&mut *conn).await.map_err(plain)?;
            let done = async {
                if !still_to_do(&mut *tx, table, &change.row).await.map_err(plain)? {
                    return Ok(false);
                }
                execute_sql(&mut *tx, change.sql).await.map_err(|(e, done)| (e, Some(done)))?;
                record(&mut *tx, table, &change.row, started, $crate::table::RevisionState::Applied).await.map_err(plain)?;
                Ok(true)
            }
            .await;
            match done {
                Ok(ran) => {
                    tx.commit().await.map_err(plain)?;
                    Ok(ran)
                }
                Err(e) => {
                    // The error is what counts; a failed rollback closes the connection,
                    // which undoes the transaction too.
                    let _ = tx.rollback().await;
                    Err(e)
                }
            }
        }

        /// Runs a revision outside a transaction: its row says `running` while it runs,
        /// and `failed` with the error if it fails, so that a later run knows the schema
        /// may hold part of it.
        async fn with_dirty_state(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            started: ::std::time::Instant,
        ) -> Result<bool, $crate::driver::RunError> {
            use $crate::table::RevisionState;
            let plain = |e: sqlx::Error| (e, None);
            if !still_to_do(&mut *conn, table, &change.row).await.map_err(plain)? {
                return Ok(false);
            }
            let revision = change.row.revision();
            match &change.row {
                $crate::driver::RowChange::Insert(_) => {
                    record(&mut *conn, table, &change.row, started, RevisionState::Running).await.map_err(plain)?;
                }
                $crate::driver::RowChange::Delete(_) => {
                    set_state(&mut *conn, table, revision, RevisionState::Running, None, None).await.map_err(plain)?;
                }
            }
            let statements = ::migraph_core::split_statements(change.sql, <$db as $crate::driver::Driver>::DIALECT);
            for (i, statement) in statements.iter().enumerate() {
                if let Err((source, _)) = execute_sql(&mut *conn, statement.sql).await {
                    let said = ($crate::driver::info(<$db as $crate::driver::Driver>::DIALECT).describe)(&source);
                    let line = match change.first_line {
                        0 => format!("line {} of the section", statement.line),
                        first => format!("line {}", first + statement.line - 1),
                    };
                    // A statement fails as a whole: when the first one fails, nothing of
                    // the revision ran, so its row goes back to where it was and the next
                    // run tries again. Later, the schema may hold part of it: `failed`.
                    let settled = if i == 0 {
                        match &change.row {
                            $crate::driver::RowChange::Insert(_) => {
                                let undo = $crate::driver::RowChange::Delete(revision);
                                record(&mut *conn, table, &undo, started, RevisionState::Applied).await
                            }
                            $crate::driver::RowChange::Delete(_) => {
                                set_state(&mut *conn, table, revision, RevisionState::Applied, None, None).await
                            }
                        }
                    } else {
                        let error = format!("statement {} of {} ({line}): {said}", i + 1, statements.len());
                        set_state(&mut *conn, table, revision, RevisionState::Failed, None, Some(&error)).await
                    };
                    if let Err(mark) = settled {
                        tracing::error!(revision, error = %mark, "could not settle the failed revision's row; it still says running");
                    }
                    return Err((source, Some(i)));
                }
            }
            match &change.row {
                $crate::driver::RowChange::Insert(_) => {
                    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                    set_state(&mut *conn, table, revision, RevisionState::Applied, Some(ms), None).await.map_err(plain)?;
                }
                $crate::driver::RowChange::Delete(_) => {
                    record(&mut *conn, table, &change.row, started, RevisionState::Applied).await.map_err(plain)?;
                }
            }
            Ok(true)
        }

        /// Sets a row's state (and execution time, when given) and error text.
        async fn set_state(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            revision: &str,
            state: $crate::table::RevisionState,
            ms: Option<i64>,
            error: Option<&str>,
        ) -> Result<(), sqlx::Error> {
            let sql = <$db as $crate::driver::Driver>::DIALECT.set_state(table);
            sqlx::query::<$db>(sqlx::AssertSqlSafe(sql))
                .bind(state.as_str())
                .bind(ms)
                .bind(error)
                .bind(revision)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// Whether a revision's version-row change is still to be made: another process
        /// may have made it since the plan was read.
        async fn still_to_do(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            row: &$crate::driver::RowChange<'_>,
        ) -> Result<bool, sqlx::Error> {
            let sql = <$db as $crate::driver::Driver>::DIALECT.count_row(table);
            let n: i64 = sqlx::query_scalar::<$db, i64>(sqlx::AssertSqlSafe(sql))
                .bind(row.revision())
                .fetch_one(&mut *conn)
                .await?;
            Ok(match row {
                $crate::driver::RowChange::Insert(_) => n == 0,
                $crate::driver::RowChange::Delete(_) => n > 0,
            })
        }

        /// Runs SQL exactly as given, all its statements in one call; on failure, says how
        /// many statements completed before it (each completed statement is one result).
        async fn execute_sql(
            conn: &mut <$db as sqlx::Database>::Connection,
            sql: &str,
        ) -> Result<(), (sqlx::Error, usize)> {
            use ::futures_util::TryStreamExt as _;
            if sql.trim().is_empty() {
                return Ok(());
            }
            let mut done = 0;
            let mut results = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch_many(&mut *conn);
            loop {
                match results.try_next().await {
                    Ok(Some(::sqlx::Either::Left(_))) => done += 1,
                    Ok(Some(::sqlx::Either::Right(_))) => {}
                    Ok(None) => return Ok(()),
                    Err(e) if ($crate::driver::info(<$db as $crate::driver::Driver>::DIALECT).empty_query)(&e) => return Ok(()),
                    Err(e) => return Err((e, done)),
                }
            }
        }

        /// Writes a revision's version-table change.
        async fn record(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::RowChange<'_>,
            started: ::std::time::Instant,
            state: $crate::table::RevisionState,
        ) -> Result<(), sqlx::Error> {
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            match change {
                $crate::driver::RowChange::Insert(row) => {
                    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                    sqlx::query::<$db>(sqlx::AssertSqlSafe(dialect.insert_row(table, $crate::dialect::Values::Placeholders)))
                        .bind(row.revision)
                        .bind(&row.parents)
                        .bind(row.message)
                        .bind(row.checksum)
                        .bind(row.downgrade_sql)
                        .bind(ms)
                        .bind(state.as_str())
                        .bind(None::<&str>)
                        .execute(&mut *conn)
                        .await?;
                }
                $crate::driver::RowChange::Delete(revision) => {
                    sqlx::query::<$db>(sqlx::AssertSqlSafe(dialect.delete_row(table, $crate::dialect::Values::Placeholders)))
                        .bind(*revision)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Ok(())
        }
    };
}
use impl_driver;
