//! The runner: reads the version table, plans, applies, records, reports.

use std::sync::Arc;
use std::time::{Duration, Instant};

use migraph_core::{Dialect, Graph, Migration, PlanError, Target, plan};
use sqlx::Acquire;

use crate::dialect::DialectSql as _;
use crate::driver::{Change, Driver, NewRow, RowChange, RowFix};
use crate::error::Error;
use crate::lock::{self, AcquiredConnection};
use crate::migrations::Migrations;
use crate::report::{Action, Report, Step};
use crate::table::{AppliedRevision, RevisionState, TableName};

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
    single_transaction: bool,
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

/// The database's state, read and checked against the graph.
struct State {
    applied: Vec<bool>,
    /// Whether the version table exists.
    table_exists: bool,
    /// A row left `running` or `failed`. Seen without the lock it may be another
    /// process's revision under way; under the lock it is left over and refused.
    dirty: Option<AppliedRevision>,
    /// Applied revisions this binary does not know.
    unknown: Vec<AppliedRevision>,
}

impl State {
    /// Refuses to go on from a revision left part-way.
    fn refuse_dirty(&self) -> Result<(), Error> {
        match &self.dirty {
            Some(row) => Err(Error::Dirty {
                revision: row.revision.clone(),
                state: row.state,
                error: row.error.clone(),
            }),
            None => Ok(()),
        }
    }
}

/// How to settle a revision that an earlier run left `running` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// It was finished by hand: record it as applied.
    Applied,
    /// It was undone by hand: forget it (for a failed downgrade: it is no longer applied).
    RolledBack,
}

/// Where in a section a statement failed.
#[derive(Clone, Copy)]
struct Location<'a> {
    /// 1-based.
    statement: usize,
    /// The line of the file it starts on.
    line: Option<usize>,
    sql: &'a str,
}

/// Finds the statement that failed: the one holding PostgreSQL's error position when
/// the database gave one (a syntax error stops the whole text before anything runs), or
/// else the one at `index` (statements run one by one, or those that completed).
fn locate<'a>(
    change: &Change<'a>,
    dialect: Dialect,
    index: Option<usize>,
    position: Option<usize>,
) -> Option<Location<'a>> {
    let statements = migraph_core::split_statements(change.sql, dialect);
    let by_position = position.and_then(|p| {
        let offset = change
            .sql
            .char_indices()
            .nth(p.saturating_sub(1))
            .map_or(change.sql.len(), |(o, _)| o);
        statements
            .iter()
            .rposition(|s| s.sql.as_ptr() as usize - change.sql.as_ptr() as usize <= offset)
    });
    let i = by_position.or(index)?;
    let s = statements.get(i)?;
    Some(Location {
        statement: i + 1,
        line: (change.first_line > 0).then(|| change.first_line + s.line - 1),
        sql: s.sql,
    })
}

/// What to check when reading the version table.
#[derive(Clone, Copy)]
struct Checks {
    checksums: bool,
    unknown: bool,
}

