//! One migration file: its header, its sections and its checksum.
//!
//! ```sql
//! -- revision: 1975ea83b712
//! -- down_revision: none
//! -- message: create account table
//!
//! -- migrate:upgrade
//! CREATE TABLE account (id INTEGER PRIMARY KEY);
//!
//! -- migrate:downgrade
//! DROP TABLE account;
//! ```

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};

/// A list of names as stored in a [`Migration`]: borrowed in embedded tables, owned when
/// loaded from disk.
pub type Names = Cow<'static, [Cow<'static, str>]>;

/// One migration: a revision of the schema and how to reach it from its parents.
///
/// The same type describes migrations embedded by `embed_migrations!` (all borrowed,
/// `'static`) and migrations loaded from a directory at run time (owned).
///
/// # Examples
///
/// ```
/// use migraph_core::Migration;
///
/// let m = Migration::parse(
///     "001_init.sql",
///     "-- revision: 001\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
/// )
/// .unwrap();
/// assert_eq!(m.revision(), "001");
/// assert!(m.down_revisions().is_empty());
/// assert_eq!(m.upgrade_sql(), "CREATE TABLE t (id INT);");
/// assert!(m.downgrade_sql().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    revision: Cow<'static, str>,
    down_revisions: Names,
    branch_labels: Names,
    depends_on: Names,
    /// The revisions this one squashes, in order (`-- replaces:`).
    replaces: Names,
    message: Cow<'static, str>,
    created: Cow<'static, str>,
    file_name: Cow<'static, str>,
    upgrade: Cow<'static, str>,
    downgrade: Option<Cow<'static, str>>,
    /// The file line of each section's first line (the line after its marker).
    upgrade_line: usize,
    downgrade_line: usize,
    transaction: bool,
    checksum: Cow<'static, str>,
    /// Written in Rust (a `.rs` file): its code runs, not SQL.
    rust: bool,
}

/// A checked migration's parts, by name, as `embed_migrations!` emits them for
/// [`Migration::from_static`] (named, so that no two of its many strings can be swapped
/// unseen).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct StaticParts {
    /// The revision id.
    pub revision: &'static str,
    /// Its parents.
    pub down_revisions: &'static [Cow<'static, str>],
    /// Its branch labels.
    pub branch_labels: &'static [Cow<'static, str>],
    /// What it depends on.
    pub depends_on: &'static [Cow<'static, str>],
    /// The message.
    pub message: &'static str,
    /// When it was created.
    pub created: &'static str,
    /// The file's name.
    pub file_name: &'static str,
    /// The upgrade section.
    pub upgrade: &'static str,
    /// The downgrade section.
    pub downgrade: Option<&'static str>,
    /// The file line of the upgrade section's first line.
    pub upgrade_line: usize,
    /// The file line of the downgrade section's first line; 0 without one.
    pub downgrade_line: usize,
    /// Whether it runs in a transaction.
    pub transaction: bool,
    /// The checksum of the upgrade section.
    pub checksum: &'static str,
    /// Whether it is written in Rust.
    pub rust: bool,
}

/// Where each graph-related header key was written, for error messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderLines {
    /// Line of `-- revision:`.
    pub revision: usize,
    /// Line of `-- down_revision:`.
    pub down_revision: usize,
    /// Line of `-- branch_labels:`, 0 when absent.
    pub branch_labels: usize,
    /// Line of `-- depends_on:`, 0 when absent.
    pub depends_on: usize,
    /// Line of `-- lint:`, 0 when absent.
    pub lint: usize,
    /// Line of `-- replaces:`, 0 when absent.
    pub replaces: usize,
}

/// The header keys a migration file may carry.
pub const HEADER_KEYS: [&str; 9] = [
    "revision",
    "down_revision",
    "message",
    "created",
    "branch_labels",
    "depends_on",
    "transaction",
    "lint",
    "replaces",
];

