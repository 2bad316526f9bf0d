//! The commands' arguments, as clap parses them.

use clap::{Args, Subcommand};
use migraph_core::Dialect;
use migraph_core::import::Tool;

/// The migration commands, for the `migraph` binary and for an application's own CLI.
#[derive(Debug, Clone, Subcommand)]
#[command(rename_all = "kebab-case")]
pub enum Command {
    /// Apply revisions up to TARGET (`head`, `heads`, an id or prefix, `+2`,
    /// `feature@head`...).
    ///
    /// Example: `migraph upgrade head`; `migraph upgrade head --sql` prints the SQL
    /// instead of running it.
    Upgrade(Run),
    /// Undo revisions down to TARGET (`-1`, `base`, an id, `feature@base`...).
    ///
    /// Example: `migraph downgrade -1`; offline: `migraph downgrade head:base --sql`.
    Downgrade(Run),
    /// Move the database to REV, up or down, whichever is needed: exactly REV and its
    /// ancestors applied on its branch, other branches untouched; applied revisions this
    /// binary does not know that descend from REV are undone with their stored SQL.
    ///
    /// Example: `myapp migrate to 3c1d8e` in a release's init container rolls the
    /// database forward, or back after the release is rolled back.
    To(Run),
    /// Record TARGETs as applied without running any SQL (adopt an existing database).
    ///
    /// Example: `migraph stamp head`; `--purge` empties the version table first.
    Stamp(Stamp),
    /// Show the current revisions of the database.
    ///
    /// Example: `migraph current --json`.
    Current(Read),
    /// Show the heads of the revision graph.
    ///
    /// Example: `migraph heads --json`.
    Heads(Read),
    /// Show the revisions where the graph branches.
    ///
    /// Example: `migraph branches`.
    Branches(Read),
    /// List revisions, newest first.
    ///
    /// Example: `migraph history -r base:head`.
    History(History),
    /// Show one revision.
    ///
    /// Example: `migraph show 1975ea`.
    Show(Show),
    /// Write the whole revision graph for Graphviz (`dot`) or a Markdown page
    /// (`mermaid`), each revision marked applied, pending or failed when a database is
    /// given.
    ///
    /// Example: `migraph graph --format dot | dot -Tsvg > graph.svg`.
    Graph(GraphArgs),
    /// Exit 0 when the database is at head with matching checksums and nothing left
    /// part-way, 1 otherwise (for CI and readiness probes).
    ///
    /// Example: `migraph check || echo "migrate first"`; `migraph check --drift` also
    /// compares the schema, as `diff` does.
    Check(CheckArgs),
    /// Compare the database's schema with the one its applied revisions build on a
    /// scratch database (SQLite: in memory; PostgreSQL, MySQL: a database created and
    /// dropped on the same server, or `--scratch-url`). Exit 1 on drift.
    ///
    /// Example: `migraph diff`; `+` is in the database only, `-` in the migrations only.
    Diff(DiffArgs),
    /// Record as applied what another tool (diesel, sqlx, refinery, alembic) applied
    /// to this database, read from its own version table, which is left as it is.
    ///
    /// Example: `migraph adopt --from sqlx`, after `migraph import --from sqlx`.
    Adopt(AdoptArgs),
    /// Settle a revision an earlier run left part-way, or re-record checksums.
    ///
    /// Example: `migraph repair 3c1d8e --applied`; `migraph repair 3c1d8e --resume`;
    /// `migraph repair --checksums`.
    Repair(RepairArgs),
}

