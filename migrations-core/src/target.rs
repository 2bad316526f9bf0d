//! Target expressions in Alembic's grammar and with Alembic's meaning.
//!
//! A target is `[<branch>@]<anchor>[+N|-N]`:
//!
//! - the anchor is `head`, `heads`, `base`, a revision (full id, exact branch label, or a
//!   unique prefix of an id or label longer than 3 characters), or nothing, which means
//!   the database's current revision (`+1`, `-2`, `billing@-1`);
//! - `+N` / `-N` walks that many steps up (towards the heads) or down;
//! - `<branch>@` scopes everything to one branch. The branch is a label, a unique prefix of
//!   one, or a revision (`q1@head`): the revisions on it are those that are ancestors or
//!   descendants of the revision it names, along `down_revision` links.

use std::fmt;
use std::str::FromStr;

use crate::diagnostic::did_you_mean;
use crate::graph::{Graph, RevIndex, RevSet};

/// A parsed target expression, not yet resolved against a graph.
///
/// # Examples
///
/// ```
/// use migraph_core::{Anchor, Target};
///
/// assert_eq!("head".parse::<Target>().unwrap(), Target::from(Anchor::Head));
/// let t: Target = "billing@head-1".parse().unwrap();
/// assert_eq!(t.branch.as_deref(), Some("billing"));
/// assert_eq!(t.anchor, Anchor::Head);
/// assert_eq!(t.steps, -1);
/// assert_eq!(t.to_string(), "billing@head-1");
/// assert!("a b".parse::<Target>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The branch the target is scoped to: the part before `@`.
    pub branch: Option<String>,
    /// Where the target starts.
    pub anchor: Anchor,
    /// Steps to walk from the anchor: up when positive, down when negative.
    pub steps: i64,
}

/// Where a target starts, before any relative steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// Nothing written: the database's current revision (only with steps).
    Current,
    /// `base`: before the first revision.
    Base,
    /// `head`: the single head (of the branch, with `<branch>@`).
    Head,
    /// `heads`: every head (of the branch, with `<branch>@`).
    Heads,
    /// A full id, an exact branch label, or a unique prefix of one.
    Revision(String),
}

impl From<Anchor> for Target {
    fn from(anchor: Anchor) -> Self {
        Self {
            branch: None,
            anchor,
            steps: 0,
        }
    }
}

impl Target {
    /// `base`.
    pub fn base() -> Self {
        Anchor::Base.into()
    }

    /// `heads`.
    pub fn heads() -> Self {
        Anchor::Heads.into()
    }

    /// A revision by id, label or prefix.
    pub fn revision(name: impl Into<String>) -> Self {
        Anchor::Revision(name.into()).into()
    }

    /// Whether the target counts from the database's current revision (`+1`, `-2`,
    /// `billing@-1`).
    pub fn is_current_relative(&self) -> bool {
        self.anchor == Anchor::Current
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(b) = &self.branch {
            write!(f, "{b}@")?;
        }
        match &self.anchor {
            Anchor::Current => {}
            Anchor::Base => f.write_str("base")?,
            Anchor::Head => f.write_str("head")?,
            Anchor::Heads => f.write_str("heads")?,
            Anchor::Revision(r) => f.write_str(r)?,
        }
        if self.steps != 0 {
            write!(f, "{:+}", self.steps)?;
        }
        Ok(())
    }
}

