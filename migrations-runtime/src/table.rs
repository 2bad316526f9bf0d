//! The version table: its name, and the rows it holds.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The name of the version table, optionally schema-qualified (`app._migrations`).
///
/// Each part is 1 to 63 of `[A-Za-z0-9_]`, not starting with a digit; the name is always
/// quoted in SQL, so it is taken exactly as written.
///
/// # Examples
///
/// ```
/// use migraph_runtime::TableName;
///
/// let t: TableName = "app._migrations".parse().unwrap();
/// assert_eq!(t.schema(), Some("app"));
/// assert_eq!(t.name(), "_migrations");
/// assert!("bad name".parse::<TableName>().is_err());
/// assert!("a.b.c".parse::<TableName>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    schema: Option<String>,
    name: String,
}

/// The default version table.
pub const DEFAULT_TABLE: &str = "_migrations";

impl Default for TableName {
    fn default() -> Self {
        Self {
            schema: None,
            name: DEFAULT_TABLE.to_owned(),
        }
    }
}

fn check_part(full: &str, part: &str) -> Result<(), Error> {
    let reason = if part.is_empty() {
        Some("a part of the name is empty")
    } else if part.len() > 63 {
        Some("a part is longer than 63 characters")
    } else if part.as_bytes()[0].is_ascii_digit() {
        Some("a part starts with a digit")
    } else if !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Some("use letters, digits and `_`, with an optional `schema.` prefix")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidTable {
            name: full.to_owned(),
            reason: reason.to_owned(),
        }),
        None => Ok(()),
    }
}

impl FromStr for TableName {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (schema, name) = match s.split_once('.') {
            Some((schema, name)) => (Some(schema), name),
            None => (None, s),
        };
        if let Some(schema) = schema {
            check_part(s, schema)?;
        }
        check_part(s, name)?;
        Ok(Self {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        })
    }
}

impl TableName {
    /// The schema, when qualified.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The table's own name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name quoted with `quote` (`"` or `` ` ``), schema included.
    pub(crate) fn quoted(&self, quote: char) -> String {
        match &self.schema {
            Some(schema) => format!("{quote}{schema}{quote}.{quote}{}{quote}", self.name),
            None => format!("{quote}{}{quote}", self.name),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The state of a row in the version table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevisionState {
    /// Applied completely.
    Applied,
    /// Started and not finished (a run is under way, or one died part-way).
    Running,
    /// Failed part-way; the schema may hold part of it.
    Failed,
}

impl RevisionState {
    /// The word stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Running => "running",
            Self::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "applied" => Some(Self::Applied),
            "running" => Some(Self::Running),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for RevisionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the version table: a revision recorded in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedRevision {
    /// The revision id.
    pub revision: String,
    /// Its parents, as recorded when it was applied.
    pub parents: Vec<String>,
    /// Its message.
    pub message: String,
    /// The checksum of its upgrade section when it was applied.
    pub checksum: String,
    /// Its downgrade SQL, so that a binary that no longer knows it can still undo it.
    pub downgrade_sql: Option<String>,
    /// When it was applied, as the database prints a timestamp (UTC).
    pub applied_at: String,
    /// How long its upgrade took, in milliseconds.
    pub execution_ms: i64,
    /// Its state.
    pub state: RevisionState,
    /// The error it failed with, for a failed row.
    pub error: Option<String>,
}

impl AppliedRevision {
    /// A row for `revision`, applied after `parents`, with no message, checksum or
    /// downgrade SQL: for tests and tools that reason about rows.
    pub fn applied(revision: impl Into<String>, parents: &[&str]) -> Self {
        Self {
            revision: revision.into(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            message: String::new(),
            checksum: String::new(),
            downgrade_sql: None,
            applied_at: String::new(),
            execution_ms: 0,
            state: RevisionState::Applied,
            error: None,
        }
    }

    /// The current revisions among `rows` (the version table): applied rows that no other
    /// applied row names as a parent. Empty means `base`.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_runtime::AppliedRevision;
    ///
    /// let rows = [AppliedRevision::applied("a1", &[]), AppliedRevision::applied("b2", &["a1"])];
    /// let current = AppliedRevision::current(&rows);
    /// assert_eq!(current.len(), 1);
    /// assert_eq!(current[0].revision, "b2");
    /// ```
    pub fn current(rows: &[AppliedRevision]) -> Vec<&AppliedRevision> {
        let applied = || rows.iter().filter(|r| r.state == RevisionState::Applied);
        let parents: std::collections::HashSet<&str> = applied()
            .flat_map(|r| r.parents.iter().map(String::as_str))
            .collect();
        applied()
            .filter(|r| !parents.contains(r.revision.as_str()))
            .collect()
    }
}
