//! The revision graph: revisions, their parents, labels and dependencies, and the rules a
//! well-formed graph follows.
//!
//! Revisions are addressed by their index in the slice the graph was built from. Callers
//! keep that slice sorted by file name, so "lower index" means "earlier file name", which
//! is how ties between independent branches are broken everywhere.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::diagnostic::did_you_mean;
use crate::file::Migration;

/// A problem with the graph as a whole. Revisions are named by index into the slice given
/// to [`Graph::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphProblem {
    /// Two files carry the same revision id.
    DuplicateRevision {
        /// The first file with the id.
        first: usize,
        /// The later file with the same id.
        second: usize,
    },
    /// A `down_revision` names a revision that no file has.
    UnknownParent {
        /// The revision naming it.
        revision: usize,
        /// The unknown name.
        parent: String,
        /// A known id close to it.
        suggestion: Option<String>,
    },
    /// A `depends_on` names neither a revision nor a label.
    UnknownDependency {
        /// The revision naming it.
        revision: usize,
        /// The unknown name.
        dependency: String,
        /// A known id or label close to it.
        suggestion: Option<String>,
    },
    /// A revision names itself as parent or dependency.
    SelfReference {
        /// The revision.
        revision: usize,
    },
    /// The same parent is listed twice in one `down_revision`.
    RepeatedParent {
        /// The revision.
        revision: usize,
        /// The parent listed twice.
        parent: String,
    },
    /// Revisions that follow each other round in a circle, through `down_revision` or
    /// `depends_on`; listed in order, each the parent or dependency of the next.
    Cycle {
        /// The revisions on the cycle.
        revisions: Vec<usize>,
    },
    /// The same branch label on two revisions (or twice on one).
    DuplicateLabel {
        /// The label.
        label: String,
        /// The revision that carries it first.
        first: usize,
        /// The other revision carrying it.
        second: usize,
    },
    /// A branch label equal to a revision id, which would make targets ambiguous.
    LabelIsRevision {
        /// The label.
        label: String,
        /// The revision carrying the label.
        labelled: usize,
        /// The revision whose id it is.
        revision: usize,
    },
    /// More than one head where one was expected.
    MultipleHeads {
        /// The heads, in file-name order.
        heads: Vec<usize>,
    },
}

impl GraphProblem {
    /// What is wrong, naming revisions by the ids of `migrations` (the slice the graph
    /// was built from). [`crate::Directory::load`] adds each problem's file and line.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::{Graph, Migration};
    ///
    /// let files = [
    ///     Migration::parse("a.sql", "-- revision: a\n-- down_revision: b\n-- migrate:upgrade\n").unwrap(),
    ///     Migration::parse("b.sql", "-- revision: b\n-- down_revision: a\n-- migrate:upgrade\n").unwrap(),
    /// ];
    /// let problems = Graph::build(&files).unwrap_err();
    /// assert_eq!(problems[0].message(&files), "cycle in the revision graph: b -> a -> b");
    /// assert_eq!(problems[0].to_string(), "cycle in the revision graph: #1 -> #0 -> #1");
    /// ```
    pub fn message(&self, migrations: &[Migration]) -> String {
        self.render(&|i| {
            migrations
                .get(i)
                .map_or_else(|| format!("#{i}"), |m| m.revision().to_owned())
        })
    }

    fn render(&self, id: &dyn Fn(usize) -> String) -> String {
        let list = |ids: &[usize]| ids.iter().map(|&i| id(i)).collect::<Vec<_>>();
        match self {
            Self::DuplicateRevision { first, second } => format!(
                "duplicate revision id `{}` (files {first} and {second} in file-name order)",
                id(*second)
            ),
            Self::UnknownParent {
                revision, parent, ..
            } => format!(
                "unknown parent `{parent}` in down_revision of `{}`",
                id(*revision)
            ),
            Self::UnknownDependency {
                revision,
                dependency,
                ..
            } => format!(
                "unknown revision or label `{dependency}` in depends_on of `{}`",
                id(*revision)
            ),
            Self::SelfReference { revision } => {
                format!("revision `{}` names itself", id(*revision))
            }
            Self::RepeatedParent { revision, parent } => format!(
                "parent `{parent}` listed twice in down_revision of `{}`",
                id(*revision)
            ),
            Self::Cycle { revisions } => {
                let mut names = list(revisions);
                if let Some(first) = names.first().cloned() {
                    names.push(first);
                }
                format!("cycle in the revision graph: {}", names.join(" -> "))
            }
            Self::DuplicateLabel {
                label,
                first,
                second,
            } => format!(
                "branch label `{label}` is on both `{}` and `{}`",
                id(*first),
                id(*second)
            ),
            Self::LabelIsRevision {
                label, labelled, ..
            } => format!(
                "branch label `{label}` of `{}` is also a revision id",
                id(*labelled)
            ),
            Self::MultipleHeads { heads } => {
                format!("{} heads: {}", heads.len(), list(heads).join(", "))
            }
        }
    }
}