impl<'m> Migrator<'m> {
    pub(crate) fn new(migrations: &'m Migrations) -> Self {
        Self {
            migrations,
            table: crate::table::DEFAULT_TABLE.to_owned(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            single_transaction: false,
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

    /// The revisions `upgrade target` would apply now, without changing anything or
    /// taking the lock: empty when the database is there.
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade`] would fail before running anything: a bad target, a changed
    /// checksum, an unknown applied revision, a revision left part-way.
    pub async fn pending<'c, A>(&self, conn: A, target: &str) -> Result<Vec<&'m Migration>, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let target = parse_target(target)?;
        let table = self.table_name()?;
        let graph = self.migrations.graph()?;
        let mut conn = self.acquire(conn).await?;
        let state = self
            .read_state::<A::Database>(&mut conn, &table, graph, STRICT)
            .await?;
        state.refuse_dirty()?;
        let all = self.migrations.migrations();
        Ok(plan::upgrade(graph, &state.applied, &target)?
            .into_iter()
            .map(|i| &all[i])
            .collect())
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

    /// Acquires the run's connection and runs the session SQL on it first; with session
    /// SQL, a pooled connection is closed after the run rather than returned.
    async fn acquire<'c, A>(&self, conn: A) -> Result<A::Connection, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let mut conn = conn.acquire().await?;
        if !self.session_sql.is_empty() {
            conn.close_if_abandoned();
            for sql in &self.session_sql {
                <A::Database as Driver>::run_sql(&mut conn, sql)
                    .await
                    .map_err(|error| Error::Session {
                        sql: sql.clone(),
                        error,
                    })?;
            }
        }
        Ok(conn)
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

    /// Uses version table `name` (default `_migrations`), optionally schema-qualified as
    /// `schema.table`. The name is checked when a run starts.
    #[must_use]
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = name.into();
        self
    }

    /// Applies every revision `target` needs that is not applied yet, parents first, each
    /// in its own transaction together with its version row. `target` is in Alembic's
    /// grammar: `head`, `heads`, an id or unique prefix, a label, `+1`, `feature@head`...
    ///
    /// When the database is already there, this costs one query.
    ///
    /// # Errors
    ///
    /// A bad target ([`Error::Plan`]), an applied revision whose file changed
    /// ([`Error::ChecksumMismatch`]), revisions the binary does not know
    /// ([`Error::UnknownApplied`]), a revision left part-way ([`Error::Dirty`]), a
    /// revision whose SQL failed ([`Error::Execute`]; it and everything after it are not
    /// applied), a file added after the build ([`Error::Stale`], debug builds), or a
    /// database error.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future between revisions leaves every finished revision recorded;
    /// a revision interrupted inside its transaction is rolled back with it.
    pub async fn upgrade<'c, A>(&self, conn: A, target: &str) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let target = parse_target(target)?;
        self.migrations.check_stale()?;
        self.migrate(conn, Direction::Up(target)).await
    }

    /// Undoes, children first, every applied revision that descends from `target` (the
    /// target itself stays): `base` undoes everything, `-1` the current revision,
    /// `feature@base` one branch.
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade`], and [`Error::Irreversible`] when a revision to undo has no
    /// downgrade section (checked before anything runs).
    ///
    /// # Cancel safety
    ///
    /// As [`Migrator::upgrade`].
    pub async fn downgrade<'c, A>(&self, conn: A, target: &str) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let target = parse_target(target)?;
        self.migrate(conn, Direction::Down(target)).await
    }

    /// Upgrade or downgrade: read, and if there is work, lock, read again, plan, run.
    async fn migrate<'c, A>(&self, conn: A, direction: Direction) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let table = self.table_name()?;
        let graph = self.migrations.graph()?;
        let mut conn = self.acquire(conn).await?;
        // The common start-up case, nothing to do, is this one read and no lock. A dirty
        // row is judged under the lock, before anything else.
        let state = self
            .read_state::<A::Database>(&mut conn, &table, graph, STRICT)
            .await?;
        if state.dirty.is_none()
            && state.table_exists
            && self.plan(graph, &state, &direction)?.is_empty()
        {
            return Ok(Report::default());
        }
        lock::with_lock::<A::Database, _, _>(&mut conn, &table, self.lock_timeout, async |conn| {
            // Read again under the lock: another process may have done the work.
            let state = self
                .read_state::<A::Database>(&mut *conn, &table, graph, STRICT)
                .await?;
            state.refuse_dirty()?;
            if !state.table_exists {
                <A::Database as Driver>::create_table(&mut *conn, &table)
                    .await
                    .map_err(|e| self.database_error::<A::Database>(&table, e))?;
            }
            let work = self.plan(graph, &state, &direction)?;
            self.execute::<A::Database>(&mut *conn, &table, &work).await
        })
        .await
    }

