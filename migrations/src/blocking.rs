//! The commands as plain functions, for applications without an async runtime (diesel
//! users, small command-line tools): each connects to a database URL, runs on a
//! current-thread runtime of its own, and closes its connections before it returns. It is
//! Alembic's `run_sync` the other way round: there, synchronous migration code is driven
//! from an async connection; here, the async runner is driven from synchronous code.
//!
//! The URL picks the driver by its scheme (`postgres://`, `postgresql://`, `mysql://`,
//! `mariadb://`, `sqlite:`); a driver whose cargo feature is off is an error. Settings
//! (version table, lock timeout, session SQL, whole-run transaction) come from the
//! [`Migrator`] passed in.
//!
//! # Examples
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("./examples/quickstart/migrations");
//!
//! let dir = tempfile::tempdir()?;
//! let url = format!("sqlite:{}", dir.path().join("app.db").display());
//! let report = migraph::blocking::upgrade(&MIGRATIONS.runner(), &url, "head")?;
//! assert!(!report.is_empty());
//! assert!(migraph::blocking::check(&MIGRATIONS.runner(), &url)?.is_empty());
//! # Ok(()) }
//! ```

// The same `Error` as the async API's, whose futures return it as it is; boxing it here
// alone would make the two differ.
#![allow(clippy::result_large_err)]

use std::future::Future;

use crate::{AppliedRevision, Error, Migration, Migrator, Report};

/// Runs `future` to its end on a current-thread runtime made for it.
fn block_on<F: Future>(future: F) -> Result<F::Output, Error> {
    let refused = |reason: String| Error::Database(sqlx::Error::Configuration(reason.into()));
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(refused(
            "migraph::blocking was called from inside an async runtime, which it would block; call the async API (`Migrations::upgrade` and the like) there instead".to_owned(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| refused(format!("cannot start a runtime: {e}")))?;
    Ok(runtime.block_on(future))
}

/// Connects to `url` with the driver its scheme names, runs `$body` with `$pool` bound to
/// the pool, and closes the pool.
macro_rules! with_pool {
    ($url:expr, |$pool:ident| $body:expr) => {{
        let url: &str = $url;
        let scheme = url.split(':').next().unwrap_or("").to_ascii_lowercase();
        match scheme.as_str() {
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => {
                let $pool = sqlx::PgPool::connect(url).await?;
                let out = $body;
                $pool.close().await;
                out
            }
            #[cfg(feature = "mysql")]
            "mysql" | "mariadb" => {
                let $pool = sqlx::MySqlPool::connect(&url.replacen("mariadb:", "mysql:", 1)).await?;
                let out = $body;
                $pool.close().await;
                out
            }
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                let options: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
                let $pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.create_if_missing(true))
                    .await?;
                let out = $body;
                $pool.close().await;
                out
            }
            other => Err(Error::Database(sqlx::Error::Configuration(
                format!(
                    "no driver for `{other}:` URLs in this build: use postgres://, mysql://, mariadb:// or sqlite: with the crate's feature of the same name"
                )
                .into(),
            ))),
        }
    }};
}

/// Applies revisions up to `target`, as [`Migrator::upgrade`].
///
/// # Errors
///
/// As [`Migrator::upgrade`]; a URL this build has no driver for, or a call from inside an
/// async runtime.
pub fn upgrade(migrator: &Migrator<'_>, url: &str, target: &str) -> Result<Report, Error> {
    block_on(async { with_pool!(url, |pool| migrator.upgrade(&pool, target).await) })?
}

/// Undoes revisions down to `target`, as [`Migrator::downgrade`].
///
/// # Errors
///
/// As [`Migrator::downgrade`]; a URL this build has no driver for, or a call from inside
/// an async runtime.
pub fn downgrade(migrator: &Migrator<'_>, url: &str, target: &str) -> Result<Report, Error> {
    block_on(async { with_pool!(url, |pool| migrator.downgrade(&pool, target).await) })?
}

/// Records `targets` as applied without running their SQL, as [`Migrator::stamp`].
///
/// # Errors
///
/// As [`Migrator::stamp`]; a URL this build has no driver for, or a call from inside an
/// async runtime.
pub fn stamp(migrator: &Migrator<'_>, url: &str, targets: &[&str]) -> Result<Report, Error> {
    block_on(async { with_pool!(url, |pool| migrator.stamp(&pool, targets).await) })?
}

/// The version table's rows, as [`Migrator::applied`]; [`AppliedRevision::current`]
/// picks the current revisions out of them.
///
/// # Errors
///
/// As [`Migrator::applied`]; a URL this build has no driver for, or a call from inside an
/// async runtime.
pub fn current(migrator: &Migrator<'_>, url: &str) -> Result<Vec<AppliedRevision>, Error> {
    block_on(async { with_pool!(url, |pool| migrator.applied(&pool).await) })?
}

/// What `upgrade heads` would apply now, without taking the lock: empty when the database
/// is at head (the `check` command's question).
///
/// # Errors
///
/// As [`Migrator::pending`]: also an edited applied file, an unknown applied revision, or
/// one left part-way; a URL this build has no driver for, or a call from inside an async
/// runtime.
pub fn check<'m>(migrator: &Migrator<'m>, url: &str) -> Result<Vec<&'m Migration>, Error> {
    block_on(async { with_pool!(url, |pool| migrator.pending(&pool, "heads").await) })?
}