/// The problem with revisions named by their index (`#3`); [`GraphProblem::message`]
/// names them by id.
impl std::fmt::Display for GraphProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(&|i| format!("#{i}")))
    }
}

impl std::error::Error for GraphProblem {}

/// The revision graph of a set of migrations, checked against every rule.
///
/// # Examples
///
/// ```
/// use migraph_core::{Graph, Migration};
///
/// let files = [
///     Migration::parse("a.sql", "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\n").unwrap(),
///     Migration::parse("b.sql", "-- revision: b\n-- down_revision: a\n-- migrate:upgrade\n").unwrap(),
/// ];
/// let graph = Graph::build(&files).unwrap();
/// assert_eq!(graph.heads(), &[1]);
/// assert_eq!(graph.bases(), &[0]);
/// assert_eq!(graph.find("b"), Some(1));
/// ```
#[derive(Debug, Clone)]
pub struct Graph {
    ids: Vec<Box<str>>,
    index: HashMap<Box<str>, usize>,
    labels: HashMap<Box<str>, usize>,
    labels_of: Vec<Vec<Box<str>>>,
    parents: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    depends: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
    heads: Vec<usize>,
    bases: Vec<usize>,
    /// Ids sorted, for prefix look-up.
    sorted: Vec<(Box<str>, usize)>,
}

impl Graph {
    /// Builds the graph of `migrations` (sorted by file name) and checks every rule but the
    /// single-head rule, which [`Graph::check_single_head`] checks on request.
    ///
    /// # Errors
    ///
    /// Every [`GraphProblem`] found, all together.
    pub fn build(migrations: &[Migration]) -> Result<Self, Vec<GraphProblem>> {
        let mut problems = Vec::new();
        let index = check_duplicate_revisions(migrations, &mut problems);
        let labels = check_labels(migrations, &index, &mut problems);
        let n = migrations.len();
        let mut parents = vec![Vec::new(); n];
        let mut depends = vec![Vec::new(); n];
        check_repeated_parents(migrations, &mut problems);
        check_self_references(migrations, &mut problems);
        check_parents_known(migrations, &index, &mut parents, &mut problems);
        check_dependencies_known(migrations, &index, &labels, &mut depends, &mut problems);
        check_cycles(&parents, &depends, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }

        let mut children = vec![Vec::new(); n];
        let mut dependents = vec![Vec::new(); n];
        for (child, ps) in parents.iter().enumerate() {
            for &p in ps {
                children[p].push(child);
            }
        }
        for (rev, ds) in depends.iter().enumerate() {
            for &d in ds {
                dependents[d].push(rev);
            }
        }
        let heads = (0..n).filter(|&i| children[i].is_empty()).collect();
        let bases = (0..n).filter(|&i| parents[i].is_empty()).collect();
        let ids: Vec<Box<str>> = migrations.iter().map(|m| m.revision().into()).collect();
        let mut sorted: Vec<(Box<str>, usize)> = ids.iter().cloned().zip(0..).collect();
        sorted.sort_unstable();
        let labels_of = migrations
            .iter()
            .map(|m| {
                m.branch_labels()
                    .iter()
                    .map(|l| l.as_ref().into())
                    .collect()
            })
            .collect();
        Ok(Self {
            ids,
            index,
            labels,
            labels_of,
            parents,
            children,
            depends,
            dependents,
            heads,
            bases,
            sorted,
        })
    }

