//! The commands that work on a set of migrations and a database.

use std::io::Write;
use std::time::Duration;

use clap::{Args, Subcommand};
use migraph_core::{Dialect, Graph, Migration};
use serde_json::{Value, json};
use sqlx::Pool;

use super::{CliError, Context};
use crate::{AppliedRevision, Driver, Migrator, Repair, Report};

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
    /// Exit 0 when the database is at head with matching checksums and nothing left
    /// part-way, 1 otherwise (for CI and readiness probes).
    ///
    /// Example: `migraph check || echo "migrate first"`.
    Check(Read),
    /// Settle a revision an earlier run left part-way, or re-record checksums.
    ///
    /// Example: `migraph repair 3c1d8e --applied`; `migraph repair --checksums`.
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
    /// Seconds to wait for another process's migration lock [default: `lock_timeout` in
    /// migraph.toml, or 300].
    #[arg(long)]
    pub lock_timeout: Option<u64>,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
    /// Session settings.
    #[command(flatten)]
    pub session: SessionArgs,
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

/// Arguments of the read-only commands.
#[derive(Debug, Clone, Args)]
pub struct Read {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Session settings (for the commands that read the database).
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
    #[arg(long)]
    pub json: bool,
    /// Session settings (for a range that reads `current`).
    #[command(flatten)]
    pub session: SessionArgs,
}

impl History {
    /// Whether an end of the range is `current`, which reads the version table.
    fn mentions_current(&self) -> bool {
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
    /// Re-record the checksums of applied revisions whose files changed on purpose.
    #[arg(long)]
    pub checksums: bool,
    /// Session settings.
    #[command(flatten)]
    pub session: SessionArgs,
}

/// The revisions a target names, judged on the graph alone (nothing applied): what the
/// commands that read files use.
pub(super) fn revisions_of(graph: &Graph, text: &str) -> Result<Vec<usize>, CliError> {
    let target: migraph_core::Target = text
        .parse()
        .map_err(|e: migraph_core::TargetError| CliError(e.to_string()))?;
    let resolved = target
        .resolve(graph, &vec![false; graph.len()])
        .map_err(|e| CliError(e.to_string()))?;
    if resolved.branch_base {
        return Err(CliError(format!(
            "`{text}` names a branch's base, not a revision"
        )));
    }
    Ok(resolved.revisions)
}

fn parse_dialect(s: &str) -> Result<Dialect, String> {
    match s {
        "postgres" | "postgresql" => Ok(Dialect::Postgres),
        "mysql" | "mariadb" => Ok(Dialect::MySql),
        "sqlite" => Ok(Dialect::Sqlite),
        other => Err(format!(
            "unknown dialect `{other}`: use postgres, mysql or sqlite"
        )),
    }
}

/// The dialect a database URL speaks.
fn url_dialect(url: &str) -> Result<Dialect, CliError> {
    let scheme = url.split(':').next().unwrap_or("");
    match scheme {
        "postgres" | "postgresql" => Ok(Dialect::Postgres),
        "mysql" | "mariadb" => Ok(Dialect::MySql),
        "sqlite" => Ok(Dialect::Sqlite),
        _ => Err(CliError(format!(
            "unsupported database URL `{url}`: it must start with postgres://, mysql://, mariadb:// or sqlite:"
        ))),
    }
}

/// Splits `FROM:TO`; `TO` alone starts at `default_from`.
fn range<'a>(
    target: &'a str,
    default_from: Option<&'a str>,
) -> Result<(&'a str, &'a str), CliError> {
    match target.split_once(':') {
        Some((from, to)) => Ok((if from.is_empty() { "base" } else { from }, to)),
        None => default_from.map(|from| (from, target)).ok_or_else(|| {
            CliError(format!(
                "an offline downgrade needs a range FROM:TO, e.g. `head:{target}`: there is no database to say where it starts"
            ))
        }),
    }
}

