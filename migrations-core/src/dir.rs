//! Loading a migrations directory: every `*.sql` file parsed, the graph built and checked,
//! every problem reported together with its file and line.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, DiagnosticKind, Diagnostics};
use crate::file::{HeaderLines, Migration};
use crate::graph::{Graph, GraphProblem};

/// One migration file as read from disk.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SourceFile {
    /// The parsed migration.
    pub migration: Migration,
    /// Where the file is.
    pub path: PathBuf,
    /// The file as named in messages, e.g. `migrations/001_init.sql`.
    pub display: String,
    /// Where the graph keys were written.
    pub lines: HeaderLines,
    /// The file's text, for quoting lines in messages.
    text: String,
}

impl SourceFile {
    /// Line `line` (1-based) of the file's text.
    pub(crate) fn line_text(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }
}

/// How strictly to check a directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Accept several unlabelled heads (Alembic's run-time behaviour). The compile-time
    /// check refuses them unless told otherwise.
    pub allow_multiple_heads: bool,
}

impl LoadOptions {
    /// Options that accept several unlabelled heads.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(migraph_core::LoadOptions::multiple_heads().allow_multiple_heads);
    /// ```
    pub fn multiple_heads() -> Self {
        Self {
            allow_multiple_heads: true,
        }
    }
}

/// A checked migrations directory: its files in file-name order and their graph.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Directory {
    /// The files, sorted by file name; revision `i` of `graph` is `files[i]`. A squashed
    /// revision is not among them: its squash stands for it.
    pub files: Vec<SourceFile>,
    /// The files of revisions a squash replaces (`-- replaces:`), still in the folder for
    /// databases part-way through them.
    pub replaced: Vec<SourceFile>,
    /// The revision graph.
    pub graph: Graph,
}

impl Directory {
    /// Loads and checks every `*.sql` file in `dir` (not recursing; other files are
    /// ignored). `display` is how the directory is named in messages.
    ///
    /// # Errors
    ///
    /// Every problem found, each naming its file and line: a missing directory, a file
    /// that cannot be read or parsed, and every broken graph rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::{Directory, LoadOptions};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(
    ///     dir.path().join("a1_first.sql"),
    ///     "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
    /// ).unwrap();
    /// let loaded = Directory::load(dir.path(), "migrations", LoadOptions::default()).unwrap();
    /// assert_eq!(loaded.files[0].migration.revision(), "a1");
    ///
    /// let err = Directory::load(&dir.path().join("nope"), "nope", LoadOptions::default()).unwrap_err();
    /// assert!(err.to_string().contains("migrations directory `nope` not found"));
    /// ```
    pub fn load(dir: &Path, display: &str, options: LoadOptions) -> Result<Self, Diagnostics> {
        let names = list_sql_files(dir, display)?;
        let display = display.trim_end_matches('/');
        let mut files = Vec::with_capacity(names.len());
        let mut problems = Vec::new();
        for name in names {
            let path = dir.join(&name);
            let shown = format!("{display}/{name}");
            let bytes = match std::fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) => {
                    problems.push(
                        Diagnostic::new(format!("cannot read migration file: {e}")).at(shown, 0),
                    );
                    continue;
                }
            };
            match Migration::parse_file(&name, &shown, &bytes) {
                Ok((migration, lines)) => files.push(SourceFile {
                    migration,
                    path,
                    display: shown,
                    lines,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                }),
                Err(errors) => problems.extend(errors.into_vec()),
            }
        }
        if !problems.is_empty() {
            // Graph rules are checked only on a directory whose files all parse: a file
            // that failed would show up again as an unknown parent.
            return Err(problems.into());
        }
        Self::check(files, options)
    }

    /// Builds and checks the graph of files already parsed (sorted by file name).
    ///
    /// # Errors
    ///
    /// Every broken graph rule, each naming its file and line.
    pub fn check(files: Vec<SourceFile>, options: LoadOptions) -> Result<Self, Diagnostics> {
        let folded = crate::squash::fold(files.iter().map(|f| f.migration.clone()).collect())
            .map_err(|problems| {
                problems
                    .into_iter()
                    .map(|p| {
                        let f = &files[p.at];
                        Diagnostic::new(p.message)
                            .at(&f.display, f.lines.replaces)
                            .with_excerpt(line_text(f, f.lines.replaces))
                            .with_help(p.help)
                    })
                    .collect::<Vec<_>>()
            })?;
        let mut files = files;
        for (f, m) in files.iter_mut().zip(folded.migrations) {
            f.migration = m;
        }
        let mut kept = Vec::with_capacity(folded.kept.len());
        let mut replaced = Vec::with_capacity(folded.replaced.len());
        for (i, f) in files.into_iter().enumerate() {
            if folded.replaced.contains(&i) {
                replaced.push(f);
            } else {
                kept.push(f);
            }
        }
        let files = kept;
        let migrations: Vec<Migration> = files.iter().map(|f| f.migration.clone()).collect();
        let graph = match Graph::build(&migrations) {
            Ok(graph) => graph,
            Err(problems) => {
                return Err(problems
                    .iter()
                    .map(|p| describe(&files, p))
                    .collect::<Vec<_>>()
                    .into());
            }
        };
        if let Err(problem) = graph.check_single_head(options.allow_multiple_heads) {
            return Err(describe(&files, &problem).into());
        }
        Ok(Self {
            files,
            replaced,
            graph,
        })
    }

    /// Every file: the graph's, then those squashed revisions whose files are still here.
    pub fn every_file(&self) -> Vec<SourceFile> {
        self.files.iter().chain(&self.replaced).cloned().collect()
    }

    /// The migrations, in file-name order.
    pub fn migrations(&self) -> Vec<Migration> {
        self.files.iter().map(|f| f.migration.clone()).collect()
    }
}