/// Arguments of `upgrade` and `downgrade`.
#[derive(Debug, Clone, Args)]
pub struct Run {
    /// Where to go; with `--sql`, `FROM:TO` to start elsewhere than base.
    #[arg(allow_negative_numbers = true)]
    pub target: String,
    /// Print the SQL script instead of running it (no database connection).
    #[arg(long)]
    pub sql: bool,
    /// The SQL dialect of `--sql`: postgres, mysql or sqlite (default: from the URL).
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Option<Dialect>,
    /// Run the whole upgrade or downgrade in one transaction (PostgreSQL, SQLite).
    #[arg(long)]
    pub single_transaction: bool,
    /// Rehearse: run the planned revisions for real, under the lock, in one transaction,
    /// then roll it all back, reporting each step and its time (PostgreSQL, SQLite; not
    /// with `transaction: false` revisions).
    #[arg(long, visible_alias = "dry-run", conflicts_with = "sql")]
    pub rehearse: bool,
    /// Seconds to wait for another process's migration lock [default: `lock_timeout` in
    /// migraph.toml, or 300].
    #[arg(long)]
    pub lock_timeout: Option<u64>,
    /// How to keep other runners out: session (the default), transaction (each
    /// revision's transaction takes the lock: behind PgBouncer in transaction mode), table
    /// (a lease row, for engines without advisory locks) or none [default: `lock` in
    /// migraph.toml, or session].
    #[arg(long, value_name = "STRATEGY", value_parser = parse_lock)]
    pub lock: Option<crate::LockStrategy>,
    /// Seconds a lease of `--lock table` lasts unless renewed [default: `lease` in
    /// migraph.toml, or 60].
    #[arg(long, value_name = "SECONDS")]
    pub lease: Option<u64>,
    /// First undo, newest first, applied revisions this binary does not know, with the
    /// downgrade SQL stored in their rows: how an older release takes the database back.
    #[arg(long)]
    pub roll_back_unknown: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
    /// Session settings.
    #[command(flatten)]
    pub session: SessionArgs,
    /// Many databases at once.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// Running one command on many databases.
#[derive(Debug, Clone, Default, Args)]
pub struct FleetArgs {
    /// Run on every database listed in FILE, one URL per line (`#` starts a comment; `-`
    /// reads standard input), and print a summary; exit 1 if any failed.
    #[arg(long, value_name = "FILE")]
    pub databases: Option<std::path::PathBuf>,
    /// How many databases at once with `--databases`.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// With `--databases` or `--schemas`, start no more after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// PostgreSQL: run in this schema (the search path, and the version table there),
    /// created if missing by `upgrade`.
    #[arg(long, value_name = "NAME")]
    pub schema: Option<String>,
    /// PostgreSQL: run in every schema whose name is `LIKE` PATTERN (e.g. `tenant_%`),
    /// `--jobs` at once, as `--schema` each.
    #[arg(long, value_name = "PATTERN", conflicts_with = "schema")]
    pub schemas: Option<String>,
}

/// The session SQL of a command that connects to the database.
#[derive(Debug, Clone, Default, Args)]
pub struct SessionArgs {
    /// A statement to run on the connection before anything else (repeatable), e.g.
    /// `--session-sql "SET foreign_key_checks = 0"`; replaces migraph.toml's
    /// `[session_sql]` for the database's dialect.
    #[arg(long = "session-sql", value_name = "SQL")]
    pub session_sql: Vec<String>,
}

/// Arguments of `stamp`.
#[derive(Debug, Clone, Args)]
pub struct Stamp {
    /// The revisions to record (with `--sql`, the first may be `FROM:TO`).
    #[arg(required = true, allow_negative_numbers = true)]
    pub targets: Vec<String>,
    /// Empty the version table first.
    #[arg(long)]
    pub purge: bool,
    /// Print the SQL script instead of running it.
    #[arg(long)]
    pub sql: bool,
    /// The SQL dialect of `--sql`.
    #[arg(long, value_parser = parse_dialect)]
    pub dialect: Option<Dialect>,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
    /// Session settings.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Arguments of `adopt`.
#[derive(Debug, Clone, Args)]
pub struct AdoptArgs {
    /// The tool that migrated the database: diesel, sqlx, refinery or alembic.
    #[arg(long, value_parser = parse_tool)]
    pub from: Tool,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
    /// Session settings.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// A tool's name, as `import --from` and `adopt --from` take it.
pub(super) fn parse_tool(name: &str) -> Result<Tool, String> {
    Tool::from_name(name)
        .ok_or_else(|| format!("unknown tool `{name}`: use diesel, sqlx, refinery or alembic"))
}

/// Arguments of the read-only commands.
#[derive(Debug, Clone, Args)]
pub struct Read {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Session settings (for the commands that read the database).
    #[command(flatten)]
    pub session: SessionArgs,
    /// Many databases at once (`current`, `check`).
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// Arguments of `check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// What the read commands take.
    #[command(flatten)]
    pub read: Read,
    /// Also compare the schema with the one the migrations build (as `diff`); drift
    /// makes the answer no. (`--schema NAME` already names a PostgreSQL schema.)
    #[arg(long)]
    pub drift: bool,
    /// With `--drift`: the empty database to build the schema in.
    #[arg(long, value_name = "URL", requires = "drift")]
    pub scratch_url: Option<String>,
}

/// Arguments of `diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// An empty database to build the migrations' schema in [default: SQLite in memory;
    /// PostgreSQL and MySQL: `migraph_scratch_...`, created on the same server and
    /// dropped after].
    #[arg(long, value_name = "URL")]
    pub scratch_url: Option<String>,
    /// Print the differences as JSON.
    #[arg(long)]
    pub json: bool,
    /// Session settings.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Arguments of `history`.
#[derive(Debug, Clone, Args)]
pub struct History {
    /// A range `A:B`, both ends included; either end may be left out (base, heads), be
    /// `current` (reads the database), or count from the other end (`-2:r3`, `r1:+2`).
    #[arg(short = 'r', long = "rev-range", allow_hyphen_values = true)]
    pub range: Option<String>,
    /// Print JSON.
    #[arg(long, conflicts_with = "graph")]
    pub json: bool,
    /// Draw the graph, as `git log --graph` does: lines for branches and merges, and
    /// with a database each revision marked (`*` applied, `o` pending, `x` failed, `?`
    /// applied but not in this build).
    #[arg(long)]
    pub graph: bool,
    /// Session settings (for a range that reads `current`).
    #[command(flatten)]
    pub session: SessionArgs,
}

/// Arguments of `graph`.
#[derive(Debug, Clone, Args)]
pub struct GraphArgs {
    /// `dot` (Graphviz) or `mermaid` (a Markdown page).
    #[arg(long, default_value = "dot", value_parser = ["dot", "mermaid"])]
    pub format: String,
    /// Session settings (when a database is given).
    #[command(flatten)]
    pub session: SessionArgs,
}

impl History {
    /// Whether an end of the range is `current`, which reads the version table.
    pub(super) fn mentions_current(&self) -> bool {
        self.range
            .as_deref()
            .and_then(|r| r.split_once(':'))
            .is_some_and(|(a, b)| a.trim() == "current" || b.trim() == "current")
    }
}

/// Arguments of `show`.
#[derive(Debug, Clone, Args)]
pub struct Show {
    /// A revision id, unique prefix, or label.
    pub revision: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `repair`.
#[derive(Debug, Clone, Args)]
pub struct RepairArgs {
    /// The revision left part-way (or, with `--checksums`, the revisions to re-record;
    /// none means every one that changed).
    pub revisions: Vec<String>,
    /// It was finished by hand: record it as applied.
    #[arg(long, conflicts_with_all = ["rolled_back", "checksums"])]
    pub applied: bool,
    /// It was undone by hand: forget it.
    #[arg(long, conflicts_with = "checksums")]
    pub rolled_back: bool,
    /// Run the rest of it: its statements from the one its row says it stopped at (that
    /// one included), when that statement did not run or can run again; then record it.
    #[arg(long, conflicts_with_all = ["applied", "rolled_back", "checksums"])]
    pub resume: bool,
    /// Re-record the checksums of applied revisions whose files changed on purpose.
    #[arg(long)]
    pub checksums: bool,
    /// Session settings.
    #[command(flatten)]
    pub session: SessionArgs,
}

pub(super) fn parse_lock(s: &str) -> Result<crate::LockStrategy, String> {
    crate::LockStrategy::from_name(s).ok_or_else(|| {
        format!("unknown lock strategy `{s}`: use session, transaction, table or none")
    })
}

pub(super) fn parse_dialect(s: &str) -> Result<Dialect, String> {
    Dialect::from_name(s)
        .ok_or_else(|| format!("unknown dialect `{s}`: use postgres, mysql or sqlite"))
}
