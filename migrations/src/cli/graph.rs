//! The commands that read the graph alone: heads, branches, history, show.

use std::io::Write;

use super::json::{MigrationJson, to_line};
use migraph_core::{Graph, Migration, RevIndex};

use super::args::{History, Show};
use super::commands::revisions_of;
use super::{CliError, Context, Outcome};

pub(super) fn describe(graph: &Graph, m: &Migration, i: RevIndex) -> String {
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

/// Revisions `indices` as a JSON array.
pub(super) fn json_list(
    ctx: &Context<'_>,
    graph: &Graph,
    indices: &[RevIndex],
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let all = ctx.migrations.migrations();
    let v: Vec<MigrationJson<'_>> = indices
        .iter()
        .map(|&i| MigrationJson::new(graph, &all[i], i, false))
        .collect();
    writeln!(out, "{}", to_line(&v))?;
    Ok(Outcome::Done)
}

pub(super) fn heads(
    ctx: &Context<'_>,
    graph: &Graph,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
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
    Ok(Outcome::Done)
}

pub(super) fn branches(
    ctx: &Context<'_>,
    graph: &Graph,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let all = ctx.migrations.migrations();
    let points: Vec<RevIndex> = graph
        .revisions()
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
    Ok(Outcome::Done)
}

/// `history`: the revisions of the range (all of them without one), newest first;
/// `current` is the applied set, when a range end says `current`; `marks`, what the
/// database says of each revision, for `--graph`.
pub(super) fn history(
    ctx: &Context<'_>,
    graph: &Graph,
    args: &History,
    current: Option<&migraph_core::RevSet>,
    marks: Option<&super::picture::Marks>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let all = ctx.migrations.migrations();
    let order = migraph_core::plan::history(graph, current, args.range.as_deref().unwrap_or(":"))
        .map_err(|e| CliError(e.to_string()))?;
    if args.graph {
        let text = super::picture::text(graph, all, &order, marks, ctx.color);
        out.write_all(text.as_bytes())?;
        return Ok(Outcome::Done);
    }
    if args.json {
        return json_list(ctx, graph, &order, out);
    }
    for i in order {
        writeln!(out, "{}", describe(graph, &all[i], i))?;
    }
    Ok(Outcome::Done)
}

pub(super) fn show(
    ctx: &Context<'_>,
    graph: &Graph,
    args: &Show,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let i = match revisions_of(graph, &args.revision)?.as_slice() {
        [i] => *i,
        _ => return Err(CliError(format!("`{}` is not one revision", args.revision))),
    };
    let m = &ctx.migrations.migrations()[i];
    if args.json {
        writeln!(out, "{}", to_line(&MigrationJson::new(graph, m, i, true)))?;
        return Ok(Outcome::Done);
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
    Ok(Outcome::Done)
}

/// `graph --format dot|mermaid`: the whole graph, marked when `marks` are given.
pub(super) fn picture(
    ctx: &Context<'_>,
    graph: &Graph,
    format: &str,
    marks: Option<&super::picture::Marks>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let all = ctx.migrations.migrations();
    let text = match format {
        "mermaid" => super::picture::mermaid(graph, all, marks),
        _ => super::picture::dot(graph, all, marks),
    };
    out.write_all(text.as_bytes())?;
    Ok(Outcome::Done)
}
