//! The migration commands: the `migraph` binary, and [`Command`], the same commands as
//! a clap subcommand that an application nests in its own CLI to carry its migration tool
//! in its own binary.
//!
//! ```no_run
//! use clap::Parser;
//!
//! static MIGRATIONS: migraph::Migrations =
//!     migraph::embed_migrations!("examples/quickstart/migrations");
//!
//! #[derive(Parser)]
//! enum App {
//!     /// Run the service.
//!     Serve,
//!     /// Database migrations: `myapp migrate upgrade head`, `myapp migrate current`...
//!     #[command(subcommand)]
//!     Migrate(migraph::cli::Command),
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     match App::parse() {
//!         App::Serve => std::process::ExitCode::SUCCESS,
//!         App::Migrate(command) => command.execute(&MIGRATIONS, None).await,
//!     }
//! }
//! ```

mod args;
mod commands;
mod config;
mod files;
mod fleet;
mod graph;
mod json;
mod output;
mod picture;
mod standalone;

use std::io::Write;
use std::process::ExitCode;

pub use args::{
    AdoptArgs, CheckArgs, Command, DiffArgs, FleetArgs, GraphArgs, History, Read, RepairArgs, Run,
    SessionArgs, Show, Stamp,
};
pub use config::{CONFIG_FILE, Config, LintConfig, SessionSql};
pub use standalone::{Cli, StandaloneCommand, main, run_args};

use crate::Migrations;

/// What a command runs against.
#[derive(Debug, Clone)]
pub(crate) struct Context<'a> {
    /// The migrations: embedded, or loaded from a directory.
    pub(crate) migrations: &'a Migrations,
    /// Where the database is; `postgres://`, `mysql://`, `mariadb://` or `sqlite:`.
    pub(crate) database_url: Option<String>,
    /// The version table.
    pub(crate) table: String,
    /// Whether to colour the output (a terminal).
    pub(crate) color: bool,
    /// The settings of `migraph.toml`, under the command line's flags.
    pub(crate) config: Config,
    /// A PostgreSQL schema to run in (`--schema`): the search path and the version
    /// table's schema.
    pub(crate) schema: Option<String>,
}

/// How a command that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It did what was asked: exit code 0.
    Done,
    /// It ran, and the answer is no (`check` on a database that is behind): exit code 1.
    No,
}

impl Outcome {
    /// `check`'s verdict.
    fn from_check(ok: bool) -> Self {
        if ok { Self::Done } else { Self::No }
    }
}

/// A command's failure: what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

impl From<crate::Error> for CliError {
    fn from(e: crate::Error) -> Self {
        Self(e.to_string())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self(format!("cannot write output: {e}"))
    }
}

impl Command {
    /// Runs the command against an application's embedded migrations and the database at
    /// `database_url` (`None`: the variable `migraph.toml` names, or `DATABASE_URL`);
    /// prints to stdout, errors to stderr. Reads `migraph.toml` from the current
    /// folder (or the file `MIGRAPH_CONFIG` names) when there is one: its table, lock
    /// timeout and session SQL apply, its directory does not (the migrations are inside
    /// the binary). The exit code is 0 on success, 1 on error or when `check` finds the
    /// database behind.
    pub async fn execute(&self, migrations: &Migrations, database_url: Option<&str>) -> ExitCode {
        let mut err = std::io::stderr();
        let config = match Config::find() {
            Ok(config) => config,
            Err(e) => return finish(Err(e), &mut err),
        };
        self.execute_with(migrations, database_url, config).await
    }

    /// As [`Command::execute`], with settings the application made itself instead of
    /// reading `migraph.toml`.
    pub async fn execute_with(
        &self,
        migrations: &Migrations,
        database_url: Option<&str>,
        config: Config,
    ) -> ExitCode {
        let ctx = Context {
            schema: None,
            migrations,
            database_url: database_url
                .map(str::to_owned)
                .or_else(|| config.database_url_from_env()),
            table: config
                .table
                .clone()
                .unwrap_or_else(|| crate::DEFAULT_TABLE.to_owned()),
            color: std::io::IsTerminal::is_terminal(&std::io::stdout()),
            config,
        };
        let mut out = std::io::stdout().lock();
        finish(self.run(&ctx, &mut out).await, &mut std::io::stderr())
    }
}

/// Turns a command's result into an exit code, printing the error.
fn finish(result: Result<Outcome, CliError>, err: &mut dyn Write) -> ExitCode {
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::No) => ExitCode::FAILURE,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            ExitCode::FAILURE
        }
    }
}