/// Words that mean something in a target and so cannot be revision ids or labels.
pub const RESERVED_NAMES: [&str; 4] = ["head", "heads", "base", "none"];

const MARKER: &str = "-- migrate:";

/// Whether `name` may be a revision id or a branch label: 1 to 64 of `[A-Za-z0-9_]`, and
/// not a reserved word (`head`, `heads`, `base`, `none`).
///
/// # Examples
///
/// ```
/// use migraph_core::is_valid_name;
///
/// assert!(is_valid_name("1975ea83b712"));
/// assert!(!is_valid_name("a-b"));
/// assert!(!is_valid_name("head"));
/// ```
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !RESERVED_NAMES.contains(&name)
}

/// SHA-256 (lowercase hex) of an upgrade section, insensitive to line endings and trailing
/// whitespace: CRLF becomes LF, each line loses its trailing whitespace, and blank lines at
/// either end are dropped.
///
/// # Examples
///
/// ```
/// use migraph_core::checksum;
///
/// assert_eq!(checksum("SELECT 1;\r\nSELECT 2;  \r\n"), checksum("SELECT 1;\nSELECT 2;\n"));
/// assert_ne!(checksum("SELECT 1;"), checksum("SELECT 2;"));
/// ```
pub fn checksum(sql: &str) -> String {
    let digest = Sha256::digest(normalize_section(sql).as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// CRLF to LF, trailing whitespace trimmed on every line, blank lines at both ends dropped.
fn normalize_section(sql: &str) -> String {
    let lines: Vec<&str> = sql.lines().map(str::trim_end).collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |i| i + 1);
    lines[start..end].join("\n")
}

impl Migration {
    /// Parses one migration file. `file_name` is the file's name (not its path); `path`
    /// in diagnostics is `file_name` too: use [`Migration::parse_file`] to name a path.
    ///
    /// # Errors
    ///
    /// Every problem in the file, each with its line: see [`Migration::parse_file`].
    pub fn parse(file_name: &str, text: &str) -> Result<Self, Diagnostics> {
        Self::parse_file(file_name, file_name, text.as_bytes()).map(|(m, _)| m)
    }

    /// Parses the bytes of one migration file named `file_name`, naming it `display` in
    /// diagnostics. Returns the migration and where its graph keys were written.
    ///
    /// # Errors
    ///
    /// Every problem found, each pointing at `display` and a line: bytes that are not
    /// UTF-8, a missing, unknown or repeated header key, an invalid revision id or label,
    /// text before the first section, a missing or repeated section, an unknown
    /// `-- migrate:` marker, a file name that does not start with the revision id.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::Migration;
    ///
    /// let errors = Migration::parse_file(
    ///     "002_x.sql",
    ///     "migrations/002_x.sql",
    ///     b"-- revison: 002\n-- down_revision: 001\n-- migrate:upgrade\n",
    /// )
    /// .unwrap_err();
    /// assert!(errors.iter().any(|d| d.message.contains("unknown header key `revison`")));
    /// ```
    pub fn parse_file(
        file_name: &str,
        display: &str,
        bytes: &[u8],
    ) -> Result<(Self, HeaderLines), Diagnostics> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let line = 1 + bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                return Err(Diagnostic::new(format!(
                    "file is not valid UTF-8 (invalid byte at offset {})",
                    e.valid_up_to()
                ))
                .at(display, line)
                .with_help("save the file as UTF-8")
                .into());
            }
        };
        if file_name.ends_with(".rs") {
            return parse_rust(file_name, display, text);
        }
        Parser::new(file_name, display)
            .parse(text)
            .map_err(Diagnostics::from)
    }

    /// Whether the revision is written in Rust (a `.rs` file whose `upgrade` and
    /// `downgrade` functions `embed_migrations!` compiles into the binary).
    pub fn is_rust(&self) -> bool {
        self.rust
    }

    /// Builds a migration from parts already checked, as `embed_migrations!` emits them.
    #[doc(hidden)]
    pub const fn from_static(parts: StaticParts) -> Self {
        Self {
            revision: Cow::Borrowed(parts.revision),
            down_revisions: Cow::Borrowed(parts.down_revisions),
            branch_labels: Cow::Borrowed(parts.branch_labels),
            depends_on: Cow::Borrowed(parts.depends_on),
            replaces: Cow::Borrowed(&[]),
            message: Cow::Borrowed(parts.message),
            created: Cow::Borrowed(parts.created),
            file_name: Cow::Borrowed(parts.file_name),
            upgrade: Cow::Borrowed(parts.upgrade),
            downgrade: match parts.downgrade {
                Some(sql) => Some(Cow::Borrowed(sql)),
                None => None,
            },
            upgrade_line: parts.upgrade_line,
            downgrade_line: parts.downgrade_line,
            transaction: parts.transaction,
            checksum: Cow::Borrowed(parts.checksum),
            rust: parts.rust,
        }
    }

    /// The same migration with these parents, branch labels and dependencies: how a
    /// migration decoded from the binary's table gets its lists.
    #[doc(hidden)]
    #[must_use]
    pub fn with_names(
        mut self,
        down_revisions: Vec<Cow<'static, str>>,
        branch_labels: Vec<Cow<'static, str>>,
        depends_on: Vec<Cow<'static, str>>,
    ) -> Self {
        self.down_revisions = Cow::Owned(down_revisions);
        self.branch_labels = Cow::Owned(branch_labels);
        self.depends_on = Cow::Owned(depends_on);
        self
    }

    /// The same migration with this checksum: a migration decoded from the binary's
    /// table, which keeps checksums as bytes.
    #[must_use]
    pub(crate) fn with_checksum(mut self, checksum: Cow<'static, str>) -> Self {
        self.checksum = checksum;
        self
    }

    /// The same migration with these squashed revisions: how a migration decoded from the
    /// binary's table gets its `replaces` list.
    #[doc(hidden)]
    #[must_use]
    pub fn with_replaces(mut self, replaces: Vec<Cow<'static, str>>) -> Self {
        self.replaces = Cow::Owned(replaces);
        self
    }

    /// The same migration with its parents and dependencies renamed by `rename` (a
    /// squashed revision becomes the squash that replaces it).
    #[must_use]
    pub(crate) fn renamed(mut self, rename: &dyn Fn(&str) -> Option<String>) -> Self {
        let map = |names: &Names| -> Names {
            Cow::Owned(
                names
                    .iter()
                    .map(|n| rename(n).map_or_else(|| n.clone(), Cow::Owned))
                    .fold(Vec::new(), |mut all, n| {
                        if !all.contains(&n) {
                            all.push(n);
                        }
                        all
                    }),
            )
        };
        self.down_revisions = map(&self.down_revisions);
        self.depends_on = map(&self.depends_on);
        self
    }

    /// The revisions this one squashes (`-- replaces:`), in the order they ran.
    pub fn replaces(&self) -> &[Cow<'static, str>] {
        &self.replaces
    }

    /// The revision id.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// The parents named in `down_revision` (empty for a root).
    pub fn down_revisions(&self) -> &[Cow<'static, str>] {
        &self.down_revisions
    }

    /// The branch labels this revision carries.
    pub fn branch_labels(&self) -> &[Cow<'static, str>] {
        &self.branch_labels
    }

    /// Revisions or labels that must be applied before this one, without being parents.
    pub fn depends_on(&self) -> &[Cow<'static, str>] {
        &self.depends_on
    }

    /// The `message` header (empty when absent).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `created` header (empty when absent).
    pub fn created(&self) -> &str {
        &self.created
    }

    /// The file's name, e.g. `1975ea83b712_create_account.sql`.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The SQL of the upgrade section exactly as the file has it, byte for byte, from the
    /// line after `-- migrate:upgrade` to the last non-blank character before the next
    /// marker (or the end). This is what runs; only the checksum sees it normalised.
    pub fn upgrade_sql(&self) -> &str {
        &self.upgrade
    }

    /// The SQL of the downgrade section, byte for byte as in the file; `None` when the
    /// revision is irreversible.
    pub fn downgrade_sql(&self) -> Option<&str> {
        self.downgrade.as_deref()
    }

    /// The line of the file on which the upgrade section's SQL starts (the line after its
    /// marker): line `n` of the section is line `upgrade_line() + n - 1` of the file.
    pub fn upgrade_line(&self) -> usize {
        self.upgrade_line
    }

    /// The line of the file on which the downgrade section's SQL starts; 0 without one.
    pub fn downgrade_line(&self) -> usize {
        self.downgrade_line
    }

    /// Whether the revision runs inside a transaction (`transaction: true`, the default).
    pub fn transactional(&self) -> bool {
        self.transaction
    }

    /// The SHA-256 of the upgrade section, see [`checksum`].
    pub fn checksum(&self) -> &str {
        &self.checksum
    }
}

