//! Helpers for an application's own test suite (feature `testing`): checks of the graph,
//! the stairway test of every downgrade on a real database, and template databases that
//! spare each test the replay of every migration.
//!
//! # Examples
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("./examples/quickstart/migrations");
//!
//! migraph::testing::assert_single_head(&MIGRATIONS);
//! migraph::testing::assert_reversible(&MIGRATIONS);
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let pool = sqlx::SqlitePool::connect("sqlite::memory:").await?;
//! migraph::testing::stairway(&MIGRATIONS, &pool).await?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok(()) }
//! ```

use std::collections::BTreeSet;
use std::path::PathBuf;

use sqlx::Pool;
use tokio::sync::OnceCell;

use crate::{Dialect, Driver, Error, Migrations};

/// Panics, naming the heads, unless the graph has exactly one head.
///
/// # Panics
///
/// When the graph has several heads (or is invalid).
#[allow(clippy::panic, reason = "an assertion for tests: failing is panicking")]
pub fn assert_single_head(migrations: &Migrations) {
    let heads = match migrations.heads() {
        Ok(heads) => heads,
        Err(e) => panic!(
            "the migrations in {} are not a valid graph: {e}",
            migrations.dir()
        ),
    };
    assert!(
        heads.len() == 1,
        "the migrations in {} have {} heads ({}); write a merge revision: `migraph merge -m \"merge heads\" heads`",
        migrations.dir(),
        heads.len(),
        heads
            .iter()
            .map(|m| format!("{} in {}", m.revision(), m.file_name()))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Panics, naming them, when revisions have no downgrade section.
///
/// # Panics
///
/// When a revision cannot be undone.
pub fn assert_reversible(migrations: &Migrations) {
    let missing: Vec<String> = migrations
        .migrations()
        .iter()
        .filter(|m| m.downgrade_sql().is_none())
        .map(|m| format!("{} ({})", m.revision(), m.file_name()))
        .collect();
    assert!(
        missing.is_empty(),
        "these revisions have no `-- migrate:downgrade` section and cannot be undone: {}",
        missing.join(", ")
    );
}

/// Why the stairway test failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StairwayError {
    /// Upgrading to, or downgrading from, a revision failed.
    Run {
        /// The revision.
        revision: String,
        /// The step: `upgrade`, `downgrade`, or `upgrade again`.
        step: &'static str,
        /// What went wrong.
        error: Error,
    },
    /// A revision's downgrade left the schema other than it was before its upgrade.
    Schema {
        /// The revision.
        revision: String,
        /// Its file.
        file: String,
        /// What the schema had before the upgrade and lacks after the downgrade.
        lost: Vec<String>,
        /// What the schema has after the downgrade and did not have before the upgrade.
        left: Vec<String>,
    },
    /// Reading the schema failed.
    Introspect(Error),
}

impl std::fmt::Display for StairwayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Run {
                revision,
                step,
                error,
            } => write!(
                f,
                "stairway: {step} of revision `{revision}` failed: {error}"
            ),
            Self::Schema {
                revision,
                file,
                lost,
                left,
            } => {
                write!(
                    f,
                    "stairway: the downgrade of revision `{revision}` ({file}) does not undo its upgrade"
                )?;
                for item in left {
                    write!(f, "\n  left behind: {item}")?;
                }
                for item in lost {
                    write!(f, "\n  lost: {item}")?;
                }
                Ok(())
            }
            Self::Introspect(e) => write!(f, "stairway: cannot read the schema: {e}"),
        }
    }
}

impl std::error::Error for StairwayError {}

/// The stairway test: for each revision in the order `upgrade heads` applies them, on an
/// empty database, upgrade to it, downgrade that one revision, compare the schema with
/// the one before the upgrade, and upgrade again. The schema is read from the database's
/// catalog: tables and views, columns with their types, nullability and defaults,
/// indexes, and constraints; the version table is left out.
///
/// # Errors
///
/// The first revision whose downgrade does not undo its upgrade, with the difference; a
/// revision whose upgrade or downgrade fails (one without a downgrade section fails
/// here: see [`assert_reversible`]).
///
/// # Examples
///
/// See the [module](self).
pub async fn stairway<DB: Driver>(
    migrations: &Migrations,
    pool: &Pool<DB>,
) -> Result<(), StairwayError> {
    let order = migrations.history().map_err(StairwayError::Introspect)?;
    let runner = migrations.runner();
    for m in order {
        let revision = m.revision().to_owned();
        let run = |step: &'static str| {
            let revision = revision.clone();
            move |error| StairwayError::Run {
                revision,
                step,
                error,
            }
        };
        let before = schema(pool).await?;
        runner
            .upgrade(pool, &revision)
            .await
            .map_err(run("upgrade"))?;
        // `<rev>@-1`: one step down on the revision's own line, which undoes it alone
        // (it is the head of that line; other branches are not on it).
        runner
            .downgrade(pool, &format!("{revision}@-1"))
            .await
            .map_err(run("downgrade"))?;
        let after = schema(pool).await?;
        if before != after {
            return Err(StairwayError::Schema {
                file: format!(
                    "{}/{}",
                    migrations.dir().trim_end_matches('/'),
                    m.file_name()
                ),
                lost: before.difference(&after).cloned().collect(),
                left: after.difference(&before).cloned().collect(),
                revision,
            });
        }
        runner
            .upgrade(pool, &revision)
            .await
            .map_err(run("upgrade again"))?;
    }
    Ok(())
}

