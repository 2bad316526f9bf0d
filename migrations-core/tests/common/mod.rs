//! Builds hand-made graphs from one-line specs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub
)]

use migraph_core::{Graph, Migration, RevIndex, RevSet};

/// `spec` entries are `"rev <- parent1 parent2 [label=name] [dep=rev]"`; files are named so
/// that their order is the ids' order (give them in that order).
pub(crate) fn graph(spec: &[&str]) -> (Vec<Migration>, Graph) {
    let migrations: Vec<Migration> = spec
        .iter()
        .map(|line| {
            let mut words = line.split_whitespace();
            let rev = words.next().unwrap();
            let mut parents = Vec::new();
            let mut labels = Vec::new();
            let mut deps = Vec::new();
            for w in words {
                if w == "<-" {
                    continue;
                } else if let Some(l) = w.strip_prefix("label=") {
                    labels.push(l);
                } else if let Some(d) = w.strip_prefix("dep=") {
                    deps.push(d);
                } else {
                    parents.push(w);
                }
            }
            let mut text = format!(
                "-- revision: {rev}\n-- down_revision: {}\n",
                if parents.is_empty() {
                    "none".to_owned()
                } else {
                    parents.join(", ")
                }
            );
            if !labels.is_empty() {
                text += &format!("-- branch_labels: {}\n", labels.join(", "));
            }
            if !deps.is_empty() {
                text += &format!("-- depends_on: {}\n", deps.join(", "));
            }
            text += &format!(
                "-- migrate:upgrade\nSELECT '{rev}';\n-- migrate:downgrade\nSELECT 'undo {rev}';\n"
            );
            Migration::parse(&format!("{rev}_m.sql"), &text).unwrap()
        })
        .collect();
    let graph = Graph::build(&migrations).unwrap();
    (migrations, graph)
}

/// Marks the named revisions as applied.
pub(crate) fn applied(graph: &Graph, revs: &[&str]) -> RevSet {
    let mut set = RevSet::empty(graph);
    for r in revs {
        set.insert(graph.find(r).unwrap());
    }
    set
}

/// The ids of `indices`.
pub(crate) fn ids(graph: &Graph, indices: &[RevIndex]) -> Vec<String> {
    indices.iter().map(|&i| graph.id(i).to_owned()).collect()
}

/// The graph most tests use:
///
/// ```text
/// a1 - b1 - c1 (left) - c2
///         \ d1 (right) - d2 (depends on c1)
/// ```
pub fn branched() -> Graph {
    graph(&[
        "a1",
        "b1 <- a1",
        "c1 <- b1 label=left",
        "c2 <- c1",
        "d1 <- b1 label=right",
        "d2 <- d1 dep=c1",
    ])
    .1
}

/// The graph of the forked-branch cases:
///
/// ```text
/// r - s - p1 (left)  - q1
///       \ p2 (right) - q2
/// ```
pub fn forked() -> Graph {
    graph(&[
        "p1 <- s label=left",
        "p2 <- s label=right",
        "q1 <- p1",
        "q2 <- p2",
        "r",
        "s <- r",
    ])
    .1
}

/// Every revision of [`forked`].
pub const ALL: &[&str] = &["r", "s", "p1", "q1", "p2", "q2"];
