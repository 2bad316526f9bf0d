//! What to run: the revisions an `upgrade`, `downgrade` or `stamp` touches, in order.
//!
//! The database's state is the set of applied revisions (`applied[i]` for revision `i` of
//! the graph). Plans are deterministic: parents before children, ties broken by file name.

use crate::graph::{Graph, RevIndex, RevSet};
use crate::target::{
    Anchor, Overwalk, Resolved, Target, TargetError, check_applied, current_heads,
};

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The target could not be resolved.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Two targets where one is an ancestor of the other.
    #[error("target `{ancestor}` is an ancestor of target `{of}`; name only `{of}`")]
    AncestorTarget {
        /// The ancestor.
        ancestor: String,
        /// The revision it is an ancestor of.
        of: String,
    },
    /// `downgrade` to a revision that is not applied.
    #[error(
        "`{target}` is not applied, so there is nothing to downgrade to it (current: {current}); did you mean `upgrade {target}`?"
    )]
    NotApplied {
        /// The target.
        target: String,
        /// The current revisions, or `base`.
        current: String,
    },
    /// A downgrade scoped to a branch whose target has nothing of that branch above it.
    #[error("`{target}` is not a valid downgrade target: nothing above it is on branch `{branch}`")]
    NothingOnBranch {
        /// The target.
        target: String,
        /// The branch it was scoped to.
        branch: String,
    },
    /// A history range that is not `A:B`, or whose ends are not in order.
    #[error("`{range}` is not a revision range: {reason}")]
    Range {
        /// The range given.
        range: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A target that makes no sense for this command.
    #[error("`{target}` cannot be used with {command}: {reason}")]
    WrongCommand {
        /// The target.
        target: String,
        /// The command.
        command: &'static str,
        /// Why not.
        reason: &'static str,
    },
}

/// The rows a `stamp` inserts and deletes, without running any SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StampPlan {
    /// Revisions to record as applied, parents first.
    pub insert: Vec<RevIndex>,
    /// Revisions to forget, children first.
    pub delete: Vec<RevIndex>,
}

/// A relative target counting from the current revision in the wrong direction for the
/// command (`upgrade -1`, `downgrade +1`) takes no steps: Alembic's error.
fn refuse_wrong_direction(target: &Target, up: bool) -> Result<(), PlanError> {
    if target.is_current_relative() && (target.steps > 0) != up {
        return Err(TargetError::TooFewSteps {
            target: target.to_string(),
            steps: target.steps,
            reason: format!(
                "{} counts {} from the current revision; use {}",
                if up { "upgrade" } else { "downgrade" },
                if up { "up" } else { "down" },
                if up { "`+N`" } else { "`-N`" },
            ),
        }
        .into());
    }
    Ok(())
}

/// The revisions to apply, in order, to reach `target` from `applied`.
///
/// Everything the target needs (ancestors and `depends_on`, transitively) that is not
/// applied yet; branches unrelated to the target are left alone. A target that is
/// already applied, even with revisions above it, needs nothing (as in Alembic).
///
/// # Errors
///
/// An unresolvable target, two targets of which one is the other's ancestor, a relative
/// target that cannot take its steps (`-1` counts down: use `downgrade`), or
/// `<label>@base`.
///
/// # Examples
///
/// ```
/// use migraph_core::{Graph, Migration, RevSet, plan};
///
/// let m = |r: &str, d: &str| Migration::parse(&format!("{r}.sql"),
///     &format!("-- revision: {r}\n-- down_revision: {d}\n-- migrate:upgrade\n")).unwrap();
/// let graph = Graph::build(&[m("a", "none"), m("b", "a"), m("c", "b")]).unwrap();
/// let mut applied = RevSet::empty(&graph);
/// applied.insert(graph.find("a").unwrap());
/// let steps = plan::upgrade(&graph, &applied, &"head".parse().unwrap()).unwrap();
/// assert_eq!(steps.iter().map(|&i| graph.id(i)).collect::<Vec<_>>(), ["b", "c"]);
/// ```
pub fn upgrade(
    graph: &Graph,
    applied: &RevSet,
    target: &Target,
) -> Result<Vec<RevIndex>, PlanError> {
    refuse_wrong_direction(target, true)?;
    let resolved = target.resolve(graph, applied)?;
    if resolved.branch_base {
        return Err(PlanError::WrongCommand {
            target: target.to_string(),
            command: "upgrade",
            reason: "`<label>@base` removes a branch; use it with downgrade",
        });
    }
    check_no_ancestor_targets(graph, &resolved.revisions)?;
    let mut needed = graph.ancestors(&resolved.revisions);
    needed.subtract(applied);
    Ok(graph.topological(&needed))
}

