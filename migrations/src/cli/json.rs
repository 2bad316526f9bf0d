//! What `--json` prints: one type per shape, so the schema is written down once.
//!
//! - `upgrade`, `downgrade`, `stamp`: [`ReportJson`], `{"steps": [{"revision", "message",
//!   "action", "ms"}]}`; on failure [`ErrorJson`] under `"error"`.
//! - `current`: [`CurrentJson`], `{"current": [row], "dirty": [row]}` with [`RowJson`]
//!   rows.
//! - `heads`, `branches`, `history`: a list of [`MigrationJson`]; `show`: one, with its
//!   SQL.
//! - `check`: [`CheckJson`]; `diff`: [`DiffJson`], `{"differences": [{"change",
//!   "object", "detail", "text"}]}`.
//! - `lint`: [`LintJson`], `{"dialect", "rules", "revisions", "findings": [{"rule",
//!   "file", "line", "statement", "message", "help"}]}`.

use serde::Serialize;

use migraph_core::RevIndex;

use crate::{AppliedRevision, Graph, Migration, Report};

/// A run's steps.
#[derive(Serialize)]
pub(super) struct ReportJson<'a> {
    steps: Vec<StepJson<'a>>,
}

/// One step of a run.
#[derive(Serialize)]
struct StepJson<'a> {
    revision: &'a str,
    message: &'a str,
    action: String,
    ms: f64,
}

impl<'a> From<&'a Report> for ReportJson<'a> {
    fn from(report: &'a Report) -> Self {
        Self {
            steps: report
                .steps
                .iter()
                .map(|s| StepJson {
                    revision: &s.revision,
                    message: &s.message,
                    action: s.action.to_string(),
                    ms: s.duration.as_secs_f64() * 1000.0,
                })
                .collect(),
        }
    }
}

/// A failure: its text, and for a failed revision where it failed and what the database
/// said, field by field, and what the run completed before it.
#[derive(Serialize)]
pub(super) struct ErrorJson<'a> {
    message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    failed: Option<FailedJson<'a>>,
}

/// Where a revision failed.
#[derive(Serialize)]
struct FailedJson<'a> {
    revision: &'a str,
    file: Option<&'a str>,
    action: String,
    statement: Option<usize>,
    line: Option<usize>,
    sql: Option<&'a str>,
    code: Option<&'a str>,
    database_message: &'a str,
    detail: Option<&'a str>,
    hint: Option<&'a str>,
    completed: Vec<&'a str>,
}

impl<'a> From<&'a crate::Error> for ErrorJson<'a> {
    fn from(e: &'a crate::Error) -> Self {
        let failed = match e {
            crate::Error::Execute {
                revision,
                file,
                action,
                statement,
                line,
                sql,
                database,
                completed,
                ..
            } => Some(FailedJson {
                revision,
                file: file.as_deref(),
                action: action.to_string(),
                statement: *statement,
                line: *line,
                sql: sql.as_deref(),
                code: database.code.as_deref(),
                database_message: &database.message,
                detail: database.detail.as_deref(),
                hint: database.hint.as_deref(),
                completed: completed.revisions(),
            }),
            _ => None,
        };
        Self {
            message: e.to_string(),
            failed,
        }
    }
}

/// `{"error": ...}`.
#[derive(Serialize)]
pub(super) struct Failure<'a> {
    pub(super) error: ErrorJson<'a>,
}

/// A row of the version table.
#[derive(Serialize)]
pub(super) struct RowJson<'a> {
    revision: &'a str,
    parents: &'a [String],
    message: &'a str,
    checksum: &'a str,
    applied_at: &'a str,
    execution_ms: i64,
    state: &'a str,
    error: Option<&'a str>,
}

impl<'a> From<&'a AppliedRevision> for RowJson<'a> {
    fn from(r: &'a AppliedRevision) -> Self {
        Self {
            revision: &r.revision,
            parents: &r.parents,
            message: &r.message,
            checksum: &r.checksum,
            applied_at: &r.applied_at,
            execution_ms: r.execution_ms,
            state: r.state.as_str(),
            error: r.error.as_deref(),
        }
    }
}

/// `current`: the current rows and those left part-way.
#[derive(Serialize)]
pub(super) struct CurrentJson<'a> {
    pub(super) current: Vec<RowJson<'a>>,
    pub(super) dirty: Vec<RowJson<'a>>,
}

