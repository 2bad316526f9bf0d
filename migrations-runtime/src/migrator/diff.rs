//! `diff`: the live schema against the one the migrations build.

use sqlx::Acquire;

use crate::driver::Driver;
use crate::error::Error;
use crate::schema::{self, Difference};
use crate::table::RevisionState;

use super::Migrator;

impl Migrator<'_> {
    /// Compares the schema of `live` with the one its applied revisions build: applies
    /// exactly those revisions to `scratch`, an empty database of the same kind, reads both
    /// schemas from the catalog and lists every difference (`+` in the database only, `-`
    /// in the migrations only, `~` both but unlike). Empty when the database is what its
    /// migrations say. The version table and its lease table are left out.
    ///
    /// `live` is only read. `scratch` keeps what was applied to it: give it a database made
    /// for the purpose (SQLite: an in-memory one on a single connection) and drop it after;
    /// `migraph diff` does both.
    ///
    /// # Errors
    ///
    /// [`Error::Diff`] when `scratch` has a version table with rows, or `live` holds a
    /// revision this binary does not have or one left part-way; an error applying the
    /// revisions to `scratch`; a database error reading either.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")]
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// # let dir = tempfile::tempdir()?;
    /// # std::fs::write(dir.path().join("a1_t.sql"), "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n")?;
    /// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
    /// let one = || sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).idle_timeout(None).max_lifetime(None);
    /// let live = one().connect("sqlite::memory:").await?;
    /// migrations.upgrade(&live, "head").await?;
    /// sqlx::raw_sql("CREATE INDEX t_id ON t (id)").execute(&live).await?;
    ///
    /// let scratch = one().connect("sqlite::memory:").await?;
    /// let drift = migrations.runner().diff(&live, &scratch).await?;
    /// assert_eq!(drift.iter().map(ToString::to_string).collect::<Vec<_>>(), ["+ index t_id on t (id)"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn diff<DB>(
        &self,
        live: &sqlx::Pool<DB>,
        scratch: &sqlx::Pool<DB>,
    ) -> Result<Vec<Difference>, Error>
    where
        DB: Driver,
        for<'c> &'c sqlx::Pool<DB>:
            Acquire<'c, Database = DB, Connection = sqlx::pool::PoolConnection<DB>>,
    {
        let refuse = |reason: String| Error::Diff { reason };
        let graph = self.migrations.graph()?;
        let table = self.table_name()?;
        let rows = self.applied(live).await?;
        let mut applied = migraph_core::RevSet::empty(graph);
        for row in &rows {
            if row.state != RevisionState::Applied {
                return Err(refuse(format!(
                    "revision `{}` is left part-way ({}) in the database; settle it with repair first",
                    row.revision, row.state
                )));
            }
            let Some(i) = graph.find(&row.revision).or_else(|| {
                let squash = self.migrations.squash_of(&row.revision)?;
                graph.find(squash.revision())
            }) else {
                return Err(refuse(format!(
                    "revision `{}` is applied to the database but this build does not have it, so the schema it made is unknown; compare with the build that applied it",
                    row.revision
                )));
            };
            applied.insert(i);
        }
        // A squash stands for its revisions only when all of them are applied.
        let all = self.migrations.migrations();
        if let Some(i) = applied.iter().find(|&i| {
            let list = all[i.index()].replaces();
            !list.is_empty()
                && !rows.iter().any(|r| r.revision == all[i.index()].revision())
                && !list.iter().all(|id| rows.iter().any(|r| r.revision == *id))
        }) {
            return Err(refuse(format!(
                "the database is part-way through the revisions squash `{}` replaces; upgrade first",
                graph.id(i)
            )));
        }
        if !self.applied(scratch).await?.is_empty() {
            return Err(refuse(
                "the scratch database already has applied revisions; give it an empty database"
                    .to_owned(),
            ));
        }
        // Each head of what is applied, with its ancestors: exactly the live set.
        for head in migraph_core::current_heads(graph, &applied, None) {
            self.upgrade(scratch, graph.id(head)).await?;
        }
        let built: Vec<String> = self
            .applied(scratch)
            .await?
            .into_iter()
            .map(|r| r.revision)
            .collect();
        if let Some(missing) = rows.iter().find(|r| {
            !built.contains(&r.revision) && self.migrations.squash_of(&r.revision).is_none()
        }) {
            return Err(refuse(format!(
                "revision `{}` is applied to the database without the revisions it needs, so no run of the migrations builds its schema",
                missing.revision
            )));
        }
        let expected = schema::read::<DB>(&mut *scratch.acquire().await?, &table).await?;
        let actual = schema::read::<DB>(&mut *live.acquire().await?, &table).await?;
        Ok(schema::compare(&expected, &actual))
    }
}