/// The revisions to undo, in order (children first), to go back to `target`.
///
/// As in Alembic: the revisions above the target along `down_revision` links, and
/// whatever depends on them; the target itself stays, and so does a revision that only
/// depends on it. Scoped to a branch (`left@s`, `left@-2`), only the way up that leads
/// to the branch is undone. `base` undoes everything, and `<label>@base` the branch back
/// to where it forks from the others (see `docs/design.md`).
///
/// # Errors
///
/// An unresolvable target, a target that is not applied (nothing to go back to), a
/// relative target that cannot take its steps, or a branch-scoped target with nothing of
/// the branch above it.
///
/// # Examples
///
/// ```
/// use migraph_core::{Graph, Migration, RevSet, plan};
///
/// let m = |r: &str, d: &str| Migration::parse(&format!("{r}.sql"),
///     &format!("-- revision: {r}\n-- down_revision: {d}\n-- migrate:upgrade\n")).unwrap();
/// let graph = Graph::build(&[m("a", "none"), m("b", "a"), m("c", "b")]).unwrap();
/// let steps = plan::downgrade(&graph, &RevSet::all(&graph), &"a".parse().unwrap()).unwrap();
/// assert_eq!(steps.iter().map(|&i| graph.id(i)).collect::<Vec<_>>(), ["c", "b"]);
/// ```
pub fn downgrade(
    graph: &Graph,
    applied: &RevSet,
    target: &Target,
) -> Result<Vec<RevIndex>, PlanError> {
    refuse_wrong_direction(target, false)?;
    let resolved = target.resolve(graph, applied)?;
    let undo_from: Vec<RevIndex> = if let (true, Some(b)) = (resolved.branch_base, resolved.branch)
    {
        graph.branch(b).iter().collect()
    } else {
        let mut roots: Vec<RevIndex> = if resolved.revisions.is_empty() {
            graph.bases().to_vec()
        } else {
            if let Some(&missing) = resolved.revisions.iter().find(|&&k| !applied.contains(k)) {
                return Err(not_applied(graph, applied, missing));
            }
            let mut roots: Vec<RevIndex> = resolved
                .revisions
                .iter()
                .flat_map(|&k| graph.children(k).iter().copied())
                .filter(|c| !resolved.revisions.contains(c))
                .collect();
            roots.sort_unstable();
            roots.dedup();
            roots
        };
        if let Some(b) = resolved.branch
            && roots.len() > 1
        {
            let towards = graph.ancestors_by_parent(&[b]);
            roots.retain(|&r| towards.contains(r));
            if roots.is_empty() {
                return Err(PlanError::NothingOnBranch {
                    target: target.to_string(),
                    branch: target.branch.clone().unwrap_or_default(),
                });
            }
        }
        roots
    };
    let mut undo = graph.descendants(&undo_from);
    undo.intersect_with(applied);
    let mut order = graph.topological(&undo);
    order.reverse();
    Ok(order)
}

fn not_applied(graph: &Graph, applied: &RevSet, missing: RevIndex) -> PlanError {
    let current: Vec<&str> = current_heads(graph, applied, None)
        .into_iter()
        .map(|i| graph.id(i))
        .collect();
    PlanError::NotApplied {
        target: graph.id(missing).to_owned(),
        current: if current.is_empty() {
            "base".to_owned()
        } else {
            current.join(", ")
        },
    }
}

