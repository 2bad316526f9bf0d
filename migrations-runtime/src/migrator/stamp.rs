//! Stamp: record revisions as applied, or forget them, without running their SQL.

use std::time::Instant;

use migraph_core::{Graph, RevSet, Target, plan};
use sqlx::Acquire;

use crate::driver::{Driver, NewRow};
use crate::error::Error;
use crate::lock::{AcquiredConnection, Held};
use crate::report::{Action, Report, Step};
use crate::table::TableName;

use super::state::Checks;

/// What a stamp starts from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// The rows the version table holds.
    AsRecorded,
    /// Nothing: every row is forgotten first.
    Purged,
}
use super::{Migrator, new_row, parse_target};

impl<'m> Migrator<'m> {
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
        self.stamp_inner(conn, targets, Start::AsRecorded).await
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
        self.stamp_inner(conn, targets, Start::Purged).await
    }

    pub(super) async fn stamp_inner<'c, A>(
        &self,
        conn: A,
        targets: &[&str],
        start: Start,
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
        let mut conn = conn.acquire().await?;
        <A::Database as Driver>::stamp_targets(self, conn.held(), targets, start).await
    }

    /// Stamps `targets` on the run's connection.
    pub(crate) async fn stamp_on<DB: Driver>(
        &self,
        conn: Held<'_, DB>,
        targets: Vec<Target>,
        start: Start,
    ) -> Result<Report, Error> {
        let graph = self.migrations.graph()?;
        self.locked(conn, async |conn, table| {
            self.stamp_locked::<DB>(conn, table, graph, &targets, start)
                .await
        })
        .await
    }

    pub(super) async fn stamp_locked<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        graph: &Graph,
        targets: &[Target],
        start: Start,
    ) -> Result<Report, Error> {
        let (applied, purged) = if start == Start::Purged {
            let rows = DB::read_rows(conn, table).await?;
            if rows.is_none() {
                DB::create_table(conn, table).await?;
            }
            let purged: Vec<(String, String)> = rows
                .unwrap_or_default()
                .into_iter()
                .map(|r| (r.revision, r.message))
                .collect();
            (RevSet::empty(graph), purged)
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
        // A squash stamped in or away takes the rows of the run it replaces with it.
        for &i in plan.delete.iter().chain(&plan.insert) {
            delete.extend(all[i].replaces().iter().map(AsRef::as_ref));
        }
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
}
