//! What to run: the revisions an `upgrade`, `downgrade` or `stamp` touches, in order.
//!
//! The database's state is the set of applied revisions (`applied[i]` for revision `i` of
//! the graph). Plans are deterministic: parents before children, ties broken by file name.

use crate::graph::Graph;
use crate::target::{Resolved, Target, TargetError, current_heads};

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
    /// `upgrade` to a revision that is behind what is applied.
    #[error(
        "`{target}` is behind the applied revision `{ahead}`; to go back to it, run `downgrade {target}`"
    )]
    BehindCurrent {
        /// The target.
        target: String,
        /// An applied descendant of it.
        ahead: String,
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
pub struct StampPlan {
    /// Revisions to record as applied, parents first.
    pub insert: Vec<usize>,
    /// Revisions to forget, children first.
    pub delete: Vec<usize>,
}

/// The revisions to apply, in order, to reach `target` from `applied`.
///
/// Everything the target needs (ancestors and `depends_on`, transitively) that is not
/// applied yet; branches unrelated to the target are left alone.
///
/// # Errors
///
/// An unresolvable target, a target behind what is applied (use `downgrade`), two
/// targets of which one is the other's ancestor, or `<label>@base`.
///
/// # Examples
///
/// ```
/// use migrations_core::{Graph, Migration, plan};
///
/// let m = |r: &str, d: &str| Migration::parse(&format!("{r}.sql"),
///     &format!("-- revision: {r}\n-- down_revision: {d}\n-- migrate:upgrade\n")).unwrap();
/// let graph = Graph::build(&[m("a", "none"), m("b", "a"), m("c", "b")]).unwrap();
/// let steps = plan::upgrade(&graph, &[true, false, false], &"head".parse().unwrap()).unwrap();
/// assert_eq!(steps, vec![1, 2]);
/// ```
pub fn upgrade(graph: &Graph, applied: &[bool], target: &Target) -> Result<Vec<usize>, PlanError> {
    let targets = match target.resolve(graph, applied)? {
        Resolved::Revisions(t) => t,
        Resolved::BranchBase(_) => {
            return Err(PlanError::WrongCommand {
                target: target.to_string(),
                command: "upgrade",
                reason: "`<label>@base` removes a branch; use it with downgrade",
            });
        }
    };
    check_no_ancestor_targets(graph, &targets)?;
    for &t in &targets {
        if applied[t] {
            let ahead = graph.descendants_by_parent(&[t]);
            if let Some(a) = (0..graph.len()).find(|&i| i != t && ahead[i] && applied[i]) {
                return Err(PlanError::BehindCurrent {
                    target: target.to_string(),
                    ahead: graph.id(a).to_owned(),
                });
            }
        }
    }
    let mut needed = graph.ancestors(&targets);
    for (n, &a) in needed.iter_mut().zip(applied) {
        *n &= !a;
    }
    Ok(graph.topological(&needed))
}

/// The revisions to undo, in order (children first), to go back to `target`.
///
/// Every applied revision that descends from the target (the target itself stays),
/// including revisions that `depends_on` them; `base` undoes everything, and
/// `<label>@base` that branch only.
///
/// # Errors
///
/// An unresolvable target, or a target that is not applied (nothing to go back to).
///
/// # Examples
///
/// ```
/// use migrations_core::{Graph, Migration, plan};
///
/// let m = |r: &str, d: &str| Migration::parse(&format!("{r}.sql"),
///     &format!("-- revision: {r}\n-- down_revision: {d}\n-- migrate:upgrade\n")).unwrap();
/// let graph = Graph::build(&[m("a", "none"), m("b", "a"), m("c", "b")]).unwrap();
/// let steps = plan::downgrade(&graph, &[true, true, true], &"a".parse().unwrap()).unwrap();
/// assert_eq!(steps, vec![2, 1]);
/// ```
pub fn downgrade(
    graph: &Graph,
    applied: &[bool],
    target: &Target,
) -> Result<Vec<usize>, PlanError> {
    let mut undo = match target.resolve(graph, applied)? {
        Resolved::Revisions(keep) if keep.is_empty() => applied.to_vec(),
        Resolved::Revisions(keep) => {
            if let Some(&missing) = keep.iter().find(|&&k| !applied[k]) {
                let current: Vec<&str> = current_heads(graph, applied, None)
                    .into_iter()
                    .map(|i| graph.id(i))
                    .collect();
                return Err(PlanError::NotApplied {
                    target: graph.id(missing).to_owned(),
                    current: if current.is_empty() {
                        "base".to_owned()
                    } else {
                        current.join(", ")
                    },
                });
            }
            let mut undo = graph.descendants(&keep);
            for k in keep {
                undo[k] = false;
            }
            undo
        }
        Resolved::BranchBase(labelled) => {
            let branch = graph.branch(labelled);
            let members: Vec<usize> = (0..graph.len()).filter(|&i| branch[i]).collect();
            graph.descendants(&members)
        }
    };
    for (u, &a) in undo.iter_mut().zip(applied) {
        *u &= a;
    }
    let mut order = graph.topological(&undo);
    order.reverse();
    Ok(order)
}

/// The rows to insert and delete so that the applied set is exactly what `targets` need.
///
/// # Errors
///
/// An unresolvable target, two targets of which one is the other's ancestor, or
/// `<label>@base`.
///
/// # Examples
///
/// ```
/// use migrations_core::{Graph, Migration, plan};
///
/// let m = |r: &str, d: &str| Migration::parse(&format!("{r}.sql"),
///     &format!("-- revision: {r}\n-- down_revision: {d}\n-- migrate:upgrade\n")).unwrap();
/// let graph = Graph::build(&[m("a", "none"), m("b", "a"), m("c", "b")]).unwrap();
/// let plan = plan::stamp(&graph, &[true, true, true], &["a".parse().unwrap()]).unwrap();
/// assert_eq!(plan.insert, Vec::<usize>::new());
/// assert_eq!(plan.delete, vec![2, 1]);
/// ```
pub fn stamp(graph: &Graph, applied: &[bool], targets: &[Target]) -> Result<StampPlan, PlanError> {
    let mut revisions = Vec::new();
    for target in targets {
        match target.resolve(graph, applied)? {
            Resolved::Revisions(t) => revisions.extend(t),
            Resolved::BranchBase(_) => {
                return Err(PlanError::WrongCommand {
                    target: target.to_string(),
                    command: "stamp",
                    reason: "stamp names the revisions to record; use `base` for none",
                });
            }
        }
    }
    revisions.sort_unstable();
    revisions.dedup();
    check_no_ancestor_targets(graph, &revisions)?;
    let wanted = graph.ancestors(&revisions);
    let insert: Vec<bool> = wanted.iter().zip(applied).map(|(&w, &a)| w && !a).collect();
    let delete: Vec<bool> = wanted.iter().zip(applied).map(|(&w, &a)| a && !w).collect();
    let mut delete = graph.topological(&delete);
    delete.reverse();
    Ok(StampPlan {
        insert: graph.topological(&insert),
        delete,
    })
}

/// Forbids asking for a revision together with one of its descendants (along
/// `down_revision` links): the request says two different things about where the database
/// should be. A head that another head only `depends_on` is not such a pair.
fn check_no_ancestor_targets(graph: &Graph, targets: &[usize]) -> Result<(), PlanError> {
    if targets.len() < 2 {
        return Ok(());
    }
    for &a in targets {
        let below = graph.descendants_by_parent(&[a]);
        if let Some(&t) = targets.iter().find(|&&t| t != a && below[t]) {
            return Err(PlanError::AncestorTarget {
                ancestor: graph.id(a).to_owned(),
                of: graph.id(t).to_owned(),
            });
        }
    }
    Ok(())
}