/// Why a target could not be parsed or resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The text is not a target expression.
    #[error("`{target}` is not a target: {reason}")]
    Syntax {
        /// The text given.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No revision or label has that name or prefix.
    #[error("no revision or branch label `{name}`{}{}", short_hint(.name), suggest(.suggestion))]
    Unknown {
        /// The name given.
        name: String,
        /// A near match.
        suggestion: Option<String>,
    },
    /// Several revision ids (or labels) start with the prefix.
    #[error("`{prefix}` is ambiguous: it starts {}; give more characters", .candidates.join(", "))]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// The ids it matches.
        candidates: Vec<String>,
    },
    /// `head` (or `<branch>@head`) with more than one head.
    #[error("`{target}` is ambiguous: there are several heads ({}); use `heads`, `<label>@head`, a revision id, or run `migraph merge` to join them", .heads.join(", "))]
    MultipleHeads {
        /// The target given.
        target: String,
        /// The heads.
        heads: Vec<String>,
    },
    /// `<branch>@<rev>` where the revision is not on that branch.
    #[error("revision `{revision}` is not on branch `{label}`")]
    NotOnBranch {
        /// The revision.
        revision: String,
        /// The branch label.
        label: String,
    },
    /// A walk from a named revision ran past the first or last revision.
    #[error("`{target}` walks past the {} of the graph (from {from})", if *.up { "head" } else { "base" })]
    WalkedTooFar {
        /// The target given.
        target: String,
        /// Where the walk started.
        from: String,
        /// Whether it walked up (towards heads).
        up: bool,
    },
    /// A walk from the current revision could not take every step it asks for.
    #[error("relative revision `{target}` didn't produce {} migrations: {reason}", .steps.unsigned_abs())]
    TooFewSteps {
        /// The target given.
        target: String,
        /// The steps it asked for.
        steps: i64,
        /// Why not.
        reason: String,
    },
    /// A relative walk reached a revision with several children or parents.
    #[error("`{target}` is ambiguous: at `{at}` the graph {} ({}); name the revision instead", if *.up { "branches" } else { "merges" }, .options.join(", "))]
    Fork {
        /// The target given.
        target: String,
        /// Where the walk forked.
        at: String,
        /// Whether it walked up (towards heads).
        up: bool,
        /// The ways on.
        options: Vec<String>,
    },
    /// An applied set made for another graph: it must have one entry per revision.
    #[error(
        "the applied set has {got} entries but the graph has {expected} revisions; make it from this graph"
    )]
    AppliedSetMismatch {
        /// The graph's revisions.
        expected: usize,
        /// The set's entries.
        got: usize,
    },
    /// A walk from "current" where several revisions are current.
    #[error("`{target}` is ambiguous: several revisions are current ({}); say which to count from: {}", .current.join(", "), .forms.join(", "))]
    SeveralCurrent {
        /// The target given.
        target: String,
        /// The current revisions.
        current: Vec<String>,
        /// Targets that say which, e.g. `left@-1` or `c1-1`.
        forms: Vec<String>,
    },
}

fn suggest(s: &Option<String>) -> String {
    s.as_ref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

fn short_hint(name: &str) -> &'static str {
    if name.len() < 4 {
        " (a prefix matches only ids and labels longer than 3 characters; give short ones in full)"
    } else {
        ""
    }
}

fn parse_steps(text: &str) -> Option<i64> {
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().map(|n| sign * n)
}

fn check_name(target: &str, name: &str) -> Result<String, TargetError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(TargetError::Syntax {
            target: target.to_owned(),
            reason: format!("`{name}` is not a revision id, prefix or label"),
        });
    }
    Ok(name.to_owned())
}

fn parse_anchor(target: &str, text: &str) -> Result<Anchor, TargetError> {
    Ok(match text {
        "base" => Anchor::Base,
        "head" => Anchor::Head,
        "heads" => Anchor::Heads,
        name => Anchor::Revision(check_name(target, name)?),
    })
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let syntax = |reason: &str| TargetError::Syntax {
            target: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (branch, rest) = match s.split_once('@') {
            Some((b, rest)) => (Some(check_name(s, b)?), rest),
            None => (None, s),
        };
        let (anchor, steps) = if let Some(steps) = parse_steps(rest) {
            (Anchor::Current, steps)
        } else if let Some(pos) = rest.rfind(['+', '-']) {
            let steps = parse_steps(&rest[pos..])
                .ok_or_else(|| syntax("a relative step is `+N` or `-N` with N a number"))?;
            (parse_anchor(s, &rest[..pos])?, steps)
        } else {
            (parse_anchor(s, rest)?, 0)
        };
        if steps == 0 && (anchor == Anchor::Current || rest.contains(['+', '-'])) {
            return Err(syntax("a relative step counts at least 1"));
        }
        if anchor == Anchor::Heads && steps != 0 {
            return Err(syntax(
                "`heads` names several revisions; walk from `head` or a revision",
            ));
        }
        Ok(Target {
            branch,
            anchor,
            steps,
        })
    }
}