    /// Checks that the graph has at most one head, unless every head carries a branch
    /// label (an intentional branch) or `allow_multiple` is set.
    ///
    /// # Errors
    ///
    /// [`GraphProblem::MultipleHeads`] listing the heads.
    pub fn check_single_head(&self, allow_multiple: bool) -> Result<(), GraphProblem> {
        // Forbids two heads that nobody meant: two branches each adding a revision after
        // the same parent. A merge revision joins them; labelled heads are deliberate.
        if allow_multiple || self.heads.len() <= 1 {
            return Ok(());
        }
        let all_labelled = self
            .heads
            .iter()
            .all(|&h| !self.branch_of_head_unlabelled(h));
        if all_labelled {
            return Ok(());
        }
        Err(GraphProblem::MultipleHeads {
            heads: self.heads.clone(),
        })
    }

    /// Whether no branch label applies to head `h` (its own, or one on an ancestor that
    /// reaches it without passing a branch point).
    fn branch_of_head_unlabelled(&self, h: usize) -> bool {
        let mut cur = h;
        loop {
            if !self.labels_of[cur].is_empty() {
                return false;
            }
            match self.parents[cur].as_slice() {
                [p] if self.children[*p].len() == 1 => cur = *p,
                _ => return true,
            }
        }
    }

    /// How many revisions there are.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of revision `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    /// The index of the revision with exactly this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The revision carrying branch label `label`.
    pub fn find_label(&self, label: &str) -> Option<usize> {
        self.labels.get(label).copied()
    }

    /// All branch labels, with the revision carrying each.
    pub fn labels(&self) -> impl Iterator<Item = (&str, usize)> {
        self.labels.iter().map(|(l, &i)| (l.as_ref(), i))
    }

    /// The branch labels revision `i` carries itself.
    pub fn labels_of(&self, i: usize) -> &[Box<str>] {
        &self.labels_of[i]
    }

    /// Revisions whose id starts with `prefix`, in id order.
    pub fn with_prefix(&self, prefix: &str) -> Vec<usize> {
        let start = self.sorted.partition_point(|(id, _)| id.as_ref() < prefix);
        self.sorted[start..]
            .iter()
            .take_while(|(id, _)| id.starts_with(prefix))
            .map(|&(_, i)| i)
            .collect()
    }

    /// All ids, in file-name order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(AsRef::as_ref)
    }

    /// The parents of revision `i` (its `down_revision`).
    pub fn parents(&self, i: usize) -> &[usize] {
        &self.parents[i]
    }

    /// The revisions naming `i` as a parent.
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    /// The revisions `i` depends on (its `depends_on`, labels resolved).
    pub fn depends(&self, i: usize) -> &[usize] {
        &self.depends[i]
    }

    /// The revisions that depend on `i`.
    pub fn dependents(&self, i: usize) -> &[usize] {
        &self.dependents[i]
    }

    /// Revisions no other revision names as parent, in file-name order.
    pub fn heads(&self) -> &[usize] {
        &self.heads
    }

    /// Revisions without parents, in file-name order.
    pub fn bases(&self) -> &[usize] {
        &self.bases
    }

    /// Marks `from` and everything it needs: parents and dependencies, transitively.
    pub fn ancestors(&self, from: &[usize]) -> Vec<bool> {
        self.closure(from, |i| self.parents[i].iter().chain(&self.depends[i]))
    }

    /// Marks `from` and everything that needs it: children and dependents, transitively.
    pub fn descendants(&self, from: &[usize]) -> Vec<bool> {
        self.closure(from, |i| self.children[i].iter().chain(&self.dependents[i]))
    }

    /// Marks `from` and its descendants along `down_revision` links only.
    pub fn descendants_by_parent(&self, from: &[usize]) -> Vec<bool> {
        self.closure(from, |i| self.children[i].iter())
    }

    /// Marks `from` and its ancestors along `down_revision` links only.
    pub fn ancestors_by_parent(&self, from: &[usize]) -> Vec<bool> {
        self.closure(from, |i| self.parents[i].iter())
    }

    /// Marks the revisions on the line through `i`: its ancestors and descendants along
    /// `down_revision` links, `i` included. This is how a revision named before `@` in a
    /// target (`<rev>@head`) scopes the target to its branch, as Alembic does.
    pub fn lineage(&self, i: usize) -> Vec<bool> {
        let mut on = self.ancestors_by_parent(&[i]);
        for (o, d) in on.iter_mut().zip(self.descendants_by_parent(&[i])) {
            *o |= d;
        }
        on
    }

    /// The heads that no other revision depends on either: what the `heads` target
    /// names (a head that exists only as another head's dependency comes along with it).
    pub fn heads_not_depended_on(&self) -> Vec<usize> {
        self.heads
            .iter()
            .copied()
            .filter(|&h| self.dependents[h].is_empty())
            .collect()
    }

    fn closure<'s, I>(&'s self, from: &[usize], next: impl Fn(usize) -> I) -> Vec<bool>
    where
        I: Iterator<Item = &'s usize>,
    {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<usize> = from.to_vec();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(next(i).copied().filter(|&j| !seen[j]));
            }
        }
        seen
    }

    /// The revisions marked in `set`, ordered so that every revision comes after its
    /// parents and dependencies; ties go to the earlier file name.
    pub fn topological(&self, set: &[bool]) -> Vec<usize> {
        let mut waiting: Vec<usize> = vec![0; self.len()];
        let mut ready = BinaryHeap::new();
        for i in (0..self.len()).filter(|&i| set[i]) {
            let needs = self.parents[i]
                .iter()
                .chain(&self.depends[i])
                .filter(|&&p| set[p])
                .count();
            waiting[i] = needs;
            if needs == 0 {
                ready.push(Reverse(i));
            }
        }
        let mut order = Vec::new();
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &c in self.children[i].iter().chain(&self.dependents[i]) {
                if set[c] {
                    waiting[c] -= 1;
                    if waiting[c] == 0 {
                        ready.push(Reverse(c));
                    }
                }
            }
        }
        order
    }

    /// The revisions on branch `label`: the labelled revision, its descendants, and its
    /// ancestors up to (not including) the nearest branch or merge point, as Alembic
    /// counts them.
    pub fn branch(&self, labelled: usize) -> Vec<bool> {
        let mut on = self.descendants_by_parent(&[labelled]);
        let mut cur = labelled;
        while let [p] = self.parents[cur].as_slice() {
            if self.children[*p].len() > 1 || self.parents[*p].len() > 1 {
                break;
            }
            on[*p] = true;
            cur = *p;
        }
        on
    }
}