/// Splits a comma-separated header value into trimmed items.
/// A revision written in Rust: its header is the `//! key: value` lines at the top of
/// the file (read as `-- key: value` lines are); it has no SQL sections. `downgrade` is
/// there when the file defines `fn downgrade`; the checksum covers the whole source.
fn parse_rust(
    file_name: &str,
    display: &str,
    text: &str,
) -> Result<(Migration, HeaderLines), Diagnostics> {
    let mut header = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("//!") {
            header.push_str("--");
            header.push_str(rest);
        } else if !trimmed.is_empty() {
            break;
        }
        header.push('\n');
    }
    let has_downgrade = text.contains("fn downgrade");
    header.push_str("-- migrate:upgrade\n");
    if has_downgrade {
        header.push_str("-- migrate:downgrade\n");
    }
    let (mut m, lines) = Parser::new(file_name, display)
        .parse(&header)
        .map_err(Diagnostics::from)?;
    m.rust = true;
    m.checksum = Cow::Owned(checksum(text));
    m.upgrade_line = 0;
    m.downgrade_line = 0;
    Ok((m, lines))
}

fn split_list(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).collect()
}

struct Parser<'a> {
    file_name: &'a str,
    display: &'a str,
    errors: Vec<Diagnostic>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Upgrade,
    Downgrade,
}

