//! The `migraph` binary: the commands on a directory on disk, and the commands that
//! write files (`init`, `revision`, `merge`).

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use super::files::{
    Header, TEMPLATES, init, load, new_id, one_line, resolve, revision_parents, write_revision,
};
use super::{CliError, Command, Config, Context, Outcome, finish};
use crate::Migrations;
use crate::import::Tool;
use migraph_core::Dialect;

/// Revision-graph schema migrations for PostgreSQL, MySQL/MariaDB and SQLite.
#[derive(Debug, Parser)]
#[command(name = "migrations", version, about, propagate_version = true)]
pub struct Cli {
    /// The settings file [default: ./migraph.toml, when it exists].
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// The migrations directory [default: `directory` in migraph.toml, or ./migrations].
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// The database: postgres://..., mysql://..., mariadb://... or sqlite:FILE
    /// [default: the variable `database_url_env` in migraph.toml names, or
    /// DATABASE_URL].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// The version table, optionally `schema.table` [default: `table` in
    /// migraph.toml, or _migrations].
    #[arg(long, global = true)]
    pub table: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: StandaloneCommand,
}

/// Every command of the `migraph` binary.
#[derive(Debug, Subcommand)]
#[command(rename_all = "kebab-case")]
pub enum StandaloneCommand {
    /// Create a migrations folder, or a whole application, from a template.
    ///
    /// Example: `migraph init migrations -t postgres`; `migraph init myapp -t app`.
    Init {
        /// The folder to create (it must not exist, or be empty).
        dir: PathBuf,
        /// The template: see `list-templates`.
        #[arg(short, long, default_value = "sqlite")]
        template: String,
    },
    /// List the templates of `init`.
    ///
    /// Example: `migraph list-templates`.
    ListTemplates,
    /// Write a new revision file after the current head.
    ///
    /// Example: `migraph revision -m "add email to account"`.
    Revision {
        /// What the revision does.
        #[arg(short, long)]
        message: String,
        /// Use this revision id instead of a fresh one.
        #[arg(long)]
        rev_id: Option<String>,
        /// The revision to follow (a head, `<label>@head`, or `base` for a new root);
        /// required when there are several heads.
        #[arg(long)]
        head: Option<String>,
        /// A branch label for the new revision.
        #[arg(long)]
        branch_label: Vec<String>,
        /// Revisions or labels the new revision depends on.
        #[arg(long)]
        depends_on: Vec<String>,
        /// Allow `--head` to name a revision that is not a head (start a branch there).
        #[arg(long)]
        splice: bool,
    },
    /// Write a revision that joins REVISIONS (or `heads`) into one head.
    ///
    /// Example: `migraph merge -m "merge heads" heads`.
    Merge {
        /// What the merge is for.
        #[arg(short, long)]
        message: String,
        /// The revisions to join, or `heads`.
        #[arg(required = true)]
        revisions: Vec<String>,
        /// Use this revision id instead of a fresh one.
        #[arg(long)]
        rev_id: Option<String>,
    },
    /// Write one revision that replaces the linear run FROM:TO (`replaces:`), their
    /// upgrades in order and their downgrades in reverse.
    ///
    /// Example: `migraph squash a1:c3 -m "baseline"`.
    Squash {
        /// The run, FROM:TO, both included.
        range: String,
        /// What the squash is.
        #[arg(short, long)]
        message: String,
        /// Use this revision id instead of a fresh one.
        #[arg(long)]
        rev_id: Option<String>,
    },
    /// Write another tool's migrations (diesel, sqlx, refinery, alembic) into the
    /// migrations directory as migraph files, one revision each, the SQL unchanged.
    ///
    /// Example: `migraph import --from diesel ./old-migrations`; then `migraph adopt
    /// --from diesel` on each database that tool migrated.
    Import {
        /// The tool: diesel, sqlx, refinery or alembic.
        #[arg(long, value_parser = super::args::parse_tool)]
        from: Tool,
        /// Its migrations folder (for Alembic, `versions/` or the folder holding it).
        src: PathBuf,
        /// Alembic: the script `alembic upgrade base:heads --sql` printed.
        #[arg(long)]
        upgrade_sql: Option<PathBuf>,
        /// Alembic: the script `alembic downgrade heads:base --sql` printed.
        #[arg(long)]
        downgrade_sql: Option<PathBuf>,
        /// Alembic: the dialect of those scripts: postgres, mysql or sqlite.
        #[arg(long, value_parser = super::args::parse_dialect, default_value = "postgres")]
        dialect: Dialect,
        /// Alembic: its version table, when configured otherwise.
        #[arg(long, default_value = "alembic_version")]
        version_table: String,
        /// Overwrite files that exist with other text.
        #[arg(long)]
        force: bool,
    },
    /// Check the SQL of every revision against the dialect's rules: statements that
    /// cannot run where the revision runs them, and (opt-in) schema changes that lock a
    /// busy table. Exit 1 on findings.
    ///
    /// Example: `migraph lint --dialect postgres --rule online`.
    Lint {
        /// postgres, mysql or sqlite [default: `dialect` in migraph.toml's `[lint]`, or
        /// the database URL's].
        #[arg(long, value_parser = super::args::parse_dialect)]
        dialect: Option<Dialect>,
        /// An opt-in rule to check too, or `online` for all of PostgreSQL's (repeatable)
        /// [default: `rules` in migraph.toml's `[lint]`].
        #[arg(long = "rule", value_name = "RULE")]
        rules: Vec<String>,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A command on the database or the graph.
    #[command(flatten)]
    Run(Command),
}

/// The `migraph` binary: parses `std::env::args`, runs, returns the exit code.
pub fn main() -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    let color = std::io::IsTerminal::is_terminal(&std::io::stdout());
    run_args(std::env::args_os(), color, &mut stdout, &mut stderr)
}

