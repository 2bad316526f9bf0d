//! Target expressions in Alembic's grammar: `head`, `heads`, `base`, ids and unique
//! prefixes, branch labels, `+N`, `-N`, `<rev>+N`, `<rev>-N`, `<label>@head`,
//! `<label>@base`, `<label>@<rev>`, `<label>@+N`, `<label>@-N`.

use std::fmt;
use std::str::FromStr;

use crate::diagnostic::did_you_mean;
use crate::graph::Graph;

/// A parsed target expression, not yet resolved against a graph.
///
/// # Examples
///
/// ```
/// use migrations_core::{BranchAt, Target};
///
/// assert_eq!("head".parse::<Target>().unwrap(), Target::Head);
/// assert_eq!("-2".parse::<Target>().unwrap(), Target::Relative { from: None, steps: -2 });
/// assert_eq!(
///     "ae1+1".parse::<Target>().unwrap(),
///     Target::Relative { from: Some("ae1".into()), steps: 1 }
/// );
/// assert_eq!(
///     "feature@head".parse::<Target>().unwrap(),
///     Target::Branch { label: "feature".into(), at: BranchAt::Head }
/// );
/// assert!("a b".parse::<Target>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `base`: nothing applied.
    Base,
    /// `head`: the single head.
    Head,
    /// `heads`: every head.
    Heads,
    /// A full id, a unique prefix of one, or a branch label.
    Name(String),
    /// `+N` / `-N` from the current revision (`from: None`) or from a named one.
    Relative {
        /// The revision to count from; `None` for the current one.
        from: Option<String>,
        /// Steps up (positive) or down (negative).
        steps: i64,
    },
    /// `<label>@...`: a position on a labelled branch.
    Branch {
        /// The branch label.
        label: String,
        /// Where on the branch.
        at: BranchAt,
    },
}

/// A position on a labelled branch, the part after `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchAt {
    /// `<label>@head`
    Head,
    /// `<label>@base`
    Base,
    /// `<label>@<rev>`: a revision that must be on the branch.
    Revision(String),
    /// `<label>@+N` / `<label>@-N`, from the branch's current revision.
    Relative(i64),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Base => f.write_str("base"),
            Target::Head => f.write_str("head"),
            Target::Heads => f.write_str("heads"),
            Target::Name(n) => f.write_str(n),
            Target::Relative { from, steps } => {
                write!(f, "{}{steps:+}", from.as_deref().unwrap_or(""))
            }
            Target::Branch { label, at } => match at {
                BranchAt::Head => write!(f, "{label}@head"),
                BranchAt::Base => write!(f, "{label}@base"),
                BranchAt::Revision(r) => write!(f, "{label}@{r}"),
                BranchAt::Relative(n) => write!(f, "{label}@{n:+}"),
            },
        }
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
    #[error("no revision or branch label `{name}`{}", suggest(.suggestion))]
    Unknown {
        /// The name given.
        name: String,
        /// A near match.
        suggestion: Option<String>,
    },
    /// Several revision ids start with the prefix.
    #[error("`{prefix}` is ambiguous: it starts {}; give more characters", .candidates.join(", "))]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// The ids it matches.
        candidates: Vec<String>,
    },
    /// `head` (or `<label>@head`) with more than one head.
    #[error("`{target}` is ambiguous: there are several heads ({}); use `heads`, `<label>@head`, a revision id, or run `migrations merge` to join them", .heads.join(", "))]
    MultipleHeads {
        /// The target given.
        target: String,
        /// The heads.
        heads: Vec<String>,
    },
    /// `<label>@<rev>` where the revision is not on that branch.
    #[error("revision `{revision}` is not on branch `{label}`")]
    NotOnBranch {
        /// The revision.
        revision: String,
        /// The branch label.
        label: String,
    },
    /// A relative walk ran past the first or last revision.
    #[error("`{target}` walks past the {} of the graph (from {from})", if *.up { "head" } else { "base" })]
    WalkedTooFar {
        /// The target given.
        target: String,
        /// Where the walk started.
        from: String,
        /// Whether it walked up (towards heads).
        up: bool,
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
    /// A walk from "current" where several revisions are current.
    #[error("`{target}` is ambiguous: several revisions are current ({}); count from one of them, e.g. `{}{}`", .current.join(", "), .current.first().map_or("", String::as_str), .relative)]
    SeveralCurrent {
        /// The target given.
        target: String,
        /// The current revisions.
        current: Vec<String>,
        /// The relative part, e.g. `-1`.
        relative: String,
    },
}

