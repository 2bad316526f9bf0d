//! Squashes: a revision whose header says `replaces: a1, b2, c3` stands for that linear run
//! of revisions. The graph holds the squash, not the run; a revision that names one of the
//! run as its parent or dependency follows the squash instead. The run's files may stay
//! (databases part-way through it finish it with them) or be deleted.
//!
//! # Examples
//!
//! ```
//! use migraph_core::{Migration, squash};
//!
//! let m = |name: &str, text: &str| Migration::parse(name, text).unwrap();
//! let all = vec![
//!     m("a1_t.sql", "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n"),
//!     m("b2_u.sql", "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE u (id INT);\n"),
//!     m("c3_v.sql", "-- revision: c3\n-- down_revision: b2\n-- migrate:upgrade\nCREATE TABLE v (id INT);\n"),
//!     m("s1_base.sql", "-- revision: s1\n-- down_revision: none\n-- replaces: a1, b2\n-- migrate:upgrade\nCREATE TABLE t (id INT);\nCREATE TABLE u (id INT);\n"),
//! ];
//! let folded = squash::fold(all).unwrap();
//! let kept: Vec<&str> = folded.kept.iter().map(|&i| folded.migrations[i].revision()).collect();
//! assert_eq!(kept, ["c3", "s1"]);
//! assert_eq!(folded.migrations[2].down_revisions(), ["s1"]);
//! assert_eq!(folded.replaced, [0, 1]);
//! ```

use std::collections::HashMap;

use crate::Migration;

/// `all`, checked and split: the revisions of the graph, and the squashed ones present.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Folded {
    /// Every migration, in the order given, with names of squashed revisions in the
    /// parents and dependencies of the kept ones replaced by their squash.
    pub migrations: Vec<Migration>,
    /// The positions of the revisions of the graph, in order.
    pub kept: Vec<usize>,
    /// The positions of the squashed revisions present, in order.
    pub replaced: Vec<usize>,
}

/// A broken squash: the position of the squash (or of the revision at fault) and what is
/// wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SquashProblem {
    /// The position in the migrations given.
    pub at: usize,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// Checks the squashes of `all` and splits them from the revisions they replace.
///
/// # Errors
///
/// Every broken rule: a squash that replaces itself, another squash, or a revision
/// another squash replaces; some of its revisions present and others not; a run that is
/// not linear (each revision the parent of the next, the first with the squash's parents,
/// none with another child, label or dependency).
pub fn fold(all: Vec<Migration>) -> Result<Folded, Vec<SquashProblem>> {
    // The usual folder has no squash: nothing to check or rename.
    if all.iter().all(|m| m.replaces().is_empty()) {
        return Ok(Folded {
            kept: (0..all.len()).collect(),
            migrations: all,
            replaced: Vec::new(),
        });
    }
    let position: HashMap<&str, usize> = all
        .iter()
        .enumerate()
        .map(|(i, m)| (m.revision(), i))
        .collect();
    // Each revision to the revisions that name it as a parent or a dependency.
    let mut followers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, m) in all.iter().enumerate() {
        for name in m.down_revisions().iter().chain(m.depends_on()) {
            let list = followers.entry(name.as_ref()).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let mut problems = Vec::new();
    let mut problem = |at: usize, message: String, help: &str| {
        problems.push(SquashProblem {
            at,
            message,
            help: help.to_owned(),
        });
    };
    // Replaced revision to its squash.
    let mut squash_of: HashMap<String, String> = HashMap::new();
    let mut replaced = Vec::new();
    for (s, m) in all.iter().enumerate() {
        let ids = m.replaces();
        if ids.is_empty() {
            continue;
        }
        let id = m.revision();
        for r in ids {
            if r == id {
                problem(
                    s,
                    format!("squash `{id}` replaces itself"),
                    "list the revisions it stands for, not its own id",
                );
            } else if let Some(other) = squash_of.get(r.as_ref()) {
                problem(
                    s,
                    format!("`{r}` is replaced by both `{other}` and `{id}`"),
                    "a revision is squashed once; keep one of the two squashes",
                );
            } else if position
                .get(r.as_ref())
                .is_some_and(|&p| !all[p].replaces().is_empty())
            {
                problem(
                    s,
                    format!("squash `{id}` replaces `{r}`, which is itself a squash"),
                    "squash the revisions it replaces instead, in one squash",
                );
            } else {
                squash_of.insert(r.to_string(), id.to_owned());
            }
        }
        let present: Vec<usize> = ids
            .iter()
            .filter_map(|r| position.get(r.as_ref()).copied())
            .collect();
        if present.is_empty() {
            continue;
        }
        if present.len() != ids.len() {
            let missing: Vec<&str> = ids
                .iter()
                .filter(|r| !position.contains_key(r.as_ref()))
                .map(|r| r.as_ref())
                .collect();
            problem(
                s,
                format!(
                    "squash `{id}` replaces {}, whose files are missing, while the other replaced files are here",
                    missing.join(", ")
                ),
                "keep every replaced file or delete them all",
            );
            continue;
        }
        // The run: each the parent of the next, the first with the squash's parents.
        let mut parents: Vec<&str> = m.down_revisions().iter().map(|p| p.as_ref()).collect();
        for (k, &p) in present.iter().enumerate() {
            let r = &all[p];
            let mut theirs: Vec<&str> = r.down_revisions().iter().map(|p| p.as_ref()).collect();
            theirs.sort_unstable();
            parents.sort_unstable();
            if theirs != parents {
                let want = if parents.is_empty() {
                    "none".to_owned()
                } else {
                    parents.join(", ")
                };
                problem(
                    s,
                    format!(
                        "squash `{id}` replaces `{}`, whose down_revision is not {want}: the replaced revisions must be a linear run, in order, starting from the squash's own down_revision",
                        r.revision()
                    ),
                    "list the run in the order it was applied, and give the squash the down_revision of its first revision",
                );
                break;
            }
            if !r.branch_labels().is_empty() || !r.depends_on().is_empty() {
                problem(
                    s,
                    format!(
                        "squash `{id}` replaces `{}`, which has branch labels or depends_on",
                        r.revision()
                    ),
                    "put them on the squash instead",
                );
            }
            // Nothing else may follow a revision inside the run.
            if k + 1 < present.len() {
                let next = all[present[k + 1]].revision();
                if let Some(other) = followers
                    .get(r.revision())
                    .into_iter()
                    .flatten()
                    .map(|&o| &all[o])
                    .find(|o| o.revision() != next)
                {
                    problem(
                        s,
                        format!(
                            "`{}` follows `{}`, inside the run squash `{id}` replaces",
                            other.revision(),
                            r.revision()
                        ),
                        "squash only a run with no branch off its middle",
                    );
                }
            }
            parents = vec![r.revision()];
        }
        replaced.extend(present);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let rename = |name: &str| squash_of.get(name).cloned();
    replaced.sort_unstable();
    let migrations: Vec<Migration> = all
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let names_one = m
                .down_revisions()
                .iter()
                .chain(m.depends_on())
                .any(|n| squash_of.contains_key(n.as_ref()));
            if replaced.binary_search(&i).is_ok() || !names_one {
                m
            } else {
                m.renamed(&rename)
            }
        })
        .collect();
    let kept = (0..migrations.len())
        .filter(|i| replaced.binary_search(i).is_err())
        .collect();
    Ok(Folded {
        migrations,
        kept,
        replaced,
    })
}
