//! One command on many databases (`--databases FILE --jobs N`): each runs as it would
//! alone, its output kept apart, and a summary follows; one database's failure does not
//! stop the others unless `--fail-fast`.

use std::io::{Read as _, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt as _;

use super::args::{Command, FleetArgs};
use super::commands::redact;
use super::json::to_line;
use super::{CliError, Context, Outcome};

/// What happened on one database.
enum Ended {
    /// The command did what was asked (`check`: the database is at head).
    Done(Vec<u8>),
    /// It ran, and the answer is no (`check`: behind).
    No(Vec<u8>),
    /// It failed.
    Failed(Vec<u8>, String),
    /// Not started: an earlier database failed and `--fail-fast` was given.
    Skipped,
}

/// The URLs of `--databases`: one a line, blank lines and `#` comments left out.
fn urls(fleet: &FleetArgs) -> Result<Vec<String>, CliError> {
    let Some(path) = &fleet.databases else {
        return Ok(Vec::new());
    };
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            CliError(format!(
                "cannot read the databases from standard input: {e}"
            ))
        })?;
    } else {
        text = std::fs::read_to_string(path)
            .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?;
    }
    let urls: Vec<String> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if urls.is_empty() {
        return Err(CliError(format!("{} lists no database", path.display())));
    }
    Ok(urls)
}

/// `ctx` for a run in `schema`: its version table there (unless the table names a schema
/// of its own) and the schema for the session.
pub(super) fn in_schema<'a>(ctx: &Context<'a>, schema: Option<String>) -> Context<'a> {
    let mut one = ctx.clone();
    if let Some(schema) = &schema
        && !one.table.contains('.')
    {
        one.table = format!("{schema}.{}", one.table);
    }
    one.schema = schema;
    one
}

/// The schemas of the PostgreSQL database at `url` whose names are `LIKE` `pattern`.
async fn schemas(url: &str, pattern: &str) -> Result<Vec<String>, CliError> {
    #[cfg(feature = "postgres")]
    if super::commands::url_dialect(url)? == migraph_core::Dialect::Postgres {
        let failed =
            |e: sqlx::Error| CliError(format!("cannot list the schemas of `{}`: {e}", redact(url)));
        let pool = sqlx::PgPool::connect(url).await.map_err(failed)?;
        let names: Result<Vec<String>, _> = sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1",
        )
        .bind(pattern)
        .fetch_all(&pool)
        .await;
        pool.close().await;
        let names = names.map_err(failed)?;
        if names.is_empty() {
            return Err(CliError(format!(
                "no schema of `{}` is LIKE `{pattern}`",
                redact(url)
            )));
        }
        return Ok(names);
    }
    let _ = (url, pattern);
    Err(CliError(
        "--schemas is for PostgreSQL databases (and a binary built with the postgres feature)"
            .to_owned(),
    ))
}

/// Runs `command` on every database of `fleet`, `--jobs` at once, then prints each one's
/// output under its URL (or one JSON line each with `--json`) and a summary.
pub(super) async fn run(
    command: &Command,
    fleet: &FleetArgs,
    ctx: &Context<'_>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    if matches!(command, Command::Heads(_) | Command::Branches(_)) {
        return Err(CliError(
            "--databases is for the commands that read or change databases: upgrade, downgrade, current, check".to_owned(),
        ));
    }
    // Each item: a URL, and the schema to run in.
    let items: Vec<(String, Option<String>)> = match &fleet.schemas {
        Some(pattern) => {
            let url = ctx.database_url.clone().ok_or_else(|| {
                CliError("--schemas needs a database: pass --database-url".to_owned())
            })?;
            schemas(&url, pattern)
                .await?
                .into_iter()
                .map(|s| (url.clone(), Some(s)))
                .collect()
        }
        None => urls(fleet)?
            .into_iter()
            .map(|u| (u, fleet.schema.clone()))
            .collect(),
    };
    let urls: Vec<String> = items
        .iter()
        .map(|(u, s)| match s {
            Some(s) => format!("{} schema {s}", redact(u)),
            None => redact(u),
        })
        .collect();
    let json = match command {
        Command::Upgrade(r) | Command::Downgrade(r) | Command::To(r) => r.json,
        Command::Current(a) | Command::Check(super::CheckArgs { read: a, .. }) => a.json,
        _ => false,
    };
    let stop = AtomicBool::new(false);
    let stop = &stop;
    // On a terminal, one bar for the databases; the results follow on stdout.
    let bar = (ctx.color && !json).then(|| {
        let bar = indicatif::ProgressBar::new(items.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:30}] {pos}/{len} databases ({elapsed})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let bar = &bar;
    let mut ended: Vec<(usize, Ended)> = futures_util::stream::iter(items.iter().enumerate())
        .map(|(i, (url, schema))| async move {
            if fleet.fail_fast && stop.load(Ordering::SeqCst) {
                return (i, Ended::Skipped);
            }
            let mut one = in_schema(ctx, schema.clone());
            one.database_url = Some(url.clone());
            one.color = false;
            let mut buf = Vec::new();
            let result = command.run_one(&one, &mut buf).await;
            if let Some(bar) = bar {
                bar.inc(1);
            }
            let ended = match result {
                Ok(Outcome::Done) => Ended::Done(buf),
                Ok(Outcome::No) => Ended::No(buf),
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    Ended::Failed(buf, e.0)
                }
            };
            (i, ended)
        })
        .buffer_unordered(usize::from(fleet.jobs))
        .collect()
        .await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    ended.sort_by_key(|(i, _)| *i);
    let (mut done, mut no, mut failed, mut skipped) = (0, 0, 0, 0);
    for (i, end) in &ended {
        let url = urls[*i].clone();
        let (status, output, error) = match end {
            Ended::Done(buf) => {
                done += 1;
                ("done", buf.as_slice(), None)
            }
            Ended::No(buf) => {
                no += 1;
                ("no", buf.as_slice(), None)
            }
            Ended::Failed(buf, e) => {
                failed += 1;
                ("failed", buf.as_slice(), Some(e.as_str()))
            }
            Ended::Skipped => {
                skipped += 1;
                ("skipped", &[][..], None)
            }
        };
        let output = String::from_utf8_lossy(output);
        if json {
            // The command's own JSON, one value per line, as the value of `output`.
            let values: Vec<serde_json::Value> = output
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            let line = serde_json::json!({
                "database": url,
                "status": status,
                "error": error,
                "output": values,
            });
            writeln!(out, "{}", to_line(&line))?;
            continue;
        }
        writeln!(out, "{status}: {url}")?;
        for line in output.lines() {
            writeln!(out, "    {line}")?;
        }
        if let Some(e) = error {
            for line in e.lines() {
                writeln!(out, "    error: {line}")?;
            }
        }
    }
    if !json {
        let no_word = if matches!(command, Command::Check(_)) {
            "behind"
        } else {
            "no"
        };
        writeln!(
            out,
            "{} database(s): {done} done, {no} {no_word}, {failed} failed, {skipped} skipped",
            urls.len()
        )?;
    }
    if failed > 0 {
        return Err(CliError(format!(
            "{failed} of {} database(s) failed: {}",
            urls.len(),
            ended
                .iter()
                .filter(|(_, e)| matches!(e, Ended::Failed(..)))
                .map(|(i, _)| urls[*i].clone())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(if no > 0 || skipped > 0 {
        Outcome::No
    } else {
        Outcome::Done
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn summaries_show_no_password() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(redact("sqlite:/tmp/a.db"), "sqlite:/tmp/a.db");
    }
}
