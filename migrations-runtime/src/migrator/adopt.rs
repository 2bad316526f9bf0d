//! Adopt: take over a database another tool migrated, from that tool's own version table.

use std::time::Instant;

use migraph_core::import::Tool;
use migraph_core::{Graph, RevIndex, RevSet};
use sqlx::Acquire;

use crate::dialect::DialectSql as _;
use crate::driver::{Driver, NewRow};
use crate::error::Error;
use crate::lock::{AcquiredConnection, Held};
use crate::table::TableName;

use super::state::STRICT;
use super::{Migrator, new_row};

/// What [`Migrator::adopt`] found in the other tool's table and recorded in migraph's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Adoption {
    /// Revisions recorded as applied by this adoption, parents first.
    pub recorded: Vec<String>,
    /// Revisions the other tool applied that migraph's table already had.
    pub already: Vec<String>,
    /// This binary's revisions the other tool did not apply: what `upgrade heads` would
    /// run, parents first.
    pub pending: Vec<String>,
}

impl<'m> Migrator<'m> {
    /// Records as applied, without running them, the revisions that `tool` applied to
    /// this database, read from its version table (`__diesel_schema_migrations`,
    /// `_sqlx_migrations`, `refinery_schema_history` or `alembic_version`), which is left
    /// as it is. Revision ids are matched to the tool's versions as
    /// [`Tool::revision_id`] derives them, as `migraph import` wrote them. For Alembic,
    /// whose table holds only heads, everything they need counts as applied.
    ///
    /// All rows are written in one transaction under the migration lock. Running it
    /// again changes nothing, also after migraph has applied revisions of its own.
    ///
    /// # Errors
    ///
    /// [`Error::Adopt`], with nothing changed, when the tool's table is missing, lists a
    /// version this binary has no revision for, or records a failed migration (sqlx), or
    /// when migraph's table has rows but lacks some of what the tool applied (both have
    /// been migrating the database); a revision left part-way; a database error.
    ///
    /// # Examples
    ///
    /// ```
    /// # async fn example(migrations: &migraph_runtime::Migrations, pool: &sqlx::PgPool) -> Result<(), migraph_runtime::Error> {
    /// use migraph_runtime::Tool;
    ///
    /// let adoption = migrations.runner().adopt(pool, Tool::Sqlx).await?;
    /// println!("recorded {:?}, pending {:?}", adoption.recorded, adoption.pending);
    /// # Ok(()) }
    /// ```
    pub async fn adopt<'c, A>(&self, conn: A, tool: Tool) -> Result<Adoption, Error>
    where
        A: Acquire<'c>,
        A::Database: Driver,
        A::Connection: AcquiredConnection,
    {
        let mut conn = conn.acquire().await?;
        <A::Database as Driver>::adopt(self, conn.held(), tool).await
    }

    /// [`Migrator::adopt`] on the run's connection.
    pub(crate) async fn adopt_on<DB: Driver>(
        &self,
        conn: Held<'_, DB>,
        tool: Tool,
    ) -> Result<Adoption, Error> {
        let graph = self.migrations.graph()?;
        self.locked(conn, async |conn, table| {
            self.adopt_locked::<DB>(conn, table, graph, tool).await
        })
        .await
    }

