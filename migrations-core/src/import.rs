//! Reading another tool's migrations folder as migraph files: diesel, sqlx, refinery and
//! Alembic. Each source migration becomes one revision, its SQL unchanged; the files are
//! returned, not written, so that the caller decides where they go.
//!
//! Revision ids come from the source's own versions ([`Tool::revision_id`]), so importing
//! twice gives the same files, and the other tool's version table can be read back as
//! revisions when a database it migrated is adopted.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::file::{Migration, is_valid_name};
use crate::split::{Dialect, split_statements};

/// A migration tool whose folders can be imported and whose databases can be adopted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tool {
    /// diesel_migrations: `<version>_<name>/up.sql`, `down.sql`, `metadata.toml`.
    Diesel,
    /// sqlx: `<version>_<description>.sql`, or `.up.sql` and `.down.sql`.
    Sqlx,
    /// refinery: `V<n>__<name>.sql`.
    Refinery,
    /// Alembic: `versions/*.py` for the graph, offline scripts for the SQL.
    Alembic,
}

impl Tool {
    /// Every tool, in the order the documentation lists them.
    pub const ALL: [Tool; 4] = [Tool::Diesel, Tool::Sqlx, Tool::Refinery, Tool::Alembic];

    /// The tool named `name` (`diesel`, `sqlx`, `refinery`, `alembic`).
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::import::Tool;
    ///
    /// assert_eq!(Tool::from_name("sqlx"), Some(Tool::Sqlx));
    /// assert_eq!(Tool::from_name("flyway"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// The tool's name, as the command line takes it.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Diesel => "diesel",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
            Tool::Alembic => "alembic",
        }
    }

    /// The table in which the tool records what it applied.
    pub fn version_table(self) -> &'static str {
        match self {
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Refinery => "refinery_schema_history",
            Tool::Alembic => "alembic_version",
        }
    }

    /// The revision id that a version of this tool becomes: diesel's version without its
    /// `-` and `_`, sqlx's number, refinery's `V<n>`, Alembic's revision as it is. `None`
    /// when no valid id comes out of it.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::import::Tool;
    ///
    /// assert_eq!(Tool::Diesel.revision_id("2023-01-05-101500").as_deref(), Some("20230105101500"));
    /// assert_eq!(Tool::Sqlx.revision_id("20230105101500").as_deref(), Some("20230105101500"));
    /// assert_eq!(Tool::Refinery.revision_id("3").as_deref(), Some("V3"));
    /// assert_eq!(Tool::Sqlx.revision_id("x1"), None);
    /// ```
    pub fn revision_id(self, version: &str) -> Option<String> {
        let version = version.trim();
        let id = match self {
            Tool::Diesel => version.replace(['-', '_'], ""),
            Tool::Sqlx => version.parse::<i64>().ok()?.to_string(),
            Tool::Refinery => format!("V{}", version.parse::<i64>().ok()?),
            Tool::Alembic => version.to_owned(),
        };
        is_valid_name(&id).then_some(id)
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Its name, `<revision>_<slug>.sql`.
    pub name: String,
    /// Its text.
    pub text: String,
    /// The revision it holds.
    pub revision: String,
    /// The source file or folder it came from.
    pub source: PathBuf,
}

/// What an import made: the files, and what it left out, each with the reason.
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// The files, in the source tool's order (parents first).
    pub files: Vec<NewFile>,
    /// What was not imported, or imported with a caveat.
    pub skipped: Vec<Diagnostic>,
}

/// Alembic's SQL, which lives in no file of its own: the offline scripts the user made with
/// `alembic upgrade base:heads --sql` and `alembic downgrade heads:base --sql`.
#[derive(Debug, Clone, Copy)]
pub struct AlembicSql<'a> {
    /// The upgrade script's text.
    pub upgrade: &'a str,
    /// The downgrade script's text, if there is one.
    pub downgrade: Option<&'a str>,
    /// The dialect the scripts were written for (how to split them into statements).
    pub dialect: Dialect,
    /// Alembic's version table, `alembic_version` unless configured otherwise.
    pub version_table: &'a str,
}

/// One migration as read from the source, before it is written out.
struct Source {
    revision: String,
    down: Vec<String>,
    labels: Vec<String>,
    depends_on: Vec<String>,
    message: String,
    created: Option<String>,
    transactional: bool,
    upgrade: String,
    downgrade: Option<String>,
    path: PathBuf,
}