fn suggest(s: &Option<String>) -> String {
    s.as_ref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
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

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s {
            "base" => return Ok(Target::Base),
            "head" => return Ok(Target::Head),
            "heads" => return Ok(Target::Heads),
            _ => {}
        }
        if let Some((label, at)) = s.split_once('@') {
            let label = check_name(s, label)?;
            let at = match at {
                "head" => BranchAt::Head,
                "base" => BranchAt::Base,
                _ => match parse_steps(at) {
                    Some(n) => BranchAt::Relative(n),
                    None => BranchAt::Revision(check_name(s, at)?),
                },
            };
            return Ok(Target::Branch { label, at });
        }
        if let Some(steps) = parse_steps(s) {
            return Ok(Target::Relative { from: None, steps });
        }
        if let Some(pos) = s.rfind(['+', '-']) {
            let steps = parse_steps(&s[pos..]).ok_or_else(|| TargetError::Syntax {
                target: s.to_owned(),
                reason: "a relative step is `+N` or `-N` with N a number".to_owned(),
            })?;
            let from = check_name(s, &s[..pos])?;
            return Ok(Target::Relative {
                from: Some(from),
                steps,
            });
        }
        Ok(Target::Name(check_name(s, s)?))
    }
}

/// A target resolved against a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// These revisions (empty means `base`: nothing applied).
    Revisions(Vec<usize>),
    /// `<label>@base`: the branch starting at this labelled revision, removed.
    BranchBase(usize),
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
    /// use migrations_core::{Graph, Migration, Resolved, Target};
    ///
    /// let files = [
    ///     Migration::parse("a1.sql", "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n").unwrap(),
    ///     Migration::parse("a2.sql", "-- revision: a2\n-- down_revision: a1\n-- migrate:upgrade\n").unwrap(),
    /// ];
    /// let graph = Graph::build(&files).unwrap();
    /// let applied = [true, true];
    /// let t: Target = "-1".parse().unwrap();
    /// assert_eq!(t.resolve(&graph, &applied).unwrap(), Resolved::Revisions(vec![0]));
    /// let err = "a".parse::<Target>().unwrap().resolve(&graph, &applied).unwrap_err();
    /// assert!(err.to_string().contains("ambiguous"));
    /// ```
    pub fn resolve(&self, graph: &Graph, applied: &[bool]) -> Result<Resolved, TargetError> {
        let text = self.to_string();
        let one = |i: usize| Ok(Resolved::Revisions(vec![i]));
        match self {
            Target::Base => Ok(Resolved::Revisions(Vec::new())),
            Target::Heads => Ok(Resolved::Revisions(graph.heads().to_vec())),
            Target::Head => match graph.heads() {
                [] => Ok(Resolved::Revisions(Vec::new())),
                [h] => one(*h),
                heads => Err(multiple_heads(graph, &text, heads)),
            },
            Target::Name(name) => one(resolve_name(graph, name)?),
            Target::Relative {
                from: Some(from),
                steps,
            } => {
                let start = resolve_name(graph, from)?;
                walk(graph, &text, Start::At(start), *steps)
            }
            Target::Relative { from: None, steps } => {
                let current = current_heads(graph, applied, None);
                let start = start_from(graph, &text, &current, *steps)?;
                walk(graph, &text, start, *steps)
            }
            Target::Branch { label, at } => {
                let labelled = graph
                    .find_label(label)
                    .ok_or_else(|| TargetError::Unknown {
                        name: label.clone(),
                        suggestion: did_you_mean(label, graph.labels().map(|(l, _)| l))
                            .map(Into::into),
                    })?;
                let branch = graph.branch(labelled);
                match at {
                    BranchAt::Base => Ok(Resolved::BranchBase(labelled)),
                    BranchAt::Head => {
                        let heads: Vec<usize> = graph
                            .heads()
                            .iter()
                            .copied()
                            .filter(|&h| branch[h])
                            .collect();
                        match heads.as_slice() {
                            [h] => one(*h),
                            _ => Err(multiple_heads(graph, &text, &heads)),
                        }
                    }
                    BranchAt::Revision(name) => {
                        let rev = resolve_name(graph, name)?;
                        if branch[rev] {
                            one(rev)
                        } else {
                            Err(TargetError::NotOnBranch {
                                revision: graph.id(rev).to_owned(),
                                label: label.clone(),
                            })
                        }
                    }
                    BranchAt::Relative(steps) => {
                        let current = current_heads(graph, applied, Some(&branch));
                        let start = if current.is_empty() && *steps > 0 {
                            // Nothing of the branch applied: its first revision is step one.
                            let first: Vec<usize> = (0..graph.len())
                                .filter(|&i| {
                                    branch[i] && !graph.parents(i).iter().any(|&p| branch[p])
                                })
                                .collect();
                            match first.as_slice() {
                                [f] => return walk(graph, &text, Start::At(*f), steps - 1),
                                _ => Start::Base,
                            }
                        } else {
                            start_from(graph, &text, &current, *steps)?
                        };
                        walk(graph, &text, start, *steps)
                    }
                }
            }
        }
    }
}

