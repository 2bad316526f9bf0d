//! The runner: reads the version table, plans, applies, records, reports. One file per
//! part: `apply` (upgrade, downgrade), `stamp`, `repair`, `state` (reading the version
//! table).

mod adopt;
mod apply;
mod diff;
mod repair;
mod stamp;
mod state;

pub use adopt::Adoption;
pub(crate) use apply::Direction;
pub use repair::Repair;
pub(crate) use stamp::Start;

use std::sync::Arc;
use std::time::Duration;

use migraph_core::{Dialect, Migration, PlanError, Target};
use sqlx::Acquire;

use crate::dialect::DialectSql as _;
use crate::driver::{Driver, NewRow};
use crate::error::Error;
use crate::lock::{AcquiredConnection, Held, LockStrategy};
use crate::migrations::Migrations;
use crate::report::{Report, Step};
use crate::table::{AppliedRevision, TableName};

/// Runs migrations against a database, with options.
///
/// Made by [`Migrations::runner`]. Every method takes anything sqlx can
/// [`Acquire`] a connection from: a pool, a connection, a transaction.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "sqlite")]
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(
///     dir.path().join("a1_init.sql"),
///     "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n-- migrate:downgrade\nDROP TABLE t;\n",
/// )?;
/// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
/// let pool = sqlx::SqlitePool::connect("sqlite::memory:").await?;
/// let runner = migrations.runner().table("app_versions");
/// let report = runner.upgrade(&pool, "head").await?;
/// assert_eq!(report.revisions(), ["a1"]);
/// assert!(runner.upgrade(&pool, "head").await?.is_empty());
/// assert_eq!(runner.current(&pool).await?[0].revision, "a1");
/// runner.downgrade(&pool, "base").await?;
/// assert!(runner.current(&pool).await?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Migrator<'m> {
    migrations: &'m Migrations,
    table: String,
    lock_timeout: Duration,
    lock: LockStrategy,
    lease: Duration,
    single_transaction: bool,
    rehearse: bool,
    roll_back_unknown: bool,
    on_step: Option<StepHook>,
    session_sql: Vec<String>,
}

/// A caller's function called after each step.
#[derive(Clone)]
struct StepHook(Arc<dyn Fn(&Step) + Send + Sync>);

impl std::fmt::Debug for StepHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepHook")
    }
}

/// The default for [`Migrator::lock_timeout`].
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// The default for [`Migrator::lease`].
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

impl<'m> Migrator<'m> {
    pub(crate) fn new(migrations: &'m Migrations) -> Self {
        Self {
            migrations,
            table: crate::table::DEFAULT_TABLE.to_owned(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            lock: LockStrategy::Session,
            lease: DEFAULT_LEASE,
            single_transaction: false,
            rehearse: false,
            roll_back_unknown: false,
            on_step: None,
            session_sql: Vec::new(),
        }
    }

    /// Calls `hook` after each revision applied or undone, with what was done, for
    /// progress output. (Each step is also a `tracing` event and part of the returned
    /// [`Report`].) Should `hook` panic, the run stops there and the lock is released.
    #[must_use]
    pub fn on_step(mut self, hook: impl Fn(&Step) + Send + Sync + 'static) -> Self {
        self.on_step = Some(StepHook(Arc::new(hook)));
        self
    }

    /// Runs `statements`, in order, on each connection a run uses, right after the run
    /// acquires it and before anything else (the no-op read of the version table
    /// included): `SET foreign_key_checks = 0` on MariaDB, `PRAGMA foreign_keys = OFF` on
    /// SQLite (run there before any transaction opens, as that pragma requires), `SET
    /// search_path = app` or `SET lock_timeout = '5s'` on PostgreSQL.
    ///
    /// The settings never reach the application's own queries: a connection taken from
    /// a pool is closed after the run instead of going back to it (one reconnect per
    /// run). A connection the caller passes (`&mut PgConnection`, a transaction) stays the
    /// caller's, settings included; on SQLite a pragma inside a caller's transaction has
    /// no effect. On an in-memory SQLite database, whose data lives with its connection,
    /// pass a connection rather than the pool.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(
    ///     dir.path().join("a1_init.sql"),
    ///     "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
    /// )?;
    /// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
    /// let runner = migrations.runner().session_sql(["PRAGMA foreign_keys = OFF"]);
    /// # let _ = runner;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn session_sql<I, S>(mut self, statements: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.session_sql = statements.into_iter().map(Into::into).collect();
        self
    }