/// The schema as a set of lines, one per table, column, index and constraint.
async fn schema<DB: Driver>(pool: &Pool<DB>) -> Result<BTreeSet<String>, StairwayError> {
    let introspect = |e: sqlx::Error| StairwayError::Introspect(Error::Database(e));
    let mut conn = pool.acquire().await.map_err(introspect)?;
    let mut lines = BTreeSet::new();
    for (kind, sql) in catalog_queries(DB::DIALECT) {
        let rows = DB::read_text(&mut conn, sql).await.map_err(introspect)?;
        for row in rows.unwrap_or_default() {
            let fields: Vec<&str> = row.iter().map(|f| f.as_deref().unwrap_or("NULL")).collect();
            if fields.first().is_some_and(|t| *t == crate::DEFAULT_TABLE) {
                continue;
            }
            lines.insert(format!("{kind} {}", fields.join(" | ")));
        }
    }
    Ok(lines)
}

/// The catalog queries of a dialect: what they describe, and the SQL, whose first column
/// is the table.
fn catalog_queries(dialect: Dialect) -> &'static [(&'static str, &'static str)] {
    match dialect {
        Dialect::Postgres => &[
            (
                "table",
                "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = current_schema()",
            ),
            (
                "column",
                "SELECT table_name, column_name, data_type, COALESCE(character_maximum_length::text, ''), is_nullable, COALESCE(column_default, '') FROM information_schema.columns WHERE table_schema = current_schema()",
            ),
            (
                "index",
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
            ),
            (
                "constraint",
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()",
            ),
        ],
        Dialect::MySql => &[
            (
                "table",
                "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = DATABASE()",
            ),
            (
                "column",
                "SELECT table_name, column_name, column_type, is_nullable, COALESCE(column_default, ''), extra FROM information_schema.columns WHERE table_schema = DATABASE()",
            ),
            (
                "index",
                "SELECT table_name, index_name, CAST(non_unique AS CHAR), CAST(seq_in_index AS CHAR), column_name FROM information_schema.statistics WHERE table_schema = DATABASE()",
            ),
            (
                "constraint",
                "SELECT k.table_name, k.constraint_name, k.column_name, COALESCE(k.referenced_table_name, ''), COALESCE(k.referenced_column_name, '') FROM information_schema.key_column_usage k WHERE k.table_schema = DATABASE()",
            ),
        ],
        _ => &[
            (
                "table",
                "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'",
            ),
            (
                "column",
                "SELECT m.name, p.name, p.type, CAST(p.\"notnull\" AS TEXT), COALESCE(p.dflt_value, ''), CAST(p.pk AS TEXT) FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            ),
            (
                "index",
                "SELECT m.name, l.name, CAST(l.\"unique\" AS TEXT), i.name FROM sqlite_master m, pragma_index_list(m.name) l, pragma_index_info(l.name) i WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            ),
            (
                "constraint",
                "SELECT m.name, f.\"table\", f.\"from\", COALESCE(f.\"to\", ''), f.on_delete FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
            ),
        ],
    }
}

/// A migrated database made once and copied for each test: on PostgreSQL a template
/// database (`CREATE DATABASE … TEMPLATE …`), on SQLite a file. Declare one per set of
/// migrations as a `static`; each test then asks it for a database of its own.
///
/// On PostgreSQL the template is named after the migrations' checksums and kept on the
/// server, so it is made once for every test process and run until a migration changes
/// (a new name then; drop old `migraph_tpl_*` databases when you like). Making it is
/// serialised with an advisory lock, so parallel test processes wait for the first.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("./examples/quickstart/migrations");
/// static TEMPLATE: migraph::testing::Template = migraph::testing::Template::new(&MIGRATIONS);
///
/// let db = TEMPLATE.sqlite().await?;
/// let pool = sqlx::SqlitePool::connect(db.url()).await?;
/// assert!(MIGRATIONS.upgrade(&pool, "head").await?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok(()) }
/// ```
pub struct Template {
    #[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
    migrations: &'static Migrations,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    sqlite: OnceCell<(tempfile::TempDir, PathBuf)>,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    postgres: OnceCell<String>,
}

/// A database of one test, made from a [`Template`]. Dropping it removes the file (SQLite);
/// a PostgreSQL database is dropped by [`TestDatabase::drop_database`], or left for the
/// server's next clean-up.
pub struct TestDatabase {
    url: String,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    admin: Option<String>,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops a PostgreSQL test database (after its pools are closed); nothing on SQLite.
    ///
    /// # Errors
    ///
    /// A database error.
    pub async fn drop_database(self) -> Result<(), Error> {
        #[cfg(feature = "postgres")]
        if let Some(admin) = &self.admin {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await?;
        }
        Ok(())
    }
}

impl Template {
    /// A template of `migrations`, made when first asked for.
    pub const fn new(migrations: &'static Migrations) -> Self {
        Self {
            migrations,
            sqlite: OnceCell::const_new(),
            postgres: OnceCell::const_new(),
        }
    }

    /// A fresh SQLite database at head: a copy of a file migrated once per process.
    ///
    /// # Errors
    ///
    /// The migrations fail, or a file cannot be written.
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(&self) -> Result<TestDatabase, Error> {
        let io = |e: std::io::Error| Error::Database(sqlx::Error::Io(e));
        let (_, template) = self
            .sqlite
            .get_or_try_init(|| async {
                let dir = tempfile::tempdir().map_err(io)?;
                let path = dir.path().join("template.db");
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true);
                let pool = sqlx::SqlitePool::connect_with(options).await?;
                self.migrations.upgrade(&pool, "heads").await?;
                pool.close().await;
                Ok::<_, Error>((dir, path))
            })
            .await?;
        let dir = tempfile::tempdir().map_err(io)?;
        let path = dir.path().join("test.db");
        std::fs::copy(template, &path).map_err(io)?;
        Ok(TestDatabase {
            url: format!("sqlite:{}", path.display()),
            admin: None,
            name: String::new(),
            _dir: Some(dir),
        })
    }

    /// A fresh PostgreSQL database at head, made with `CREATE DATABASE … TEMPLATE …`
    /// from a template migrated once. `admin_url` names an account that may create
    /// databases.
    ///
    /// # Errors
    ///
    /// The migrations fail, or a database error.
    #[cfg(feature = "postgres")]
    pub async fn postgres(&self, admin_url: &str) -> Result<TestDatabase, Error> {
        use sqlx::Connection as _;
        let template = self
            .postgres
            .get_or_try_init(|| self.make_postgres_template(admin_url))
            .await?;
        let name = format!(
            "migraph_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        )))
        .execute(&mut admin)
        .await?;
        admin.close().await?;
        Ok(TestDatabase {
            url: with_database(admin_url, &name),
            admin: Some(admin_url.to_owned()),
            name,
            _dir: None,
        })
    }

    #[cfg(feature = "postgres")]
    async fn make_postgres_template(&self, admin_url: &str) -> Result<String, Error> {
        use sqlx::Connection as _;
        let mut digest = String::new();
        for m in self.migrations.migrations() {
            digest.push_str(m.revision());
            digest.push_str(m.checksum());
            digest.push_str(m.downgrade_sql().unwrap_or(""));
        }
        let name = format!("migraph_tpl_{}", &migraph_core::checksum(&digest)[..16]);
        let mut admin = sqlx::PgConnection::connect(admin_url).await?;
        // One process makes it; the others wait here, then find it made.
        sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
            .bind(&name)
            .execute(&mut admin)
            .await?;
        let made = async {
            let ready: Option<bool> =
                sqlx::query_scalar("SELECT datistemplate FROM pg_database WHERE datname = $1")
                    .bind(&name)
                    .fetch_optional(&mut admin)
                    .await?;
            if ready == Some(true) {
                return Ok(());
            }
            if ready.is_some() {
                // Left half-made by a process that stopped: start again.
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
            }
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut admin)
                .await?;
            let pool = sqlx::PgPool::connect(&with_database(admin_url, &name)).await?;
            let migrated = self.migrations.upgrade(&pool, "heads").await;
            pool.close().await;
            migrated?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "ALTER DATABASE \"{name}\" IS_TEMPLATE true"
            )))
            .execute(&mut admin)
            .await?;
            Ok::<(), Error>(())
        }
        .await;
        let _ = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
            .bind(&name)
            .execute(&mut admin)
            .await;
        made?;
        Ok(name)
    }
}

#[cfg(feature = "postgres")]
static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[cfg(feature = "postgres")]
use migraph_core::with_database;