/// Reads the migrations of `tool` in `src`. For Alembic, `src` is the `versions` folder
/// (or the folder holding it) and `alembic` carries the SQL.
///
/// # Errors
///
/// The folder cannot be read, or holds nothing to import, or two of its migrations
/// would get the same revision id; Alembic without its offline scripts.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use migraph_core::import::{Tool, import};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("20240101000000_create users.sql"), "CREATE TABLE users (id INT);\n")?;
/// std::fs::write(dir.path().join("20240102000000_add_email.up.sql"), "ALTER TABLE users ADD email TEXT;\n")?;
/// std::fs::write(dir.path().join("20240102000000_add_email.down.sql"), "ALTER TABLE users DROP email;\n")?;
/// let imported = import(Tool::Sqlx, dir.path(), None)?;
/// assert_eq!(imported.files[1].name, "20240102000000_add_email.sql");
/// assert!(imported.files[1].text.contains("-- down_revision: 20240101000000\n"));
/// # Ok(()) }
/// ```
pub fn import(
    tool: Tool,
    src: &Path,
    alembic: Option<AlembicSql<'_>>,
) -> Result<Import, Diagnostics> {
    let mut skipped = Vec::new();
    let sources = match tool {
        Tool::Diesel => diesel(src, &mut skipped)?,
        Tool::Sqlx => sqlx(src, &mut skipped)?,
        Tool::Refinery => refinery(src, &mut skipped)?,
        Tool::Alembic => {
            let sql = alembic.ok_or_else(|| {
                Diagnostics::from(vec![Diagnostic::new(
                    "Alembic's SQL is in no file of its own: give the offline scripts",
                )
                .with_help(
                    "run `alembic upgrade base:heads --sql > upgrade.sql` and `alembic downgrade heads:base --sql > downgrade.sql`, then pass them with --upgrade-sql and --downgrade-sql",
                )])
            })?;
            alembic_sources(src, sql, &mut skipped)?
        }
    };
    if sources.is_empty() {
        return Err(vec![
            Diagnostic::new(format!("no {tool} migrations found")).at(src.display().to_string(), 0),
        ]
        .into());
    }
    let mut seen = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for s in &sources {
        if let Some(other) = seen.insert(s.revision.clone(), &s.path) {
            problems.push(
                Diagnostic::new(format!(
                    "`{}` and `{}` both become revision `{}`",
                    other.display(),
                    s.path.display(),
                    s.revision
                ))
                .with_help("rename one of them so that their versions differ"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems.into());
    }
    let mut files = Vec::new();
    for s in sources {
        match render(&s) {
            Ok(file) => files.push(file),
            Err(problem) => skipped.push(problem),
        }
    }
    Ok(Import { files, skipped })
}

/// `add email to account` -> `add_email_to_account`: a file-name part made of a message.
///
/// # Examples
///
/// ```
/// assert_eq!(migraph_core::import::slug("Add e-mail to Account"), "add_e_mail_to_account");
/// assert_eq!(migraph_core::import::slug("--"), "revision");
/// ```
pub fn slug(message: &str) -> String {
    let mut out = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "revision".to_owned()
    } else {
        out
    }
}

/// The file's text, checked by parsing it back: its sections must be the source's SQL.
fn render(s: &Source) -> Result<NewFile, Diagnostic> {
    let mut text = format!(
        "-- revision: {}\n-- down_revision: {}\n-- message: {}\n",
        s.revision,
        if s.down.is_empty() {
            "none".to_owned()
        } else {
            s.down.join(", ")
        },
        s.message.replace(['\n', '\r'], " ").trim(),
    );
    if let Some(created) = &s.created {
        text += &format!("-- created: {created}\n");
    }
    if !s.labels.is_empty() {
        text += &format!("-- branch_labels: {}\n", s.labels.join(", "));
    }
    if !s.depends_on.is_empty() {
        text += &format!("-- depends_on: {}\n", s.depends_on.join(", "));
    }
    if !s.transactional {
        text += "-- transaction: false\n";
    }
    let section = |sql: &str| {
        let mut out = sql.to_owned();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out
    };
    text += "\n-- migrate:upgrade\n";
    text += &section(&s.upgrade);
    if let Some(down) = &s.downgrade {
        text += "\n-- migrate:downgrade\n";
        text += &section(down);
    }
    let name = format!("{}_{}.sql", s.revision, slug(&s.message));
    let source = s.path.display().to_string();
    let parsed = Migration::parse(&name, &text).map_err(|problems| {
        let first = problems.iter().next().map(ToString::to_string);
        Diagnostic::new(format!(
            "cannot be written as a migraph file: {}",
            first.unwrap_or_default()
        ))
        .at(source.clone(), 0)
    })?;
    let same = |ours: Option<&str>, theirs: Option<&str>| {
        ours.map(str::trim_end) == theirs.map(str::trim_end).filter(|t| !t.trim().is_empty())
            || (ours.is_none_or(|o| o.trim().is_empty())
                && theirs.is_none_or(|t| t.trim().is_empty()))
    };
    if !same(Some(parsed.upgrade_sql()), Some(&s.upgrade))
        || !same(parsed.downgrade_sql(), s.downgrade.as_deref())
    {
        return Err(Diagnostic::new(
            "its SQL holds a line that reads as a section marker (`-- migrate:upgrade` or `-- migrate:downgrade`), so it cannot be kept unchanged",
        )
        .at(source, 0)
        .with_help("change that comment in the source, then import again"));
    }
    Ok(NewFile {
        name,
        text,
        revision: s.revision.clone(),
        source: s.path.clone(),
    })
}

/// `20230105101500` -> `2023-01-05T10:15:00Z`, when the digits are a plausible time.
fn timestamp(digits: &str) -> Option<String> {
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
    let (month, day, hour, minute, second) =
        (n(4..6)?, n(6..8)?, n(8..10)?, n(10..12)?, n(12..14)?);
    let plausible = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    plausible.then(|| {
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &digits[0..4],
            &digits[4..6],
            &digits[6..8],
            &digits[8..10],
            &digits[10..12],
            &digits[12..14]
        )
    })
}