impl<'a> Parser<'a> {
    fn new(file_name: &'a str, display: &'a str) -> Self {
        Self {
            file_name,
            display,
            errors: Vec::new(),
        }
    }

    fn error(&mut self, line: usize, text: &str, message: String, help: Option<String>) {
        let mut d = Diagnostic::new(message).at(self.display, line);
        if line > 0 {
            d = d.with_excerpt(text);
        }
        self.errors.push(d.with_help_opt(help));
    }

    fn parse(mut self, text: &str) -> Result<(Migration, HeaderLines), Vec<Diagnostic>> {
        // (line number, value) per key, in HEADER_KEYS order.
        let mut header: [Option<(usize, &str)>; HEADER_KEYS.len()] = [None; HEADER_KEYS.len()];
        // Per section: the marker's line and the byte range of its body in `text`.
        let mut sections: [Option<(usize, std::ops::Range<usize>)>; 2] = [None, None];
        let mut current: Option<Section> = None;
        let lines: Vec<&str> = text.lines().collect();
        // Where each line ends in `text`, its line break included.
        let ends: Vec<usize> = text
            .split_inclusive('\n')
            .scan(0, |end, line| {
                *end += line.len();
                Some(*end)
            })
            .collect();

        for (i, raw) in lines.iter().enumerate() {
            let lineno = i + 1;
            let trimmed = raw.trim();
            if let Some(marker) = trimmed.strip_prefix(MARKER) {
                let section = match marker.trim() {
                    "upgrade" => Section::Upgrade,
                    "downgrade" => Section::Downgrade,
                    other => {
                        let help = did_you_mean(other, ["upgrade", "downgrade"])
                            .map(|s| format!("did you mean `-- migrate:{s}`?"))
                            .unwrap_or_else(|| {
                                "the sections are `-- migrate:upgrade` and `-- migrate:downgrade`"
                                    .to_owned()
                            });
                        self.error(
                            lineno,
                            raw,
                            format!("unknown section marker `-- migrate:{other}`"),
                            Some(help),
                        );
                        current = None;
                        continue;
                    }
                };
                let slot = &mut sections[section as usize];
                if let Some((first, _)) = slot {
                    let first = *first;
                    let name = if section == Section::Upgrade {
                        "upgrade"
                    } else {
                        "downgrade"
                    };
                    self.error(
                        lineno,
                        raw,
                        format!("second `-- migrate:{name}` section (the first is on line {first})"),
                        Some("a file has one upgrade section and at most one downgrade section; put each revision in its own file".to_owned()),
                    );
                    current = None;
                } else {
                    let body = ends[i];
                    *slot = Some((lineno, body..body));
                    current = Some(section);
                }
                continue;
            }
            match current {
                Some(section) => {
                    if let Some((_, body)) = &mut sections[section as usize] {
                        body.end = ends[i];
                    }
                }
                None if sections.iter().any(Option::is_some) => {
                    // Lines after a rejected marker: already reported.
                }
                None => self.header_line(lineno, raw, &mut header),
            }
        }

        let lines_of = |k: usize| header[k].map_or(0, |(l, _)| l);
        let header_lines = HeaderLines {
            revision: lines_of(0),
            down_revision: lines_of(1),
            branch_labels: lines_of(4),
            depends_on: lines_of(5),
            lint: lines_of(7),
            replaces: lines_of(8),
        };
        let excerpt = |k: usize| header[k].map_or("", |(l, _)| lines[l - 1]);

        let revision = match header[0] {
            None => {
                self.error(
                    1,
                    lines.first().copied().unwrap_or(""),
                    "missing `-- revision:` header".to_owned(),
                    Some(format!(
                        "add `-- revision: <id>` at the top; the file name must start with that id (for this file: `{}`)",
                        self.file_name.split(['_', '.']).next().unwrap_or("")
                    )),
                );
                String::new()
            }
            Some((line, value)) => {
                if !is_valid_name(value) {
                    self.bad_name(line, excerpt(0), "revision id", value);
                } else if !(self.file_name.starts_with(value)
                    && matches!(
                        self.file_name.as_bytes().get(value.len()),
                        Some(b'_' | b'.')
                    ))
                {
                    self.error(
                        line,
                        excerpt(0),
                        format!(
                            "file name `{}` does not start with its revision id `{value}`",
                            self.file_name
                        ),
                        Some(format!(
                            "rename the file to `{value}_<slug>.sql`, or if it was copied from another revision give it a new id"
                        )),
                    );
                }
                value.to_owned()
            }
        };

        let down_revisions = match header[1] {
            None => {
                self.error(
                    header_lines.revision,
                    excerpt(0),
                    "missing `-- down_revision:` header".to_owned(),
                    Some("add `-- down_revision: none` for a first revision, or the id of the revision this one follows".to_owned()),
                );
                Vec::new()
            }
            Some((_, value)) if value.eq_ignore_ascii_case("none") => Vec::new(),
            Some((line, value)) => self.names(line, excerpt(1), "down_revision", value),
        };
        let branch_labels = match header[4] {
            Some((line, value)) => self.names(line, excerpt(4), "branch label", value),
            None => Vec::new(),
        };
        let depends_on = match header[5] {
            Some((line, value)) => self.names(line, excerpt(5), "depends_on", value),
            None => Vec::new(),
        };
        let replaces = match header[8] {
            Some((line, value)) => self.names(line, excerpt(8), "replaces", value),
            None => Vec::new(),
        };
        let transaction = match header[6] {
            None => true,
            Some((_, "true")) => true,
            Some((_, "false")) => false,
            Some((line, value)) => {
                self.error(
                    line,
                    excerpt(6),
                    format!("`transaction` must be `true` or `false`, not `{value}`"),
                    None,
                );
                true
            }
        };

        if let Some((line, value)) = header[7]
            && let Err(message) = crate::lint::parse_allow(value)
        {
            let help = format!(
                "the rules are {}",
                crate::lint::Rule::ALL
                    .map(crate::lint::Rule::name)
                    .join(", ")
            );
            self.error(line, excerpt(7), message, Some(help));
        }

        let [upgrade, downgrade] = sections;
        if upgrade.is_none() {
            self.error(
                1,
                lines.first().copied().unwrap_or(""),
                "no `-- migrate:upgrade` section".to_owned(),
                Some("add a line `-- migrate:upgrade` after the header, followed by the SQL that applies this revision".to_owned()),
            );
        }
        if !self.errors.is_empty() {
            return Err(self.errors);
        }

        // The sections run exactly as written; the checksum normalises its own copy.
        let upgrade_line = upgrade.as_ref().map_or(0, |(marker, _)| marker + 1);
        let downgrade_line = downgrade.as_ref().map_or(0, |(marker, _)| marker + 1);
        // Whitespace after a section's last statement is outside every token: dropped.
        let section = |body: std::ops::Range<usize>| text[body].trim_end().to_owned();
        let upgrade = upgrade.map_or_else(String::new, |(_, body)| section(body));
        let downgrade = downgrade.map(|(_, body)| section(body));
        let owned =
            |v: Vec<String>| -> Names { Cow::Owned(v.into_iter().map(Cow::Owned).collect()) };
        let text_of = |k: usize| header[k].map_or(String::new(), |(_, v)| v.to_owned());
        Ok((
            Migration {
                rust: false,
                checksum: Cow::Owned(checksum(&upgrade)),
                revision: Cow::Owned(revision),
                down_revisions: owned(down_revisions),
                branch_labels: owned(branch_labels),
                depends_on: owned(depends_on),
                replaces: owned(replaces),
                message: Cow::Owned(text_of(2)),
                created: Cow::Owned(text_of(3)),
                file_name: Cow::Owned(self.file_name.to_owned()),
                upgrade: Cow::Owned(upgrade),
                downgrade: downgrade.map(Cow::Owned),
                upgrade_line,
                downgrade_line,
                transaction,
            },
            header_lines,
        ))
    }

