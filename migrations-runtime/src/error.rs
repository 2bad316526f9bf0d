//! The one error type of the runtime.

use migrations_core::{Diagnostics, PlanError};

/// Why a run did not complete. Every variant names the revision (and its file, where the
/// binary has it) and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The version table name is not a valid identifier.
    #[error("invalid version table name `{name}`: {reason}")]
    InvalidTable {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The migrations could not be loaded or their graph is invalid.
    #[error("{0}")]
    Load(#[from] Diagnostics),
    /// The target or plan is invalid.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// An applied revision's file changed after it was applied.
    #[error(
        "revision `{revision}` ({file}) was changed after it was applied: its checksum was {recorded}, the file's is now {current}; restore the file and put the change in a new revision"
    )]
    ChecksumMismatch {
        /// The revision.
        revision: String,
        /// Its file.
        file: String,
        /// The checksum in the version table.
        recorded: String,
        /// The checksum of the file now.
        current: String,
    },
    /// The database has revisions this binary does not know.
    #[error(
        "the database has revisions this binary does not know: {}; it was migrated by a newer version of the application: deploy that version, or use it to downgrade first",
        .revisions.join(", ")
    )]
    UnknownApplied {
        /// The unknown revisions.
        revisions: Vec<String>,
    },
    /// A downgrade would pass a revision that has no downgrade section.
    #[error(
        "revision `{revision}` ({file}) has no `-- migrate:downgrade` section, so it cannot be undone; nothing was changed"
    )]
    Irreversible {
        /// The revision.
        revision: String,
        /// Its file.
        file: String,
    },
    /// A revision was left part-way by an earlier run.
    #[error(
        "revision `{revision}` is `{state}` in the version table{}; an earlier run stopped part-way through it, outside a transaction, so the schema may hold part of it: finish or undo it by hand, then record which with `repair` (applied or rolled back)",
        .error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
    )]
    Dirty {
        /// The revision.
        revision: String,
        /// Its state.
        state: crate::RevisionState,
        /// The error it recorded.
        error: Option<String>,
    },
    /// A revision's SQL failed; the revision and its version row were rolled back where
    /// the database allows it.
    #[error(
        "{action} of revision `{revision}` ({file}) failed{}: {source}",
        .statement.map(|i| format!(" at statement {i}")).unwrap_or_default()
    )]
    Execute {
        /// The revision.
        revision: String,
        /// Its file.
        file: String,
        /// `upgrade` or `downgrade`.
        action: crate::Action,
        /// For a revision run statement by statement, which one failed (1-based).
        statement: Option<usize>,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// The migrations folder holds a file this binary was built without.
    #[error(
        "`{file}` is in `{dir}` but not in this binary, which was built before it was added; rebuild, and add `migrations::build::watch(\"{dir}\");` to build.rs so that cargo rebuilds when a file is added"
    )]
    Stale {
        /// The file missing from the binary.
        file: String,
        /// The migrations folder.
        dir: String,
    },
    /// A run asked to happen in one transaction cannot.
    #[error("cannot run this in one transaction: {reason}; nothing was changed")]
    SingleTransaction {
        /// Why not.
        reason: String,
    },
    /// A repair that does not apply to the revision's row.
    #[error("cannot repair revision `{revision}`: {reason}")]
    Repair {
        /// The revision.
        revision: String,
        /// Why not.
        reason: String,
    },
    /// Another process held the migration lock for longer than the lock timeout.
    #[error(
        "timed out after {waited:.1?} waiting for the migration lock on `{table}`: another process is migrating this database; nothing was changed. Try again when it is done, or raise the lock timeout"
    )]
    LockTimeout {
        /// The version table the lock is for.
        table: String,
        /// How long the run waited.
        waited: std::time::Duration,
    },
    /// A database error outside a revision's SQL (connecting, the version table).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
