//! Upgrade and downgrade: plan, run each revision, report.

use std::time::Instant;

use migraph_core::{Dialect, Graph, Migration, RevIndex, RevSet, Target, plan};
use sqlx::Acquire;

use crate::driver::{Change, Driver, Guard, RowChange, RunError, StateRows};
use crate::error::Error;
use crate::lock::{self, AcquiredConnection, Held};
use crate::report::{Action, Report, Step};
use crate::table::{AppliedRevision, RevisionState, TableName};

use super::state::{STRICT, State, order_children_first};
use super::{Migrator, new_row, parse_target};

/// Where in a section a statement failed.
#[derive(Clone, Copy)]
pub(super) struct Location<'a> {
    /// 1-based.
    pub(super) statement: usize,
    /// The line of the file it starts on.
    pub(super) line: Option<usize>,
    pub(super) sql: &'a str,
}

/// Finds the statement that failed: the one holding PostgreSQL's error position when
/// the database gave one (a syntax error stops the whole text before anything runs), or
/// else the one at `index` (statements run one by one, or those that completed).
pub(super) fn locate<'a>(
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

/// Which way a run goes.
pub(crate) enum Direction {
    Up(Target),
    Down(Target),
    /// Up or down, whichever makes exactly the target and its ancestors applied on its
    /// branch; applied revisions this binary does not know that descend from it are
    /// undone with their stored SQL.
    To(Target),
}

/// One revision's run: which, from which file, and what it changes.
pub(super) struct Job<'a> {
    revision: &'a str,
    message: &'a str,
    file: Option<String>,
    action: Action,
    pub(super) change: Change<'a>,
}

impl<'a> Work<'a> {
    /// What running this work item means.
    pub(super) fn job(&self, runner: &Migrator<'_>, guard: &'a Guard) -> Option<Job<'a>> {
        Some(match *self {
            Work::RecordSquash(_) => return None,
            Work::Known(m, action) => {
                let down = action == Action::Downgrade;
                Job {
                    revision: m.revision(),
                    message: m.message(),
                    file: Some(runner.file_of(m)),
                    action,
                    change: Change {
                        sql: if down {
                            m.downgrade_sql().unwrap_or_default()
                        } else {
                            m.upgrade_sql()
                        },
                        first_line: if down {
                            m.downgrade_line()
                        } else {
                            m.upgrade_line()
                        },
                        transactional: m.transactional(),
                        in_run_transaction: runner.is_single_transaction(),
                        code: if m.is_rust() {
                            runner.migrations.rust_code(m.revision())
                        } else {
                            None
                        },
                        down,
                        guard,
                        lock_timeout: runner.lock_timeout,
                        resume: None,
                        row: if down {
                            RowChange::Delete(m.revision())
                        } else {
                            RowChange::Insert(new_row(m))
                        },
                    },
                }
            }
            Work::Unknown(row) => Job {
                revision: &row.revision,
                message: &row.message,
                file: None,
                action: Action::Downgrade,
                change: Change {
                    sql: row.downgrade_sql.as_deref().unwrap_or_default(),
                    first_line: 0,
                    transactional: true,
                    in_run_transaction: runner.is_single_transaction(),
                    code: None,
                    down: true,
                    guard,
                    lock_timeout: runner.lock_timeout,
                    resume: None,
                    row: RowChange::Delete(&row.revision),
                },
            },
        })
    }
}

/// Which way `to` goes.
pub(super) enum ToPlan {
    Up(Target),
    Down(Target),
}