/// A target resolved against a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resolved {
    /// The revisions named; empty means base (nothing applied).
    pub revisions: Vec<RevIndex>,
    /// The revision that names the branch the target was scoped to (`<branch>@...`).
    pub branch: Option<RevIndex>,
    /// Whether the target was written `<branch>@base`: that branch back to where it
    /// forks from the others.
    pub branch_base: bool,
}

/// What to do when a walk runs out of graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overwalk {
    /// Fail: the target asked for steps that are not there.
    Refuse,
    /// Stop at the end (history ranges).
    Clamp,
}

impl Target {
    /// Resolves the target against `graph`, counting relative steps from the revisions
    /// marked in `applied`.
    ///
    /// # Errors
    ///
    /// [`TargetError`] saying what could not be resolved and what to write instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::{Graph, Migration, Target};
    ///
    /// let files = [
    ///     Migration::parse("a1.sql", "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n").unwrap(),
    ///     Migration::parse("a2.sql", "-- revision: a2\n-- down_revision: a1\n-- migrate:upgrade\n").unwrap(),
    /// ];
    /// let graph = Graph::build(&files).unwrap();
    /// let applied = migraph_core::RevSet::all(&graph);
    /// let t: Target = "-1".parse().unwrap();
    /// assert_eq!(graph.id(t.resolve(&graph, &applied).unwrap().revisions[0]), "a1");
    /// // Ids of 3 characters or fewer are never matched by a prefix.
    /// let err = "a".parse::<Target>().unwrap().resolve(&graph, &applied).unwrap_err();
    /// assert!(err.to_string().contains("no revision"));
    /// ```
    pub fn resolve(&self, graph: &Graph, applied: &RevSet) -> Result<Resolved, TargetError> {
        self.resolve_with(graph, applied, Overwalk::Refuse)
    }

    pub(crate) fn resolve_with(
        &self,
        graph: &Graph,
        applied: &RevSet,
        overwalk: Overwalk,
    ) -> Result<Resolved, TargetError> {
        check_applied(graph, applied)?;
        let text = self.to_string();
        let branch = match &self.branch {
            Some(b) => Some(resolve_branch(graph, b)?),
            None => None,
        };
        let lineage = branch.map(|b| graph.lineage(b));
        let on = |i: RevIndex| lineage.as_ref().is_none_or(|l| l.contains(i));
        let heads_on =
            || -> Vec<RevIndex> { graph.heads().iter().copied().filter(|&h| on(h)).collect() };
        let walker = Walker {
            graph,
            target: &text,
            lineage: lineage.as_ref(),
            overwalk,
            from_current: self.anchor == Anchor::Current,
        };
        let revisions = match &self.anchor {
            Anchor::Base if self.steps > 0 => walker.walk(Start::Base, self.steps)?,
            Anchor::Base if self.steps < 0 => walker.overwalk(&Start::Base, false)?,
            Anchor::Base => Vec::new(),
            Anchor::Heads => match lineage {
                Some(_) => heads_on(),
                None => graph.heads_not_depended_on(),
            },
            Anchor::Head => {
                let start = match heads_on().as_slice() {
                    [] => Start::Base,
                    [h] => Start::At(*h),
                    heads => return Err(multiple_heads(graph, &text, heads)),
                };
                walker.walk(start, self.steps)?
            }
            Anchor::Revision(name) => {
                let rev = resolve_name(graph, name, lineage.as_ref())?;
                if !on(rev) {
                    return Err(TargetError::NotOnBranch {
                        revision: graph.id(rev).to_owned(),
                        label: self.branch.clone().unwrap_or_default(),
                    });
                }
                walker.walk(Start::At(rev), self.steps)?
            }
            Anchor::Current => {
                let start = self.current_start(graph, applied, lineage.as_ref(), &text)?;
                walker.walk(start, self.steps)?
            }
        };
        Ok(Resolved {
            revisions,
            branch,
            branch_base: branch.is_some() && self.anchor == Anchor::Base && self.steps == 0,
        })
    }

