//! A set of migrations: embedded in the binary, or loaded from a directory.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use migraph_core::{
    Anchor, Diagnostic, Diagnostics, Directory, Graph, LoadOptions, Migration, RevSet, Target,
};

use crate::driver::StateRows;
use crate::error::Error;
use crate::table::RevisionState;

/// A set of migrations and their revision graph.
///
/// Usually made by `embed_migrations!`, which checks the graph at compile time and embeds
/// every file; [`Migrations::from_dir`] loads a directory at run time instead (as the CLI
/// does).
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// std::fs::write(
///     dir.path().join("a1_init.sql"),
///     "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
/// )?;
/// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
/// assert_eq!(migrations.migrations()[0].revision(), "a1");
/// assert_eq!(migrations.heads()?[0].revision(), "a1");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Migrations {
    migrations: Cow<'static, [Migration]>,
    /// What `embed_migrations!` stored, decoded into `decoded` when first used.
    table: Option<Table>,
    /// The graph's migrations and the squashed ones, decoded and split when first used.
    decoded: OnceLock<Result<Split, String>>,
    /// Squashed revisions loaded from a directory.
    replaced: Vec<Migration>,
    /// The code of the revisions written in Rust, compiled in by `embed_migrations!`.
    rust: &'static [crate::RustRevision],
    /// The absolute directory the migrations came from.
    source_dir: Option<Cow<'static, str>>,
    /// The directory as the user wrote it.
    display_dir: Cow<'static, str>,
    /// Whether to look for files added after the binary was built (debug builds).
    check_stale: bool,
    graph: OnceLock<Result<Graph, Diagnostics>>,
}

/// The graph's migrations, and the squashed ones.
type Split = (Vec<Migration>, Vec<Migration>);

/// The text, the table and the extra text of [`migraph_core::embedded`].
#[derive(Debug)]
struct Table {
    text: &'static str,
    table: &'static [u8],
    extra: &'static str,
}

impl Migrations {
    /// What `embed_migrations!` expands to: the folder's files as included, one after
    /// another, and the table of [`migraph_core::embedded`] that says where each
    /// revision's fields are.
    #[doc(hidden)]
    pub const fn from_table(
        text: &'static str,
        table: &'static [u8],
        extra: &'static str,
        rust: &'static [crate::RustRevision],
        source_dir: &'static str,
        display_dir: &'static str,
        check_stale: bool,
    ) -> Self {
        Self {
            migrations: Cow::Borrowed(&[]),
            rust,
            table: Some(Table { text, table, extra }),
            decoded: OnceLock::new(),
            replaced: Vec::new(),
            source_dir: Some(Cow::Borrowed(source_dir)),
            display_dir: Cow::Borrowed(display_dir),
            check_stale,
            graph: OnceLock::new(),
        }
    }

    /// Migrations checked at compile time, as a slice.
    #[doc(hidden)]
    pub const fn from_static(
        migrations: &'static [Migration],
        source_dir: &'static str,
        display_dir: &'static str,
        check_stale: bool,
    ) -> Self {
        Self {
            migrations: Cow::Borrowed(migrations),
            rust: &[],
            table: None,
            decoded: OnceLock::new(),
            replaced: Vec::new(),
            source_dir: Some(Cow::Borrowed(source_dir)),
            display_dir: Cow::Borrowed(display_dir),
            check_stale,
            graph: OnceLock::new(),
        }
    }

