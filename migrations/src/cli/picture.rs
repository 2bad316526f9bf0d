//! The revision graph as a picture: `history --graph` in the terminal, the way `git log
//! --graph` draws commits, and `graph --format dot|mermaid` for Graphviz and Markdown.
//!
//! With a database, each revision is marked: applied, pending, failed (or left running),
//! and the applied revisions this build does not have are listed too.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use migraph_core::{Graph, Migration, RevIndex};

use crate::{AppliedRevision, RevisionState};

/// What the database says about each revision.
#[derive(Debug, Default)]
pub(super) struct Marks {
    /// Revision id to its row's state.
    states: HashMap<String, RevisionState>,
    /// Rows of revisions this build does not have: id, parents, message.
    unknown: Vec<(String, Vec<String>, String)>,
}

/// How a revision is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// No database given.
    Plain,
    Applied,
    Pending,
    /// Failed, or left running by a run that stopped.
    Failed,
    /// Applied, but not in this build.
    Unknown,
}

impl Mark {
    fn symbol(self) -> char {
        match self {
            Mark::Plain | Mark::Applied => '*',
            Mark::Pending => 'o',
            Mark::Failed => 'x',
            Mark::Unknown => '?',
        }
    }

    fn word(self) -> Option<&'static str> {
        match self {
            Mark::Plain => None,
            Mark::Applied => Some("applied"),
            Mark::Pending => Some("pending"),
            Mark::Failed => Some("failed"),
            Mark::Unknown => Some("applied, not in this build"),
        }
    }

    /// The ANSI colour of the mark on a terminal.
    fn colour(self) -> &'static str {
        match self {
            Mark::Plain => "",
            Mark::Applied => "\x1b[32m",
            Mark::Pending => "\x1b[33m",
            Mark::Failed => "\x1b[31m",
            Mark::Unknown => "\x1b[35m",
        }
    }
}

impl Marks {
    /// The marks of the version table's `rows` for `graph`; a revision a squash replaces
    /// (`squash_of`) is neither this build's nor unknown, and is left out.
    pub(super) fn new(
        graph: &Graph,
        rows: &[AppliedRevision],
        squash_of: &dyn Fn(&str) -> bool,
    ) -> Self {
        let mut marks = Self::default();
        for row in rows {
            if squash_of(&row.revision) {
                continue;
            }
            if graph.find(&row.revision).is_some() {
                marks.states.insert(row.revision.clone(), row.state);
            } else {
                marks.unknown.push((
                    row.revision.clone(),
                    row.parents.clone(),
                    row.message.clone(),
                ));
            }
        }
        marks
    }

    fn of(marks: Option<&Self>, id: &str) -> Mark {
        match marks {
            None => Mark::Plain,
            Some(m) => match m.states.get(id) {
                Some(RevisionState::Applied) => Mark::Applied,
                Some(_) => Mark::Failed,
                None => Mark::Pending,
            },
        }
    }
}

/// One revision to draw: known to the build, or only to the database.
struct Node<'a> {
    id: &'a str,
    message: &'a str,
    labels: &'a [std::borrow::Cow<'static, str>],
    /// Parents drawn as lines (those in the picture).
    parents: Vec<&'a str>,
    depends_on: Vec<&'a str>,
    mark: Mark,
}

/// The revisions `order` (newest first), and the database's unknown revisions above them.
fn nodes<'a>(
    graph: &'a Graph,
    all: &'a [Migration],
    order: &[RevIndex],
    marks: Option<&'a Marks>,
) -> Vec<Node<'a>> {
    let mut out: Vec<Node<'a>> = Vec::new();
    if let Some(m) = marks {
        for (id, parents, message) in m.unknown.iter().rev() {
            out.push(Node {
                id,
                message,
                labels: &[],
                parents: parents.iter().map(String::as_str).collect(),
                depends_on: Vec::new(),
                mark: Mark::Unknown,
            });
        }
    }
    let shown: std::collections::HashSet<&str> = order.iter().map(|&i| graph.id(i)).collect();
    for &i in order {
        let m = &all[i];
        out.push(Node {
            id: m.revision(),
            message: m.message(),
            labels: m.branch_labels(),
            parents: graph
                .parents(i)
                .iter()
                .map(|&p| graph.id(p))
                .filter(|p| shown.contains(p))
                .collect(),
            depends_on: graph.depends(i).iter().map(|&d| graph.id(d)).collect(),
            mark: Marks::of(marks, m.revision()),
        });
    }
    out
}