    /// Where a walk from the current revision starts: the current head (of the branch,
    /// when scoped to one). Up a branch that has nothing current of its own, it starts at
    /// the newest applied revision on its line, or at base.
    fn current_start(
        &self,
        graph: &Graph,
        applied: &RevSet,
        lineage: Option<&RevSet>,
        text: &str,
    ) -> Result<Start, TargetError> {
        let current = current_heads(graph, applied, None);
        let mut start: Vec<RevIndex> = match lineage {
            None => current,
            Some(l) => current.iter().copied().filter(|&h| l.contains(h)).collect(),
        };
        if start.is_empty()
            && let Some(l) = lineage
        {
            // Nothing current on the branch itself: the newest applied revisions on its
            // line, the trunk it shares with the current heads.
            start = current_heads(graph, applied, Some(l));
        }
        match start.as_slice() {
            [] if self.steps < 0 => Err(TargetError::TooFewSteps {
                target: text.to_owned(),
                steps: self.steps,
                reason: "nothing is applied".to_owned(),
            }),
            [] => Ok(Start::Base),
            [s] => Ok(Start::At(*s)),
            many => Err(TargetError::SeveralCurrent {
                target: text.to_owned(),
                current: many.iter().map(|&i| graph.id(i).to_owned()).collect(),
                forms: several_current_forms(graph, many, self.steps),
            }),
        }
    }
}

/// The targets that say which current revision to count from: `<label>@-1` for each head
/// on a labelled branch, then `<rev>-1` for each.
fn several_current_forms(graph: &Graph, current: &[RevIndex], steps: i64) -> Vec<String> {
    let mut labels: Vec<(&str, RevIndex)> = graph.labels().collect();
    labels.sort_unstable();
    let mut forms = Vec::new();
    for &c in current {
        if let Some((label, _)) = labels.iter().find(|&&(_, l)| graph.branch(l).contains(c)) {
            forms.push(format!("`{label}@{steps:+}`"));
        }
    }
    forms.extend(
        current
            .iter()
            .map(|&c| format!("`{}{steps:+}`", graph.id(c))),
    );
    forms
}

fn multiple_heads(graph: &Graph, target: &str, heads: &[RevIndex]) -> TargetError {
    TargetError::MultipleHeads {
        target: target.to_owned(),
        heads: heads.iter().map(|&h| graph.id(h).to_owned()).collect(),
    }
}

/// The revision a `<branch>@` names: an exact label, or else any revision name.
fn resolve_branch(graph: &Graph, name: &str) -> Result<RevIndex, TargetError> {
    graph
        .find_label(name)
        .map_or_else(|| resolve_name(graph, name, None), Ok)
}

/// Finds a revision by full id or exact branch label, then by a unique prefix of an id or
/// label longer than 3 characters; within `lineage`, only revisions on it are candidates
/// for a prefix.
pub(crate) fn resolve_name(
    graph: &Graph,
    name: &str,
    lineage: Option<&RevSet>,
) -> Result<RevIndex, TargetError> {
    if let Some(i) = graph.find(name).or_else(|| graph.find_label(name)) {
        return Ok(i);
    }
    let mut candidates: Vec<(String, RevIndex)> = graph
        .with_prefix(name)
        .into_iter()
        .map(|i| (graph.id(i).to_owned(), i))
        .chain(
            graph
                .labels()
                .filter(|(l, _)| l.starts_with(name))
                .map(|(l, i)| (l.to_owned(), i)),
        )
        .filter(|(n, i)| n.len() > 3 && lineage.is_none_or(|l| l.contains(*i)))
        .collect();
    candidates.sort_unstable_by_key(|&(_, i)| i);
    candidates.dedup_by_key(|&mut (_, i)| i);
    match candidates.as_slice() {
        [(_, i)] => Ok(*i),
        [] => Err(TargetError::Unknown {
            name: name.to_owned(),
            suggestion: did_you_mean(name, graph.ids().chain(graph.labels().map(|(l, _)| l)))
                .map(Into::into),
        }),
        many => {
            let mut names: Vec<String> = many.iter().map(|(n, _)| n.clone()).collect();
            names.sort_unstable();
            Err(TargetError::Ambiguous {
                prefix: name.to_owned(),
                candidates: names,
            })
        }
    }
}