    /// Runs the session SQL on the run's connection, before anything else; with session
    /// SQL, a pooled connection is closed after the run rather than returned.
    pub(super) async fn start<DB: Driver>(&self, conn: &mut Held<'_, DB>) -> Result<(), Error> {
        if !self.session_sql.is_empty() {
            conn.close_if_abandoned();
            for sql in &self.session_sql {
                DB::run_sql(conn, sql)
                    .await
                    .map_err(|error| Error::Session {
                        sql: sql.clone(),
                        error,
                    })?;
            }
        }
        Ok(())
    }

    /// Runs `work` on the run's connection, under the run's lock, with the version
    /// table's name: for what changes rows without running revisions (stamp, repair,
    /// adopt). A database kept busy past the lock timeout (SQLite) becomes
    /// [`Error::LockTimeout`]. Under [`LockStrategy::Transaction`], `work` runs in one
    /// transaction that holds the transaction-scoped lock.
    pub(super) async fn locked<DB: Driver, T>(
        &self,
        mut conn: Held<'_, DB>,
        work: impl AsyncFnOnce(&mut DB::Connection, &TableName) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let table = self.table_name()?;
        self.start(&mut conn).await?;
        let options = self.lock_options();
        crate::lock::with_lock::<DB, _>(&mut conn, &table, &options, async |conn, guard| {
            let explain = |e| match e {
                Error::Database(e) => self.database_error::<DB>(&table, e),
                other => other,
            };
            let crate::driver::Guard::Transaction { lock } = guard else {
                return work(conn, &table).await.map_err(explain);
            };
            // The transaction strategy holds no lock between transactions, and this
            // work reads rows and then writes them: it does both in one transaction
            // holding the lock that each revision's transaction takes. The version
            // table is created first, outside it, where a race to create it is
            // retried.
            DB::create_table(conn, &table)
                .await
                .map_err(|e| explain(e.into()))?;
            let mut tx = DB::begin_run(conn).await?;
            crate::lock::take_in_transaction::<DB>(&mut tx, &table, lock, options.timeout).await?;
            let result = work(&mut tx, &table).await.map_err(explain)?;
            tx.commit().await?;
            Ok(result)
        })
        .await
    }

    /// Runs a whole upgrade or downgrade in one transaction: all of it or none of it.
    /// Only where DDL is transactional (PostgreSQL, SQLite), and only when no revision in
    /// the run says `transaction: false`; otherwise the run is refused with
    /// [`Error::SingleTransaction`] before anything changes.
    #[must_use]
    pub fn single_transaction(mut self, on: bool) -> Self {
        self.single_transaction = on;
        self
    }