/// The entries of `dir`, sorted by name.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, Diagnostics> {
    let read = std::fs::read_dir(dir).map_err(|e| {
        Diagnostics::from(vec![
            Diagnostic::new(format!("cannot read the folder: {e}"))
                .at(dir.display().to_string(), 0),
        ])
    })?;
    let mut paths: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

fn read(path: &Path) -> Result<String, Diagnostics> {
    std::fs::read_to_string(path).map_err(|e| {
        Diagnostics::from(vec![
            Diagnostic::new(format!("cannot read the file: {e}")).at(path.display().to_string(), 0),
        ])
    })
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Links each source to the one before it, in the order given.
fn chain(mut sources: Vec<Source>) -> Vec<Source> {
    for i in 1..sources.len() {
        let parent = sources[i - 1].revision.clone();
        sources[i].down = vec![parent];
    }
    sources
}

fn diesel(src: &Path, skipped: &mut Vec<Diagnostic>) -> Result<Vec<Source>, Diagnostics> {
    let mut found: Vec<(String, Source)> = Vec::new();
    for path in entries(src)? {
        let name = file_name(&path).to_owned();
        if !path.is_dir() {
            if name != ".keep" && name != ".gitkeep" {
                skipped.push(
                    Diagnostic::new("not a diesel migration folder")
                        .at(path.display().to_string(), 0),
                );
            }
            continue;
        }
        let (version, rest) = name.split_once('_').unwrap_or((&name, ""));
        let Some(revision) = Tool::Diesel.revision_id(version) else {
            skipped.push(
                Diagnostic::new(format!(
                    "`{version}` is not a version migraph can use as a revision id"
                ))
                .at(path.display().to_string(), 0),
            );
            continue;
        };
        let up = path.join("up.sql");
        if !up.exists() {
            let what = if path.join("up.rs").exists() || path.join("mod.rs").exists() {
                "a migration written in Rust is not imported; write it as SQL"
            } else {
                "no up.sql"
            };
            skipped.push(Diagnostic::new(what).at(path.display().to_string(), 0));
            continue;
        }
        let down = path.join("down.sql");
        let mut transactional = true;
        let metadata = path.join("metadata.toml");
        if metadata.exists() {
            for line in read(&metadata)?.lines() {
                let line = line.split('#').next().unwrap_or("");
                if let Some((key, value)) = line.split_once('=')
                    && key.trim() == "run_in_transaction"
                {
                    transactional = value.trim() != "false";
                }
            }
        }
        let order = version.replace(['-', '_'], "");
        found.push((
            order,
            Source {
                message: rest.replace('_', " "),
                created: timestamp(&revision),
                revision,
                down: Vec::new(),
                labels: Vec::new(),
                depends_on: Vec::new(),
                transactional,
                upgrade: read(&up)?,
                downgrade: if down.exists() {
                    Some(read(&down)?)
                } else {
                    None
                },
                path,
            },
        ));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(chain(found.into_iter().map(|(_, s)| s).collect()))
}

fn sqlx(src: &Path, skipped: &mut Vec<Diagnostic>) -> Result<Vec<Source>, Diagnostics> {
    let mut found: Vec<(i64, Source)> = Vec::new();
    let mut downs = std::collections::HashMap::new();
    let mut ups = Vec::new();
    for path in entries(src)? {
        let name = file_name(&path).to_owned();
        let Some(stem) = name.strip_suffix(".sql") else {
            skipped.push(Diagnostic::new("not an .sql file").at(path.display().to_string(), 0));
            continue;
        };
        let (stem, kind) = if let Some(s) = stem.strip_suffix(".down") {
            (s, "down")
        } else if let Some(s) = stem.strip_suffix(".up") {
            (s, "up")
        } else {
            (stem, "simple")
        };
        let Some((version, description)) = stem.split_once('_') else {
            skipped.push(
                Diagnostic::new("not `<version>_<description>.sql`")
                    .at(path.display().to_string(), 0),
            );
            continue;
        };
        let Ok(number) = version.parse::<i64>() else {
            skipped.push(
                Diagnostic::new(format!(
                    "`{version}` is not a number, as sqlx's versions are"
                ))
                .at(path.display().to_string(), 0),
            );
            continue;
        };
        if kind == "down" {
            downs.insert(number, path);
        } else {
            ups.push((number, description.replace('_', " "), path));
        }
    }
    for (number, description, path) in ups {
        let upgrade = read(&path)?;
        let transactional = upgrade
            .lines()
            .next()
            .is_none_or(|l| l.trim() != "-- no-transaction");
        let downgrade = match downs.remove(&number) {
            Some(down) => Some(read(&down)?),
            None => None,
        };
        let revision = number.to_string();
        found.push((
            number,
            Source {
                created: timestamp(&revision),
                revision,
                down: Vec::new(),
                labels: Vec::new(),
                depends_on: Vec::new(),
                message: description,
                transactional,
                upgrade,
                downgrade,
                path,
            },
        ));
    }
    for (_, path) in downs {
        skipped.push(
            Diagnostic::new("a down migration without its up migration")
                .at(path.display().to_string(), 0),
        );
    }
    found.sort_by_key(|(n, _)| *n);
    Ok(chain(found.into_iter().map(|(_, s)| s).collect()))
}

fn refinery(src: &Path, skipped: &mut Vec<Diagnostic>) -> Result<Vec<Source>, Diagnostics> {
    let mut found: Vec<(i64, Source)> = Vec::new();
    let mut unversioned = Vec::new();
    for path in entries(src)? {
        let name = file_name(&path).to_owned();
        let shown = path.display().to_string();
        let Some((prefix, rest)) = name.split_once("__") else {
            skipped.push(Diagnostic::new("not `V<n>__<name>.sql`").at(shown, 0));
            continue;
        };
        if prefix.starts_with('U') {
            unversioned.push(
                Diagnostic::new("an unversioned migration (`U<n>__`) runs whenever refinery finds it missing, in no fixed order; migraph's revisions form a graph and cannot express that")
                    .at(shown, 0)
                    .with_help("rename it to `V<n>__` with the place it should have in the order, or leave it out of the folder"),
            );
            continue;
        }
        let Some(version) = prefix.strip_prefix('V') else {
            skipped.push(Diagnostic::new("not `V<n>__<name>.sql`").at(shown, 0));
            continue;
        };
        let Some(stem) = rest.strip_suffix(".sql") else {
            let what = if rest.ends_with(".rs") {
                "a migration written in Rust is not imported; write it as SQL"
            } else {
                "not an .sql file"
            };
            skipped.push(Diagnostic::new(what).at(shown, 0));
            continue;
        };
        let (Ok(number), Some(revision)) =
            (version.parse::<i64>(), Tool::Refinery.revision_id(version))
        else {
            skipped.push(Diagnostic::new(format!("`{version}` is not a number")).at(shown, 0));
            continue;
        };
        found.push((
            number,
            Source {
                revision,
                down: Vec::new(),
                labels: Vec::new(),
                depends_on: Vec::new(),
                message: stem.replace('_', " "),
                created: None,
                transactional: true,
                upgrade: read(&path)?,
                downgrade: None,
                path,
            },
        ));
    }
    if !unversioned.is_empty() {
        return Err(unversioned.into());
    }
    found.sort_by_key(|(n, _)| *n);
    Ok(chain(found.into_iter().map(|(_, s)| s).collect()))
}

/// The value assigned to `name` at the start of a line of Python, with its continuation
/// lines while brackets are open: `None`, a string, or a tuple or list of strings.
fn python_value(text: &str, name: &str) -> Option<String> {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let rest = rest.trim_start();
        // `name = ...` or `name: Annotation = ...`
        let value = if let Some(v) = rest.strip_prefix('=') {
            v
        } else if rest.starts_with(':') {
            let (_, v) = rest.split_once('=')?;
            v
        } else {
            continue;
        };
        let mut value = value.trim().to_owned();
        let open = |v: &str| v.matches(['(', '[']).count() > v.matches([')', ']']).count();
        while open(&value) {
            let Some(next) = lines.next() else { break };
            value.push(' ');
            value.push_str(next.trim());
        }
        return Some(value);
    }
    None
}

/// The strings in a Python value: `None` gives none, `'a'` one, `('a', "b")` two.
fn python_strings(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '#' {
            break;
        }
        if c == '\'' || c == '"' {
            let s: String = chars.by_ref().take_while(|&d| d != c).collect();
            out.push(s);
        }
    }
    out
}