/// Forbids two files with one revision id: the graph could not tell them apart. Returns the
/// id index, keeping the first file for each id.
fn check_duplicate_revisions(
    migrations: &[Migration],
    problems: &mut Vec<GraphProblem>,
) -> HashMap<Box<str>, usize> {
    let mut index = HashMap::with_capacity(migrations.len());
    for (i, m) in migrations.iter().enumerate() {
        if let Some(&first) = index.get(m.revision()) {
            problems.push(GraphProblem::DuplicateRevision { first, second: i });
        } else {
            index.insert(m.revision().into(), i);
        }
    }
    index
}

/// Forbids a branch label used twice, or equal to a revision id, since a target naming it
/// would be ambiguous. Returns the label index.
fn check_labels(
    migrations: &[Migration],
    index: &HashMap<Box<str>, usize>,
    problems: &mut Vec<GraphProblem>,
) -> HashMap<Box<str>, usize> {
    let mut labels: HashMap<Box<str>, usize> = HashMap::new();
    for (i, m) in migrations.iter().enumerate() {
        for label in m.branch_labels() {
            if let Some(&revision) = index.get(label.as_ref()) {
                problems.push(GraphProblem::LabelIsRevision {
                    label: label.to_string(),
                    labelled: i,
                    revision,
                });
            } else if let Some(&first) = labels.get(label.as_ref()) {
                problems.push(GraphProblem::DuplicateLabel {
                    label: label.to_string(),
                    first,
                    second: i,
                });
            } else {
                labels.insert(label.as_ref().into(), i);
            }
        }
    }
    labels
}

/// Forbids one parent named twice in a `down_revision` list: a typo, or a merge missing
/// its other parent.
fn check_repeated_parents(migrations: &[Migration], problems: &mut Vec<GraphProblem>) {
    for (i, m) in migrations.iter().enumerate() {
        let ps = m.down_revisions();
        for (k, p) in ps.iter().enumerate() {
            if ps[..k].contains(p) {
                problems.push(GraphProblem::RepeatedParent {
                    revision: i,
                    parent: p.to_string(),
                });
            }
        }
    }
}