/// The rows to insert and delete to stamp `targets`, moving heads as Alembic does.
///
/// Each target replaces the current heads on its line (heads that are its ancestors or
/// descendants, dependencies included) and leaves the other heads alone; a target on a
/// line with no current head adds a head; `base`, or `<label>@base`, removes the heads
/// on its line. The applied set after is everything the resulting heads need.
///
/// # Errors
///
/// An unresolvable target, or two targets of which one is the other's ancestor.
///
/// # Examples
///
/// ```
/// use migraph_core::{Graph, Migration, RevSet, plan};
///
/// let m = |r: &str, d: &str| Migration::parse(&format!("{r}.sql"),
///     &format!("-- revision: {r}\n-- down_revision: {d}\n-- migrate:upgrade\n")).unwrap();
/// let graph = Graph::build(&[m("a", "none"), m("b", "a"), m("c", "b")]).unwrap();
/// let plan = plan::stamp(&graph, &RevSet::all(&graph), &["a".parse().unwrap()]).unwrap();
/// assert!(plan.insert.is_empty());
/// assert_eq!(plan.delete.iter().map(|&i| graph.id(i)).collect::<Vec<_>>(), ["c", "b"]);
/// ```
pub fn stamp(graph: &Graph, applied: &RevSet, targets: &[Target]) -> Result<StampPlan, PlanError> {
    check_applied(graph, applied)?;
    let current = current_heads(graph, applied, None);
    let mut heads = RevSet::empty(graph);
    for &h in &current {
        heads.insert(h);
    }
    let mut added = Vec::new();
    for target in targets {
        let resolved = target.resolve(graph, applied)?;
        let refs: Vec<RevIndex> = resolved
            .revisions
            .iter()
            .copied()
            .chain(resolved.branch)
            .collect();
        // The heads on the target's line: ancestors or descendants of what it names.
        let mut line = graph.ancestors(&refs);
        line.union_with(&graph.descendants(&refs));
        for &h in &current {
            if refs.is_empty() || line.contains(h) {
                heads.remove(h);
            }
        }
        added.extend(resolved.revisions);
    }
    added.sort_unstable();
    added.dedup();
    check_no_ancestor_targets(graph, &added)?;
    for a in added {
        heads.insert(a);
    }
    let keep: Vec<RevIndex> = heads.iter().collect();
    let wanted = graph.ancestors(&keep);
    let mut insert = wanted.clone();
    insert.subtract(applied);
    let mut delete = applied.clone();
    delete.subtract(&wanted);
    let mut delete = graph.topological(&delete);
    delete.reverse();
    Ok(StampPlan {
        insert: graph.topological(&insert),
        delete,
    })
}

