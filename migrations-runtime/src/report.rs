//! What a run did, step by step.

use std::fmt;
use std::time::Duration;

/// What one step did to a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Ran its upgrade section and recorded it.
    Upgrade,
    /// Ran its downgrade section and forgot it.
    Downgrade,
    /// Recorded it without running SQL.
    Stamp,
    /// Forgot it without running SQL.
    Unstamp,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Upgrade => "upgrade",
            Self::Downgrade => "downgrade",
            Self::Stamp => "stamp",
            Self::Unstamp => "unstamp",
        })
    }
}

/// One revision applied, undone, stamped or unstamped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Step {
    /// The revision id.
    pub revision: String,
    /// Its message.
    pub message: String,
    /// What was done.
    pub action: Action,
    /// How long it took, the version-table change included.
    pub duration: Duration,
}

/// Everything a run did, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The steps, in the order they ran.
    pub steps: Vec<Step>,
}

impl Report {
    /// Whether the run changed nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The revision ids, in the order they ran.
    pub fn revisions(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.revision.as_str()).collect()
    }
}