    /// Reads one line before the first section: blank, a `-- key: value` header line, or a
    /// plain comment. Anything else is an error.
    fn header_line<'t>(
        &mut self,
        lineno: usize,
        raw: &'t str,
        header: &mut [Option<(usize, &'t str)>; HEADER_KEYS.len()],
    ) {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return;
        }
        let Some(comment) = trimmed.strip_prefix("--") else {
            self.error(
                lineno,
                raw,
                "text before the first `-- migrate:upgrade` section".to_owned(),
                Some("only `-- key: value` header lines and comments may come before `-- migrate:upgrade`; move the SQL into a section".to_owned()),
            );
            return;
        };
        let Some((key, value)) = comment.split_once(':') else {
            return; // a plain comment
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return; // a comment that happens to contain a colon
        }
        let value = value.trim();
        let Some(k) = HEADER_KEYS.iter().position(|&h| h == key) else {
            let help = did_you_mean(key, HEADER_KEYS)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("the header keys are {}", HEADER_KEYS.join(", ")));
            self.error(
                lineno,
                raw,
                format!("unknown header key `{key}`"),
                Some(help),
            );
            return;
        };
        if let Some((first, _)) = header[k] {
            self.error(
                lineno,
                raw,
                format!("header key `{key}` given twice (first on line {first})"),
                Some("keep one of the two lines".to_owned()),
            );
            return;
        }
        header[k] = Some((lineno, value));
    }

    fn bad_name(&mut self, line: usize, excerpt: &str, what: &str, value: &str) {
        let why = if RESERVED_NAMES.contains(&value) {
            format!("`{value}` is a reserved word")
        } else if value.is_empty() {
            "it is empty".to_owned()
        } else {
            "use 1 to 64 letters, digits or `_`".to_owned()
        };
        self.error(
            line,
            excerpt,
            format!("invalid {what} `{value}`"),
            Some(why),
        );
    }

    fn names(&mut self, line: usize, excerpt: &str, what: &str, value: &str) -> Vec<String> {
        let mut out = Vec::new();
        for item in split_list(value) {
            if is_valid_name(item) {
                out.push(item.to_owned());
            } else {
                self.bad_name(line, excerpt, what, item);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Result<Migration, Diagnostics> {
        Migration::parse(name, text)
    }

    fn messages(name: &str, text: &str) -> Vec<String> {
        parse(name, text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn parses_every_header_key_and_both_sections() {
        let m = parse(
            "abc_x.sql",
            "\n-- revision: abc\n-- down_revision: a1, b2\n-- message: hello: world\n-- created: 2026-11-28T05:30:00Z\n-- branch_labels: feature\n-- depends_on: dep\n-- transaction: false\n-- a comment\n\n-- migrate:upgrade\nCREATE TABLE t (id INT);  \n\n-- migrate:downgrade\nDROP TABLE t;\n",
        )
        .unwrap();
        assert_eq!(m.revision(), "abc");
        assert_eq!(m.down_revisions(), ["a1", "b2"]);
        assert_eq!(m.message(), "hello: world");
        assert_eq!(m.created(), "2026-11-28T05:30:00Z");
        assert_eq!(m.branch_labels(), ["feature"]);
        assert_eq!(m.depends_on(), ["dep"]);
        assert!(!m.transactional());
        assert_eq!(m.upgrade_sql(), "CREATE TABLE t (id INT);");
        assert_eq!(m.downgrade_sql(), Some("DROP TABLE t;"));
    }

    #[test]
    fn crlf_bom_and_trailing_whitespace_do_not_change_the_checksum() {
        let lf =
            "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\nSELECT 2;\n";
        let crlf = format!("\u{feff}{}", lf.replace('\n', "  \r\n"));
        let a = Migration::parse_file("a.sql", "a.sql", lf.as_bytes())
            .unwrap()
            .0;
        let b = Migration::parse_file("a.sql", "a.sql", crlf.as_bytes())
            .unwrap()
            .0;
        assert_eq!(a.checksum(), b.checksum());
        assert_eq!(a.checksum().len(), 64);
        // What runs is the file's bytes, line breaks included.
        assert_eq!(a.upgrade_sql(), "SELECT 1;\nSELECT 2;");
        assert_eq!(b.upgrade_sql(), "SELECT 1;  \r\nSELECT 2;");
    }

    #[test]
    fn sections_keep_every_byte_of_the_sql_and_know_their_lines() {
        let text = "-- revision: a\n-- down_revision: none\n\n-- migrate:upgrade\n\nINSERT INTO t VALUES ('two spaces:  \n\tend');  \r\nSELECT 1;\n\n\n-- migrate:downgrade\nDELETE FROM t;\n";
        let m = parse("a.sql", text).unwrap();
        assert_eq!(
            m.upgrade_sql(),
            "\nINSERT INTO t VALUES ('two spaces:  \n\tend');  \r\nSELECT 1;"
        );
        assert_eq!(m.upgrade_line(), 5);
        assert_eq!(m.downgrade_sql(), Some("DELETE FROM t;"));
        assert_eq!(m.downgrade_line(), 12);
        let no_down = parse(
            "a.sql",
            "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;",
        )
        .unwrap();
        assert_eq!(no_down.downgrade_line(), 0);
        assert_eq!(no_down.upgrade_line(), 4);
    }

    #[test]
    fn the_checksum_covers_only_the_upgrade_section() {
        let a = parse("a.sql", "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\n-- migrate:downgrade\nSELECT 2;").unwrap();
        let b = parse("a.sql", "-- revision: a\n-- down_revision: none\n-- message: m\n-- migrate:upgrade\nSELECT 1;\n-- migrate:downgrade\nSELECT 3;").unwrap();
        let c = parse(
            "a.sql",
            "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\nSELECT 9;\n",
        )
        .unwrap();
        assert_eq!(a.checksum(), b.checksum());
        assert_ne!(a.checksum(), c.checksum());
    }

    #[test]
    fn unknown_key_suggests_the_near_miss() {
        let errs = messages(
            "a.sql",
            "-- revision: a\n-- down_revison: none\n-- migrate:upgrade\n",
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("unknown header key `down_revison`")
                    && e.contains("a.sql:2")
                    && e.contains("did you mean `down_revision`?"))
        );
    }

    #[test]
    fn repeated_key_names_both_lines() {
        let errs = messages(
            "a.sql",
            "-- revision: a\n-- down_revision: none\n-- revision: a\n-- migrate:upgrade\n",
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("given twice (first on line 1)") && e.contains("a.sql:3"))
        );
    }

    #[test]
    fn file_name_must_start_with_the_revision() {
        let errs = messages(
            "b_x.sql",
            "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\n",
        );
        assert!(errs[0].contains("does not start with its revision id `a`"));
        assert!(
            parse(
                "a.sql",
                "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\n"
            )
            .is_ok()
        );
        assert!(
            parse(
                "ab_x.sql",
                "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\n"
            )
            .is_err()
        );
    }

    #[test]
    fn sections_are_checked() {
        let none = messages("a.sql", "-- revision: a\n-- down_revision: none\n");
        assert!(none[0].contains("no `-- migrate:upgrade` section"));
        let two = messages(
            "a.sql",
            "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\n-- migrate:upgrade\n",
        );
        assert!(two[0].contains("second `-- migrate:upgrade` section (the first is on line 3)"));
        let text = messages(
            "a.sql",
            "-- revision: a\n-- down_revision: none\nCREATE TABLE t();\n-- migrate:upgrade\n",
        );
        assert!(text[0].contains("text before the first") && text[0].contains("a.sql:3"));
        let unknown = messages(
            "a.sql",
            "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\n-- migrate:downgrad\n",
        );
        assert!(unknown[0].contains("did you mean `-- migrate:downgrade`?"));
    }

    #[test]
    fn names_are_validated() {
        let errs = messages(
            "a-b.sql",
            "-- revision: a-b\n-- down_revision: none\n-- migrate:upgrade\n",
        );
        assert!(errs[0].contains("invalid revision id `a-b`"));
        let errs = messages(
            "a.sql",
            "-- revision: a\n-- down_revision: x,,y\n-- branch_labels: head\n-- migrate:upgrade\n",
        );
        assert!(errs.iter().any(|e| e.contains("invalid down_revision ``")));
        assert!(errs.iter().any(|e| e.contains("`head` is a reserved word")));
    }

    #[test]
    fn missing_keys_are_reported_together() {
        let errs = messages("a.sql", "-- message: x\n-- migrate:upgrade\n");
        assert_eq!(errs.len(), 2, "{errs:?}");
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let errs =
            Migration::parse_file("a.sql", "m/a.sql", b"-- revision: a\n\xff\n").unwrap_err();
        assert!(
            errs.iter()
                .next()
                .unwrap()
                .to_string()
                .contains("m/a.sql:2")
        );
    }
}