/// The first line of the module's docstring.
fn docstring_message(text: &str) -> String {
    let body = text.trim_start();
    for quote in ["\"\"\"", "'''"] {
        if let Some(rest) = body.strip_prefix(quote) {
            return rest
                .lines()
                .map(|l| l.trim().trim_end_matches(quote))
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_owned();
        }
    }
    String::new()
}

/// `Create Date: 2011-11-08 11:40:27.089406` in the docstring, as `2011-11-08T11:40:27Z`.
fn create_date(text: &str) -> Option<String> {
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Create Date:"))?;
    let digits: String = line
        .trim()
        .chars()
        .take(19)
        .filter(char::is_ascii_digit)
        .collect();
    timestamp(&digits)
}

/// The SQL of each revision in an offline script: the text after each `-- Running
/// upgrade A -> B` marker (keyed by B) or `-- Running downgrade B -> A` (keyed by B), with
/// transaction statements and those on the version table left out.
fn alembic_blocks(
    script: &str,
    upgrade: bool,
    sql: AlembicSql<'_>,
) -> std::collections::HashMap<String, String> {
    let marker = if upgrade {
        "-- Running upgrade"
    } else {
        "-- Running downgrade"
    };
    let mut blocks = std::collections::HashMap::new();
    let mut current: Option<(String, String)> = None;
    let mut flush = |current: &mut Option<(String, String)>| {
        if let Some((revision, text)) = current.take() {
            blocks.insert(revision, keep_statements(&text, sql));
        }
    };
    for line in script.split_inclusive('\n') {
        if let Some(rest) = line.trim_end().strip_prefix(marker) {
            flush(&mut current);
            let (from, to) = rest.split_once("->").unwrap_or((rest, ""));
            let revision = if upgrade { to } else { from };
            current = Some((revision.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = &mut current {
            text.push_str(line);
        }
    }
    flush(&mut current);
    blocks
}

/// The statements of `text` that are the revision's own: not `BEGIN`/`COMMIT`, not on
/// Alembic's version table. Each keeps the comments before it, as written.
fn keep_statements(text: &str, sql: AlembicSql<'_>) -> String {
    let table = sql.version_table.to_ascii_uppercase();
    let mut out = String::new();
    for s in split_statements(text, sql.dialect) {
        let words: Vec<String> = s
            .sql
            .split_whitespace()
            .take(3)
            .map(|w| w.trim_matches(['"', '`', '(']).to_ascii_uppercase())
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let bookkeeping = matches!(
            words.as_slice(),
            ["BEGIN" | "COMMIT", ..] | ["START", "TRANSACTION", ..]
        ) || matches!(
            words.as_slice(),
            ["INSERT", "INTO", t] | ["DELETE", "FROM", t] | ["CREATE", "TABLE", t] | ["DROP", "TABLE", t]
                if t.trim_end_matches(['(', ';']) == table
        ) || matches!(words.as_slice(), ["UPDATE", t, ..] if *t == table);
        if bookkeeping {
            continue;
        }
        if !s.before.is_empty() {
            out.push_str(s.before);
            out.push('\n');
        }
        out.push_str(s.sql);
        out.push_str(";\n\n");
    }
    out.trim_end().to_owned()
}

fn alembic_sources(
    src: &Path,
    sql: AlembicSql<'_>,
    skipped: &mut Vec<Diagnostic>,
) -> Result<Vec<Source>, Diagnostics> {
    let versions = if src.join("versions").is_dir() {
        src.join("versions")
    } else {
        src.to_path_buf()
    };
    let ups = alembic_blocks(sql.upgrade, true, sql);
    let downs = sql
        .downgrade
        .map(|d| alembic_blocks(d, false, sql))
        .unwrap_or_default();
    let mut found = Vec::new();
    for path in entries(&versions)? {
        if path.extension().and_then(|e| e.to_str()) != Some("py") {
            continue;
        }
        let text = read(&path)?;
        let shown = path.display().to_string();
        let Some(revision) =
            python_value(&text, "revision").and_then(|v| python_strings(&v).into_iter().next())
        else {
            if file_name(&path) != "__init__.py" {
                skipped.push(
                    Diagnostic::new("no `revision = ...` line: not a revision script").at(shown, 0),
                );
            }
            continue;
        };
        if !is_valid_name(&revision) {
            return Err(vec![
                Diagnostic::new(format!(
                    "revision id `{revision}` has characters migraph does not allow in one"
                ))
                .at(shown, 0)
                .with_help("revision ids are 1 to 64 of A-Z, a-z, 0-9 and _"),
            ]
            .into());
        }
        let list = |name: &str| {
            python_value(&text, name)
                .map(|v| python_strings(&v))
                .unwrap_or_default()
        };
        let Some(upgrade) = ups.get(&revision) else {
            skipped.push(
                Diagnostic::new(format!("revision `{revision}` is not in the upgrade script; imported with an empty upgrade"))
                    .at(shown.clone(), 0)
                    .with_help("make the script with `alembic upgrade base:heads --sql`, which runs every revision"),
            );
            found.push(Source {
                down: list("down_revision"),
                labels: list("branch_labels"),
                depends_on: list("depends_on"),
                message: docstring_message(&text),
                created: create_date(&text),
                revision,
                transactional: true,
                upgrade: String::new(),
                downgrade: None,
                path,
            });
            continue;
        };
        found.push(Source {
            down: list("down_revision"),
            labels: list("branch_labels"),
            depends_on: list("depends_on"),
            message: docstring_message(&text),
            created: create_date(&text),
            transactional: true,
            upgrade: upgrade.clone(),
            downgrade: downs.get(&revision).cloned(),
            revision,
            path,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn python_values_of_every_shape() {
        let text = "\"\"\"Add account\n\nRevision ID: b2\n\"\"\"\nrevision: str = 'b2'\ndown_revision: Union[str, None] = (\n    'a1',\n    \"x9\",\n)\nbranch_labels = None\ndepends_on = ['d4']  # why\n";
        assert_eq!(
            python_strings(&python_value(text, "revision").unwrap()),
            ["b2"]
        );
        assert_eq!(
            python_strings(&python_value(text, "down_revision").unwrap()),
            ["a1", "x9"]
        );
        assert!(python_strings(&python_value(text, "branch_labels").unwrap()).is_empty());
        assert_eq!(
            python_strings(&python_value(text, "depends_on").unwrap()),
            ["d4"]
        );
        assert_eq!(docstring_message(text), "Add account");
    }

    #[test]
    fn alembic_blocks_drop_the_bookkeeping() {
        let script = "BEGIN;\n\nCREATE TABLE alembic_version (\n    version_num VARCHAR(32) NOT NULL\n);\n\n-- Running upgrade  -> a1\n\nCREATE TABLE t (id INT);\n\nINSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;\n\n-- Running upgrade a1 -> b2\n\n-- a note\nALTER TABLE t ADD x INT;\n\nUPDATE alembic_version SET version_num='b2' WHERE alembic_version.version_num = 'a1';\n\nCOMMIT;\n\n";
        let sql = AlembicSql {
            upgrade: script,
            downgrade: None,
            dialect: Dialect::Postgres,
            version_table: "alembic_version",
        };
        let blocks = alembic_blocks(script, true, sql);
        assert_eq!(blocks["a1"], "CREATE TABLE t (id INT);");
        assert_eq!(blocks["b2"], "-- a note\nALTER TABLE t ADD x INT;");
    }

    #[test]
    fn timestamps_only_where_plausible() {
        assert_eq!(
            timestamp("20230105101500").as_deref(),
            Some("2023-01-05T10:15:00Z")
        );
        assert_eq!(timestamp("00000000000000"), None);
        assert_eq!(timestamp("1"), None);
    }
}