/// `history --graph`: one revision a line, newest first, with lines for branches and
/// merges.
pub(super) fn text(
    graph: &Graph,
    all: &[Migration],
    order: &[RevIndex],
    marks: Option<&Marks>,
    colour: bool,
) -> String {
    let nodes = nodes(graph, all, order, marks);
    let mut out = String::new();
    // Each lane waits for a revision: the parent of what was drawn above it.
    let mut lanes: Vec<&str> = Vec::new();
    for node in &nodes {
        let hits: Vec<usize> = (0..lanes.len()).filter(|&k| lanes[k] == node.id).collect();
        // Lines from several children meet at this revision: fold them into the first,
        // the lanes between closing up.
        if let [j, ..] = hits[..]
            && hits.len() > 1
        {
            let mut next = 0;
            let targets: Vec<usize> = (0..lanes.len())
                .map(|k| {
                    if k != j && hits.contains(&k) {
                        j
                    } else {
                        next += 1;
                        next - 1
                    }
                })
                .collect();
            shift(&mut out, &targets, lanes.len());
            lanes = lanes
                .iter()
                .enumerate()
                .filter(|(k, _)| *k == j || !hits.contains(k))
                .map(|(_, l)| *l)
                .collect();
        }
        let j = match lanes.iter().position(|l| *l == node.id) {
            Some(j) => j,
            None => {
                lanes.push(node.id);
                lanes.len() - 1
            }
        };
        // The revision's own line.
        for k in 0..lanes.len() {
            if k != j {
                out.push_str("| ");
            } else if colour && node.mark != Mark::Plain {
                let _ = write!(out, "{}{}\x1b[0m ", node.mark.colour(), node.mark.symbol());
            } else {
                out.push(node.mark.symbol());
                out.push(' ');
            }
        }
        out.push_str(&describe(node, graph));
        out.push('\n');
        // Its parents take its lane; a merge opens lanes to its right.
        transition(&mut out, j, node.parents.len(), lanes.len());
        let mut after: Vec<&str> = lanes[..j].to_vec();
        after.extend(node.parents.iter().copied());
        after.extend(lanes[j + 1..].iter().copied());
        lanes = after;
    }
    out
}

/// Lines that move lane `k` from column `k` to column `targets[k]`, one step a line.
fn shift(out: &mut String, targets: &[usize], width: usize) {
    let mut at: Vec<usize> = (0..width).collect();
    while at.iter().zip(targets).any(|(a, t)| a != t) {
        let mut line = vec![b' '; 2 * width + 1];
        for (a, &t) in at.iter_mut().zip(targets) {
            if *a == t {
                line[2 * *a] = b'|';
            } else if t < *a {
                line[2 * *a - 1] = b'/';
                *a -= 1;
            } else {
                line[2 * *a + 1] = b'\\';
                *a += 1;
            }
        }
        push_line(out, &line);
    }
}

/// After a revision in lane `j` of `width` lanes with `parents` parents: the lines that
/// open lanes for a merge's other parents, or close the lane of a revision with none.
fn transition(out: &mut String, j: usize, parents: usize, width: usize) {
    let targets: Vec<usize> = match parents {
        // The lane ends: those to its right close up.
        0 => (0..width).map(|k| if k > j { k - 1 } else { k }).collect(),
        n => (0..width)
            .map(|k| if k > j { k + n - 1 } else { k })
            .collect(),
    };
    if parents == 0 {
        let mut lanes: Vec<usize> = (0..width).filter(|&k| k != j).collect();
        let goal: Vec<usize> = lanes.iter().map(|&k| targets[k]).collect();
        if lanes.iter().zip(&goal).all(|(a, b)| a == b) {
            return;
        }
        // Move the lanes right of j leftwards, one step a line.
        while lanes.iter().zip(&goal).any(|(a, b)| a != b) {
            let mut line = vec![b' '; 2 * width + 1];
            for (a, &t) in lanes.iter_mut().zip(&goal) {
                if *a == t {
                    line[2 * *a] = b'|';
                } else {
                    line[2 * *a - 1] = b'/';
                    *a -= 1;
                }
            }
            push_line(out, &line);
        }
        return;
    }
    if parents == 1 {
        return;
    }
    // A merge: the lanes right of j move right, then the new parents branch off j.
    let mut right: Vec<(usize, usize)> = (j + 1..width).map(|k| (k, targets[k])).collect();
    while right.iter().any(|(a, t)| a != t) {
        let mut line = vec![b' '; 2 * (width + parents) + 1];
        for k in 0..=j {
            line[2 * k] = b'|';
        }
        for (a, t) in &mut right {
            if a == t {
                line[2 * *a] = b'|';
            } else {
                line[2 * *a + 1] = b'\\';
                *a += 1;
            }
        }
        push_line(out, &line);
    }
    let mut line = vec![b' '; 2 * (width + parents) + 1];
    for k in 0..=j {
        line[2 * k] = b'|';
    }
    for p in 1..parents {
        line[2 * (j + p) - 1] = b'\\';
    }
    for (a, _) in &right {
        line[2 * *a] = b'|';
    }
    push_line(out, &line);
}

fn push_line(out: &mut String, line: &[u8]) {
    out.push_str(String::from_utf8_lossy(line).trim_end());
    out.push('\n');
}

