//! The `migraph` binary: the commands on a directory on disk, and the commands that
//! write files (`init`, `revision`, `merge`).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use include_dir::{Dir, include_dir};
use migraph_core::{Directory, LoadOptions};

use super::{CliError, Command, Config, Context, finish};
use crate::Migrations;

/// The project templates `init` writes, one folder each.
pub static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

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

    async fn run(&self, color: bool, out: &mut dyn Write) -> Result<bool, CliError> {
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
            StandaloneCommand::Init { .. } => Ok(true),
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
                Ok(true)
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
            StandaloneCommand::Run(command) => {
                let migrations = Migrations::from_dir(dir).map_err(one_line)?;
                let ctx = Context {
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

fn load(dir: &Path) -> Result<Directory, CliError> {
    Directory::load(
        dir,
        &dir.display().to_string(),
        LoadOptions {
            allow_multiple_heads: true,
        },
    )
    .map_err(one_line)
}

/// Every problem of a directory, one line each.
fn one_line(problems: migraph_core::Diagnostics) -> CliError {
    CliError(
        problems
            .into_vec()
            .iter()
            .map(migraph_core::Diagnostic::one_line)
            .collect::<Vec<_>>()
            .join("\nerror: "),
    )
}

/// The revision ids a target names (`heads` names several).
fn resolve(loaded: &Directory, text: &str) -> Result<Vec<String>, CliError> {
    let graph = &loaded.graph;
    Ok(super::commands::revisions_of(graph, text)?
        .into_iter()
        .map(|i| graph.id(i).to_owned())
        .collect())
}

/// The parents of a new revision: the single head, or `--head`.
fn revision_parents(
    loaded: &Directory,
    head: Option<&str>,
    splice: bool,
) -> Result<Vec<String>, CliError> {
    let graph = &loaded.graph;
    let heads: Vec<&str> = graph.heads().iter().map(|&h| graph.id(h)).collect();
    let Some(head) = head else {
        return match heads.as_slice() {
            [] => Ok(Vec::new()),
            [h] => Ok(vec![(*h).to_owned()]),
            many => Err(CliError(format!(
                "there are several heads ({}): pass --head to say which one the new revision follows, or join them first with `migraph merge -m \"merge heads\" heads`",
                many.join(", ")
            ))),
        };
    };
    if head == "base" {
        return Ok(Vec::new());
    }
    let ids = resolve(loaded, head)?;
    for id in &ids {
        if !splice && !heads.contains(&id.as_str()) {
            return Err(CliError(format!(
                "`{id}` is not a head; pass --splice to start a branch from it"
            )));
        }
    }
    Ok(ids)
}

/// A fresh 12-hex revision id, or the one given (checked).
fn new_id(given: Option<&str>) -> Result<String, CliError> {
    if let Some(id) = given {
        if !migraph_core::is_valid_name(id) {
            return Err(CliError(format!(
                "invalid revision id `{id}`: use 1 to 64 letters, digits or `_`"
            )));
        }
        return Ok(id.to_owned());
    }
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!(
        "{nanos}/{}/{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    Ok(migraph_core::checksum(&seed)[..12].to_owned())
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `add email to account` -> `add_email_to_account`.
fn slug(message: &str) -> String {
    let mut out = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "revision".to_owned()
    } else {
        out
    }
}

struct Header<'a> {
    id: String,
    down: Vec<String>,
    message: &'a str,
    labels: &'a [String],
    depends_on: &'a [String],
}

/// Writes `<id>_<slug>.sql`, then loads the directory again: a file that breaks the graph
/// is removed and the problem reported.
fn write_revision(dir: &Path, h: &Header<'_>, out: &mut dyn Write) -> Result<bool, CliError> {
    let mut text = format!(
        "-- revision: {}\n-- down_revision: {}\n-- message: {}\n-- created: {}\n",
        h.id,
        if h.down.is_empty() {
            "none".to_owned()
        } else {
            h.down.join(", ")
        },
        h.message.replace('\n', " "),
        now_utc()
    );
    if !h.labels.is_empty() {
        text += &format!("-- branch_labels: {}\n", h.labels.join(", "));
    }
    if !h.depends_on.is_empty() {
        text += &format!("-- depends_on: {}\n", h.depends_on.join(", "));
    }
    text += "\n-- migrate:upgrade\n\n\n-- migrate:downgrade\n\n";
    let path = dir.join(format!("{}_{}.sql", h.id, slug(h.message)));
    if path.exists() {
        return Err(CliError(format!("{} exists already", path.display())));
    }
    std::fs::write(&path, text)
        .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))?;
    if let Err(e) = load(dir) {
        let _ = std::fs::remove_file(&path);
        return Err(CliError(format!(
            "the new revision would break the graph, so it was not written: {e}"
        )));
    }
    writeln!(out, "{}", path.display())?;
    Ok(true)
}

/// Writes template `name` into `dir`, which must not exist or be empty.
fn init(dir: &Path, name: &str, out: &mut dyn Write) -> Result<bool, CliError> {
    let Some(template) = TEMPLATES.get_dir(name) else {
        let names: Vec<String> = TEMPLATES
            .dirs()
            .map(|d| d.path().display().to_string())
            .collect();
        return Err(CliError(format!(
            "no template `{name}`: the templates are {}",
            names.join(", ")
        )));
    };
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(CliError(format!(
            "{} exists and is not empty; choose a new folder",
            dir.display()
        )));
    }
    let project = dir
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            n.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .filter(|n| n.starts_with(|c: char| c.is_ascii_alphabetic()))
        .unwrap_or_else(|| "app".to_owned());
    let revision = new_id(None)?;
    let created = now_utc();
    let mut written = 0;
    for file in all_files(template) {
        let relative = file.path().strip_prefix(name).unwrap_or(file.path());
        if relative == Path::new("ABOUT") {
            continue;
        }
        let relative = relative.to_string_lossy().replace("REVISION", &revision);
        let relative = relative
            .strip_suffix(".template")
            .unwrap_or(&relative)
            .to_owned();
        let target = dir.join(&relative);
        let contents = String::from_utf8_lossy(file.contents())
            .replace("{{revision}}", &revision)
            .replace("{{created}}", &created)
            .replace("{{name}}", &project)
            .replace("{{version}}", env!("CARGO_PKG_VERSION"));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&target, contents)
            .map_err(|e| CliError(format!("cannot write {}: {e}", target.display())))?;
        writeln!(out, "created {}", target.display())?;
        written += 1;
    }
    writeln!(out, "{written} files from template `{name}`")?;
    write_config(dir, name == "app", out)?;
    Ok(true)
}

/// Writes a commented `migraph.toml`: inside an application's folder, or next to a
/// migrations folder (in the folder that holds it). An existing one is kept.
fn write_config(dir: &Path, app: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let (path, directory) = if app {
        (dir.join(super::CONFIG_FILE), "migrations".to_owned())
    } else {
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
        let name = dir
            .file_name()
            .map_or_else(|| "migrations".into(), |n| n.to_string_lossy().into_owned());
        (
            parent.map_or_else(
                || PathBuf::from(super::CONFIG_FILE),
                |p| p.join(super::CONFIG_FILE),
            ),
            name,
        )
    };
    if path.exists() {
        writeln!(out, "kept the existing {}", path.display())?;
        return Ok(());
    }
    let text = super::config::TEMPLATE.replace("{{directory}}", &directory);
    std::fs::write(&path, text)
        .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))?;
    writeln!(
        out,
        "created {} (settings; flags override them)",
        path.display()
    )?;
    Ok(())
}

fn all_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<&include_dir::File<'a>> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(all_files(sub));
    }
    files.sort_by_key(|f| f.path());
    files
}
