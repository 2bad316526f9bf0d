//! Reading the version table and judging it against the graph.

use migraph_core::{Graph, RevIndex, RevSet};
use sqlx::Acquire;

use crate::driver::Driver;
use crate::error::Error;
use crate::lock::{AcquiredConnection, Held};
use crate::table::{AppliedRevision, RevisionState, TableName};

use super::Migrator;

/// The database's state, read and checked against the graph.
pub(super) struct State {
    pub(super) applied: RevSet,
    /// Whether the version table exists.
    pub(super) table_exists: bool,
    /// A row left `running` or `failed`. Seen without the lock it may be another
    /// process's revision under way; under the lock it is left over and refused.
    pub(super) dirty: Option<AppliedRevision>,
    /// Applied revisions this binary does not know.
    pub(super) unknown: Vec<AppliedRevision>,
    /// Squashes whose replaced revisions are applied, by the rows of those revisions:
    /// all of them (the squash counts as applied, and is recorded by the next run that
    /// writes), or part of the run.
    pub(super) squashed: Vec<Squashed>,
}

/// A squash whose replaced revisions have rows.
#[derive(Debug, Clone)]
pub(super) struct Squashed {
    /// The squash.
    pub(super) squash: RevIndex,
    /// The replaced revisions applied, in the squash's order.
    pub(super) applied: Vec<String>,
    /// Whether all of them are: the squash counts as applied.
    pub(super) complete: bool,
    /// Whether the squash has its own row already (what is left of the run's rows, from
    /// before, goes with it).
    pub(super) recorded: bool,
}

impl State {
    /// Refuses to go on from a revision left part-way.
    pub(super) fn refuse_dirty(&self) -> Result<(), Error> {
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

/// What to check when reading the version table.
#[derive(Clone, Copy)]
pub(super) struct Checks {
    pub(super) checksums: bool,
    pub(super) unknown: bool,
}

/// Every check on: what upgrade and downgrade need.
pub(super) const STRICT: Checks = Checks {
    checksums: true,
    unknown: true,
};

/// Rows ordered so that no row comes after a row that names it as a parent.
pub(super) fn order_children_first<'r>(
    rows: impl IntoIterator<Item = &'r AppliedRevision>,
) -> Vec<&'r AppliedRevision> {
    let mut left: Vec<&AppliedRevision> = rows.into_iter().collect();
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

impl<'m> Migrator<'m> {
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
        let mut conn = conn.acquire().await?;
        <A::Database as Driver>::applied(self, conn.held()).await
    }

    /// [`Migrator::applied`] on the run's connection.
    pub(crate) async fn applied_on<DB: Driver>(
        &self,
        mut conn: Held<'_, DB>,
    ) -> Result<Vec<AppliedRevision>, Error> {
        let table = self.table_name()?;
        self.start(&mut conn).await?;
        let mut rows = DB::read_rows(&mut conn, &table).await?.unwrap_or_default();
        rows.sort_by(|a, b| {
            a.applied_at
                .cmp(&b.applied_at)
                .then_with(|| a.revision.cmp(&b.revision))
        });
        Ok(rows)
    }

    /// Reads the version table and checks it against the graph. A missing table reads as
    /// empty; nothing is created here.
    pub(super) async fn read_state<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        graph: &Graph,
        checks: Checks,
    ) -> Result<State, Error> {
        let rows = DB::read_rows(conn, table).await?;
        self.state_of(rows, graph, checks)
    }

    /// Checks rows read from the version table (`None` when it does not exist) against
    /// the graph.
    pub(super) fn state_of(
        &self,
        rows: Option<Vec<AppliedRevision>>,
        graph: &Graph,
        checks: Checks,
    ) -> Result<State, Error> {
        let table_exists = rows.is_some();
        let rows = rows.unwrap_or_default();
        let dirty = rows
            .iter()
            .find(|r| r.state != RevisionState::Applied)
            .cloned();
        let mut applied = RevSet::empty(graph);
        let mut unknown: Vec<AppliedRevision> = Vec::new();
        let mut squashed: Vec<Squashed> = Vec::new();
        for row in &rows {
            // A revision a squash replaces is the squash's, not unknown.
            if graph.find(&row.revision).is_none()
                && let Some(squash) = self.migrations.squash_of(&row.revision)
                && let Some(s) = graph.find(squash.revision())
            {
                if let Some(m) = self
                    .migrations
                    .replaced()
                    .iter()
                    .find(|m| m.revision() == row.revision)
                    && checks.checksums
                    && m.checksum() != row.checksum
                {
                    return Err(Error::ChecksumMismatch {
                        revision: row.revision.clone(),
                        file: self.file_of(m),
                        recorded: row.checksum.clone(),
                        current: m.checksum().to_owned(),
                    });
                }
                // A row left part-way is refused as dirty, like any other.
                let done = (row.state == RevisionState::Applied).then(|| row.revision.clone());
                match squashed.iter_mut().find(|q| q.squash == s) {
                    Some(q) => q.applied.extend(done),
                    None => squashed.push(Squashed {
                        squash: s,
                        applied: done.into_iter().collect(),
                        complete: false,
                        recorded: false,
                    }),
                }
                continue;
            }
            match graph.find(&row.revision) {
                Some(i) => {
                    applied.insert(i);
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
        let all = self.migrations.migrations();
        for q in &mut squashed {
            let list = all[q.squash.index()].replaces();
            q.applied.sort_by_key(|r| list.iter().position(|l| l == r));
            q.recorded = applied.contains(q.squash);
            q.complete = q.recorded || list.iter().all(|r| q.applied.iter().any(|a| a == r));
            if q.complete {
                applied.insert(q.squash);
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
            squashed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(revision: &str, parents: &[&str], at: &str) -> AppliedRevision {
        let mut row = AppliedRevision::applied(revision, parents);
        row.applied_at = at.to_owned();
        row
    }

    /// Unknown rows are undone children first, whatever order their times suggest: a
    /// merge before both its parents, a child before its parent even when applied in the
    /// same instant.
    #[test]
    fn rows_are_ordered_children_first() {
        let rows = [
            row("a1", &[], "2026-01-01 00:00:01"),
            row("b2", &["a1"], "2026-01-01 00:00:02"),
            row("c3", &["a1"], "2026-01-01 00:00:02"),
            row("m4", &["b2", "c3"], "2026-01-01 00:00:02"),
            row("z0", &[], "2026-01-01 00:00:09"),
        ];
        let order: Vec<&str> = order_children_first(&rows)
            .iter()
            .map(|r| r.revision.as_str())
            .collect();
        assert_eq!(order, ["z0", "m4", "c3", "b2", "a1"]);
        let position = |r: &str| order.iter().position(|o| *o == r);
        for r in &rows {
            for p in &r.parents {
                assert!(
                    position(&r.revision) < position(p),
                    "{} before {p}",
                    r.revision
                );
            }
        }
    }
}
