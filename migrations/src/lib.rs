//! Revision-graph schema migrations for Rust services: Alembic's model, checked at
//! compile time, applied over sqlx to PostgreSQL, MySQL/MariaDB or SQLite.
//!
//! Each migration is one SQL file naming its `revision` and the revision(s) it follows
//! (`down_revision`), so the files form a graph: a chain, with branches and merges.
//!
//! ```sql
//! -- revision: 1975ea83b712
//! -- down_revision: none
//! -- message: create account table
//!
//! -- migrate:upgrade
//! CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
//!
//! -- migrate:downgrade
//! DROP TABLE account;
//! ```
//!
//! [`embed_migrations!`] reads the folder when the crate compiles, checks every file and
//! the whole graph, and embeds them: a broken chain is a compile error naming the file and
//! line. At run time, [`Migrations::upgrade`] applies what is missing:
//!
//! ```no_run
//! // The path is relative to the crate's Cargo.toml; usually "./migrations".
//! static MIGRATIONS: migraph::Migrations =
//!     migraph::embed_migrations!("examples/quickstart/migrations");
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = sqlx::SqlitePool::connect("sqlite:app.db?mode=rwc").await?;
//! let report = MIGRATIONS.upgrade(&pool, "head").await?;
//! for step in &report.steps {
//!     println!("{} {} ({:?})", step.action, step.revision, step.duration);
//! }
//! // Options live on a runner:
//! MIGRATIONS.runner().table("app_versions").downgrade(&pool, "-1").await?;
//! # Ok(()) }
//! ```
//!
//! Targets follow Alembic's grammar: `head`, `heads`, `base`, a revision id or unique
//! prefix, a branch label, `+2`, `-1`, `ae10+1`, `feature@head`, `feature@base`.
//!
//! Add `migraph::build::watch("migrations");` to `build.rs` so that cargo also rebuilds
//! when a new file is added (see [`build`]).
//!
//! # Features
//!
//! None is on by default: the default build is the macro and the build-script helper,
//! which is all a `[build-dependencies]` entry needs, and an application names its
//! database, as with sqlx.
//!
//! - `postgres`, `mysql`, `sqlite`: the drivers; each turns on `runtime`.
//! - `runtime`: the runtime that applies migrations ([`Migrations`], [`Migrator`]).
//! - `blocking`: [`blocking`], the commands as plain functions for applications without
//!   an async runtime.
//! - `testing`: [`testing`], helpers for an application's own tests: graph checks, the
//!   stairway test, template databases.
//! - `cli`: the migration commands ([`cli::Command`], for an application's own binary) and
//!   the `migraph` binary (`cargo install migraph --features cli,postgres,mysql,sqlite`).

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "blocking")]
pub mod blocking;
pub mod build;
#[cfg(feature = "cli")]
pub mod cli;
pub mod import;
#[cfg(feature = "testing")]
pub mod testing;

/// Embeds a migrations folder, checked, at compile time.
///
/// The path is relative to the crate's `Cargo.toml` (default `./migrations`). Every `*.sql`
/// file is parsed and the graph checked; any problem (bad header, missing section,
/// duplicate revision, unknown parent, cycle, a second unlabelled head...) is a compile
/// error naming the file and line. Pass `allow_multiple_heads` to accept several heads.
/// A `*.rs` file is a revision written in Rust (`//! key: value` header lines, `pub async
/// fn upgrade(conn: &mut <connection>) -> Result<(), migraph::BoxError>` and optionally
/// `downgrade`), compiled in as a module; `database = sqlx::Postgres` (or `MySql`,
/// `Sqlite`) names the connection it takes.
///
/// ```ignore
/// static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("./migrations");
/// static BRANCHY: migraph::Migrations =
///     migraph::embed_migrations!("./migrations", allow_multiple_heads);
/// static WITH_RUST: migraph::Migrations =
///     migraph::embed_migrations!("./migrations", database = sqlx::Postgres);
/// ```
pub use migraph_macros::embed_migrations;

pub use migraph_core::{Diagnostic, Diagnostics, Graph, Migration, PlanError, Target, TargetError};
#[cfg(feature = "runtime")]
pub use migraph_runtime::{
    AcquiredConnection, Action, Adoption, AppliedRevision, BoxError, Change, DEFAULT_LEASE,
    DEFAULT_LOCK_TIMEOUT, DEFAULT_TABLE, DatabaseError, Dialect, Difference, Driver, Error,
    LockStrategy, Migrations, Migrator, Repair, Report, RevisionState, Step, TableName,
};

/// Without the runtime, the stand-in that makes `embed_migrations!` fail with a message.
#[doc(hidden)]
#[cfg(not(feature = "runtime"))]
pub use __private::Migrations;

#[doc(hidden)]
#[cfg(feature = "runtime")]
pub mod __private {
    pub use migraph_core::{Migration, StaticParts};
    pub use migraph_runtime::{BoxFuture, Migrations, RustCode, RustRevision};
    pub use sqlx;
    pub use std::borrow::Cow;
}

/// Without the runtime, what `embed_migrations!` expands to stops the build with a
/// message saying which feature to turn on.
#[doc(hidden)]
#[cfg(not(feature = "runtime"))]
pub mod __private {
    pub use migraph_core::{Migration, StaticParts};
    pub use std::borrow::Cow;

    /// Stands in for the runtime's `Migrations`.
    pub struct Migrations;

    /// Stands in for the runtime's `RustRevision` (only an empty list of them can be made
    /// without the runtime).
    pub struct RustRevision;

    impl Migrations {
        /// Fails the build: there is nothing to run the migrations with. It runs only in
        /// the constant evaluation of the `static` the macro initialises, so the panic is
        /// a compile error, never a run-time one.
        #[allow(clippy::panic)]
        pub const fn from_static(
            _migrations: &'static [Migration],
            _dir: &'static str,
            _files: &'static str,
            _check: bool,
        ) -> Self {
            panic!(
                "embed_migrations! needs a database driver: turn on a feature of migraph, e.g. `migraph = {{ version = \"0.1\", features = [\"postgres\"] }}` (or \"mysql\", \"sqlite\")"
            )
        }

        /// As [`Migrations::from_static`]: fails the build.
        pub const fn from_table(
            _text: &'static str,
            _table: &'static [u8],
            _extra: &'static str,
            _rust: &'static [RustRevision; 0],
            _dir: &'static str,
            _written: &'static str,
            _check: bool,
        ) -> Self {
            Self::from_static(&[], "", "", false)
        }
    }
}