/// Runs the binary's command line `args` (the first is the program name), writing to
/// `out` and `err`; returns the exit code. Never panics on bad input: every problem is one
/// line on `err` and exit code 1 (clap's usage errors: 2).
pub fn run_args(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(move_global_json(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let text = if color {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            let usage = e.use_stderr();
            let _ = if usage {
                write!(err, "{text}")
            } else {
                write!(out, "{text}")
            };
            return if usage {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return finish(
                Err(CliError(format!("cannot start the async runtime: {e}"))),
                err,
            );
        }
    };
    finish(runtime.block_on(cli.run(color, out)), err)
}

/// `migrations --json current` means `migraph current --json`: `--json` belongs to
/// the commands, so given among the global options it moves after the command.
fn move_global_json(mut args: Vec<OsString>) -> Vec<OsString> {
    const TAKES_VALUE: [&str; 3] = ["--dir", "--database-url", "--table"];
    let mut i = 1;
    while let Some(arg) = args.get(i).map(|a| a.to_string_lossy().into_owned()) {
        if arg == "--json" {
            let json = args.remove(i);
            args.push(json);
            break;
        }
        if TAKES_VALUE.contains(&arg.as_str()) {
            i += 2;
        } else if arg.starts_with('-') {
            i += 1;
        } else {
            break;
        }
    }
    args
}

impl Cli {
    /// The settings: `--config`, or `./migraph.toml` (or `MIGRAPH_CONFIG`).
    fn config(&self) -> Result<Config, CliError> {
        match &self.config {
            Some(path) => Config::load(path),
            None => Config::find(),
        }
    }

    async fn run(&self, color: bool, out: &mut dyn Write) -> Result<Outcome, CliError> {
        if let StandaloneCommand::Init { dir, template } = &self.command {
            return init(dir, template, out);
        }
        let config = self.config()?;
        let dir = self
            .dir
            .clone()
            .or_else(|| config.directory.clone())
            .unwrap_or_else(|| PathBuf::from("./migrations"));
        let dir = dir.as_path();
        match &self.command {
            StandaloneCommand::Init { .. } => Ok(Outcome::Done),
            StandaloneCommand::ListTemplates => {
                for t in TEMPLATES.dirs() {
                    let name = t.path().display().to_string();
                    let about = t
                        .get_file(t.path().join("ABOUT"))
                        .and_then(|f| f.contents_utf8())
                        .unwrap_or("")
                        .trim();
                    writeln!(out, "{name:10} {about}")?;
                }
                Ok(Outcome::Done)
            }
            StandaloneCommand::Revision {
                message,
                rev_id,
                head,
                branch_label,
                depends_on,
                splice,
            } => {
                let loaded = load(dir)?;
                let down = revision_parents(&loaded, head.as_deref(), *splice)?;
                let header = Header {
                    id: new_id(rev_id.as_deref())?,
                    down,
                    message,
                    labels: branch_label,
                    depends_on,
                };
                write_revision(dir, &header, out)
            }
            StandaloneCommand::Import {
                from,
                src,
                upgrade_sql,
                downgrade_sql,
                dialect,
                version_table,
                force,
            } => {
                let read = |path: &PathBuf| {
                    std::fs::read_to_string(path)
                        .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))
                };
                let upgrade = upgrade_sql.as_ref().map(read).transpose()?;
                let downgrade = downgrade_sql.as_ref().map(read).transpose()?;
                let alembic = upgrade.as_deref().map(|upgrade| crate::import::AlembicSql {
                    upgrade,
                    downgrade: downgrade.as_deref(),
                    dialect: *dialect,
                    version_table,
                });
                let imported = crate::import::read(*from, src, alembic).map_err(one_line)?;
                for problem in &imported.skipped {
                    writeln!(out, "skipped: {problem}")?;
                }
                let done = crate::import::write(&imported, dir, *force).map_err(one_line)?;
                for path in &done.written {
                    writeln!(out, "{}", path.display())?;
                }
                writeln!(
                    out,
                    "{} revision(s) imported from {from} into {} ({} written, {} unchanged, {} skipped); next, on each database {from} migrated: migraph adopt --from {from}",
                    imported.files.len(),
                    dir.display(),
                    done.written.len(),
                    done.unchanged.len(),
                    imported.skipped.len(),
                )?;
                Ok(Outcome::Done)
            }
            StandaloneCommand::Merge {
                message,
                revisions,
                rev_id,
            } => {
                let loaded = load(dir)?;
                let mut down: Vec<String> = Vec::new();
                for r in revisions {
                    for id in resolve(&loaded, r)? {
                        if !down.contains(&id) {
                            down.push(id);
                        }
                    }
                }
                if down.len() < 2 {
                    return Err(CliError(format!(
                        "a merge joins two or more revisions; {} given ({})",
                        down.len(),
                        down.join(", ")
                    )));
                }
                let header = Header {
                    id: new_id(rev_id.as_deref())?,
                    down,
                    message,
                    labels: &[],
                    depends_on: &[],
                };
                write_revision(dir, &header, out)
            }
            StandaloneCommand::Squash {
                range,
                message,
                rev_id,
            } => super::files::write_squash(dir, range, message, rev_id.as_deref(), out),
            StandaloneCommand::Lint {
                dialect,
                rules,
                json,
            } => {
                let url = self
                    .database_url
                    .clone()
                    .or_else(|| config.database_url_from_env());
                let dialect = dialect
                    .or(config.lint.dialect)
                    .or_else(|| url.as_deref().and_then(Dialect::from_url))
                    .ok_or_else(|| {
                        CliError(
                            "say which SQL dialect to check: --dialect postgres (or mysql, sqlite), or `dialect` in the [lint] table of migraph.toml".to_owned(),
                        )
                    })?;
                let rules = if rules.is_empty() {
                    &config.lint.rules
                } else {
                    rules
                };
                lint(&load(dir)?.every_file(), dialect, rules, *json, out)
            }
            StandaloneCommand::Run(command) => {
                let migrations = Migrations::from_dir(dir).map_err(one_line)?;
                let ctx = Context {
                    schema: None,
                    migrations: &migrations,
                    database_url: self
                        .database_url
                        .clone()
                        .or_else(|| config.database_url_from_env()),
                    table: self
                        .table
                        .clone()
                        .or_else(|| config.table.clone())
                        .unwrap_or_else(|| crate::DEFAULT_TABLE.to_owned()),
                    color,
                    config,
                };
                command.run(&ctx, out).await
            }
        }
    }
}