    /// What to run, in order: applied revisions this binary does not know, undone with
    /// their stored SQL (when asked to), then the plan for the direction.
    fn plan<'s>(
        &'s self,
        graph: &Graph,
        state: &'s State,
        direction: &Direction,
    ) -> Result<Vec<Work<'s>>, Error> {
        let all = self.migrations.migrations();
        let mut work: Vec<Work<'s>> = Vec::new();
        if self.roll_back_unknown {
            for row in order_children_first(&state.unknown) {
                if row.downgrade_sql.is_none() {
                    return Err(Error::Irreversible {
                        revision: row.revision.clone(),
                        file: "recorded in the version table, without downgrade SQL".to_owned(),
                    });
                }
                work.push(Work::Unknown(row));
            }
        }
        match direction {
            Direction::Up(target) => {
                for i in plan::upgrade(graph, &state.applied, target)? {
                    work.push(Work::Known(&all[i], Action::Upgrade));
                }
            }
            Direction::Down(target) => {
                for i in self.downgrade_plan(graph, &state.applied, target)? {
                    work.push(Work::Known(&all[i], Action::Downgrade));
                }
            }
        }
        Ok(work)
    }

    /// Runs the work, each revision in its own transaction, or all of it in one when
    /// [`Migrator::single_transaction`] is set.
    async fn execute<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        work: &[Work<'_>],
    ) -> Result<Report, Error> {
        if !self.single_transaction {
            return self.execute_each::<DB>(conn, table, work).await;
        }
        self.check_single_transaction(
            DB::DIALECT,
            work.iter().filter_map(|w| match w {
                Work::Known(m, _) => Some(*m),
                Work::Unknown(_) => None,
            }),
        )?;
        let mut tx = DB::begin_run(conn)
            .await
            .map_err(|e| self.database_error::<DB>(table, e))?;
        match self.execute_each::<DB>(&mut tx, table, work).await {
            Ok(report) => {
                tx.commit().await?;
                Ok(report)
            }
            Err(e) => {
                // All or nothing: the error is what counts; a failed rollback closes the
                // connection, which undoes the transaction too.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    async fn execute_each<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        work: &[Work<'_>],
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        for item in work {
            let step = match item {
                Work::Known(m, action) => {
                    let change = Change {
                        sql: match action {
                            Action::Downgrade => m.downgrade_sql().unwrap_or_default(),
                            _ => m.upgrade_sql(),
                        },
                        first_line: match action {
                            Action::Downgrade => m.downgrade_line(),
                            _ => m.upgrade_line(),
                        },
                        transactional: m.transactional(),
                        row: match action {
                            Action::Downgrade => RowChange::Delete(m.revision()),
                            _ => RowChange::Insert(new_row(m)),
                        },
                    };
                    self.run::<DB>(
                        conn,
                        table,
                        m.revision(),
                        m.message(),
                        &self.file_of(m),
                        &change,
                        *action,
                    )
                    .await?
                }
                Work::Unknown(row) => {
                    let change = Change {
                        sql: row.downgrade_sql.as_deref().unwrap_or_default(),
                        first_line: 0,
                        transactional: true,
                        row: RowChange::Delete(&row.revision),
                    };
                    let file =
                        "(not in this binary: its downgrade SQL comes from the version table)";
                    self.run::<DB>(
                        conn,
                        table,
                        &row.revision,
                        &row.message,
                        file,
                        &change,
                        Action::Downgrade,
                    )
                    .await?
                }
            };
            if let (Some(step), Some(hook)) = (&step, &self.on_step) {
                (hook.0)(step);
            }
            report.steps.extend(step);
        }
        Ok(report)
    }

    /// Refuses a whole-run transaction where it cannot hold: a dialect that commits DDL
    /// on its own, or a revision that says `transaction: false`. Online and offline runs
    /// share this check.
    pub(crate) fn check_single_transaction<'a>(
        &self,
        dialect: Dialect,
        mut revisions: impl Iterator<Item = &'a Migration>,
    ) -> Result<(), Error> {
        if !dialect.syntax().transactional_ddl {
            return Err(Error::SingleTransaction {
                reason: format!(
                    "{dialect} commits DDL on its own, so a run cannot be undone as a whole"
                ),
            });
        }
        if let Some(m) = revisions.find(|m| !m.transactional()) {
            return Err(Error::SingleTransaction {
                reason: format!(
                    "revision `{}` ({}) says `transaction: false`",
                    m.revision(),
                    self.file_of(m)
                ),
            });
        }
        Ok(())
    }

    /// Whether the whole run goes in one transaction.
    pub(crate) fn is_single_transaction(&self) -> bool {
        self.single_transaction
    }

    /// The downgrade plan, refused as a whole if any revision in it cannot be undone.
    pub(crate) fn downgrade_plan(
        &self,
        graph: &Graph,
        applied: &[bool],
        target: &Target,
    ) -> Result<Vec<usize>, Error> {
        let steps = plan::downgrade(graph, applied, target)?;
        let all = self.migrations.migrations();
        if let Some(m) = steps
            .iter()
            .map(|&i| &all[i])
            .find(|m| m.downgrade_sql().is_none())
        {
            return Err(Error::Irreversible {
                revision: m.revision().to_owned(),
                file: self.file_of(m),
            });
        }
        Ok(steps)
    }

    /// Makes the applied set exactly what `targets` need, without running any revision
    /// SQL: how an existing database is adopted. All row changes happen in one
    /// transaction.
    ///
    /// # Errors
    ///
    /// A bad target, revisions the binary does not know (use
    /// [`Migrator::purge_and_stamp`]), a revision left part-way, or a database error.
    pub async fn stamp<'c, A>(&self, conn: A, targets: &[&str]) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        self.stamp_inner(conn, targets, false).await
    }

    /// Forgets every row of the version table, then stamps `targets`: for a table that no
    /// longer matches this binary at all.
    ///
    /// # Errors
    ///
    /// A bad target, or a database error.
    pub async fn purge_and_stamp<'c, A>(&self, conn: A, targets: &[&str]) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        self.stamp_inner(conn, targets, true).await
    }

    async fn stamp_inner<'c, A>(
        &self,
        conn: A,
        targets: &[&str],
        purge: bool,
    ) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let targets = targets
            .iter()
            .map(|t| parse_target(t))
            .collect::<Result<Vec<_>, _>>()?;
        let table = self.table_name()?;
        let graph = self.migrations.graph()?;
        let mut conn = self.acquire(conn).await?;
        lock::with_lock::<A::Database, _, _>(&mut conn, &table, self.lock_timeout, async |conn| {
            self.stamp_locked::<A::Database>(conn, &table, graph, &targets, purge)
                .await
                .map_err(|e| match e {
                    Error::Database(e) => self.database_error::<A::Database>(&table, e),
                    other => other,
                })
        })
        .await
    }

    async fn stamp_locked<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        graph: &Graph,
        targets: &[Target],
        purge: bool,
    ) -> Result<Report, Error> {
        let (applied, purged) = if purge {
            let rows = DB::read_rows(conn, table).await?;
            if rows.is_none() {
                DB::create_table(conn, table).await?;
            }
            let purged: Vec<(String, String)> = rows
                .unwrap_or_default()
                .into_iter()
                .map(|r| (r.revision, r.message))
                .collect();
            (vec![false; graph.len()], purged)
        } else {
            let checks = Checks {
                checksums: false,
                unknown: true,
            };
            let state = self.read_state::<DB>(conn, table, graph, checks).await?;
            state.refuse_dirty()?;
            if !state.table_exists {
                DB::create_table(conn, table).await?;
            }
            (state.applied, Vec::new())
        };
        let plan = plan::stamp(graph, &applied, targets)?;
        let all = self.migrations.migrations();
        let started = Instant::now();
        let insert: Vec<NewRow<'_>> = plan.insert.iter().map(|&i| new_row(&all[i])).collect();
        let mut delete: Vec<&str> = purged.iter().map(|(r, _)| r.as_str()).collect();
        delete.extend(plan.delete.iter().map(|&i| all[i].revision()));
        DB::stamp(conn, table, &insert, &delete).await?;
        let duration = started.elapsed();
        let step = |revision: &str, message: &str, action| Step {
            revision: revision.to_owned(),
            message: message.to_owned(),
            action,
            duration,
        };
        let mut report = Report::default();
        for (revision, message) in &purged {
            report.steps.push(step(revision, message, Action::Unstamp));
        }
        for &i in &plan.delete {
            report
                .steps
                .push(step(all[i].revision(), all[i].message(), Action::Unstamp));
        }
        for &i in &plan.insert {
            report
                .steps
                .push(step(all[i].revision(), all[i].message(), Action::Stamp));
        }
        for s in &report.steps {
            tracing::info!(revision = %s.revision, action = %s.action, "stamped");
        }
        Ok(report)
    }

    /// Settles a revision that an earlier run left `running` or `failed` (its SQL ran
    /// outside a transaction and stopped part-way): after finishing or undoing it by hand,
    /// record which.
    ///
    /// # Errors
    ///
    /// [`Error::Repair`] when the revision has no row or its row is not left part-way; a
    /// lock timeout, or a database error.
    pub async fn repair<'c, A>(&self, conn: A, revision: &str, how: Repair) -> Result<(), Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let table = self.table_name()?;
        let mut conn = self.acquire(conn).await?;
        lock::with_lock::<A::Database, _, _>(&mut conn, &table, self.lock_timeout, async |conn| {
            let rows = <A::Database as Driver>::read_rows(&mut *conn, &table)
                .await?
                .unwrap_or_default();
            let refuse = |reason: &str| Error::Repair {
                revision: revision.to_owned(),
                reason: reason.to_owned(),
            };
            let row = rows
                .iter()
                .find(|r| r.revision == revision)
                .ok_or_else(|| refuse("it has no row in the version table"))?;
            if row.state == RevisionState::Applied {
                return Err(refuse("it is applied, not left part-way"));
            }
            let fix = match how {
                Repair::Applied => RowFix::MarkApplied(revision),
                Repair::RolledBack => RowFix::Remove(revision),
            };
            <A::Database as Driver>::fix_rows(&mut *conn, &table, &[fix]).await?;
            tracing::info!(revision, ?how, "repaired");
            Ok(())
        })
        .await
    }

    /// Re-records the checksums (and downgrade SQL) of applied revisions whose files
    /// changed on purpose: the named ones, or with an empty list every one that differs.
    /// Returns the revisions re-recorded.
    ///
    /// # Errors
    ///
    /// [`Error::Repair`] for a named revision that is not applied or not in this binary; a
    /// lock timeout, or a database error.
    pub async fn repair_checksums<'c, A>(
        &self,
        conn: A,
        revisions: &[&str],
    ) -> Result<Vec<String>, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let table = self.table_name()?;
        let graph = self.migrations.graph()?;
        let mut conn = self.acquire(conn).await?;
        lock::with_lock::<A::Database, _, _>(&mut conn, &table, self.lock_timeout, async |conn| {
            let rows = <A::Database as Driver>::read_rows(&mut *conn, &table)
                .await?
                .unwrap_or_default();
            for &named in revisions {
                let reason = if graph.find(named).is_none() {
                    Some("this binary does not have it")
                } else if !rows.iter().any(|r| r.revision == named) {
                    Some("it is not applied")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(Error::Repair {
                        revision: named.to_owned(),
                        reason: reason.to_owned(),
                    });
                }
            }
            let all = self.migrations.migrations();
            let fixes: Vec<RowFix<'_>> = rows
                .iter()
                .filter(|r| revisions.is_empty() || revisions.contains(&r.revision.as_str()))
                .filter_map(|r| graph.find(&r.revision).map(|i| (r, &all[i])))
                .filter(|(r, m)| r.checksum != m.checksum())
                .map(|(_, m)| RowFix::Checksum {
                    revision: m.revision(),
                    checksum: m.checksum(),
                    downgrade_sql: m.downgrade_sql(),
                })
                .collect();
            <A::Database as Driver>::fix_rows(&mut *conn, &table, &fixes).await?;
            let done: Vec<String> = fixes
                .iter()
                .filter_map(|f| match f {
                    RowFix::Checksum { revision, .. } => Some((*revision).to_owned()),
                    _ => None,
                })
                .collect();
            tracing::info!(revisions = ?done, "re-recorded checksums");
            Ok(done)
        })
        .await
    }

    /// The current revisions: applied revisions that no other applied revision follows.
    /// An empty list means `base`. Revisions this binary does not know are included, as
    /// recorded.
    ///
    /// # Errors
    ///
    /// A bad table name, or a database error.
    pub async fn current<'c, A>(&self, conn: A) -> Result<Vec<AppliedRevision>, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let rows = self.applied(conn).await?;
        Ok(AppliedRevision::current(&rows)
            .into_iter()
            .cloned()
            .collect())
    }

    /// Every row of the version table, in the order applied. Empty when the table does not
    /// exist yet; nothing is created.
    ///
    /// # Errors
    ///
    /// A bad table name, or a database error.
    pub async fn applied<'c, A>(&self, conn: A) -> Result<Vec<AppliedRevision>, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let table = self.table_name()?;
        let mut conn = self.acquire(conn).await?;
        let mut rows = <A::Database as Driver>::read_rows(&mut conn, &table)
            .await?
            .unwrap_or_default();
        rows.sort_by(|a, b| {
            a.applied_at
                .cmp(&b.applied_at)
                .then_with(|| a.revision.cmp(&b.revision))
        });
        Ok(rows)
    }

    /// A database error, or, when it says that other writers kept the database busy past
    /// the lock timeout, [`Error::LockTimeout`].
    fn database_error<DB: Driver>(&self, table: &TableName, e: sqlx::Error) -> Error {
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

    /// Reads the version table and checks it against the graph. A missing table reads as
    /// empty; nothing is created here.
    async fn read_state<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        graph: &Graph,
        checks: Checks,
    ) -> Result<State, Error> {
        let rows = DB::read_rows(conn, table).await?;
        let table_exists = rows.is_some();
        let rows = rows.unwrap_or_default();
        let dirty = rows
            .iter()
            .find(|r| r.state != RevisionState::Applied)
            .cloned();
        let mut applied = vec![false; graph.len()];
        let mut unknown: Vec<AppliedRevision> = Vec::new();
        for row in &rows {
            match graph.find(&row.revision) {
                Some(i) => {
                    applied[i] = true;
                    let m = &self.migrations.migrations()[i];
                    if checks.checksums && m.checksum() != row.checksum {
                        return Err(Error::ChecksumMismatch {
                            revision: row.revision.clone(),
                            file: self.file_of(m),
                            recorded: row.checksum.clone(),
                            current: m.checksum().to_owned(),
                        });
                    }
                }
                None => unknown.push(row.clone()),
            }
        }
        if checks.unknown && !self.roll_back_unknown && !unknown.is_empty() {
            let mut revisions: Vec<String> = unknown.into_iter().map(|r| r.revision).collect();
            revisions.sort_unstable();
            return Err(Error::UnknownApplied { revisions });
        }
        Ok(State {
            applied,
            table_exists,
            dirty,
            unknown,
        })
    }

    /// Runs one revision; `None` when another process had already done it.
    #[allow(clippy::too_many_arguments)]
    async fn run<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        revision: &str,
        message: &str,
        file: &str,
        change: &Change<'_>,
        action: Action,
    ) -> Result<Option<Step>, Error> {
        tracing::info!(revision, message, %action, "running");
        let started = Instant::now();
        let ran = DB::run(conn, table, change)
            .await
            .map_err(|(source, statement)| {
                if DB::is_busy(&source) {
                    return self.database_error::<DB>(table, source);
                }
                let database = (crate::driver::info(DB::DIALECT).describe)(&source);
                let at = locate(change, DB::DIALECT, statement, database.position);
                let error = Error::Execute {
                    revision: revision.to_owned(),
                    file: file.to_owned(),
                    action,
                    statement: at.map(|a| a.statement),
                    line: at.and_then(|a| a.line),
                    sql: at.map(|a| a.sql.to_owned()),
                    database: Box::new(database),
                    error: source,
                };
                tracing::error!(revision, %action, %error, "failed");
                error
            })?;
        if !ran {
            tracing::info!(revision, %action, "already done by another process");
            return Ok(None);
        }
        let duration = started.elapsed();
        tracing::info!(revision, %action, ms = duration.as_millis() as u64, "done");
        Ok(Some(Step {
            revision: revision.to_owned(),
            message: message.to_owned(),
            action,
            duration,
        }))
    }
}