/// The `*.sql` file names in `dir`, sorted.
fn list_sql_files(dir: &Path, display: &str) -> Result<Vec<String>, Diagnostics> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let (message, kind) = if e.kind() == std::io::ErrorKind::NotFound {
                (
                    format!("migrations directory `{display}` not found"),
                    DiagnosticKind::FolderNotFound,
                )
            } else {
                (
                    format!("cannot read migrations directory `{display}`: {e}"),
                    DiagnosticKind::Other,
                )
            };
            return Err(Diagnostic::new(message)
                .of_kind(kind)
                .with_help("create it (`migraph init`) or fix the path")
                .into());
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            Diagnostics::from(Diagnostic::new(format!(
                "cannot read migrations directory `{display}`: {e}"
            )))
        })?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(Diagnostic::new(format!(
                "file name {name:?} in `{display}` is not valid UTF-8"
            ))
            .with_help("rename it")
            .into());
        };
        let revision_file = name.ends_with(".sql") || name.ends_with(".rs");
        if name.starts_with('.') || !revision_file || !entry.path().is_file() {
            continue;
        }
        names.push(name.to_owned());
    }
    names.sort_unstable();
    Ok(names)
}

fn line_text(file: &SourceFile, line: usize) -> &str {
    file.text.lines().nth(line.wrapping_sub(1)).unwrap_or("")
}

fn at(file: &SourceFile, line: usize, message: String) -> Diagnostic {
    Diagnostic::new(message)
        .at(file.display.clone(), line)
        .with_excerpt(line_text(file, line))
}

/// Turns a graph problem into a message naming the file and line.
fn describe(files: &[SourceFile], problem: &GraphProblem) -> Diagnostic {
    let id = |i: usize| files[i].migration.revision();
    let suggest = |s: &Option<String>| s.as_ref().map(|s| format!("did you mean `{s}`?"));
    match problem {
        GraphProblem::DuplicateRevision { first, second } => at(
            &files[*second],
            files[*second].lines.revision,
            format!(
                "duplicate revision id `{}`: also in {}",
                id(*second),
                files[*first].display
            ),
        )
        .with_help("give one of the two files a new revision id (and rename it to match)"),
        GraphProblem::UnknownParent {
            revision,
            parent,
            suggestion,
        } => at(
            &files[*revision],
            files[*revision].lines.down_revision,
            format!(
                "unknown parent `{parent}` in down_revision of `{}`",
                id(*revision)
            ),
        )
        .with_help(suggest(suggestion).unwrap_or_else(|| {
            "name an existing revision, or `none` for a first revision".to_owned()
        })),
        GraphProblem::UnknownDependency {
            revision,
            dependency,
            suggestion,
        } => at(
            &files[*revision],
            files[*revision].lines.depends_on,
            format!(
                "unknown revision or label `{dependency}` in depends_on of `{}`",
                id(*revision)
            ),
        )
        .with_help(
            suggest(suggestion)
                .unwrap_or_else(|| "name an existing revision id or branch label".to_owned()),
        ),
        GraphProblem::SelfReference { revision } => {
            let f = &files[*revision];
            let line = if f
                .migration
                .down_revisions()
                .iter()
                .any(|p| p == f.migration.revision())
            {
                f.lines.down_revision
            } else {
                f.lines.depends_on
            };
            at(
                f,
                line,
                format!("revision `{}` names itself", id(*revision)),
            )
            .with_help(
                "a revision cannot be its own parent or dependency; name the revision it follows",
            )
        }
        GraphProblem::RepeatedParent { revision, parent } => at(
            &files[*revision],
            files[*revision].lines.down_revision,
            format!(
                "parent `{parent}` listed twice in down_revision of `{}`",
                id(*revision)
            ),
        )
        .with_help("list each parent once; a merge names two different heads"),
        GraphProblem::Cycle { revisions } => {
            let mut names: Vec<&str> = revisions.iter().map(|&i| id(i)).collect();
            if let Some(&first) = names.first() {
                names.push(first);
            }
            let last = revisions.last().copied().unwrap_or(0);
            at(
                &files[last],
                files[last].lines.down_revision,
                format!("cycle in the revision graph: {}", names.join(" -> ")),
            )
            .with_help("one of these revisions must not follow the others; fix its down_revision or depends_on")
        }
        GraphProblem::DuplicateLabel {
            label,
            first,
            second,
        } => at(
            &files[*second],
            files[*second].lines.branch_labels,
            format!(
                "branch label `{label}` is also on revision `{}` ({})",
                id(*first),
                files[*first].display
            ),
        )
        .with_help("a label names one branch; choose another name"),
        GraphProblem::LabelIsRevision {
            label,
            labelled,
            revision,
        } => at(
            &files[*labelled],
            files[*labelled].lines.branch_labels,
            format!(
                "branch label `{label}` is the id of revision `{label}` ({})",
                files[*revision].display
            ),
        )
        .with_help("a label must differ from every revision id; choose another name"),
        GraphProblem::MultipleHeads { heads } => {
            let last = heads.last().copied().unwrap_or(0);
            let list: Vec<String> = heads
                .iter()
                .map(|&h| format!("`{}` ({})", id(h), files[h].display))
                .collect();
            let ids: Vec<&str> = heads.iter().map(|&h| id(h)).collect();
            at(
                &files[last],
                files[last].lines.down_revision,
                format!("{} heads: {}", heads.len(), list.join(", ")),
            )
            .with_help(format!(
                "run `migraph merge -m \"merge heads\" {}` to join them, give each head a branch label, or allow several heads with `embed_migrations!(\"...\", allow_multiple_heads)`",
                ids.join(" ")
            ))
        }
    }
}