/// `migraph lint`: the findings of `rules` (with the dialect's default ones) over the
/// files of `loaded`, as text or JSON; `No` (exit 1) when there are any.
fn lint(
    files: &[migraph_core::SourceFile],
    dialect: Dialect,
    rules: &[String],
    json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let mut options = migraph_core::lint::LintOptions::new(dialect);
    for rule in rules {
        options = options.enable(rule).map_err(CliError)?;
    }
    let findings = migraph_core::lint::lint(files, &options);
    let names: Vec<&'static str> = options.rules().iter().map(|r| r.name()).collect();
    if json {
        let value = super::json::LintJson {
            dialect: dialect.to_string(),
            rules: names,
            revisions: files.len(),
            findings: findings.iter().map(Into::into).collect(),
        };
        writeln!(out, "{}", super::json::to_line(&value))?;
    } else {
        for finding in &findings {
            writeln!(out, "{}\n", finding.diagnostic)?;
        }
        let rules = if names.is_empty() {
            "no rules: SQLite has none yet".to_owned()
        } else {
            names.join(", ")
        };
        writeln!(
            out,
            "{} finding(s) in {} revision(s), {dialect} ({rules})",
            findings.len(),
            files.len()
        )?;
    }
    Ok(if findings.is_empty() {
        Outcome::Done
    } else {
        Outcome::No
    })
}
