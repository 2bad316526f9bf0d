//! Repair: settle a revision left part-way, or re-record checksums.

use sqlx::Acquire;

use crate::driver::{Driver, RowFix};
use crate::error::Error;
use crate::lock::{AcquiredConnection, Held};
use crate::table::RevisionState;

use super::Migrator;

/// How to settle a revision that an earlier run left `running` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// It was finished by hand: record it as applied.
    Applied,
    /// It was undone by hand: forget it (for a failed downgrade: it is no longer applied).
    RolledBack,
    /// Run the rest of it: its statements from the one its row says it stopped at (that
    /// one included) to the last, then record it. For when the operator has checked that
    /// the statement it stopped at did not run, or can run again.
    Resume,
}

impl<'m> Migrator<'m> {
    /// Settles a revision that an earlier run left `running` or `failed` (its SQL ran
    /// outside a transaction and stopped part-way): after finishing or undoing it by hand,
    /// record which; or, with [`Repair::Resume`], run its remaining statements from the
    /// one its row says it stopped at.
    ///
    /// # Errors
    ///
    /// [`Error::Repair`] when the revision has no row or its row is not left part-way, or
    /// (to resume) the row does not say where it stopped, this build does not have the
    /// revision or its section now has another number of statements, or the lock strategy
    /// is `transaction` (the statements run outside a transaction, under the run's lock);
    /// [`Error::Execute`] when a remaining statement fails (the row then says which); a
    /// lock timeout, or a database error.
    pub async fn repair<'c, A>(&self, conn: A, revision: &str, how: Repair) -> Result<(), Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let mut conn = conn.acquire().await?;
        <A::Database as Driver>::repair(self, conn.held(), revision, how).await
    }

    /// [`Migrator::repair`] on the run's connection.
    pub(crate) async fn repair_on<DB: Driver>(
        &self,
        conn: Held<'_, DB>,
        revision: &str,
        how: Repair,
    ) -> Result<(), Error> {
        self.locked(conn, async |conn, table| {
            let rows = DB::read_rows(&mut *conn, table).await?.unwrap_or_default();
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
                Repair::Resume => {
                    let error = row.error.as_deref().unwrap_or("");
                    return self.resume::<DB>(conn, table, revision, error).await;
                }
            };
            DB::fix_rows(&mut *conn, table, &[fix]).await?;
            tracing::info!(revision, ?how, "repaired");
            Ok(())
        })
        .await
    }

    /// `repair --resume`: the statements of `revision` from where its row's `error` text
    /// says it stopped, under the lock `repair` holds.
    async fn resume<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &crate::table::TableName,
        revision: &str,
        error: &str,
    ) -> Result<(), Error> {
        let refuse = |reason: String| Error::Repair {
            revision: revision.to_owned(),
            reason,
        };
        if self.lock == crate::LockStrategy::Transaction && DB::SESSION_LOCK {
            return Err(refuse(
                "its statements run outside a transaction, which the `transaction` lock strategy cannot cover; resume with `session` or `table`".to_owned(),
            ));
        }
        let Some(progress) = crate::driver::Progress::parse(error) else {
            return Err(refuse(format!(
                "its row does not say where it stopped ({}); settle it with --applied or --rolled-back",
                if error.is_empty() { "no text" } else { error }
            )));
        };
        let graph = self.migrations.graph()?;
        let Some(i) = graph.find(revision) else {
            return Err(refuse("this build does not have it".to_owned()));
        };
        let m = &self.migrations.migrations()[i];
        if m.is_rust() {
            return Err(refuse(
                "it is written in Rust, whose code cannot be resumed part-way".to_owned(),
            ));
        }
        let action = if progress.down {
            crate::report::Action::Downgrade
        } else {
            crate::report::Action::Upgrade
        };
        let guard = crate::driver::Guard::Free;
        let Some(mut job) = super::apply::Work::Known(m, action).job(self, &guard) else {
            return Err(refuse("it has nothing to run".to_owned()));
        };
        let statements = migraph_core::split_statements(job.change.sql, DB::DIALECT).len();
        if statements != progress.of || progress.statement == 0 || progress.statement > statements {
            return Err(refuse(format!(
                "its row says statement {} of {}, and its {action} section now has {statements}: the file changed since",
                progress.statement, progress.of
            )));
        }
        job.change.transactional = false;
        job.change.in_run_transaction = false;
        job.change.resume = Some(progress.statement - 1);
        self.run::<DB>(conn, table, &job).await?;
        tracing::info!(revision, from = progress.statement, "resumed");
        Ok(())
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
        let mut conn = conn.acquire().await?;
        <A::Database as Driver>::repair_checksums(self, conn.held(), revisions).await
    }

    /// [`Migrator::repair_checksums`] on the run's connection.
    pub(crate) async fn repair_checksums_on<DB: Driver>(
        &self,
        conn: Held<'_, DB>,
        revisions: &[&str],
    ) -> Result<Vec<String>, Error> {
        let graph = self.migrations.graph()?;
        self.locked(conn, async |conn, table| {
            let rows = DB::read_rows(&mut *conn, table).await?.unwrap_or_default();
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
            DB::fix_rows(&mut *conn, table, &fixes).await?;
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
}