    /// Loads and checks every `*.sql` file in `dir`. Several heads are allowed here, as in
    /// Alembic; `upgrade head` then asks for a merge.
    ///
    /// # Errors
    ///
    /// Every problem in the directory, each naming its file and line.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, Diagnostics> {
        let dir = dir.as_ref();
        let display = dir.display().to_string();
        let loaded = Directory::load(dir, &display, LoadOptions::multiple_heads())?;
        let migrations = loaded.migrations();
        let replaced = loaded
            .replaced
            .iter()
            .map(|f| f.migration.clone())
            .collect();
        let graph = OnceLock::new();
        let _ = graph.set(Ok(loaded.graph));
        Ok(Self {
            migrations: Cow::Owned(migrations),
            rust: &[],
            table: None,
            decoded: OnceLock::new(),
            replaced,
            source_dir: None,
            display_dir: Cow::Owned(display),
            check_stale: false,
            graph,
        })
    }

    /// The migrations, in file-name order.
    pub fn migrations(&self) -> &[Migration] {
        match self.decode() {
            Ok(all) => all,
            Err(_) => &[],
        }
    }

    /// How many revisions there are, squashed ones included, without decoding embedded
    /// ones: the rows a version table at head has.
    pub(crate) fn count(&self) -> usize {
        match &self.table {
            Some(t) if self.decoded.get().is_none() => migraph_core::embedded::count(t.table),
            _ => self.migrations().len() + self.replaced().len(),
        }
    }

    /// The compiled code of Rust revision `revision`, when this binary carries it.
    pub(crate) fn rust_code(
        &self,
        revision: &str,
    ) -> Option<&'static (dyn std::any::Any + Send + Sync)> {
        self.rust
            .iter()
            .find(|r| r.revision == revision)
            .map(|r| r.code)
    }

    /// The migrations, decoded from the embedded table when that is where they are.
    fn decode(&self) -> Result<&[Migration], &str> {
        self.decode_all().map(|(kept, _)| kept)
    }

    /// The graph's migrations and the squashed ones.
    fn decode_all(&self) -> Result<(&[Migration], &[Migration]), &str> {
        let Some(t) = &self.table else {
            return Ok((&self.migrations, &self.replaced));
        };
        self.decoded
            .get_or_init(|| {
                let all = migraph_core::embedded::decode(t.text, t.table, t.extra)?;
                let folded = migraph_core::squash::fold(all).map_err(|problems| {
                    problems
                        .into_iter()
                        .map(|p| p.message)
                        .collect::<Vec<_>>()
                        .join("; ")
                })?;
                // The usual case: nothing squashed, nothing to move.
                if folded.replaced.is_empty() {
                    return Ok((folded.migrations, Vec::new()));
                }
                let mut kept = Vec::with_capacity(folded.kept.len());
                let mut replaced = Vec::with_capacity(folded.replaced.len());
                for (i, m) in folded.migrations.into_iter().enumerate() {
                    if folded.replaced.binary_search(&i).is_ok() {
                        replaced.push(m);
                    } else {
                        kept.push(m);
                    }
                }
                Ok((kept, replaced))
            })
            .as_ref()
            .map(|(kept, replaced)| (kept.as_slice(), replaced.as_slice()))
            .map_err(String::as_str)
    }

    /// Whether `rows`, read from the version table, are exactly this binary's revisions,
    /// each applied with its checksum, in a folder with no squash, so that `target`
    /// (`head` with a single head, or `heads`) is reached: the usual start-up, decided
    /// without building the graph and, for embedded migrations, without decoding them.
    /// `false` whenever the full check must decide, which then also finds what is wrong.
    pub(crate) fn at_target(&self, rows: &StateRows, target: &Target) -> bool {
        let any_head = match (&target.branch, target.steps, &target.anchor) {
            (None, 0, Anchor::Heads) => true,
            (None, 0, Anchor::Head) => false,
            _ => return false,
        };
        if rows
            .iter()
            .any(|[_, _, state]| state != RevisionState::Applied.as_str())
        {
            return false;
        }
        let mut applied: Vec<(&str, &str)> = rows
            .iter()
            .map(|[revision, checksum, _]| (revision, checksum))
            .collect();
        applied.sort_unstable_by(|a, b| a.0.cmp(b.0));
        if let Some(t) = &self.table
            && self.decoded.get().is_none()
        {
            // A table that cannot be read is the full check's to report.
            return migraph_core::embedded::at_head(t.text, t.table, t.extra, &applied, any_head)
                .unwrap_or(false);
        }
        let Ok(graph) = self.graph() else {
            return false;
        };
        let all = self.migrations();
        all.len() == applied.len()
            && (any_head || graph.heads().len() == 1)
            && all.iter().all(|m| {
                m.replaces().is_empty()
                    && applied
                        .binary_search_by(|(revision, _)| (*revision).cmp(m.revision()))
                        .is_ok_and(|i| applied[i].1 == m.checksum())
            })
    }

    /// The squashed revisions this binary still has the files of.
    pub(crate) fn replaced(&self) -> &[Migration] {
        self.decode_all().map_or(&[], |(_, replaced)| replaced)
    }

    /// The squash that replaces `revision` (`-- replaces:`), if one does: a revision of
    /// the graph, standing for `revision` and the rest of its run.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a1_t.sql"), "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n")?;
    /// std::fs::write(dir.path().join("s1_base.sql"), "-- revision: s1\n-- down_revision: none\n-- replaces: a1\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n")?;
    /// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
    /// assert_eq!(migrations.squash_of("a1").map(|m| m.revision()), Some("s1"));
    /// assert!(migrations.get("a1").is_none());
    /// # Ok(()) }
    /// ```
    pub fn squash_of(&self, revision: &str) -> Option<&Migration> {
        self.migrations()
            .iter()
            .find(|m| m.replaces().iter().any(|r| r == revision))
    }

    /// The directory the migrations came from, as written.
    pub fn dir(&self) -> &str {
        &self.display_dir
    }

    /// The revision graph.
    ///
    /// # Errors
    ///
    /// [`Error::Load`] if the graph is invalid, which cannot happen for migrations
    /// embedded by the macro or loaded by [`Migrations::from_dir`].
    pub fn graph(&self) -> Result<&Graph, Error> {
        self.graph
            .get_or_init(|| {
                let all = self.decode().map_err(|e| {
                    Diagnostics::from(vec![Diagnostic::new(format!(
                        "the embedded migrations cannot be read: {e}; rebuild the binary"
                    ))])
                })?;
                Graph::build(all).map_err(|problems| {
                    problems
                        .into_iter()
                        .map(|p| {
                            Diagnostic::new(format!("invalid revision graph: {}", p.message(all)))
                        })
                        .collect::<Vec<_>>()
                        .into()
                })
            })
            .as_ref()
            .map_err(|d| Error::Load(d.clone()))
    }

    /// The migration with revision id `revision`.
    pub fn get(&self, revision: &str) -> Option<&Migration> {
        let i = self.graph().ok()?.find(revision)?;
        self.migrations().get(i.index())
    }

    /// The heads: revisions no other revision follows.
    ///
    /// # Errors
    ///
    /// As [`Migrations::graph`].
    pub fn heads(&self) -> Result<Vec<&Migration>, Error> {
        let graph = self.graph()?;
        Ok(graph
            .heads()
            .iter()
            .map(|&i| &self.migrations()[i])
            .collect())
    }

    /// Every revision in the order `upgrade heads` would apply them from an empty
    /// database: parents first, ties by file name.
    ///
    /// # Errors
    ///
    /// As [`Migrations::graph`].
    pub fn history(&self) -> Result<Vec<&Migration>, Error> {
        let graph = self.graph()?;
        let all = RevSet::all(graph);
        Ok(graph
            .topological(&all)
            .into_iter()
            .map(|i| &self.migrations()[i])
            .collect())
    }

    /// In a debug build of a binary that embedded its migrations, refuses to run when the
    /// folder they were embedded from holds a `*.sql` file the binary lacks.
    pub(crate) fn check_stale(&self) -> Result<(), Error> {
        let (true, Some(dir)) = (self.check_stale, &self.source_dir) else {
            return Ok(());
        };
        let Ok(entries) = std::fs::read_dir(dir.as_ref()) else {
            return Ok(()); // the folder is not here, as on a deployed machine
        };
        // Every file the binary has, squashed revisions' too; read from the table while
        // nothing is decoded, so that a start-up at head still decodes nothing.
        let known: HashSet<&str> = match &self.table {
            Some(t) if self.decoded.get().is_none() => {
                match migraph_core::embedded::file_names(t.text, t.table, t.extra) {
                    Ok(names) => names.into_iter().collect(),
                    // A table that cannot be read is reported where it is used.
                    Err(_) => return Ok(()),
                }
            }
            _ => self
                .migrations()
                .iter()
                .chain(self.replaced())
                .map(Migration::file_name)
                .collect(),
        };
        let mut missing: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| {
                (n.ends_with(".sql") || n.ends_with(".rs"))
                    && !n.starts_with('.')
                    && !known.contains(n.as_str())
            })
            .collect();
        missing.sort_unstable();
        match missing.into_iter().next() {
            Some(file) => Err(Error::Stale {
                file,
                dir: self.display_dir.to_string(),
            }),
            None => Ok(()),
        }
    }
}