/// The revisions of a history range `A:B`, newest first, as Alembic lists them: those
/// that descend from A (along `down_revision` links) and that B needs, both ends
/// included. An empty A is base, an empty B the heads; `current` is the database's
/// current revisions (`current` must then be given); a relative end (`-2:r3`, `r1:+2`)
/// counts from the other end, and a walk past the end of the graph stops there.
///
/// # Errors
///
/// [`PlanError::Range`] for a text that is not `A:B`, `current` without a database, or
/// an A that is not an ancestor of B; an unresolvable end.
///
/// # Examples
///
/// ```
/// use migraph_core::{Graph, Migration, RevSet, plan};
///
/// let m = |r: &str, d: &str| Migration::parse(&format!("{r}.sql"),
///     &format!("-- revision: {r}\n-- down_revision: {d}\n-- migrate:upgrade\n")).unwrap();
/// let graph = Graph::build(&[m("r1", "none"), m("r2", "r1"), m("r3", "r2")]).unwrap();
/// let ids = |revs: Vec<migraph_core::RevIndex>| revs.iter().map(|&i| graph.id(i).to_owned()).collect::<Vec<_>>();
/// assert_eq!(ids(plan::history(&graph, None, "r1:r2").unwrap()), ["r2", "r1"]);
/// assert_eq!(ids(plan::history(&graph, None, "-2:r3").unwrap()), ["r3", "r2", "r1"]);
/// let current = graph.ancestors(&[graph.find("r2").unwrap()]);
/// assert_eq!(ids(plan::history(&graph, Some(&current), "current:").unwrap()), ["r3", "r2"]);
/// ```
pub fn history(
    graph: &Graph,
    current: Option<&RevSet>,
    range: &str,
) -> Result<Vec<RevIndex>, PlanError> {
    let bad = |reason: &str| PlanError::Range {
        range: range.to_owned(),
        reason: reason.to_owned(),
    };
    if let Some(c) = current {
        check_applied(graph, c)?;
    }
    let (lo, hi) = range
        .trim()
        .split_once(':')
        .ok_or_else(|| bad("write A:B, A: or :B, e.g. base:head"))?;
    let end = |text: &str, default: Target| -> Result<End, PlanError> {
        match text.trim() {
            "" => Ok(End::Target(default)),
            "current" => current
                .map(|c| End::Revisions(current_heads(graph, c, None)))
                .ok_or_else(|| bad("`current` reads the version table; give a database URL")),
            t => Ok(End::Target(t.parse()?)),
        }
    };
    let lower = end(lo, Target::base())?;
    let upper = end(hi, Target::heads())?;
    let nothing = RevSet::empty(graph);
    // A relative end without a revision counts from the other end.
    let resolve_from = |end: &End, other: Option<&[RevIndex]>| -> Result<Resolved, PlanError> {
        match end {
            End::Revisions(r) => Ok(Resolved {
                revisions: r.clone(),
                branch: None,
                branch_base: false,
            }),
            End::Target(t) => {
                let state = match other {
                    Some(o) if t.is_current_relative() => graph.ancestors(o),
                    _ => nothing.clone(),
                };
                Ok(t.resolve_with(graph, &state, Overwalk::Clamp)?)
            }
        }
    };
    let relative = |e: &End| matches!(e, End::Target(t) if t.anchor == Anchor::Current);
    let (low, high) = match (relative(&lower), relative(&upper)) {
        (true, true) => return Err(bad("one end must name a revision")),
        (_, true) => {
            let low = resolve_from(&lower, None)?;
            let high = resolve_from(&upper, Some(&low.revisions))?;
            (low, high)
        }
        _ => {
            let high = resolve_from(&upper, None)?;
            let low = resolve_from(&lower, Some(&high.revisions))?;
            (low, high)
        }
    };
    let mut tops = high.revisions;
    if let Some(b) = low.branch {
        // `label@base:heads`: the heads of that branch only.
        let on = graph.branch(b);
        tops.retain(|&t| on.contains(t));
    }
    let mut wanted = graph.ancestors(&tops);
    if let Some(&outside) = low.revisions.iter().find(|&&l| !wanted.contains(l)) {
        return Err(bad(&format!(
            "`{}` is not an ancestor of `{}`",
            graph.id(outside),
            if hi.is_empty() { "heads" } else { hi }
        )));
    }
    if !low.revisions.is_empty() {
        wanted.intersect_with(&graph.descendants_by_parent(&low.revisions));
    }
    let mut order = graph.topological(&wanted);
    order.reverse();
    Ok(order)
}

/// One end of a history range.
enum End {
    Target(Target),
    Revisions(Vec<RevIndex>),
}

/// Forbids asking for a revision together with one of its descendants (along
/// `down_revision` links): the request says two different things about where the database
/// should be. A head that another head only `depends_on` is not such a pair.
fn check_no_ancestor_targets(graph: &Graph, targets: &[RevIndex]) -> Result<(), PlanError> {
    if targets.len() < 2 {
        return Ok(());
    }
    for &a in targets {
        let below = graph.descendants_by_parent(&[a]);
        if let Some(&t) = targets.iter().find(|&&t| t != a && below.contains(t)) {
            return Err(PlanError::AncestorTarget {
                ancestor: graph.id(a).to_owned(),
                of: graph.id(t).to_owned(),
            });
        }
    }
    Ok(())
}