/// Forbids a revision naming itself as parent or dependency: a one-revision cycle, almost
/// always a copied header.
fn check_self_references(migrations: &[Migration], problems: &mut Vec<GraphProblem>) {
    for (i, m) in migrations.iter().enumerate() {
        let me = m.revision();
        let named_self = m
            .down_revisions()
            .iter()
            .chain(m.depends_on())
            .any(|r| r == me);
        let labels_self = m.depends_on().iter().any(|d| m.branch_labels().contains(d));
        if named_self || labels_self {
            problems.push(GraphProblem::SelfReference { revision: i });
        }
    }
}

/// Forbids a `down_revision` naming a revision no file has. Fills `parents` with the known
/// ones (self-references left out).
fn check_parents_known(
    migrations: &[Migration],
    index: &HashMap<Box<str>, usize>,
    parents: &mut [Vec<usize>],
    problems: &mut Vec<GraphProblem>,
) {
    for (i, m) in migrations.iter().enumerate() {
        for p in m.down_revisions() {
            match index.get(p.as_ref()) {
                Some(&j) if j == i || parents[i].contains(&j) => {}
                Some(&j) => parents[i].push(j),
                None => problems.push(GraphProblem::UnknownParent {
                    revision: i,
                    parent: p.to_string(),
                    suggestion: did_you_mean(p, index.keys().map(AsRef::as_ref)).map(Into::into),
                }),
            }
        }
    }
}

/// Forbids a `depends_on` naming neither a revision nor a branch label. Fills `depends`
/// with the revisions named (labels resolved, self-references left out).
fn check_dependencies_known(
    migrations: &[Migration],
    index: &HashMap<Box<str>, usize>,
    labels: &HashMap<Box<str>, usize>,
    depends: &mut [Vec<usize>],
    problems: &mut Vec<GraphProblem>,
) {
    for (i, m) in migrations.iter().enumerate() {
        for d in m.depends_on() {
            match index.get(d.as_ref()).or_else(|| labels.get(d.as_ref())) {
                Some(&j) if j == i || depends[i].contains(&j) => {}
                Some(&j) => depends[i].push(j),
                None => problems.push(GraphProblem::UnknownDependency {
                    revision: i,
                    dependency: d.to_string(),
                    suggestion: did_you_mean(
                        d,
                        index.keys().chain(labels.keys()).map(AsRef::as_ref),
                    )
                    .map(Into::into),
                }),
            }
        }
    }
}

