//! Revisions written in Rust: what `embed_migrations!` compiles a `.rs` file of the
//! migrations folder into, and how the runner finds it.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

/// The error a Rust revision's `upgrade` or `downgrade` returns: any error that is `Send`
/// and `Sync` (a `sqlx::Error` keeps the database's fields in [`crate::Error::Code`]).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a Rust revision's function becomes.
#[doc(hidden)]
pub type BoxFuture<'c> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'c>>;

/// One function of a Rust revision, on a connection of database `DB`.
#[doc(hidden)]
pub type RustFn<DB> = for<'c> fn(&'c mut <DB as sqlx::Database>::Connection) -> BoxFuture<'c>;

/// A Rust revision's functions, for database `DB`.
#[doc(hidden)]
pub struct RustCode<DB: sqlx::Database> {
    /// `upgrade`.
    pub upgrade: RustFn<DB>,
    /// `downgrade`, when the file defines one.
    pub downgrade: Option<RustFn<DB>>,
}

/// A Rust revision as the binary carries it: its id, and its [`RustCode`] for the
/// database the application named.
#[doc(hidden)]
pub struct RustRevision {
    /// The revision id.
    pub revision: &'static str,
    /// A `RustCode<DB>`.
    pub code: &'static (dyn Any + Send + Sync),
}

impl std::fmt::Debug for RustRevision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustRevision")
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}
