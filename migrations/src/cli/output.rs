//! How results read: text on a terminal or a pipe, or JSON.

use std::io::Write;

use serde_json::{Value, json};

use super::{CliError, Context};
use crate::{AppliedRevision, Report};

pub(super) fn paint(ctx: &Context<'_>, code: &str, text: &str) -> String {
    if ctx.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

pub(super) fn write_report(
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
pub(super) fn error_json(e: &crate::Error) -> Value {
    let mut v = json!({ "message": e.to_string() });
    if let crate::Error::Execute {
        revision,
        file,
        action,
        statement,
        line,
        sql,
        database,
        completed,
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
        v["completed"] = json!(completed.revisions());
    }
    v
}

pub(super) fn row_json(r: &AppliedRevision) -> Value {
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

pub(super) fn current_output(
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