/// Forbids a cycle through `down_revision` and `depends_on` links: no order could apply
/// it. Reports each cycle once, listed parent first.
fn check_cycles(parents: &[Vec<usize>], depends: &[Vec<usize>], problems: &mut Vec<GraphProblem>) {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let n = parents.len();
    let mut state = vec![NEW; n];
    let edges = |i: usize| parents[i].iter().chain(&depends[i]).copied();
    for root in 0..n {
        if state[root] != NEW {
            continue;
        }
        // Iterative depth-first search along "needs" links; `path` is the open chain.
        let mut path: Vec<(usize, Vec<usize>)> = vec![(root, edges(root).collect())];
        state[root] = OPEN;
        while let Some((node, pending)) = path.last_mut() {
            let node = *node;
            match pending.pop() {
                Some(next) if state[next] == NEW => {
                    state[next] = OPEN;
                    path.push((next, edges(next).collect()));
                }
                Some(next) if state[next] == OPEN => {
                    let start = path.iter().position(|(p, _)| *p == next).unwrap_or(0);
                    // `path` runs child -> parent; list the cycle parent first.
                    let mut cycle: Vec<usize> = path[start..].iter().map(|(p, _)| *p).collect();
                    cycle.reverse();
                    problems.push(GraphProblem::Cycle { revisions: cycle });
                }
                Some(_) => {}
                None => {
                    state[node] = DONE;
                    path.pop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn mig(rev: &str, down: &str, extra: &str) -> Migration {
        let text = format!(
            "-- revision: {rev}\n-- down_revision: {down}\n{extra}\n-- migrate:upgrade\nSELECT '{rev}';\n-- migrate:downgrade\nSELECT 'undo {rev}';\n"
        );
        Migration::parse(&format!("{rev}_x.sql"), &text).unwrap()
    }

    #[test]
    fn finds_heads_bases_children_and_prefixes() {
        let g = Graph::build(&[
            mig("a1", "none", ""),
            mig("b1", "a1", ""),
            mig("b2", "a1", ""),
            mig("c", "b1, b2", ""),
        ])
        .unwrap();
        assert_eq!(g.heads(), &[3]);
        assert_eq!(g.bases(), &[0]);
        assert_eq!(g.children(0), &[1, 2]);
        assert_eq!(g.with_prefix("b"), vec![1, 2]);
        assert_eq!(g.with_prefix("b2"), vec![2]);
        assert!(g.with_prefix("z").is_empty());
    }

    #[test]
    fn reports_every_problem_together() {
        let problems = Graph::build(&[
            mig("a", "none", "-- branch_labels: x"),
            mig("a", "none", ""),
            mig("b", "zz", "-- depends_on: nope"),
            mig("c", "c", ""),
            mig("d", "a, a", "-- branch_labels: x, b"),
        ])
        .unwrap_err();
        assert!(problems.contains(&GraphProblem::DuplicateRevision {
            first: 0,
            second: 1
        }));
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, GraphProblem::UnknownParent { parent, .. } if parent == "zz"))
        );
        assert!(problems.iter().any(|p| matches!(p, GraphProblem::UnknownDependency { dependency, .. } if dependency == "nope")));
        assert!(problems.contains(&GraphProblem::SelfReference { revision: 3 }));
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, GraphProblem::RepeatedParent { revision: 4, .. }))
        );
        assert!(problems.iter().any(|p| matches!(
            p,
            GraphProblem::DuplicateLabel {
                first: 0,
                second: 4,
                ..
            }
        )));
        assert!(problems.iter().any(|p| matches!(
            p,
            GraphProblem::LabelIsRevision {
                labelled: 4,
                revision: 2,
                ..
            }
        )));
    }

    #[test]
    fn finds_a_cycle_and_lists_it() {
        let problems = Graph::build(&[
            mig("a", "none", ""),
            mig("b", "a, d", ""),
            mig("c", "b", ""),
            mig("d", "c", ""),
        ])
        .unwrap_err();
        let cycle = problems
            .iter()
            .find_map(|p| match p {
                GraphProblem::Cycle { revisions } => Some(revisions.clone()),
                _ => None,
            })
            .unwrap();
        let mut sorted = cycle;
        sorted.sort_unstable();
        assert_eq!(sorted, vec![1, 2, 3]);
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn a_cycle_through_depends_on_is_found() {
        let problems =
            Graph::build(&[mig("a", "none", "-- depends_on: b"), mig("b", "a", "")]).unwrap_err();
        assert!(matches!(&problems[0], GraphProblem::Cycle { revisions } if revisions.len() == 2));
    }

    #[test]
    fn unlabelled_second_head_is_refused_unless_allowed() {
        let g =
            Graph::build(&[mig("a", "none", ""), mig("b", "a", ""), mig("c", "a", "")]).unwrap();
        assert_eq!(
            g.check_single_head(false),
            Err(GraphProblem::MultipleHeads { heads: vec![1, 2] })
        );
        assert_eq!(g.check_single_head(true), Ok(()));
        let labelled = Graph::build(&[
            mig("a", "none", ""),
            mig("b", "a", "-- branch_labels: left"),
            mig("b2", "b", ""),
            mig("c", "a", "-- branch_labels: right"),
        ])
        .unwrap();
        assert_eq!(labelled.check_single_head(false), Ok(()));
    }

    #[test]
    fn topological_order_breaks_ties_by_file_name() {
        let g = Graph::build(&[
            mig("a", "none", ""),
            mig("b", "a", ""),
            mig("c", "none", "-- depends_on: d"),
            mig("d", "a", ""),
        ])
        .unwrap();
        assert_eq!(g.topological(&[true; 4]), vec![0, 1, 3, 2]);
    }

    #[test]
    fn branch_covers_the_label_its_descendants_and_the_unforked_stem() {
        let g = Graph::build(&[
            mig("a", "none", ""),
            mig("b", "a", ""),
            mig("c", "b", "-- branch_labels: l"),
            mig("d", "c", ""),
        ])
        .unwrap();
        assert_eq!(g.branch(2), vec![true; 4]);
        let forked = Graph::build(&[
            mig("a", "none", ""),
            mig("b", "a", "-- branch_labels: l"),
            mig("c", "a", "-- branch_labels: r"),
        ])
        .unwrap();
        assert_eq!(forked.branch(1), vec![false, true, false]);
    }
}
