//! Running a command: the graph's commands, offline scripts, and the database's.

use std::io::Write;
use std::time::Duration;

use migraph_core::{Dialect, Graph, RevIndex, RevSet};
use sqlx::Pool;

use super::args::{CheckArgs, Command};
use super::graph::{branches, heads, history, picture, show};
use super::json::{AdoptJson, CheckJson, DiffJson, ErrorJson, Failure, to_line};
use super::output::{current_output, write_report};
use super::{CliError, Context, Outcome};
use crate::{AppliedRevision, Driver, Migrator, Repair};

/// The revisions a target names, judged on the graph alone (nothing applied): what the
/// commands that read files use.
pub(super) fn revisions_of(graph: &Graph, text: &str) -> Result<Vec<RevIndex>, CliError> {
    let target: migraph_core::Target = text
        .parse()
        .map_err(|e: migraph_core::TargetError| CliError(e.to_string()))?;
    let resolved = target
        .resolve(graph, &RevSet::empty(graph))
        .map_err(|e| CliError(e.to_string()))?;
    if resolved.branch_base {
        return Err(CliError(format!(
            "`{text}` names a branch's base, not a revision"
        )));
    }
    Ok(resolved.revisions)
}

/// The dialect a database URL speaks.
pub(super) fn url_dialect(url: &str) -> Result<Dialect, CliError> {
    Dialect::from_url(url).ok_or_else(|| {
        CliError(format!(
            "unsupported database URL `{url}`: it must start with postgres://, mysql://, mariadb:// or sqlite:"
        ))
    })
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
    /// Runs the command, writing its output to `out`. [`Outcome::No`] means "ran, but the
    /// answer is no" (`check` on a database that is behind): exit code 1.
    ///
    /// # Errors
    ///
    /// One line saying what is wrong and what to do.
    pub(crate) async fn run(
        &self,
        ctx: &Context<'_>,
        out: &mut dyn Write,
    ) -> Result<Outcome, CliError> {
        match self.fleet() {
            Some(fleet) if fleet.databases.is_some() || fleet.schemas.is_some() => {
                super::fleet::run(self, fleet, ctx, out).await
            }
            Some(fleet) if fleet.schema.is_some() => {
                let one = super::fleet::in_schema(ctx, fleet.schema.clone());
                self.run_one(&one, out).await
            }
            _ => self.run_one(ctx, out).await,
        }
    }

    /// The `--databases` options of the commands that take them.
    fn fleet(&self) -> Option<&super::args::FleetArgs> {
        match self {
            Self::Upgrade(r) | Self::Downgrade(r) | Self::To(r) => Some(&r.fleet),
            Self::Current(a)
            | Self::Check(CheckArgs { read: a, .. })
            | Self::Heads(a)
            | Self::Branches(a) => Some(&a.fleet),
            _ => None,
        }
    }

    /// Runs the command on the one database of `ctx`.
    pub(super) async fn run_one(
        &self,
        ctx: &Context<'_>,
        out: &mut dyn Write,
    ) -> Result<Outcome, CliError> {
        let graph = ctx.migrations.graph()?;
        let mut runner = ctx.migrations.runner().table(ctx.table.clone());
        if let Some(lock) = ctx.config.lock {
            runner = runner.lock(lock);
        }
        if let Some(lease) = ctx.config.lease {
            runner = runner.lease(Duration::from_secs(lease));
        }
        match self {
            Self::Heads(a) => return heads(ctx, graph, a.json, out),
            Self::Branches(a) => return branches(ctx, graph, a.json, out),
            // `current` in a range reads the version table, and so does `--graph` when
            // there is a database to mark the revisions with; the rest is the graph's.
            Self::History(a)
                if ctx.database_url.is_none() || !(a.mentions_current() || a.graph) =>
            {
                return history(ctx, graph, a, None, None, out);
            }
            Self::Graph(a) if ctx.database_url.is_none() => {
                return picture(ctx, graph, &a.format, None, out);
            }
            Self::Show(a) => return show(ctx, graph, a, out),
            Self::To(r) if r.sql => {
                return Err(CliError(
                    "`to` has no --sql: whether it goes up or down depends on the database; write the script with `upgrade FROM:TO --sql` or `downgrade FROM:TO --sql`".to_owned(),
                ));
            }
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
                return Ok(Outcome::Done);
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
                return Ok(Outcome::Done);
            }
            _ => {}
        }
        let url = ctx.database_url.as_deref().ok_or_else(|| {
            let variable = ctx
                .config
                .database_url_env
                .as_deref()
                .unwrap_or("DATABASE_URL");
            CliError(format!(
                "no database: pass --database-url or set {variable}"
            ))
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
    ) -> Result<Outcome, CliError> {
        let result = self.database_command(ctx, runner, pool, out).await;
        pool.close().await;
        result
    }

    /// The session SQL flags given to this command.
    fn session_flags(&self) -> &[String] {
        match self {
            Self::Upgrade(r) | Self::Downgrade(r) | Self::To(r) => &r.session.session_sql,
            Self::Stamp(s) => &s.session.session_sql,
            Self::Current(a)
            | Self::Heads(a)
            | Self::Branches(a)
            | Self::Check(CheckArgs { read: a, .. }) => &a.session.session_sql,
            Self::Diff(a) => &a.session.session_sql,
            Self::History(a) => &a.session.session_sql,
            Self::Graph(a) => &a.session.session_sql,
            Self::Repair(a) => &a.session.session_sql,
            Self::Adopt(a) => &a.session.session_sql,
            Self::Show(_) => &[],
        }
    }

    async fn database_command<DB: Driver>(
        &self,
        ctx: &Context<'_>,
        runner: Migrator<'_>,
        pool: &Pool<DB>,
        out: &mut dyn Write,
    ) -> Result<Outcome, CliError> {
        // The flags replace the file's session SQL for this dialect.
        let session = match self.session_flags() {
            [] => ctx.config.session_sql(DB::DIALECT),
            flags => flags,
        };
        let mut statements: Vec<String> = Vec::new();
        if let Some(schema) = &ctx.schema {
            if DB::DIALECT != Dialect::Postgres {
                return Err(CliError(
                    "--schema and --schemas are for PostgreSQL; give each MySQL database or SQLite file its own URL with --databases".to_owned(),
                ));
            }
            let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
            if matches!(self, Self::Upgrade(_) | Self::Downgrade(_) | Self::To(_)) {
                statements.push(format!("CREATE SCHEMA IF NOT EXISTS {quoted}"));
            }
            statements.push(format!("SET search_path TO {quoted}"));
        }
        statements.extend(session.iter().cloned());
        let runner = runner.session_sql(statements);
        match self {
            Self::Upgrade(r) | Self::Downgrade(r) | Self::To(r) => {
                let seconds = r.lock_timeout.or(ctx.config.lock_timeout).unwrap_or(300);
                let mut runner = runner
                    .single_transaction(r.single_transaction)
                    .rehearse(r.rehearse)
                    .roll_back_unknown(r.roll_back_unknown)
                    .lock_timeout(Duration::from_secs(seconds));
                if let Some(lock) = r.lock {
                    runner = runner.lock(lock);
                }
                if let Some(lease) = r.lease {
                    runner = runner.lease(Duration::from_secs(lease));
                }
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
                let report = match self {
                    Self::Upgrade(_) => runner.upgrade(pool, &r.target).await,
                    Self::To(_) => runner.to(pool, &r.target).await,
                    _ => runner.downgrade(pool, &r.target).await,
                };
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                let report = match report {
                    Ok(report) => report,
                    Err(e) if r.json => {
                        let failure = Failure {
                            error: ErrorJson::from(&e),
                        };
                        writeln!(out, "{}", to_line(&failure))?;
                        return Err(e.into());
                    }
                    Err(e) => {
                        let (crate::Error::Execute { completed, .. }
                        | crate::Error::Code { completed, .. }) = &e
                        else {
                            return Err(e.into());
                        };
                        // In one transaction, what ran before the failure was rolled back
                        // with it; else it is done, and listed as a successful run lists
                        // it, the error following on stderr.
                        if r.single_transaction || r.rehearse {
                            return Err(CliError(format!(
                                "{e}\n  the run was one transaction, rolled back: none of its revisions is applied"
                            )));
                        }
                        if !completed.is_empty() {
                            write_report(ctx, completed, false, out)?;
                        }
                        return Err(e.into());
                    }
                };
                write_report(ctx, &report, r.json, out)?;
                if r.rehearse && !r.json {
                    writeln!(
                        out,
                        "rehearsal: all of it was rolled back; the database is as it was"
                    )?;
                }
                Ok(Outcome::Done)
            }
            Self::Stamp(s) => {
                let targets: Vec<&str> = s.targets.iter().map(String::as_str).collect();
                let report = if s.purge {
                    runner.purge_and_stamp(pool, &targets).await?
                } else {
                    runner.stamp(pool, &targets).await?
                };
                write_report(ctx, &report, s.json, out)?;
                Ok(Outcome::Done)
            }
            Self::Adopt(a) => {
                let adoption = runner.adopt(pool, a.from).await?;
                if a.json {
                    let v = AdoptJson {
                        from: a.from.name(),
                        recorded: &adoption.recorded,
                        already: &adoption.already,
                        pending: &adoption.pending,
                    };
                    writeln!(out, "{}", to_line(&v))?;
                    return Ok(Outcome::Done);
                }
                let message = |id: &str| ctx.migrations.get(id).map_or("", |m| m.message());
                for id in &adoption.recorded {
                    writeln!(out, "recorded {id} {}", message(id))?;
                }
                writeln!(
                    out,
                    "{} revision(s) recorded as applied by {}, {} already recorded, {} pending",
                    adoption.recorded.len(),
                    a.from,
                    adoption.already.len(),
                    adoption.pending.len()
                )?;
                for id in &adoption.pending {
                    writeln!(out, "pending {id} {}", message(id))?;
                }
                Ok(Outcome::Done)
            }
            Self::Current(a) => {
                // One read of the version table gives both the current and the dirty rows.
                let rows = runner.applied(pool).await?;
                let current = AppliedRevision::current(&rows);
                current_output(ctx, &rows, &current, a.json, out)?;
                Ok(Outcome::Done)
            }
            Self::Diff(a) => {
                let drift = diff(ctx, &runner, pool, a.scratch_url.as_deref(), out).await?;
                if a.json {
                    let v = DiffJson {
                        differences: drift.iter().map(Into::into).collect(),
                    };
                    writeln!(out, "{}", to_line(&v))?;
                } else if drift.is_empty() {
                    writeln!(
                        out,
                        "no drift: the schema is what the applied revisions build"
                    )?;
                } else {
                    for d in &drift {
                        writeln!(out, "{d}")?;
                    }
                    writeln!(
                        out,
                        "{} difference(s): + in the database only, - in the migrations only, ~ migrations -> database",
                        drift.len()
                    )?;
                }
                Ok(Outcome::from_check(drift.is_empty()))
            }
            Self::Check(CheckArgs {
                read: a,
                drift,
                scratch_url,
            }) => {
                let (mut verdict, pending) = match runner.pending(pool, "heads").await {
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
                // The schema, once the database is at head.
                let mut differences = Vec::new();
                if *drift && verdict.is_ok() {
                    differences = diff(ctx, &runner, pool, scratch_url.as_deref(), out).await?;
                    if !differences.is_empty() {
                        verdict = Err(format!(
                            "the schema differs from what the migrations build: {} difference(s)",
                            differences.len()
                        ));
                    }
                }
                if a.json {
                    let v = CheckJson {
                        ok: verdict.is_ok(),
                        problem: verdict.as_ref().err().map(String::as_str),
                        pending: (verdict.is_err() && differences.is_empty())
                            .then(|| pending.iter().map(|m| m.revision()).collect()),
                        drift: drift.then(|| differences.iter().map(ToString::to_string).collect()),
                    };
                    writeln!(out, "{}", to_line(&v))?;
                    return Ok(Outcome::from_check(verdict.is_ok()));
                }
                match &verdict {
                    Ok(()) if *drift => writeln!(
                        out,
                        "ok: the database is at head, and its schema is what the migrations build"
                    )?,
                    Ok(()) => writeln!(out, "ok: the database is at head")?,
                    Err(problem) => writeln!(out, "not ok: {problem}")?,
                }
                for d in &differences {
                    writeln!(out, "  {d}")?;
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
                Ok(Outcome::from_check(verdict.is_ok()))
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
                    return Ok(Outcome::Done);
                }
                let how = match (a.applied, a.rolled_back, a.resume) {
                    (true, false, false) => Repair::Applied,
                    (false, true, false) => Repair::RolledBack,
                    (false, false, true) => Repair::Resume,
                    _ => {
                        return Err(CliError(
                            "say how to settle the revision: --applied (finished by hand), --rolled-back (undone by hand) or --resume (run the rest of it)".to_owned(),
                        ));
                    }
                };
                let [revision] = names.as_slice() else {
                    return Err(CliError("name one revision to repair".to_owned()));
                };
                runner.repair(pool, revision, how).await?;
                let done = match how {
                    Repair::Applied => "marked applied",
                    Repair::RolledBack => "marked rolled back",
                    Repair::Resume => "its remaining statements ran, and its row is settled",
                };
                writeln!(out, "repaired {revision}: {done}")?;
                Ok(Outcome::Done)
            }
            Self::History(a) => {
                let graph = ctx.migrations.graph()?;
                let rows = runner.applied(pool).await?;
                let mut applied = RevSet::empty(graph);
                for row in rows
                    .iter()
                    .filter(|r| r.state == crate::RevisionState::Applied)
                {
                    if let Some(i) = graph.find(&row.revision) {
                        applied.insert(i);
                    }
                }
                let squashed = |id: &str| ctx.migrations.squash_of(id).is_some();
                let marks = super::picture::Marks::new(graph, &rows, &squashed);
                history(ctx, graph, a, Some(&applied), Some(&marks), out)
            }
            Self::Graph(a) => {
                let graph = ctx.migrations.graph()?;
                let rows = runner.applied(pool).await?;
                let squashed = |id: &str| ctx.migrations.squash_of(id).is_some();
                let marks = super::picture::Marks::new(graph, &rows, &squashed);
                picture(ctx, graph, &a.format, Some(&marks), out)
            }
            Self::Heads(_) | Self::Branches(_) | Self::Show(_) => Ok(Outcome::Done),
        }
    }
}

/// The drift of the database at `pool`: its applied revisions built on a scratch database,
/// `scratch_url` or one made here (SQLite: in memory; a server: a database created on
/// it, and dropped after whatever happens).
async fn diff<DB: Driver>(
    ctx: &Context<'_>,
    runner: &Migrator<'_>,
    pool: &Pool<DB>,
    scratch_url: Option<&str>,
    out: &mut dyn Write,
) -> Result<Vec<crate::Difference>, CliError> {
    let one = || {
        sqlx::pool::PoolOptions::<DB>::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(10))
    };
    let open = async |url: &str| {
        one().connect(url).await.map_err(|e| {
            CliError(format!(
                "cannot connect to the scratch database `{}`: {e}",
                redact(url)
            ))
        })
    };
    if let Some(url) = scratch_url {
        let scratch = open(url).await?;
        let drift = runner.diff(pool, &scratch).await;
        scratch.close().await;
        return Ok(drift?);
    }
    if DB::DIALECT == Dialect::Sqlite {
        // One connection kept open: an in-memory database lives as long as it.
        let scratch = open("sqlite::memory:").await?;
        let drift = runner.diff(pool, &scratch).await;
        scratch.close().await;
        return Ok(drift?);
    }
    let url = ctx.database_url.as_deref().unwrap_or_default();
    let name = format!(
        "migraph_scratch_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let quote = if DB::DIALECT == Dialect::Postgres {
        '"'
    } else {
        '`'
    };
    let admin = async |sql: String| -> Result<(), sqlx::Error> {
        let mut conn = pool.acquire().await?;
        DB::run_sql(&mut conn, &sql).await
    };
    admin(format!("CREATE DATABASE {quote}{name}{quote}"))
        .await
        .map_err(|e| {
            CliError(format!(
                "cannot create a scratch database to build the migrations' schema in: {e}; give an empty one with --scratch-url"
            ))
        })?;
    let drift = match open(&migraph_core::with_database(url, &name)).await {
        Ok(scratch) => {
            let drift = runner.diff(pool, &scratch).await.map_err(CliError::from);
            scratch.close().await;
            drift
        }
        Err(e) => Err(e),
    };
    if let Err(e) = admin(format!("DROP DATABASE {quote}{name}{quote}")).await {
        writeln!(
            out,
            "warning: could not drop the scratch database `{name}`: {e}; drop it by hand"
        )?;
    }
    drift
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn connect<DB: sqlx::Database>(url: &str) -> Result<Pool<DB>, CliError> {
    sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| CliError(format!("cannot connect to `{}`: {e}", redact(url))))
}

/// The URL without its password.
pub(super) fn redact(url: &str) -> String {
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