/// A revision of the graph.
#[derive(Serialize)]
pub(super) struct MigrationJson<'a> {
    revision: &'a str,
    down_revision: Vec<&'a str>,
    children: Vec<&'a str>,
    branch_labels: Vec<&'a str>,
    depends_on: Vec<&'a str>,
    message: &'a str,
    created: &'a str,
    file: &'a str,
    checksum: &'a str,
    transaction: bool,
    head: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    sql: Option<SqlJson<'a>>,
}

/// A revision's SQL, for `show`.
#[derive(Serialize)]
struct SqlJson<'a> {
    upgrade: &'a str,
    downgrade: Option<&'a str>,
}

impl<'a> MigrationJson<'a> {
    /// Revision `i` of `graph`; with `sql`, its sections too.
    pub(super) fn new(graph: &'a Graph, m: &'a Migration, i: RevIndex, sql: bool) -> Self {
        let names = |n: &'a [std::borrow::Cow<'static, str>]| -> Vec<&'a str> {
            n.iter().map(AsRef::as_ref).collect()
        };
        Self {
            revision: m.revision(),
            down_revision: names(m.down_revisions()),
            children: graph.children(i).iter().map(|&c| graph.id(c)).collect(),
            branch_labels: names(m.branch_labels()),
            depends_on: names(m.depends_on()),
            message: m.message(),
            created: m.created(),
            file: m.file_name(),
            checksum: m.checksum(),
            transaction: m.transactional(),
            head: graph.children(i).is_empty(),
            sql: sql.then(|| SqlJson {
                upgrade: m.upgrade_sql(),
                downgrade: m.downgrade_sql(),
            }),
        }
    }
}

/// `check`: at head or not, why not, and every pending revision.
#[derive(Serialize)]
pub(super) struct CheckJson<'a> {
    pub(super) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) problem: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) pending: Option<Vec<&'a str>>,
    /// With `--drift`: each difference, as `diff` prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) drift: Option<Vec<String>>,
}

/// `diff`: each difference.
#[derive(Serialize)]
pub(super) struct DiffJson<'a> {
    pub(super) differences: Vec<DifferenceJson<'a>>,
}

/// One difference: `extra` (in the database only), `missing` (in the migrations only) or
/// `changed`, what, how, and the line `diff` prints.
#[derive(Serialize)]
pub(super) struct DifferenceJson<'a> {
    change: &'static str,
    object: &'a str,
    detail: &'a str,
    text: String,
}

impl<'a> From<&'a crate::Difference> for DifferenceJson<'a> {
    fn from(d: &'a crate::Difference) -> Self {
        Self {
            change: match d.change {
                crate::Change::Extra => "extra",
                crate::Change::Missing => "missing",
                _ => "changed",
            },
            object: &d.object,
            detail: &d.detail,
            text: d.to_string(),
        }
    }
}

/// `adopt`: what was recorded, what was already there, what remains pending.
#[derive(Serialize)]
pub(super) struct AdoptJson<'a> {
    pub(super) from: &'a str,
    pub(super) recorded: &'a [String],
    pub(super) already: &'a [String],
    pub(super) pending: &'a [String],
}

/// `lint`: what was checked, and each finding.
#[derive(Serialize)]
pub(super) struct LintJson<'a> {
    pub(super) dialect: String,
    pub(super) rules: Vec<&'static str>,
    pub(super) revisions: usize,
    pub(super) findings: Vec<FindingJson<'a>>,
}

/// One finding of `lint`.
#[derive(Serialize)]
pub(super) struct FindingJson<'a> {
    rule: Option<&'static str>,
    file: Option<&'a str>,
    line: Option<usize>,
    statement: Option<&'a str>,
    message: &'a str,
    help: Option<&'a str>,
}

impl<'a> From<&'a migraph_core::lint::Finding> for FindingJson<'a> {
    fn from(f: &'a migraph_core::lint::Finding) -> Self {
        let d = &f.diagnostic;
        Self {
            rule: f.rule.map(migraph_core::lint::Rule::name),
            file: d.file.as_deref(),
            line: d.line,
            statement: d.excerpt.as_deref(),
            message: &d.message,
            help: d.help.as_deref(),
        }
    }
}

/// The JSON text of `value`.
pub(super) fn to_line(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
