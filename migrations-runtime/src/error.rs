//! The one error type of the runtime.

use migraph_core::{Diagnostics, PlanError};

use crate::report::Report;

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
    Load(Diagnostics),
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
        "revision `{revision}` ({}) has no `-- migrate:downgrade` section, so it cannot be undone; nothing was changed",
        where_from(.file.as_deref())
    )]
    Irreversible {
        /// The revision.
        revision: String,
        /// Its file; `None` for a revision this binary does not know, whose row holds no
        /// downgrade SQL.
        file: Option<String>,
    },
    /// A revision was left part-way by an earlier run.
    #[error(
        "revision `{revision}` is `{state}` in the version table{}; an earlier run stopped part-way through it, outside a transaction, so the schema may hold part of it: finish or undo it by hand, then record which with `repair` (applied or rolled back), or let `repair --resume` run the rest from the statement it stopped at",
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
    /// the database allows it. Says where: the statement, the line of the file it starts
    /// on, its SQL, and the database's own code, message, detail and hint.
    #[error("{}", execute_text(*.action, .revision, .file.as_deref(), *.statement, *.line, .sql.as_deref(), .database))]
    Execute {
        /// The revision.
        revision: String,
        /// Its file; `None` for a revision this binary does not know, undone with the
        /// downgrade SQL stored in its row.
        file: Option<String>,
        /// `upgrade` or `downgrade`.
        action: crate::Action,
        /// Which statement of the section failed (1-based), when known.
        statement: Option<usize>,
        /// The line of the file on which that statement starts, when known.
        line: Option<usize>,
        /// That statement's SQL, as in the file.
        sql: Option<String>,
        /// What the database said, field by field.
        database: Box<DatabaseError>,
        /// The database's error, whose message the text above already quotes (so it is
        /// not also the error's `source()`, which would print it twice).
        error: sqlx::Error,
        /// What the run did before this revision failed and is still done: the steps
        /// before it (none in a whole-run transaction, which rolled them back).
        completed: Report,
    },
    /// A Rust revision's `upgrade` or `downgrade` returned an error (one that is not a
    /// database error: those are [`Error::Execute`]); its transaction was rolled back where
    /// the database allows it.
    #[error("{action} of revision `{revision}` ({file}) failed in its Rust code: {error}")]
    Code {
        /// The revision.
        revision: String,
        /// Its file.
        file: String,
        /// `upgrade` or `downgrade`.
        action: crate::Action,
        /// What the code returned.
        error: crate::BoxError,
        /// What the run did before this revision failed and is still done.
        completed: Report,
    },
    /// The server takes no writes: a PostgreSQL hot standby, a MySQL/MariaDB server with
    /// `read_only`, or a session whose transactions are read-only. Checked before the
    /// lock, only when there is something to change; reading commands still work.
    #[error(
        "connected to a read-only server (a replica, a hot standby, or read-only transactions); point the database URL at the primary; nothing was changed"
    )]
    ReadOnly,
    /// An offline script would include a revision written in Rust, which has no SQL.
    #[error(
        "revision `{revision}` ({file}) is written in Rust and cannot be written as SQL; script the revisions before it (`--sql FROM:TO`) and run it with the application's migrate command"
    )]
    RustNotScripted {
        /// The revision.
        revision: String,
        /// Its file.
        file: String,
    },
    /// A revision written in Rust that this binary does not carry: the standalone
    /// `migraph` reads the folder's files and cannot compile Rust.
    #[error(
        "revision `{revision}` ({file}) is written in Rust, which this binary does not carry; run it with the application's own migrate command, whose embed_migrations! compiles it in; nothing was changed"
    )]
    RustNotEmbedded {
        /// The revision.
        revision: String,
        /// Its file.
        file: String,
    },
    /// A statement of [`crate::Migrator::session_sql`] failed; nothing was changed.
    #[error("session SQL `{sql}` failed: {error}; nothing was changed")]
    Session {
        /// The statement.
        sql: String,
        /// The database's error (quoted in the text, so not also the `source()`).
        error: sqlx::Error,
    },
    /// The migrations folder holds a file this binary was built without.
    #[error(
        "`{file}` is in `{dir}` but not in this binary, which was built before it was added; rebuild, and add `migraph::build::watch(\"{dir}\");` to build.rs so that cargo rebuilds when a file is added"
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
    /// A rehearsal that cannot be rolled back as a whole, refused before anything ran.
    #[error("cannot rehearse this run: {reason}; nothing was run")]
    Rehearse {
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
    /// An adoption refused: the other tool's table and this binary or migraph's table
    /// disagree.
    #[error("cannot adopt this database from {tool}: {reason}; nothing was changed")]
    Adopt {
        /// The other tool.
        tool: String,
        /// Why not.
        reason: String,
    },
    /// A squash cannot take over the revisions it replaces on this database.
    #[error("cannot go on past squash `{squash}`: {reason}; nothing was changed")]
    Squash {
        /// The squash.
        squash: String,
        /// Why not, and what to do.
        reason: String,
    },
    /// A `to` whose target is not one revision.
    #[error("cannot move to `{target}`: {reason}")]
    MoveTo {
        /// The target as written.
        target: String,
        /// Why not.
        reason: String,
    },
    /// A schema comparison that cannot be made.
    #[error("cannot compare the schema: {reason}")]
    Diff {
        /// Why not, and what to do.
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
    /// The run lost its migration lock before a revision: nothing of that revision
    /// changed, and the run stopped there.
    #[error("the run lost the migration lock on `{table}`: {reason}")]
    LockLost {
        /// The version table the lock is for.
        table: String,
        /// What happened.
        reason: String,
    },
    /// The lock strategy cannot work on this database.
    #[error("lock strategy `{strategy}` does not work on {dialect}: {reason}")]
    LockStrategy {
        /// The strategy asked for.
        strategy: crate::LockStrategy,
        /// The database.
        dialect: migraph_core::Dialect,
        /// Why, and what to use instead.
        reason: String,
    },
    /// A database error outside a revision's SQL (connecting, the version table). Its
    /// text quotes sqlx's, which is therefore not also its `source()`.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

impl From<Diagnostics> for Error {
    fn from(d: Diagnostics) -> Self {
        Self::Load(d)
    }
}

/// What the database said about a failed statement, field by field.
///
/// # Examples
///
/// ```
/// use migraph_runtime::DatabaseError;
///
/// let mut e = DatabaseError::default();
/// e.code = Some("23505".into());
/// e.message = "could not create unique index \"crates_name_key\"".into();
/// e.detail = Some("Key (name)=(serde) is duplicated.".into());
/// assert_eq!(
///     e.to_string(),
///     "23505 could not create unique index \"crates_name_key\"\nDETAIL: Key (name)=(serde) is duplicated."
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatabaseError {
    /// The database's own code: the SQLSTATE on PostgreSQL, the error number and SQLSTATE
    /// on MySQL (`1062 (23000)`), the extended result code on SQLite.
    pub code: Option<String>,
    /// The database's message (on PostgreSQL without the server's source line).
    pub message: String,
    /// PostgreSQL's DETAIL.
    pub detail: Option<String>,
    /// PostgreSQL's HINT.
    pub hint: Option<String>,
    /// PostgreSQL's error position: the 1-based character of the SQL sent.
    pub position: Option<usize>,
}

impl DatabaseError {
    /// The code and message any sqlx error has.
    pub(crate) fn generic(e: &sqlx::Error) -> Self {
        match e {
            sqlx::Error::Database(db) => Self {
                code: db.code().map(|c| c.into_owned()),
                message: db.message().to_owned(),
                ..Self::default()
            },
            other => Self {
                message: other.to_string(),
                ..Self::default()
            },
        }
    }
}

impl std::fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(code) = &self.code {
            write!(f, "{code} ")?;
        }
        f.write_str(&self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, "\nDETAIL: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\nHINT: {hint}")?;
        }
        Ok(())
    }
}

/// `upgrade of revision `x` (file) failed at statement 3, line 14:`, the statement's first
/// line, then what the database said, each line indented under the first.
fn execute_text(
    action: crate::Action,
    revision: &str,
    file: Option<&str>,
    statement: Option<usize>,
    line: Option<usize>,
    sql: Option<&str>,
    database: &DatabaseError,
) -> String {
    let mut text = format!(
        "{action} of revision `{revision}` ({}) failed",
        where_from(file)
    );
    match (statement, line) {
        (Some(s), Some(l)) => text += &format!(" at statement {s}, line {l}"),
        (Some(s), None) => text += &format!(" at statement {s}"),
        _ => {}
    }
    text.push(':');
    if let Some(first) = sql.and_then(|s| s.lines().next()) {
        text += &format!("\n    {}", first.trim_end());
    }
    for said in database.to_string().lines() {
        text += &format!("\n  {said}");
    }
    text
}

/// A revision's file, or where its SQL came from when the binary has no file for it.
fn where_from(file: Option<&str>) -> &str {
    file.unwrap_or("not in this binary: its SQL is the one stored in the version table")
}