/// What follows the mark: id, labels, tags, message, dependencies, state.
fn describe(node: &Node<'_>, graph: &Graph) -> String {
    let mut text = node.id.to_owned();
    if !node.labels.is_empty() {
        let _ = write!(text, " [{}]", node.labels.join(", "));
    }
    if let Some(i) = graph.find(node.id) {
        let mut tags = Vec::new();
        if graph.children(i).is_empty() {
            tags.push("head");
        }
        if graph.parents(i).len() > 1 {
            tags.push("merge");
        }
        if !tags.is_empty() {
            let _ = write!(text, " ({})", tags.join(", "));
        }
    }
    if !node.message.is_empty() {
        text.push(' ');
        text.push_str(node.message);
    }
    if !node.depends_on.is_empty() {
        let _ = write!(text, " (depends on {})", node.depends_on.join(", "));
    }
    if let Some(word) = node.mark.word().filter(|_| node.mark != Mark::Applied) {
        let _ = write!(text, " <{word}>");
    }
    text
}

/// `graph --format dot`: for Graphviz (`dot -Tsvg`).
pub(super) fn dot(graph: &Graph, all: &[Migration], marks: Option<&Marks>) -> String {
    let order: Vec<RevIndex> = graph.revisions().collect();
    let nodes = nodes(graph, all, &order, marks);
    let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let quote = |s: &str| format!("\"{}\"", escape(s));
    let mut out = String::from(
        "digraph migrations {\n  rankdir=BT;\n  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\"];\n",
    );
    for node in &nodes {
        // Lines of the label, escaped, joined by DOT's `\n`.
        let mut first = node.id.to_owned();
        if !node.labels.is_empty() {
            let _ = write!(first, " [{}]", node.labels.join(", "));
        }
        let mut lines = vec![first];
        if !node.message.is_empty() {
            lines.push(node.message.to_owned());
        }
        if let Some(word) = node.mark.word() {
            lines.push(format!("({word})"));
        }
        let label: Vec<String> = lines.iter().map(|l| escape(l)).collect();
        let label = format!("\"{}\"", label.join("\\n"));
        let style = match node.mark {
            Mark::Plain | Mark::Pending => String::new(),
            Mark::Applied => ", fillcolor=\"#c8e6c9\"".to_owned(),
            Mark::Failed => ", fillcolor=\"#ffcdd2\"".to_owned(),
            Mark::Unknown => ", style=\"rounded,dashed\"".to_owned(),
        };
        let _ = writeln!(out, "  {} [label={label}{style}];", quote(node.id));
    }
    for node in &nodes {
        for parent in &node.parents {
            let _ = writeln!(out, "  {} -> {};", quote(node.id), quote(parent));
        }
        for dependency in &node.depends_on {
            let _ = writeln!(
                out,
                "  {} -> {} [style=dashed, label=\"depends on\"];",
                quote(node.id),
                quote(dependency)
            );
        }
    }
    out.push_str("}\n");
    out
}

/// `graph --format mermaid`: a flowchart for a Markdown page.
pub(super) fn mermaid(graph: &Graph, all: &[Migration], marks: Option<&Marks>) -> String {
    let order: Vec<RevIndex> = graph.revisions().collect();
    let nodes = nodes(graph, all, &order, marks);
    // Mermaid ids are words; a revision id is one ([A-Za-z0-9_]), and so is what the
    // database holds, cleaned the same way.
    let id = |s: &str| -> String {
        let clean: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("r_{clean}")
    };
    let text = |s: &str| s.replace('"', "#quot;");
    let mut out = String::from("flowchart BT\n");
    let mut classes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for node in &nodes {
        let mut label = node.id.to_owned();
        if !node.labels.is_empty() {
            let _ = write!(label, " [{}]", node.labels.join(", "));
        }
        if !node.message.is_empty() {
            let _ = write!(label, "<br/>{}", node.message);
        }
        if let Some(word) = node.mark.word() {
            let _ = write!(label, "<br/>({word})");
        }
        let _ = writeln!(out, "  {}[\"{}\"]", id(node.id), text(&label));
        let class = match node.mark {
            Mark::Plain => None,
            Mark::Applied => Some("applied"),
            Mark::Pending => Some("pending"),
            Mark::Failed => Some("failed"),
            Mark::Unknown => Some("unknown"),
        };
        if let Some(class) = class {
            classes.entry(class).or_default().push(id(node.id));
        }
    }
    for node in &nodes {
        for parent in &node.parents {
            let _ = writeln!(out, "  {} --> {}", id(node.id), id(parent));
        }
        for dependency in &node.depends_on {
            let _ = writeln!(out, "  {} -.->|depends on| {}", id(node.id), id(dependency));
        }
    }
    if !classes.is_empty() {
        out.push_str("  classDef applied fill:#c8e6c9;\n  classDef pending fill:#ffffff;\n  classDef failed fill:#ffcdd2;\n  classDef unknown stroke-dasharray: 4 4;\n");
        for (class, ids) in classes {
            let _ = writeln!(out, "  class {} {class};", ids.join(","));
        }
    }
    out
}
