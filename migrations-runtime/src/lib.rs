//! The run-time half of `migraph`: applies a revision graph to PostgreSQL,
//! MySQL/MariaDB or SQLite over sqlx, and records it in a version table.
//!
//! Most applications use it through the `migraph` crate and `embed_migrations!`; see
//! there for the full picture. [`Migrations::from_dir`] loads a directory at run time.
//!
//! # Examples
//!
//! ```
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("a1_init.sql"),
//!     "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
//! )?;
//! let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
//! let pool = sqlx::SqlitePool::connect("sqlite::memory:").await?;
//! let report = migrations.upgrade(&pool, "head").await?;
//! assert_eq!(report.revisions(), ["a1"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod dialect;
mod driver;
mod error;
mod lock;
mod migrations;
mod migrator;
mod offline;
mod report;
mod rust;
mod schema;
mod table;

pub use driver::{Dialect, Driver};
pub use error::{DatabaseError, Error};
pub use lock::{AcquiredConnection, LockStrategy};
pub use migraph_core::import::Tool;
pub use migrations::Migrations;
pub use migrator::{Adoption, DEFAULT_LEASE, DEFAULT_LOCK_TIMEOUT, Migrator, Repair};
pub use report::{Action, Report, Step};
pub use rust::BoxError;
#[doc(hidden)]
pub use rust::{BoxFuture, RustCode, RustFn, RustRevision};
pub use schema::{Change, Difference};
pub use table::{AppliedRevision, DEFAULT_TABLE, RevisionState, TableName};