fn multiple_heads(graph: &Graph, target: &str, heads: &[usize]) -> TargetError {
    TargetError::MultipleHeads {
        target: target.to_owned(),
        heads: heads.iter().map(|&h| graph.id(h).to_owned()).collect(),
    }
}

/// Finds a revision by full id, then branch label, then unique id prefix.
pub(crate) fn resolve_name(graph: &Graph, name: &str) -> Result<usize, TargetError> {
    if let Some(i) = graph.find(name).or_else(|| graph.find_label(name)) {
        return Ok(i);
    }
    match graph.with_prefix(name).as_slice() {
        [i] => Ok(*i),
        [] => Err(TargetError::Unknown {
            name: name.to_owned(),
            suggestion: did_you_mean(name, graph.ids().chain(graph.labels().map(|(l, _)| l)))
                .map(Into::into),
        }),
        many => Err(TargetError::Ambiguous {
            prefix: name.to_owned(),
            candidates: many.iter().map(|&i| graph.id(i).to_owned()).collect(),
        }),
    }
}

/// The applied revisions (within `within`, if given) that have no applied child.
pub fn current_heads(graph: &Graph, applied: &[bool], within: Option<&[bool]>) -> Vec<usize> {
    let inside = |i: usize| applied[i] && within.is_none_or(|w| w[i]);
    (0..graph.len())
        .filter(|&i| inside(i) && !graph.children(i).iter().any(|&c| inside(c)))
        .collect()
}

enum Start {
    Base,
    At(usize),
}

fn start_from(
    graph: &Graph,
    target: &str,
    current: &[usize],
    steps: i64,
) -> Result<Start, TargetError> {
    match current {
        [] => Ok(Start::Base),
        [c] => Ok(Start::At(*c)),
        many => Err(TargetError::SeveralCurrent {
            target: target.to_owned(),
            current: many.iter().map(|&i| graph.id(i).to_owned()).collect(),
            relative: format!("{steps:+}"),
        }),
    }
}

/// Walks `steps` along single parent/child links; a fork or merge on the way is an error,
/// except that the last step down from a merge lands on all its parents.
fn walk(graph: &Graph, target: &str, start: Start, steps: i64) -> Result<Resolved, TargetError> {
    let names = |ids: &[usize]| ids.iter().map(|&i| graph.id(i).to_owned()).collect();
    let too_far = |from: &Start, up: bool| TargetError::WalkedTooFar {
        target: target.to_owned(),
        from: match from {
            Start::Base => "base".to_owned(),
            Start::At(i) => graph.id(*i).to_owned(),
        },
        up,
    };
    let mut at = start;
    let up = steps > 0;
    for step in 0..steps.unsigned_abs() {
        let last = step + 1 == steps.unsigned_abs();
        let next: &[usize] = match (&at, up) {
            (Start::Base, true) => graph.bases(),
            (Start::Base, false) => return Err(too_far(&at, false)),
            (Start::At(i), true) => graph.children(*i),
            (Start::At(i), false) => graph.parents(*i),
        };
        at = match next {
            [] if up => return Err(too_far(&at, true)),
            [] if last => return Ok(Resolved::Revisions(Vec::new())),
            [] => return Err(too_far(&at, false)),
            [n] => Start::At(*n),
            many if !up && last => return Ok(Resolved::Revisions(many.to_vec())),
            many => {
                return Err(TargetError::Fork {
                    target: target.to_owned(),
                    at: match at {
                        Start::Base => "base".to_owned(),
                        Start::At(i) => graph.id(i).to_owned(),
                    },
                    up,
                    options: names(many),
                });
            }
        };
    }
    Ok(Resolved::Revisions(match at {
        Start::Base => Vec::new(),
        Start::At(i) => vec![i],
    }))
}
