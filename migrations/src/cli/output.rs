//! How results read: text on a terminal or a pipe, or JSON.

use std::io::Write;

use super::json::{CurrentJson, ReportJson, RowJson, to_line};
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
        writeln!(out, "{}", to_line(&ReportJson::from(report)))?;
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
        let v = CurrentJson {
            current: current.iter().map(|r| RowJson::from(*r)).collect(),
            dirty: dirty.iter().map(|r| RowJson::from(*r)).collect(),
        };
        writeln!(out, "{}", to_line(&v))?;
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
        if let (false, Some(squash)) = (known, ctx.migrations.squash_of(&r.revision)) {
            line += &paint(
                ctx,
                "33",
                &format!(
                    " (replaced by squash {}: the next upgrade finishes its run)",
                    squash.revision()
                ),
            );
        } else if !known {
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