    /// Rehearses the run: runs the planned revisions for real, under the lock, in one
    /// transaction that is rolled back at the end, success or failure, so that the schema
    /// and the version table are left exactly as they were (the version table is not even
    /// created). The report (and [`Migrator::on_step`]) says what each step did and how
    /// long it took. For trying tomorrow's upgrade on a copy of production, or checking in
    /// CI that the migrations apply to a restored dump.
    ///
    /// Only where DDL is transactional (PostgreSQL, SQLite), and only when no planned
    /// revision says `transaction: false`; otherwise the run is refused with
    /// [`Error::Rehearse`] before anything runs.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")]
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::write(dir.path().join("a1_t.sql"), "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n")?;
    /// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
    /// let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await?;
    /// let report = migrations.runner().rehearse(true).upgrade(&pool, "head").await?;
    /// assert_eq!(report.revisions(), ["a1"]);
    /// assert!(migrations.current(&pool).await?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn rehearse(mut self, on: bool) -> Self {
        self.rehearse = on;
        self
    }

    /// Before upgrading or downgrading, undoes applied revisions that this binary does
    /// not know, children first, with the downgrade SQL stored in their rows. This is how
    /// an older binary takes the database back after a deploy is rolled back. Off by
    /// default: such revisions are refused with [`Error::UnknownApplied`].
    #[must_use]
    pub fn roll_back_unknown(mut self, on: bool) -> Self {
        self.roll_back_unknown = on;
        self
    }

    /// How long a run waits for another process's migration lock before giving up with
    /// [`Error::LockTimeout`], changing nothing (default five minutes). On SQLite it is how
    /// long each revision waits for other writers.
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// How the run keeps other runners out (default [`LockStrategy::Session`]): see
    /// [`LockStrategy`] for what each strategy does on each database. Behind PgBouncer in
    /// transaction mode, use [`LockStrategy::Transaction`].
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
    /// let runner = migrations.runner().lock(migraph_runtime::LockStrategy::Transaction);
    /// # let _ = runner;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn lock(mut self, strategy: LockStrategy) -> Self {
        self.lock = strategy;
        self
    }

    /// How long a lease of [`LockStrategy::Table`] lasts without renewal (default one
    /// minute): how long other runners wait after a runner crashed holding it. Each
    /// revision renews it, and so does each statement of a revision run outside a
    /// transaction; a single statement that runs longer than this on MySQL or MariaDB
    /// lets another runner take the lease, which then stops at that revision's `running`
    /// row. (On PostgreSQL and SQLite the renewal holds the lease row locked until the
    /// revision commits.)
    #[must_use]
    pub fn lease(mut self, duration: Duration) -> Self {
        self.lease = duration;
        self
    }

    pub(crate) fn lock_options(&self) -> crate::lock::LockOptions {
        crate::lock::LockOptions {
            strategy: self.lock,
            timeout: self.lock_timeout,
            lease: self.lease,
        }
    }

    /// Uses version table `name` (default `_migrations`), optionally schema-qualified as
    /// `schema.table`. The name is checked when a run starts.
    #[must_use]
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = name.into();
        self
    }

    /// Refuses a whole-run transaction where it cannot hold: a dialect that commits DDL
    /// on its own, or a revision that says `transaction: false`. Online and offline runs
    /// share this check.
    pub(crate) fn check_single_transaction<'a>(
        &self,
        dialect: Dialect,
        mut revisions: impl Iterator<Item = &'a Migration>,
    ) -> Result<(), Error> {
        let refuse = |reason: String| {
            if self.rehearse {
                Error::Rehearse { reason }
            } else {
                Error::SingleTransaction { reason }
            }
        };
        if !dialect.syntax().transactional_ddl {
            return Err(refuse(format!(
                "{dialect} commits DDL on its own, so a run cannot be undone as a whole"
            )));
        }
        if let Some(m) = revisions.find(|m| !m.transactional()) {
            return Err(refuse(format!(
                "revision `{}` ({}) says `transaction: false`",
                m.revision(),
                self.file_of(m)
            )));
        }
        Ok(())
    }

    /// Whether the whole run goes in one transaction.
    pub(crate) fn is_single_transaction(&self) -> bool {
        self.single_transaction || self.rehearse
    }

    /// A database error, or, when it says that other writers kept the database busy past
    /// the lock timeout, [`Error::LockTimeout`].
    pub(super) fn database_error<DB: Driver>(&self, table: &TableName, e: sqlx::Error) -> Error {
        if DB::is_busy(&e) {
            Error::LockTimeout {
                table: table.to_string(),
                waited: self.lock_timeout,
            }
        } else {
            Error::Database(e)
        }
    }

    /// The migrations this runner runs.
    pub fn migrations(&self) -> &'m Migrations {
        self.migrations
    }

    pub(crate) fn table_name(&self) -> Result<TableName, Error> {
        self.table.parse()
    }

    pub(crate) fn file_of(&self, m: &Migration) -> String {
        format!(
            "{}/{}",
            self.migrations.dir().trim_end_matches('/'),
            m.file_name()
        )
    }
}

/// Parses a target in Alembic's grammar: the one parser the runner, offline scripts and
/// the command line share.
pub(crate) fn parse_target(text: &str) -> Result<Target, Error> {
    text.parse::<Target>()
        .map_err(|e| Error::Plan(PlanError::Target(e)))
}

/// The version row of a revision of this binary.
pub(crate) fn new_row(m: &Migration) -> NewRow<'_> {
    NewRow {
        revision: m.revision(),
        parents: m.down_revisions().join(","),
        message: m.message(),
        checksum: m.checksum(),
        downgrade_sql: m.downgrade_sql(),
    }
}

impl Migrations {
    /// A runner with options (version table name), for `upgrade`, `downgrade`, `stamp`
    /// and `current`.
    pub fn runner(&self) -> Migrator<'_> {
        Migrator::new(self)
    }

    /// Upgrades to `target` with default options: see [`Migrator::upgrade`].
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade`].
    pub async fn upgrade<'c, A>(&self, conn: A, target: &str) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        self.runner().upgrade(conn, target).await
    }

    /// Downgrades to `target` with default options: see [`Migrator::downgrade`].
    ///
    /// # Errors
    ///
    /// As [`Migrator::downgrade`].
    pub async fn downgrade<'c, A>(&self, conn: A, target: &str) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        self.runner().downgrade(conn, target).await
    }

    /// The current revisions with default options: see [`Migrator::current`].
    ///
    /// # Errors
    ///
    /// As [`Migrator::current`].
    pub async fn current<'c, A>(&self, conn: A) -> Result<Vec<AppliedRevision>, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        self.runner().current(conn).await
    }
}