impl Command {
    /// Runs the command, writing its output to `out`. `Ok(false)` means "ran, but the
    /// answer is no" (`check` on a database that is behind): exit code 1.
    ///
    /// # Errors
    ///
    /// One line saying what is wrong and what to do.
    pub async fn run(&self, ctx: &Context<'_>, out: &mut dyn Write) -> Result<bool, CliError> {
        let graph = ctx.migrations.graph()?;
        let runner = ctx.migrations.runner().table(ctx.table.clone());
        match self {
            Self::Heads(a) => return heads(ctx, graph, a.json, out),
            Self::Branches(a) => return branches(ctx, graph, a.json, out),
            // `current` in a range reads the version table; the rest is the graph's.
            Self::History(a) if !(a.mentions_current() && ctx.database_url.is_some()) => {
                return history(ctx, graph, a, None, out);
            }
            Self::Show(a) => return show(ctx, graph, a, out),
            Self::Upgrade(r) | Self::Downgrade(r) if r.sql => {
                let dialect = dialect(ctx, r.dialect)?;
                let runner = runner.single_transaction(r.single_transaction);
                let script = if matches!(self, Self::Upgrade(_)) {
                    let (from, to) = range(&r.target, Some("base"))?;
                    runner.upgrade_script(dialect, from, to)?
                } else {
                    let (from, to) = range(&r.target, None)?;
                    runner.downgrade_script(dialect, from, to)?
                };
                out.write_all(script.as_bytes())?;
                return Ok(true);
            }
            Self::Stamp(s) if s.sql => {
                if s.purge {
                    return Err(CliError(
                        "--purge cannot be used with --sql: a script cannot know which rows the version table holds; delete them in the script by hand, or stamp online".to_owned(),
                    ));
                }
                let dialect = dialect(ctx, s.dialect)?;
                let (from, first) = range(&s.targets[0], Some("base"))?;
                let mut targets: Vec<&str> = vec![first];
                targets.extend(s.targets[1..].iter().map(String::as_str));
                out.write_all(runner.stamp_script(dialect, from, &targets)?.as_bytes())?;
                return Ok(true);
            }
            _ => {}
        }
        let url = ctx.database_url.as_deref().ok_or_else(|| {
            CliError("no database: pass --database-url or set DATABASE_URL".to_owned())
        })?;
        match url_dialect(url)? {
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                let pool = connect::<sqlx::Postgres>(url).await?;
                self.with_pool(ctx, runner, &pool, out).await
            }
            #[cfg(feature = "mysql")]
            Dialect::MySql => {
                let url = url.replacen("mariadb:", "mysql:", 1);
                let pool = connect::<sqlx::MySql>(&url).await?;
                self.with_pool(ctx, runner, &pool, out).await
            }
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = url
                    .parse()
                    .map_err(|e| CliError(format!("bad SQLite URL `{url}`: {e}")))?;
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.create_if_missing(true))
                    .await
                    .map_err(|e| CliError(format!("cannot open `{url}`: {e}")))?;
                self.with_pool(ctx, runner, &pool, out).await
            }
            #[allow(unreachable_patterns)]
            other => Err(CliError(format!(
                "this binary was built without the {other} driver; enable the `{other}` feature of the migrations crate"
            ))),
        }
    }

    /// Runs a database command on `pool`, then closes the pool.
    async fn with_pool<DB: Driver>(
        &self,
        ctx: &Context<'_>,
        runner: Migrator<'_>,
        pool: &Pool<DB>,
        out: &mut dyn Write,
    ) -> Result<bool, CliError> {
        let result = self.database_command(ctx, runner, pool, out).await;
        pool.close().await;
        result
    }

    /// The session SQL flags given to this command.
    fn session_flags(&self) -> &[String] {
        match self {
            Self::Upgrade(r) | Self::Downgrade(r) => &r.session.session_sql,
            Self::Stamp(s) => &s.session.session_sql,
            Self::Current(a) | Self::Heads(a) | Self::Branches(a) | Self::Check(a) => {
                &a.session.session_sql
            }
            Self::History(a) => &a.session.session_sql,
            Self::Repair(a) => &a.session.session_sql,
            Self::Show(_) => &[],
        }
    }

    async fn database_command<DB: Driver>(
        &self,
        ctx: &Context<'_>,
        runner: Migrator<'_>,
        pool: &Pool<DB>,
        out: &mut dyn Write,
    ) -> Result<bool, CliError> {
        // The flags replace the file's session SQL for this dialect.
        let session = match self.session_flags() {
            [] => ctx.config.session_sql(DB::DIALECT),
            flags => flags,
        };
        let runner = runner.session_sql(session.iter().cloned());
        match self {
            Self::Upgrade(r) | Self::Downgrade(r) => {
                let seconds = r.lock_timeout.or(ctx.config.lock_timeout).unwrap_or(300);
                let mut runner = runner
                    .single_transaction(r.single_transaction)
                    .lock_timeout(Duration::from_secs(seconds));
                // On a terminal, a progress bar follows the revisions; the summary
                // follows on stdout.
                let bar = if ctx.color && !r.json {
                    let bar = if matches!(self, Self::Upgrade(_)) {
                        let total = runner.pending(pool, &r.target).await.map_or(0, |p| p.len());
                        indicatif::ProgressBar::new(total as u64)
                    } else {
                        indicatif::ProgressBar::new_spinner()
                    };
                    if let Ok(style) = indicatif::ProgressStyle::with_template(
                        "{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})",
                    ) {
                        bar.set_style(style.progress_chars("=> "));
                    }
                    let hook = bar.clone();
                    runner = runner.on_step(move |step| {
                        hook.inc(1);
                        hook.set_message(format!("{} {}", step.action, step.revision));
                    });
                    Some(bar)
                } else {
                    None
                };
                let report = if matches!(self, Self::Upgrade(_)) {
                    runner.upgrade(pool, &r.target).await
                } else {
                    runner.downgrade(pool, &r.target).await
                };
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                let report = match report {
                    Ok(report) => report,
                    Err(e) if r.json => {
                        writeln!(out, "{}", json!({ "error": error_json(&e) }))?;
                        return Err(e.into());
                    }
                    Err(e) => return Err(e.into()),
                };
                write_report(ctx, &report, r.json, out)?;
                Ok(true)
            }
            Self::Stamp(s) => {
                let targets: Vec<&str> = s.targets.iter().map(String::as_str).collect();
                let report = if s.purge {
                    runner.purge_and_stamp(pool, &targets).await?
                } else {
                    runner.stamp(pool, &targets).await?
                };
                write_report(ctx, &report, s.json, out)?;
                Ok(true)
            }
            Self::Current(a) => {
                // One read of the version table gives both the current and the dirty rows.
                let rows = runner.applied(pool).await?;
                let current = AppliedRevision::current(&rows);
                current_output(ctx, &rows, &current, a.json, out)?;
                Ok(true)
            }
            Self::Check(a) => {
                let (verdict, pending) = match runner.pending(pool, "heads").await {
                    Ok(pending) if pending.is_empty() => (Ok(()), pending),
                    Ok(pending) => (
                        Err(format!(
                            "the database is behind: {} revision(s) to apply",
                            pending.len()
                        )),
                        pending,
                    ),
                    Err(e @ (crate::Error::Database(_) | crate::Error::InvalidTable { .. })) => {
                        return Err(e.into());
                    }
                    Err(e) => (Err(e.to_string()), Vec::new()),
                };
                if a.json {
                    let v = match &verdict {
                        Ok(()) => json!({"ok": true}),
                        Err(problem) => json!({
                            "ok": false,
                            "problem": problem,
                            "pending": pending.iter().map(|m| m.revision()).collect::<Vec<_>>(),
                        }),
                    };
                    writeln!(out, "{v}")?;
                    return Ok(verdict.is_ok());
                }
                match &verdict {
                    Ok(()) => writeln!(out, "ok: the database is at head")?,
                    Err(problem) => writeln!(out, "not ok: {problem}")?,
                }
                // The first few pending revisions, one per line; all of them with --json.
                const SHOWN: usize = 5;
                for m in pending.iter().take(SHOWN) {
                    writeln!(out, "  {} {}", m.revision(), m.message())?;
                }
                if pending.len() > SHOWN {
                    writeln!(
                        out,
                        "  ... and {} more (`check --json` lists them all)",
                        pending.len() - SHOWN
                    )?;
                }
                Ok(verdict.is_ok())
            }
            Self::Repair(a) => {
                let names: Vec<&str> = a.revisions.iter().map(String::as_str).collect();
                if a.checksums {
                    let done = runner.repair_checksums(pool, &names).await?;
                    if done.is_empty() {
                        writeln!(out, "every checksum already matches")?;
                    }
                    for revision in done {
                        writeln!(out, "re-recorded the checksum of {revision}")?;
                    }
                    return Ok(true);
                }
                let how = match (a.applied, a.rolled_back) {
                    (true, false) => Repair::Applied,
                    (false, true) => Repair::RolledBack,
                    _ => {
                        return Err(CliError(
                            "say how the revision was settled: --applied (finished by hand) or --rolled-back (undone by hand)".to_owned(),
                        ));
                    }
                };
                let [revision] = names.as_slice() else {
                    return Err(CliError("name one revision to repair".to_owned()));
                };
                runner.repair(pool, revision, how).await?;
                writeln!(
                    out,
                    "repaired {revision}: marked {}",
                    match how {
                        Repair::Applied => "applied",
                        Repair::RolledBack => "rolled back",
                    }
                )?;
                Ok(true)
            }
            Self::History(a) => {
                let graph = ctx.migrations.graph()?;
                let rows = runner.applied(pool).await?;
                let mut applied = vec![false; graph.len()];
                for row in rows
                    .iter()
                    .filter(|r| r.state == crate::RevisionState::Applied)
                {
                    if let Some(i) = graph.find(&row.revision) {
                        applied[i] = true;
                    }
                }
                history(ctx, graph, a, Some(&applied), out)
            }
            Self::Heads(_) | Self::Branches(_) | Self::Show(_) => Ok(true),
        }
    }
}

