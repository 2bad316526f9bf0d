//! Repair: settle a revision left part-way, or re-record checksums.

use sqlx::Acquire;

use crate::driver::{Driver, RowFix};
use crate::error::Error;
use crate::lock::AcquiredConnection;
use crate::table::RevisionState;

use super::Migrator;

/// How to settle a revision that an earlier run left `running` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// It was finished by hand: record it as applied.
    Applied,
    /// It was undone by hand: forget it (for a failed downgrade: it is no longer applied).
    RolledBack,
}

impl<'m> Migrator<'m> {
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
        self.locked(conn, async |conn, table| {
            let rows = <A::Database as Driver>::read_rows(&mut *conn, table)
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
            <A::Database as Driver>::fix_rows(&mut *conn, table, &[fix]).await?;
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
        let graph = self.migrations.graph()?;
        self.locked(conn, async |conn, table| {
            let rows = <A::Database as Driver>::read_rows(&mut *conn, table)
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
            <A::Database as Driver>::fix_rows(&mut *conn, table, &fixes).await?;
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
