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
/// assert_eq!(graph.id(graph.heads()[0]), "b");
/// assert_eq!(graph.id(graph.bases()[0]), "a");
/// assert_eq!(graph.find("b").map(|i| i.index()), Some(1));
/// ```
#[derive(Debug, Clone)]
pub struct Graph {
    ids: Vec<Box<str>>,
    index: HashMap<Box<str>, usize>,
    labels: HashMap<Box<str>, usize>,
    labels_of: Vec<Vec<Box<str>>>,
    parents: Vec<Vec<RevIndex>>,
    children: Vec<Vec<RevIndex>>,
    depends: Vec<Vec<RevIndex>>,
    dependents: Vec<Vec<RevIndex>>,
    heads: Vec<RevIndex>,
    bases: Vec<RevIndex>,
    /// Revisions in id order, for prefix look-up.
    sorted: Vec<usize>,
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
                children[p].push(RevIndex(child));
            }
        }
        for (rev, ds) in depends.iter().enumerate() {
            for &d in ds {
                dependents[d].push(RevIndex(rev));
            }
        }
        let heads = (0..n)
            .filter(|&i| children[i].is_empty())
            .map(RevIndex)
            .collect();
        let bases = (0..n)
            .filter(|&i| parents[i].is_empty())
            .map(RevIndex)
            .collect();
        let wrap = |v: Vec<Vec<usize>>| -> Vec<Vec<RevIndex>> {
            v.into_iter()
                .map(|l| l.into_iter().map(RevIndex).collect())
                .collect()
        };
        let (parents, depends) = (wrap(parents), wrap(depends));
        let ids: Vec<Box<str>> = migrations.iter().map(|m| m.revision().into()).collect();
        let mut sorted: Vec<usize> = (0..n).collect();
        sorted.sort_unstable_by(|&a, &b| ids[a].cmp(&ids[b]));
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
            heads: self.heads.iter().map(|h| h.0).collect(),
        })
    }

    /// Whether no branch label applies to head `h` (its own, or one on an ancestor that
    /// reaches it without passing a branch point).
    fn branch_of_head_unlabelled(&self, h: RevIndex) -> bool {
        let mut cur = h;
        loop {
            if !self.labels_of(cur).is_empty() {
                return false;
            }
            match self.parents(cur) {
                [p] if self.children(*p).len() == 1 => cur = *p,
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

    /// Every revision, in file-name order.
    pub fn revisions(&self) -> impl Iterator<Item = RevIndex> + use<> {
        (0..self.len()).map(RevIndex)
    }

    /// The revision at `index` in the slice the graph was built from.
    pub fn revision_at(&self, index: usize) -> Option<RevIndex> {
        (index < self.len()).then_some(RevIndex(index))
    }

    /// The id of revision `i`.
    pub fn id(&self, i: RevIndex) -> &str {
        &self.ids[i.0]
    }

    /// The revision with exactly this id.
    pub fn find(&self, id: &str) -> Option<RevIndex> {
        self.index.get(id).map(|&i| RevIndex(i))
    }

    /// The revision carrying branch label `label`.
    pub fn find_label(&self, label: &str) -> Option<RevIndex> {
        self.labels.get(label).map(|&i| RevIndex(i))
    }

    /// All branch labels, with the revision carrying each.
    pub fn labels(&self) -> impl Iterator<Item = (&str, RevIndex)> {
        self.labels.iter().map(|(l, &i)| (l.as_ref(), RevIndex(i)))
    }

    /// The branch labels revision `i` carries itself.
    pub fn labels_of(&self, i: RevIndex) -> &[Box<str>] {
        &self.labels_of[i.0]
    }

    /// Revisions whose id starts with `prefix`, in id order.
    pub fn with_prefix(&self, prefix: &str) -> Vec<RevIndex> {
        let start = self
            .sorted
            .partition_point(|&i| self.ids[i].as_ref() < prefix);
        self.sorted[start..]
            .iter()
            .take_while(|&&i| self.ids[i].starts_with(prefix))
            .map(|&i| RevIndex(i))
            .collect()
    }

    /// All ids, in file-name order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(AsRef::as_ref)
    }

    /// The parents of revision `i` (its `down_revision`).
    pub fn parents(&self, i: RevIndex) -> &[RevIndex] {
        &self.parents[i.0]
    }

    /// The revisions naming `i` as a parent.
    pub fn children(&self, i: RevIndex) -> &[RevIndex] {
        &self.children[i.0]
    }

    /// The revisions `i` depends on (its `depends_on`, labels resolved).
    pub fn depends(&self, i: RevIndex) -> &[RevIndex] {
        &self.depends[i.0]
    }

    /// The revisions that depend on `i`.
    pub fn dependents(&self, i: RevIndex) -> &[RevIndex] {
        &self.dependents[i.0]
    }

    /// Revisions no other revision names as parent, in file-name order.
    pub fn heads(&self) -> &[RevIndex] {
        &self.heads
    }

    /// Revisions without parents, in file-name order.
    pub fn bases(&self) -> &[RevIndex] {
        &self.bases
    }

    /// `from` and everything it needs: parents and dependencies, transitively.
    pub fn ancestors(&self, from: &[RevIndex]) -> RevSet {
        self.closure(from, |i| self.parents[i.0].iter().chain(&self.depends[i.0]))
    }

    /// `from` and everything that needs it: children and dependents, transitively.
    pub fn descendants(&self, from: &[RevIndex]) -> RevSet {
        self.closure(from, |i| {
            self.children[i.0].iter().chain(&self.dependents[i.0])
        })
    }

    /// `from` and its descendants along `down_revision` links only.
    pub fn descendants_by_parent(&self, from: &[RevIndex]) -> RevSet {
        self.closure(from, |i| self.children[i.0].iter())
    }

    /// `from` and its ancestors along `down_revision` links only.
    pub fn ancestors_by_parent(&self, from: &[RevIndex]) -> RevSet {
        self.closure(from, |i| self.parents[i.0].iter())
    }

    /// The revisions on the line through `i`: its ancestors and descendants along
    /// `down_revision` links, `i` included. This is how a revision named before `@` in a
    /// target (`<rev>@head`) scopes the target to its branch, as Alembic does.
    pub fn lineage(&self, i: RevIndex) -> RevSet {
        let mut on = self.ancestors_by_parent(&[i]);
        on.union_with(&self.descendants_by_parent(&[i]));
        on
    }

    /// The heads that no other revision depends on either: what the `heads` target
    /// names (a head that exists only as another head's dependency comes along with it).
    pub fn heads_not_depended_on(&self) -> Vec<RevIndex> {
        self.heads
            .iter()
            .copied()
            .filter(|&h| self.dependents[h.0].is_empty())
            .collect()
    }

    fn closure<'s, I>(&'s self, from: &[RevIndex], next: impl Fn(RevIndex) -> I) -> RevSet
    where
        I: Iterator<Item = &'s RevIndex>,
    {
        let mut seen = RevSet::empty(self);
        let mut stack: Vec<RevIndex> = from.to_vec();
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                stack.extend(next(i).copied().filter(|&j| !seen.contains(j)));
            }
        }
        seen
    }

    /// The revisions in `set`, ordered so that every revision comes after its parents and
    /// dependencies; ties go to the earlier file name.
    pub fn topological(&self, set: &RevSet) -> Vec<RevIndex> {
        let mut waiting: Vec<usize> = vec![0; self.len()];
        let mut ready = BinaryHeap::new();
        for i in set.iter() {
            let needs = self.parents[i.0]
                .iter()
                .chain(&self.depends[i.0])
                .filter(|&&p| set.contains(p))
                .count();
            waiting[i.0] = needs;
            if needs == 0 {
                ready.push(Reverse(i));
            }
        }
        let mut order = Vec::new();
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &c in self.children[i.0].iter().chain(&self.dependents[i.0]) {
                if set.contains(c) {
                    waiting[c.0] -= 1;
                    if waiting[c.0] == 0 {
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
    pub fn branch(&self, labelled: RevIndex) -> RevSet {
        let mut on = self.descendants_by_parent(&[labelled]);
        let mut cur = labelled;
        while let [p] = self.parents(cur) {
            if self.children(*p).len() > 1 || self.parents(*p).len() > 1 {
                break;
            }
            on.insert(*p);
            cur = *p;
        }
        on
    }
}

/// A revision's place in a [`Graph`]: its position in the slice of migrations the graph
/// was built from (file-name order), which also indexes that slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RevIndex(usize);

impl RevIndex {
    /// The position in the slice the graph was built from.
    pub fn index(self) -> usize {
        self.0
    }
}

impl std::ops::Index<RevIndex> for [Migration] {
    type Output = Migration;

    fn index(&self, i: RevIndex) -> &Migration {
        &self[i.0]
    }
}

/// A set of revisions of one [`Graph`]: the applied ones, those a target needs, a
/// branch. Made from the graph, so it has a place for every revision.
///
/// # Examples
///
/// ```
/// use migraph_core::{Graph, Migration, RevSet};
///
/// let files = [
///     Migration::parse("a.sql", "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\n").unwrap(),
///     Migration::parse("b.sql", "-- revision: b\n-- down_revision: a\n-- migrate:upgrade\n").unwrap(),
/// ];
/// let graph = Graph::build(&files).unwrap();
/// let mut applied = RevSet::empty(&graph);
/// applied.insert(graph.find("a").unwrap());
/// assert!(applied.contains(graph.find("a").unwrap()));
/// assert_eq!(applied.len(), 1);
/// assert_eq!(graph.ancestors(&[graph.find("b").unwrap()]).len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevSet(Vec<bool>);

impl RevSet {
    /// No revision of `graph`.
    pub fn empty(graph: &Graph) -> Self {
        Self(vec![false; graph.len()])
    }

    /// Every revision of `graph`.
    pub fn all(graph: &Graph) -> Self {
        Self(vec![true; graph.len()])
    }

    /// The revisions of `graph` for which `keep` says so.
    pub fn from_fn(graph: &Graph, keep: impl Fn(RevIndex) -> bool) -> Self {
        Self(graph.revisions().map(keep).collect())
    }

    /// Whether `i` is in the set.
    pub fn contains(&self, i: RevIndex) -> bool {
        self.0.get(i.0).copied().unwrap_or(false)
    }

    /// Adds `i`; `true` when it was not there.
    pub fn insert(&mut self, i: RevIndex) -> bool {
        match self.0.get_mut(i.0) {
            Some(slot) => !std::mem::replace(slot, true),
            None => false,
        }
    }

    /// Removes `i`; `true` when it was there.
    pub fn remove(&mut self, i: RevIndex) -> bool {
        match self.0.get_mut(i.0) {
            Some(slot) => std::mem::replace(slot, false),
            None => false,
        }
    }

    /// The revisions in the set, in file-name order.
    pub fn iter(&self) -> impl Iterator<Item = RevIndex> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter(|&(_, &on)| on)
            .map(|(i, _)| RevIndex(i))
    }

    /// How many revisions are in the set.
    pub fn len(&self) -> usize {
        self.0.iter().filter(|&&on| on).count()
    }

    /// Whether the set has no revision.
    pub fn is_empty(&self) -> bool {
        !self.0.contains(&true)
    }

    /// Adds every revision of `other`.
    pub fn union_with(&mut self, other: &RevSet) {
        for (a, &b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    /// Keeps only the revisions also in `other`.
    pub fn intersect_with(&mut self, other: &RevSet) {
        for (a, &b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }

    /// Removes every revision of `other`.
    pub fn subtract(&mut self, other: &RevSet) {
        for (a, &b) in self.0.iter_mut().zip(&other.0) {
            *a &= !b;
        }
    }

    /// How many revisions the graph it was made for has.
    pub fn graph_len(&self) -> usize {
        self.0.len()
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
        let r = RevIndex;
        assert_eq!(g.heads(), &[r(3)]);
        assert_eq!(g.bases(), &[r(0)]);
        assert_eq!(g.children(r(0)), &[r(1), r(2)]);
        assert_eq!(g.with_prefix("b"), vec![r(1), r(2)]);
        assert_eq!(g.with_prefix("b2"), vec![r(2)]);
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
        let r = RevIndex;
        assert_eq!(
            g.topological(&RevSet::all(&g)),
            vec![r(0), r(1), r(3), r(2)]
        );
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
        assert_eq!(g.branch(RevIndex(2)), RevSet::all(&g));
        let forked = Graph::build(&[
            mig("a", "none", ""),
            mig("b", "a", "-- branch_labels: l"),
            mig("c", "a", "-- branch_labels: r"),
        ])
        .unwrap();
        assert_eq!(
            forked.branch(RevIndex(1)).iter().collect::<Vec<_>>(),
            vec![RevIndex(1)]
        );
    }
}