    async fn adopt_locked<DB: Driver>(
        &self,
        conn: &mut DB::Connection,
        table: &TableName,
        graph: &Graph,
        tool: Tool,
    ) -> Result<Adoption, Error> {
        let refuse = |reason: String| Error::Adopt {
            tool: tool.name().to_owned(),
            reason,
        };
        let theirs = tool.version_table();
        let Some(rows) = DB::read_text(conn, &foreign_query(DB::DIALECT, tool)).await? else {
            return Err(refuse(format!(
                "this database has no `{theirs}` table, so {tool} has applied nothing here"
            )));
        };
        let failed: Vec<&str> = rows
            .iter()
            .filter(|r| r.get(1).is_some_and(|ok| ok.as_deref() == Some("false")))
            .filter_map(|r| r.first()?.as_deref())
            .collect();
        if !failed.is_empty() {
            return Err(refuse(format!(
                "`{theirs}` records a failed migration ({}); fix the database and rerun {tool} until it succeeds, or delete that row, then adopt",
                failed.join(", ")
            )));
        }
        let versions: Vec<&str> = rows.iter().filter_map(|r| r.first()?.as_deref()).collect();
        let mut unknown = Vec::new();
        let mut found = Vec::new();
        for version in &versions {
            match tool.revision_id(version).and_then(|id| graph.find(&id)) {
                Some(i) => found.push(i),
                None => unknown.push(*version),
            }
        }
        if !unknown.is_empty() {
            return Err(refuse(format!(
                "`{theirs}` lists versions with no revision in this binary: {}; import the folder {tool} used, so that every version it applied has its revision",
                unknown.join(", ")
            )));
        }
        // Alembic's rows are heads; the other tools list every migration they ran.
        let adopted = if tool == Tool::Alembic {
            graph.ancestors(&found)
        } else {
            let mut set = RevSet::empty(graph);
            for &i in &found {
                set.insert(i);
            }
            set
        };
        let state = self.read_state::<DB>(conn, table, graph, STRICT).await?;
        state.refuse_dirty()?;
        if let Some(row) = state.unknown.first() {
            return Err(refuse(format!(
                "migraph's table already records `{}`, which this binary does not know",
                row.revision
            )));
        }
        // Once migraph has taken over, its table holds more than the other tool's: that
        // is how it should be. A table that has rows but lacks some of the other tool's
        // means both tools have been migrating this database.
        let missing: Vec<&str> = adopted
            .iter()
            .filter(|&i| !state.applied.contains(i))
            .map(|i| graph.id(i))
            .collect();
        if !state.applied.is_empty() && !missing.is_empty() {
            return Err(refuse(format!(
                "migraph's table already has rows, yet lacks {}, which `{theirs}` records; the two disagree about this database (stamp what is really applied, or purge migraph's table and adopt again)",
                missing.join(", ")
            )));
        }
        if !state.table_exists {
            DB::create_table(conn, table).await?;
        }
        let all = self.migrations.migrations();
        let order = graph.topological(&RevSet::all(graph));
        let pick = |keep: &dyn Fn(RevIndex) -> bool| -> Vec<RevIndex> {
            order.iter().copied().filter(|&i| keep(i)).collect()
        };
        let new = pick(&|i| adopted.contains(i) && !state.applied.contains(i));
        let started = Instant::now();
        let insert: Vec<NewRow<'_>> = new.iter().map(|&i| new_row(&all[i])).collect();
        DB::stamp(conn, table, &insert, &[]).await?;
        tracing::info!(
            tool = tool.name(),
            recorded = new.len(),
            ms = started.elapsed().as_millis() as u64,
            "adopted"
        );
        let ids = |list: Vec<RevIndex>| list.into_iter().map(|i| graph.id(i).to_owned()).collect();
        Ok(Adoption {
            recorded: ids(new),
            already: ids(pick(&|i| adopted.contains(i) && state.applied.contains(i))),
            pending: ids(pick(&|i| !adopted.contains(i))),
        })
    }
}

/// The query that reads `tool`'s table as text: the version, and for sqlx whether the
/// migration succeeded.
fn foreign_query(dialect: migraph_core::Dialect, tool: Tool) -> String {
    let text = |column: &str| format!("CAST({column} AS {})", dialect.syntax().text_cast);
    let table = tool.version_table();
    match tool {
        Tool::Sqlx => format!(
            "SELECT {}, CASE WHEN success THEN 'true' ELSE 'false' END FROM {table} ORDER BY version",
            text("version")
        ),
        Tool::Alembic => format!("SELECT {} FROM {table}", text("version_num")),
        _ => format!("SELECT {} FROM {table} ORDER BY version", text("version")),
    }
}