/// Which way a run goes.
enum Direction {
    Up(Target),
    Down(Target),
}

/// One revision to run.
enum Work<'a> {
    /// A revision of this binary.
    Known(&'a Migration, Action),
    /// An applied revision this binary does not know, undone with its stored SQL.
    Unknown(&'a AppliedRevision),
}

/// Rows ordered so that no row comes after a row that names it as a parent.
fn order_children_first(rows: &[AppliedRevision]) -> Vec<&AppliedRevision> {
    let mut left: Vec<&AppliedRevision> = rows.iter().collect();
    left.sort_by(|a, b| {
        b.applied_at
            .cmp(&a.applied_at)
            .then_with(|| b.revision.cmp(&a.revision))
    });
    let mut out = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let is_parent = |r: &AppliedRevision, of: &[&AppliedRevision]| {
            of.iter().any(|o| o.parents.contains(&r.revision))
        };
        let next = left.iter().position(|r| !is_parent(r, &left)).unwrap_or(0);
        out.push(left.remove(next));
    }
    out
}

/// Every check on: what upgrade and downgrade need.
const STRICT: Checks = Checks {
    checksums: true,
    unknown: true,
};

fn parse_target(text: &str) -> Result<Target, Error> {
    text.parse::<Target>()
        .map_err(|e| Error::Plan(PlanError::Target(e)))
}

fn new_row(m: &Migration) -> NewRow<'_> {
    NewRow {
        revision: m.revision(),
        parents: m.down_revisions().join(","),
        message: m.message(),
        checksum: m.checksum(),
        downgrade_sql: m.downgrade_sql(),
    }
}

impl Migrations {
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