async fn connect<DB: sqlx::Database>(url: &str) -> Result<Pool<DB>, CliError> {
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| CliError(format!("cannot connect to `{}`: {e}", redact(url))))
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn dialect(ctx: &Context<'_>, given: Option<Dialect>) -> Result<Dialect, CliError> {
    match (given, &ctx.database_url) {
        (Some(d), _) => Ok(d),
        (None, Some(url)) => url_dialect(url),
        (None, None) => Err(CliError(
            "--sql needs a dialect: pass --dialect postgres|mysql|sqlite, or a database URL"
                .to_owned(),
        )),
    }
}

fn paint(ctx: &Context<'_>, code: &str, text: &str) -> String {
    if ctx.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn write_report(
    ctx: &Context<'_>,
    report: &Report,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if as_json {
        let steps: Vec<Value> = report
            .steps
            .iter()
            .map(|s| {
                json!({
                    "revision": s.revision,
                    "message": s.message,
                    "action": s.action.to_string(),
                    "ms": s.duration.as_secs_f64() * 1000.0,
                })
            })
            .collect();
        writeln!(out, "{}", json!({ "steps": steps }))?;
        return Ok(());
    }
    if report.is_empty() {
        writeln!(out, "nothing to do")?;
    }
    for s in &report.steps {
        writeln!(
            out,
            "{} {} {} ({:.1?})",
            paint(ctx, "32", &s.action.to_string()),
            s.revision,
            s.message,
            s.duration
        )?;
    }
    Ok(())
}

/// An error as JSON: its text, and for a failed revision where it failed and what the
/// database said, field by field.
fn error_json(e: &crate::Error) -> Value {
    let mut v = json!({ "message": e.to_string() });
    if let crate::Error::Execute {
        revision,
        file,
        action,
        statement,
        line,
        sql,
        database,
        ..
    } = e
    {
        v["revision"] = json!(revision);
        v["file"] = json!(file);
        v["action"] = json!(action.to_string());
        v["statement"] = json!(statement);
        v["line"] = json!(line);
        v["sql"] = json!(sql);
        v["code"] = json!(database.code);
        v["database_message"] = json!(database.message);
        v["detail"] = json!(database.detail);
        v["hint"] = json!(database.hint);
    }
    v
}

fn row_json(r: &AppliedRevision) -> Value {
    json!({
        "revision": r.revision,
        "parents": r.parents,
        "message": r.message,
        "checksum": r.checksum,
        "applied_at": r.applied_at,
        "execution_ms": r.execution_ms,
        "state": r.state.as_str(),
        "error": r.error,
    })
}

fn current_output(
    ctx: &Context<'_>,
    rows: &[AppliedRevision],
    current: &[&AppliedRevision],
    as_json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let graph = ctx.migrations.graph()?;
    let dirty: Vec<&AppliedRevision> = rows
        .iter()
        .filter(|r| r.state != crate::RevisionState::Applied)
        .collect();
    if as_json {
        let v = json!({
            "current": current.iter().map(|r| row_json(r)).collect::<Vec<_>>(),
            "dirty": dirty.iter().map(|r| row_json(r)).collect::<Vec<_>>(),
        });
        writeln!(out, "{v}")?;
        return Ok(());
    }
    if current.is_empty() && dirty.is_empty() {
        writeln!(out, "base (nothing applied)")?;
    }
    for r in current {
        let head = graph
            .find(&r.revision)
            .is_some_and(|i| graph.children(i).is_empty());
        let known = graph.find(&r.revision).is_some();
        let mut line = r.revision.clone();
        if head {
            line += " (head)";
        }
        if !known {
            line += &paint(ctx, "33", " (not in these migrations)");
        }
        writeln!(out, "{line} {}", r.message)?;
    }
    for r in dirty {
        writeln!(
            out,
            "{} {} is {}{}",
            paint(ctx, "31", "dirty:"),
            r.revision,
            r.state,
            r.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

fn describe(graph: &Graph, m: &Migration, i: usize) -> String {
    let mut tags = Vec::new();
    if graph.children(i).is_empty() {
        tags.push("head");
    }
    if graph.children(i).len() > 1 {
        tags.push("branchpoint");
    }
    if graph.parents(i).len() > 1 {
        tags.push("mergepoint");
    }
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!(" ({})", tags.join(", "))
    };
    let parents = if m.down_revisions().is_empty() {
        "<base>".to_owned()
    } else {
        m.down_revisions().join(", ")
    };
    format!("{parents} -> {}{tags}, {}", m.revision(), m.message())
}

fn migration_json(graph: &Graph, m: &Migration, i: usize) -> Value {
    json!({
        "revision": m.revision(),
        "down_revision": m.down_revisions(),
        "children": graph.children(i).iter().map(|&c| graph.id(c)).collect::<Vec<_>>(),
        "branch_labels": m.branch_labels(),
        "depends_on": m.depends_on(),
        "message": m.message(),
        "created": m.created(),
        "file": m.file_name(),
        "checksum": m.checksum(),
        "transaction": m.transactional(),
        "head": graph.children(i).is_empty(),
    })
}

/// Revisions `indices` as a JSON array.
fn json_list(
    ctx: &Context<'_>,
    graph: &Graph,
    indices: &[usize],
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let all = ctx.migrations.migrations();
    let v: Vec<Value> = indices
        .iter()
        .map(|&i| migration_json(graph, &all[i], i))
        .collect();
    writeln!(out, "{}", Value::Array(v))?;
    Ok(true)
}

fn heads(
    ctx: &Context<'_>,
    graph: &Graph,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let all = ctx.migrations.migrations();
    if as_json {
        return json_list(ctx, graph, graph.heads(), out);
    }
    for &i in graph.heads() {
        let labels = all[i].branch_labels();
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format!(" ({})", labels.join(", "))
        };
        writeln!(
            out,
            "{} (head){labels} {}",
            all[i].revision(),
            all[i].message()
        )?;
    }
    Ok(true)
}

fn branches(
    ctx: &Context<'_>,
    graph: &Graph,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let all = ctx.migrations.migrations();
    let points: Vec<usize> = (0..graph.len())
        .filter(|&i| graph.children(i).len() > 1)
        .collect();
    if as_json {
        return json_list(ctx, graph, &points, out);
    }
    for i in points {
        let children: Vec<&str> = graph.children(i).iter().map(|&c| graph.id(c)).collect();
        writeln!(
            out,
            "{} (branchpoint) {} -> {}",
            all[i].revision(),
            all[i].message(),
            children.join(", ")
        )?;
    }
    Ok(true)
}

/// `history`: the revisions of the range (all of them without one), newest first;
/// `current` is the applied set, when a range end says `current`.
fn history(
    ctx: &Context<'_>,
    graph: &Graph,
    args: &History,
    current: Option<&[bool]>,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let all = ctx.migrations.migrations();
    let order = migraph_core::plan::history(graph, current, args.range.as_deref().unwrap_or(":"))
        .map_err(|e| CliError(e.to_string()))?;
    if args.json {
        return json_list(ctx, graph, &order, out);
    }
    for i in order {
        writeln!(out, "{}", describe(graph, &all[i], i))?;
    }
    Ok(true)
}

fn show(
    ctx: &Context<'_>,
    graph: &Graph,
    args: &Show,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let i = match revisions_of(graph, &args.revision)?.as_slice() {
        [i] => *i,
        _ => return Err(CliError(format!("`{}` is not one revision", args.revision))),
    };
    let m = &ctx.migrations.migrations()[i];
    if args.json {
        let mut v = migration_json(graph, m, i);
        v["upgrade"] = json!(m.upgrade_sql());
        v["downgrade"] = json!(m.downgrade_sql());
        writeln!(out, "{v}")?;
        return Ok(true);
    }
    writeln!(
        out,
        "Rev: {}{}",
        m.revision(),
        if graph.children(i).is_empty() {
            " (head)"
        } else {
            ""
        }
    )?;
    writeln!(
        out,
        "Parent: {}",
        if m.down_revisions().is_empty() {
            "<base>".to_owned()
        } else {
            m.down_revisions().join(", ")
        }
    )?;
    let children: Vec<&str> = graph.children(i).iter().map(|&c| graph.id(c)).collect();
    if !children.is_empty() {
        writeln!(out, "Children: {}", children.join(", "))?;
    }
    if !m.branch_labels().is_empty() {
        writeln!(out, "Branch labels: {}", m.branch_labels().join(", "))?;
    }
    if !m.depends_on().is_empty() {
        writeln!(out, "Depends on: {}", m.depends_on().join(", "))?;
    }
    writeln!(out, "File: {}", m.file_name())?;
    if !m.created().is_empty() {
        writeln!(out, "Created: {}", m.created())?;
    }
    writeln!(out, "Checksum: {}", m.checksum())?;
    if !m.transactional() {
        writeln!(out, "Transaction: false")?;
    }
    writeln!(out, "\n    {}\n", m.message())?;
    writeln!(out, "-- migrate:upgrade\n{}", m.upgrade_sql())?;
    match m.downgrade_sql() {
        Some(sql) => writeln!(out, "-- migrate:downgrade\n{sql}")?,
        None => writeln!(out, "(no downgrade: irreversible)")?,
    }
    Ok(true)
}