/// One revision to run.
pub(super) enum Work<'a> {
    /// A revision of this binary.
    Known(&'a Migration, Action),
    /// An applied revision this binary does not know, undone with its stored SQL.
    Unknown(&'a AppliedRevision),
    /// A squash whose replaced revisions are all applied: their rows become its row, in
    /// one transaction, without running SQL.
    RecordSquash(&'a Migration),
}

impl<'m> Migrator<'m> {
    /// Upgrades each database of `pools` to `target`, `jobs` at once (at least one), as
    /// [`Migrator::upgrade`] does one: for an application that owns its list of tenant
    /// databases. One database's failure does not stop the others.
    ///
    /// Returns each database's result, in the order of `pools`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")]
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::write(dir.path().join("a1_t.sql"), "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n")?;
    /// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
    /// let mut tenants = Vec::new();
    /// for _ in 0..3 {
    ///     tenants.push(sqlx::SqlitePool::connect("sqlite::memory:").await?);
    /// }
    /// let results = migrations.runner().upgrade_each(&tenants, "head", 8).await;
    /// assert!(results.iter().all(|r| r.as_ref().is_ok_and(|report| report.revisions() == ["a1"])));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn upgrade_each<'p, DB>(
        &self,
        pools: impl IntoIterator<Item = &'p sqlx::Pool<DB>>,
        target: &str,
        jobs: usize,
    ) -> Vec<Result<Report, Error>>
    where
        DB: Driver,
        for<'c> &'c sqlx::Pool<DB>:
            Acquire<'c, Database = DB, Connection = sqlx::pool::PoolConnection<DB>>,
    {
        use futures_util::StreamExt as _;
        let mut results: Vec<(usize, Result<Report, Error>)> =
            futures_util::stream::iter(pools.into_iter().enumerate())
                .map(|(i, pool)| async move { (i, self.upgrade(pool, target).await) })
                .buffer_unordered(jobs.max(1))
                .collect()
                .await;
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
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
        let mut conn = conn.acquire().await?;
        <A::Database as Driver>::pending(self, conn.held(), target).await
    }

    /// [`Migrator::pending`] on the run's connection.
    pub(crate) async fn pending_on<DB: Driver>(
        &self,
        mut conn: Held<'_, DB>,
        target: Target,
    ) -> Result<Vec<&'m Migration>, Error> {
        let table = self.table_name()?;
        let graph = self.migrations.graph()?;
        self.start(&mut conn).await?;
        let state = self
            .read_state::<DB>(&mut conn, &table, graph, STRICT)
            .await?;
        state.refuse_dirty()?;
        let all = self.migrations.migrations();
        Ok(plan::upgrade(graph, &state.applied, &target)?
            .into_iter()
            .map(|i| &all[i])
            .collect())
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
    /// a revision interrupted inside its transaction is rolled back with it. On
    /// PostgreSQL a transactional revision travels as one text: once it is sent, the
    /// server finishes it, with its version row, whatever happens to the future.
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

    /// Moves the database to `target`, one revision (an id, a unique prefix, a label,
    /// `head` when there is one head, `-1`...) or `base`: upgrades when it is not applied,
    /// and when it is, undoes what descends from it, so that exactly it and its ancestors
    /// are applied on its branch. Other branches are left as they are. Applied revisions
    /// this binary does not know that descend from the target are undone first, children
    /// first, with the downgrade SQL stored in their rows: an older release moves the
    /// database back to its own newest revision with `to`, a newer one forward.
    ///
    /// # Errors
    ///
    /// As [`Migrator::upgrade`] and [`Migrator::downgrade`]; [`Error::MoveTo`] when the
    /// target names several revisions; [`Error::UnknownApplied`] for revisions this binary
    /// does not know that do not descend from the target (on another branch: `to` leaves
    /// them to the build that has them); [`Error::Irreversible`] for one to undo without
    /// downgrade SQL. Nothing runs when the plan is refused.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")]
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::write(dir.path().join("a1_t.sql"), "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n-- migrate:downgrade\nDROP TABLE t;\n")?;
    /// # std::fs::write(dir.path().join("b2_u.sql"), "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE u (id INT);\n-- migrate:downgrade\nDROP TABLE u;\n")?;
    /// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
    /// let pool = sqlx::SqlitePool::connect("sqlite::memory:").await?;
    /// assert_eq!(migrations.runner().to(&pool, "b2").await?.revisions(), ["a1", "b2"]);
    /// assert_eq!(migrations.runner().to(&pool, "a1").await?.revisions(), ["b2"]);
    /// assert!(migrations.runner().to(&pool, "a1").await?.steps.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn to<'c, A>(&self, conn: A, target: &str) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let target = parse_target(target)?;
        self.migrations.check_stale()?;
        // Unknown rows are judged by the plan, which undoes those that descend from the
        // target and refuses the others.
        let runner = self.clone().roll_back_unknown(true);
        runner.migrate(conn, Direction::To(target)).await
    }

    /// Upgrade, downgrade or `to` on a connection from `conn`.
    pub(super) async fn migrate<'c, A>(
        &self,
        conn: A,
        direction: Direction,
    ) -> Result<Report, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let mut conn = conn.acquire().await?;
        <A::Database as Driver>::migrate(self, conn.held(), direction).await
    }

    /// Upgrade or downgrade: read, and if there is work, lock, read again, plan, run.
    pub(crate) async fn migrate_on<DB: Driver>(
        &self,
        mut conn: Held<'_, DB>,
        direction: Direction,
    ) -> Result<Report, Error> {
        let table = self.table_name()?;
        self.start(&mut conn).await?;
        // The common start-up case, nothing to do, is this one read of three columns and
        // no lock. When the rows are exactly this binary's revisions with their checksums,
        // `head` or `heads` is reached without building the graph (or, embedded, without
        // decoding the migrations). Otherwise the graph judges them: a dirty row is judged
        // under the lock, before anything else, and so are unknown rows to roll back
        // (their stored SQL is not read here).
        let rows = DB::read_states(&mut conn, &table, self.migrations.count()).await?;
        if let (Direction::Up(target), Some(rows)) = (&direction, &rows)
            && self.migrations.at_target(rows, target)
        {
            return Ok(Report::default());
        }
        let graph = self.migrations.graph()?;
        let state = self.state_of(rows.map(StateRows::into_rows), graph, STRICT)?;
        let rolls_back = self.roll_back_unknown && !state.unknown.is_empty();
        if state.dirty.is_none()
            && state.table_exists
            && !rolls_back
            && self.plan(graph, &state, &direction)?.is_empty()
        {
            return Ok(Report::default());
        }
        let options = self.lock_options();
        lock::with_lock::<DB, _>(&mut conn, &table, &options, async |conn, guard| {
            // Read again under the lock: another process may have done the work.
            let mut state = self
                .read_state::<DB>(&mut *conn, &table, graph, STRICT)
                .await?;
            // Without a lock for the whole run, a `running` row may be another runner's
            // revision under way: wait for it, as the lock would have.
            let since = Instant::now();
            while guard.recheck(DB::SESSION_LOCK)
                && state
                    .dirty
                    .as_ref()
                    .is_some_and(|r| r.state == RevisionState::Running)
                && since.elapsed() < options.timeout
            {
                if since.elapsed() < lock::POLL {
                    tracing::info!(
                        revision = state.dirty.as_ref().map(|r| r.revision.as_str()),
                        "waiting for a revision that another runner is applying (its row says running); if no runner is, the row was left by a crash: stop, and settle it with `repair`"
                    );
                }
                tokio::time::sleep(lock::POLL).await;
                state = self
                    .read_state::<DB>(&mut *conn, &table, graph, STRICT)
                    .await?;
            }
            state.refuse_dirty()?;
            // A rehearsal creates the table inside the transaction it rolls back.
            if !state.table_exists && !self.rehearse {
                DB::create_table(&mut *conn, &table)
                    .await
                    .map_err(|e| self.database_error::<DB>(&table, e))?;
            }
            let work = self.plan(graph, &state, &direction)?;
            let create = !state.table_exists;
            self.execute::<DB>(&mut *conn, &table, &work, guard, create)
                .await
        })
        .await
    }

    /// What to run, in order: applied revisions this binary does not know, undone with
    /// their stored SQL (when asked to), then the plan for the direction.
    pub(super) fn plan<'s>(
        &'s self,
        graph: &Graph,
        state: &'s State,
        direction: &Direction,
    ) -> Result<Vec<Work<'s>>, Error> {
        let all = self.migrations.migrations();
        let mut work: Vec<Work<'s>> = Vec::new();
        // `to` undoes only the unknown revisions that descend from its target.
        let (to, unknown) = match direction {
            Direction::To(target) => {
                let (to, unknown) = self.to_plan(graph, state, target)?;
                (Some(to), unknown)
            }
            _ if self.roll_back_unknown => (None, state.unknown.iter().collect()),
            _ => (None, Vec::new()),
        };
        for row in order_children_first(unknown) {
            if row.downgrade_sql.is_none() {
                return Err(Error::Irreversible {
                    revision: row.revision.clone(),
                    file: None,
                });
            }
            work.push(Work::Unknown(row));
        }
        // A squash whose replaced revisions are all applied takes over their rows.
        for q in state.squashed.iter().filter(|q| q.complete && !q.recorded) {
            work.push(Work::RecordSquash(&all[q.squash.index()]));
        }
        let down = match direction {
            Direction::Up(target) => {
                let steps = plan::upgrade(graph, &state.applied, target)?;
                self.push_upgrades(state, &steps, &mut work)?;
                None
            }
            Direction::Down(target) => Some(self.downgrade_plan(graph, &state.applied, target)?),
            Direction::To(_) => match to {
                Some(ToPlan::Up(target)) => {
                    let steps = plan::upgrade(graph, &state.applied, &target)?;
                    self.push_upgrades(state, &steps, &mut work)?;
                    None
                }
                Some(ToPlan::Down(target)) => {
                    Some(self.downgrade_plan(graph, &state.applied, &target)?)
                }
                None => None,
            },
        };
        if let Some(steps) = down {
            // A squash's run is part-way through on this database: its applied revisions
            // are not in the graph, so no downgrade can say what to do with them. Finish
            // the run first.
            if let Some(q) = state.squashed.iter().find(|q| !q.complete) {
                return Err(Error::Squash {
                    squash: graph.id(q.squash).to_owned(),
                    reason: format!(
                        "of the revisions it replaces, only {} applied here; upgrade first, which finishes its run, then downgrade",
                        q.applied.join(", ")
                    ),
                });
            }
            for i in steps {
                work.push(Work::Known(&all[i], Action::Downgrade));
            }
        }
        Ok(work)
    }

    /// The upgrades of `steps`; a squash whose run is part-way through on this database
    /// is the rest of its run, then the squash taking over their rows.
    fn push_upgrades<'s>(
        &'s self,
        state: &State,
        steps: &[RevIndex],
        work: &mut Vec<Work<'s>>,
    ) -> Result<(), Error> {
        let all = self.migrations.migrations();
        for &i in steps {
            let Some(q) = state.squashed.iter().find(|q| q.squash == i && !q.complete) else {
                work.push(Work::Known(&all[i], Action::Upgrade));
                continue;
            };
            let squash = &all[i];
            for id in squash.replaces() {
                if q.applied.iter().any(|a| a == id) {
                    continue;
                }
                let Some(m) = self
                    .migrations
                    .replaced()
                    .iter()
                    .find(|m| m.revision() == id)
                else {
                    return Err(Error::Squash {
                        squash: squash.revision().to_owned(),
                        reason: format!(
                            "of the revisions it replaces, {} applied here, and this build no longer has the file of `{id}`; upgrade with an older release that has it first, then with this one",
                            q.applied.join(", ")
                        ),
                    });
                };
                work.push(Work::Known(m, Action::Upgrade));
            }
            work.push(Work::RecordSquash(squash));
        }
        Ok(())
    }

    /// For `to`: which way to go, and the unknown rows to undo first (those descending
    /// from the target); unknown rows on other branches are refused.
    fn to_plan<'s>(
        &self,
        graph: &Graph,
        state: &'s State,
        target: &Target,
    ) -> Result<(ToPlan, Vec<&'s AppliedRevision>), Error> {
        let resolved = target
            .resolve(graph, &state.applied)
            .map_err(|e| Error::Plan(migraph_core::PlanError::Target(e)))?;
        let refuse = |reason: &str| Error::MoveTo {
            target: target.to_string(),
            reason: reason.to_owned(),
        };
        let (plan, descendants) = match resolved.revisions.as_slice() {
            [] if resolved.branch.is_some() || resolved.branch_base => {
                return Err(refuse(
                    "a branch's base is not one revision; undo a branch with `downgrade <branch>@base`",
                ));
            }
            // `base`: everything is undone, unknown revisions too.
            [] => (ToPlan::Down(target.clone()), RevSet::all(graph)),
            [r] => {
                let id: Target = parse_target(graph.id(*r))?;
                let plan = if state.applied.contains(*r) {
                    ToPlan::Down(id)
                } else {
                    ToPlan::Up(id)
                };
                let mut descendants = graph.descendants(&[*r]);
                descendants.insert(*r);
                (plan, descendants)
            }
            _ => {
                return Err(refuse(
                    "it names several revisions; name one (an id, a prefix, a label, `head` with one head) or `base`",
                ));
            }
        };
        // An unknown row descends from the target when a parent is the target, a known
        // descendant, or an unknown row that descends from it.
        let mut below: Vec<&AppliedRevision> = Vec::new();
        let mut changed = true;
        while changed {
            changed = false;
            for row in &state.unknown {
                if below.iter().any(|b| b.revision == row.revision) {
                    continue;
                }
                let descends = resolved.revisions.is_empty()
                    || row.parents.iter().any(|p| {
                        graph.find(p).is_some_and(|i| descendants.contains(i))
                            || below.iter().any(|b| &b.revision == p)
                    });
                if descends {
                    below.push(row);
                    changed = true;
                }
            }
        }
        let mut others: Vec<String> = state
            .unknown
            .iter()
            .filter(|r| !below.iter().any(|b| b.revision == r.revision))
            .map(|r| r.revision.clone())
            .collect();
        if !others.is_empty() {
            others.sort_unstable();
            return Err(Error::UnknownApplied { revisions: others });
        }
        Ok((plan, below))
    }

    /// Runs the work, each revision in its own transaction, or all of it in one when
    /// [`Migrator::single_transaction`] is set.
    pub(super) async fn execute<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        work: &[Work<'_>],
        guard: &Guard,
        create_table: bool,
    ) -> Result<Report, Error> {
        // A Rust revision runs only from the binary that compiled it in.
        for item in work {
            if let Work::Known(m, _) = item
                && m.is_rust()
                && self.migrations.rust_code(m.revision()).is_none()
            {
                return Err(Error::RustNotEmbedded {
                    revision: m.revision().to_owned(),
                    file: self.file_of(m),
                });
            }
        }
        if !self.is_single_transaction() {
            return self.execute_each::<DB>(conn, table, work, guard).await;
        }
        self.check_single_transaction(
            DB::DIALECT,
            work.iter().filter_map(|w| match w {
                Work::Known(m, _) => Some(*m),
                Work::Unknown(_) | Work::RecordSquash(_) => None,
            }),
        )?;
        let mut tx = DB::begin_run(conn)
            .await
            .map_err(|e| self.database_error::<DB>(table, e))?;
        if self.rehearse {
            if create_table {
                DB::create_table(&mut tx, table)
                    .await
                    .map_err(|e| self.database_error::<DB>(table, e))?;
            }
            let result = self.execute_each::<DB>(&mut tx, table, work, guard).await;
            // Everything goes back, whatever happened; a failed rollback closes the
            // connection, which undoes the transaction too.
            let _ = tx.rollback().await;
            return result.map_err(|mut e| {
                if let Error::Execute { completed, .. } | Error::Code { completed, .. } = &mut e {
                    *completed = Report::default();
                }
                e
            });
        }
        match self.execute_each::<DB>(&mut tx, table, work, guard).await {
            Ok(report) => {
                tx.commit().await?;
                Ok(report)
            }
            Err(mut e) => {
                // All or nothing: the error is what counts; a failed rollback closes the
                // connection, which undoes the transaction too.
                let _ = tx.rollback().await;
                if let Error::Execute { completed, .. } | Error::Code { completed, .. } = &mut e {
                    // Rolled back with the rest.
                    *completed = Report::default();
                }
                Err(e)
            }
        }
    }

    pub(super) async fn execute_each<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        work: &[Work<'_>],
        guard: &Guard,
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        for item in work {
            let Some(job) = item.job(self, guard) else {
                if let Work::RecordSquash(m) = item {
                    let step = self.record_squash::<DB>(conn, table, m).await?;
                    if let Some(hook) = &self.on_step {
                        (hook.0)(&step);
                    }
                    report.steps.push(step);
                }
                continue;
            };
            let step = match self.run::<DB>(conn, table, &job).await {
                Ok(step) => step,
                Err(mut e) => {
                    // What ran before the failure stays done: say so with the error.
                    if let Error::Execute { completed, .. } | Error::Code { completed, .. } = &mut e
                    {
                        *completed = report;
                    }
                    return Err(e);
                }
            };
            if let (Some(step), Some(hook)) = (&step, &self.on_step) {
                (hook.0)(step);
            }
            report.steps.extend(step);
        }
        Ok(report)
    }

    /// A squash takes over the rows of the revisions it replaces, in one transaction.
    async fn record_squash<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        squash: &Migration,
    ) -> Result<Step, Error> {
        let started = Instant::now();
        let mut fixes: Vec<crate::driver::RowFix<'_>> = squash
            .replaces()
            .iter()
            .map(|r| crate::driver::RowFix::Remove(r))
            .collect();
        fixes.push(crate::driver::RowFix::Record(new_row(squash)));
        // Rows that name a replaced revision as a parent name the squash now, so that the
        // current revisions read from the rows are right.
        let rows = DB::read_rows(conn, table)
            .await
            .map_err(|e| self.database_error::<DB>(table, e))?
            .unwrap_or_default();
        let replaced = |p: &String| squash.replaces().iter().any(|r| r == p);
        for row in rows.iter().filter(|r| r.parents.iter().any(replaced)) {
            let mut parents: Vec<&str> = Vec::new();
            for p in &row.parents {
                let p = if replaced(p) {
                    squash.revision()
                } else {
                    p.as_str()
                };
                if !parents.contains(&p) {
                    parents.push(p);
                }
            }
            fixes.push(crate::driver::RowFix::Parents {
                revision: &row.revision,
                parents: parents.join(","),
            });
        }
        DB::fix_rows(conn, table, &fixes)
            .await
            .map_err(|e| self.database_error::<DB>(table, e))?;
        tracing::info!(
            revision = squash.revision(),
            "recorded the squash of its applied revisions"
        );
        Ok(Step {
            revision: squash.revision().to_owned(),
            message: squash.message().to_owned(),
            action: Action::Stamp,
            duration: started.elapsed(),
        })
    }

    /// The downgrade plan, refused as a whole if any revision in it cannot be undone.
    pub(crate) fn downgrade_plan(
        &self,
        graph: &Graph,
        applied: &RevSet,
        target: &Target,
    ) -> Result<Vec<RevIndex>, Error> {
        let steps = plan::downgrade(graph, applied, target)?;
        let all = self.migrations.migrations();
        if let Some(m) = steps
            .iter()
            .map(|&i| &all[i])
            .find(|m| m.downgrade_sql().is_none())
        {
            return Err(Error::Irreversible {
                revision: m.revision().to_owned(),
                file: Some(self.file_of(m)),
            });
        }
        Ok(steps)
    }

    /// Runs one revision; `None` when another process had already done it.
    pub(super) async fn run<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        job: &Job<'_>,
    ) -> Result<Option<Step>, Error> {
        let Job {
            revision,
            message,
            file,
            action,
            change,
        } = job;
        let (revision, message, action) = (*revision, *message, *action);
        tracing::info!(revision, message, %action, "running");
        let started = Instant::now();
        let ran = DB::run(conn, table, change).await.map_err(|failed| {
            let RunError {
                error: source,
                statement,
                offset,
                code_error,
                refused,
            } = failed;
            if let Some(why) = refused {
                return *why;
            }
            if let Some(error) = code_error {
                return Error::Code {
                    revision: revision.to_owned(),
                    file: file.clone().unwrap_or_default(),
                    action,
                    error,
                    completed: Report::default(),
                };
            }
            if DB::is_busy(&source) {
                return self.database_error::<DB>(table, source);
            }
            let mut database = (crate::driver::info(DB::DIALECT).describe)(&source);
            // The position counts from the start of the text sent; make it count from
            // the start of the revision's SQL, or drop it when it points elsewhere.
            database.position = database
                .position
                .and_then(|p| p.checked_sub(offset))
                .filter(|&p| offset == 0 || (1..=change.sql.chars().count()).contains(&p));
            let at = locate(change, DB::DIALECT, statement, database.position);
            let error = Error::Execute {
                revision: revision.to_owned(),
                file: file.clone(),
                action,
                statement: at.map(|a| a.statement),
                line: at.and_then(|a| a.line),
                sql: at.map(|a| a.sql.to_owned()),
                database: Box::new(database),
                error: source,
                completed: Report::default(),
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