/// Refuses an applied set that was not made for `graph` (one entry per revision).
pub(crate) fn check_applied(graph: &Graph, applied: &RevSet) -> Result<(), TargetError> {
    if applied.graph_len() == graph.len() {
        Ok(())
    } else {
        Err(TargetError::AppliedSetMismatch {
            expected: graph.len(),
            got: applied.graph_len(),
        })
    }
}

/// The applied revisions (within `within`, if given) that have no applied child.
pub fn current_heads(graph: &Graph, applied: &RevSet, within: Option<&RevSet>) -> Vec<RevIndex> {
    let inside = |i: RevIndex| applied.contains(i) && within.is_none_or(|w| w.contains(i));
    graph
        .revisions()
        .filter(|&i| inside(i) && !graph.children(i).iter().any(|&c| inside(c)))
        .collect()
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    Base,
    At(RevIndex),
}

struct Walker<'a> {
    graph: &'a Graph,
    target: &'a str,
    lineage: Option<&'a RevSet>,
    overwalk: Overwalk,
    from_current: bool,
}

impl Walker<'_> {
    fn name(&self, at: &Start) -> String {
        match at {
            Start::Base => "base".to_owned(),
            Start::At(i) => self.graph.id(*i).to_owned(),
        }
    }

    /// What running out of graph at `at` gives: an error, or (clamped) `at` itself.
    fn overwalk(&self, at: &Start, up: bool) -> Result<Vec<RevIndex>, TargetError> {
        match self.overwalk {
            Overwalk::Clamp => Ok(match at {
                Start::Base => Vec::new(),
                Start::At(i) => vec![*i],
            }),
            Overwalk::Refuse => Err(TargetError::WalkedTooFar {
                target: self.target.to_owned(),
                from: self.name(at),
                up,
            }),
        }
    }

    /// Walks `steps` along single `down_revision` links (up, only to children on the
    /// branch when scoped to one); a fork or merge on the way is an error, except that
    /// the last step down from a merge lands on all its parents.
    fn walk(&self, start: Start, steps: i64) -> Result<Vec<RevIndex>, TargetError> {
        let graph = self.graph;
        let up = steps > 0;
        let mut at = start;
        for step in 0..steps.unsigned_abs() {
            let last = step + 1 == steps.unsigned_abs();
            let next: Vec<RevIndex> = match (&at, up) {
                (Start::Base, true) => graph.bases().to_vec(),
                (Start::Base, false) => {
                    return self
                        .overwalk(&at, false)
                        .map_err(|e| self.too_few(e, steps));
                }
                (Start::At(i), true) => graph.children(*i).to_vec(),
                (Start::At(i), false) => graph.parents(*i).to_vec(),
            };
            let next: Vec<RevIndex> = if up {
                next.into_iter()
                    .filter(|&n| self.lineage.is_none_or(|l| l.contains(n)))
                    .collect()
            } else {
                next
            };
            at = match next.as_slice() {
                [] if up => return self.overwalk(&at, true).map_err(|e| self.too_few(e, steps)),
                [] => Start::Base,
                [n] => Start::At(*n),
                many if !up && last => return Ok(many.to_vec()),
                many => {
                    return Err(TargetError::Fork {
                        target: self.target.to_owned(),
                        at: self.name(&at),
                        up,
                        options: many.iter().map(|&i| graph.id(i).to_owned()).collect(),
                    });
                }
            };
        }
        Ok(match at {
            Start::Base => Vec::new(),
            Start::At(i) => vec![i],
        })
    }

    /// A walk from the current revision that runs out says so in Alembic's words.
    fn too_few(&self, e: TargetError, steps: i64) -> TargetError {
        match e {
            TargetError::WalkedTooFar { from, up, .. } if self.from_current => {
                TargetError::TooFewSteps {
                    target: self.target.to_owned(),
                    steps,
                    reason: format!(
                        "the walk reached the {} at {from}",
                        if up { "head" } else { "base" }
                    ),
                }
            }
            other => other,
        }
    }
}
