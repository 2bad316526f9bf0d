//! Checks of the SQL itself, for the dialect a project runs on: statements PostgreSQL
//! cannot run in a transaction block inside a revision that runs in one, MySQL revisions
//! that mix schema and data changes, and (opt-in) PostgreSQL schema changes that lock a
//! busy table for long.
//!
//! Statements are read with the same dialect-aware tokenizer the statement splitter uses,
//! so a keyword inside a string, a quoted name or a comment is never taken for code.
//!
//! A revision opts out of a rule with the header line `-- lint: allow(rule, ...)`; one
//! statement opts out with the same text in a comment right before it.
//!
//! # Examples
//!
//! ```
//! use migraph_core::lint::{LintOptions, lint};
//! use migraph_core::{Dialect, Directory, LoadOptions};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("a1_index.sql"),
//!     "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE INDEX CONCURRENTLY i ON t (x);\n",
//! )?;
//! let loaded = Directory::load(dir.path(), "migrations", LoadOptions::default())?;
//! let findings = lint(&loaded.files, &LintOptions::new(Dialect::Postgres));
//! assert_eq!(findings.len(), 1);
//! assert_eq!(findings[0].diagnostic.line, Some(4));
//! assert!(findings[0].diagnostic.to_string().contains("add `-- transaction: false`"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;
use std::fmt;

use crate::split::{Code, code_tokens};
use crate::{Diagnostic, Dialect, Migration, SourceFile, split_statements};

/// One check of the SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// PostgreSQL, on by default: a statement that cannot run inside a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, `VACUUM`, `CREATE DATABASE`...) in a revision that
    /// runs in one.
    NotInTransaction,
    /// MySQL and MariaDB, on by default: a revision with both schema changes (which
    /// commit on their own) and data changes, so it cannot be applied or undone whole.
    MixedDdlDml,
    /// PostgreSQL, opt-in: `CREATE INDEX` without `CONCURRENTLY` on a table the revision
    /// did not create, which blocks writes to it while the index builds.
    IndexNotConcurrently,
    /// PostgreSQL, opt-in: `ADD COLUMN ... NOT NULL` without a default on an existing
    /// table, which fails when the table has rows.
    AddColumnNotNull,
    /// PostgreSQL, opt-in: `ALTER COLUMN ... TYPE`, which rewrites the table under an
    /// exclusive lock for most type changes.
    AlterColumnType,
    /// PostgreSQL, opt-in: a foreign key or check constraint added without `NOT VALID`,
    /// which scans the table under a lock.
    ConstraintNotValid,
    /// PostgreSQL, opt-in: `SET NOT NULL` on an existing table's column, which scans the
    /// table under an exclusive lock.
    SetNotNull,
}

/// The name of the group of opt-in PostgreSQL rules, for `lint = [online]`.
pub const ONLINE: &str = "online";

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 7] = [
        Rule::NotInTransaction,
        Rule::MixedDdlDml,
        Rule::IndexNotConcurrently,
        Rule::AddColumnNotNull,
        Rule::AlterColumnType,
        Rule::ConstraintNotValid,
        Rule::SetNotNull,
    ];

    /// The rule's name, as `-- lint: allow(...)` and `lint = [...]` spell it.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::lint::Rule;
    ///
    /// assert_eq!(Rule::NotInTransaction.name(), "not_in_transaction");
    /// assert_eq!(Rule::from_name("set_not_null"), Some(Rule::SetNotNull));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Rule::NotInTransaction => "not_in_transaction",
            Rule::MixedDdlDml => "mixed_ddl_dml",
            Rule::IndexNotConcurrently => "index_not_concurrently",
            Rule::AddColumnNotNull => "add_column_not_null",
            Rule::AlterColumnType => "alter_column_type",
            Rule::ConstraintNotValid => "constraint_not_valid",
            Rule::SetNotNull => "set_not_null",
        }
    }

    /// The rule of a name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The dialect whose SQL the rule checks.
    pub fn dialect(self) -> Dialect {
        match self {
            Rule::MixedDdlDml => Dialect::MySql,
            _ => Dialect::Postgres,
        }
    }

    /// Whether the rule is on whenever its dialect is linted; the others are opt-in.
    pub fn is_default(self) -> bool {
        matches!(self, Rule::NotInTransaction | Rule::MixedDdlDml)
    }

    /// What the rule finds, in one line.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::NotInTransaction => {
                "a statement PostgreSQL cannot run in a transaction block, in a revision that runs in one"
            }
            Rule::MixedDdlDml => {
                "a MySQL revision with both schema changes, which commit on their own, and data changes"
            }
            Rule::IndexNotConcurrently => {
                "CREATE INDEX without CONCURRENTLY on a table the revision did not create"
            }
            Rule::AddColumnNotNull => {
                "ADD COLUMN ... NOT NULL without a default, on a table the revision did not create"
            }
            Rule::AlterColumnType => "ALTER COLUMN ... TYPE, which rewrites the table",
            Rule::ConstraintNotValid => {
                "a foreign key or check constraint added to an existing table without NOT VALID"
            }
            Rule::SetNotNull => "SET NOT NULL on a column of a table the revision did not create",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which rules to check, for which dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintOptions {
    dialect: Dialect,
    rules: Vec<Rule>,
}

impl LintOptions {
    /// The default rules of `dialect`: `not_in_transaction` on PostgreSQL,
    /// `mixed_ddl_dml` on MySQL, none on SQLite.
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            rules: Rule::ALL
                .into_iter()
                .filter(|r| r.is_default() && r.dialect() == dialect)
                .collect(),
        }
    }

    /// Turns on an opt-in rule by name, or all of PostgreSQL's with [`ONLINE`].
    ///
    /// # Errors
    ///
    /// An unknown name, or a rule of another dialect, with what to write instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::Dialect;
    /// use migraph_core::lint::{LintOptions, Rule};
    ///
    /// let options = LintOptions::new(Dialect::Postgres).enable("online")?;
    /// assert!(options.rules().contains(&Rule::SetNotNull));
    /// assert!(LintOptions::new(Dialect::MySql).enable("set_not_null").is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn enable(mut self, name: &str) -> Result<Self, String> {
        let rules: Vec<Rule> = if name == ONLINE {
            Rule::ALL
                .into_iter()
                .filter(|r| !r.is_default() && r.dialect() == Dialect::Postgres)
                .collect()
        } else {
            vec![Rule::from_name(name).ok_or_else(|| unknown_rule(name))?]
        };
        for rule in rules {
            if rule.dialect() != self.dialect {
                return Err(format!(
                    "the lint rule `{name}` checks {} SQL, and this project's dialect is {}",
                    rule.dialect(),
                    self.dialect
                ));
            }
            if !self.rules.contains(&rule) {
                self.rules.push(rule);
            }
        }
        Ok(self)
    }

    /// The dialect linted.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The rules on.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

fn unknown_rule(name: &str) -> String {
    let names = Rule::ALL.map(Rule::name);
    match crate::did_you_mean(name, names.iter().copied().chain([ONLINE])) {
        Some(close) => format!("unknown lint rule `{name}`; did you mean `{close}`?"),
        None => format!(
            "unknown lint rule `{name}`; the rules are {}, and `{ONLINE}` for PostgreSQL's opt-in ones",
            names.join(", ")
        ),
    }
}

/// Reads `allow(rule, ...)`, the value of a `lint` header or opt-out comment.
///
/// # Errors
///
/// Another shape, or an unknown rule name, as a message.
pub(crate) fn parse_allow(value: &str) -> Result<Vec<Rule>, String> {
    let inner = value
        .trim()
        .strip_prefix("allow")
        .map(str::trim_start)
        .and_then(|v| v.strip_prefix('('))
        .and_then(|v| v.trim_end().strip_suffix(')'))
        .ok_or_else(|| {
            format!(
                "`lint` must be `allow(<rule>, ...)`, not `{}`",
                value.trim()
            )
        })?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| Rule::from_name(n).ok_or_else(|| unknown_rule(n)))
        .collect()
}

/// What a rule found: which rule, and the diagnostic naming the file, line and
/// statement, with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The rule; `None` for an opt-out comment that cannot be read.
    pub rule: Option<Rule>,
    /// Where and what.
    pub diagnostic: Diagnostic,
}

/// Checks the SQL of every revision in `files` (revisions written in Rust have none) with
/// the rules of `options`, in file order.
pub fn lint(files: &[SourceFile], options: &LintOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in files.iter().filter(|f| !f.migration.is_rust()) {
        let allowed: Vec<Rule> = match file.lines.lint {
            0 => Vec::new(),
            line => file
                .line_text(line)
                .and_then(|l| l.split_once(':'))
                .and_then(|(_, value)| parse_allow(value).ok())
                .unwrap_or_default(),
        };
        let m = &file.migration;
        let mut sections = vec![(m.upgrade_sql(), m.upgrade_line(), "upgrade")];
        if let Some(down) = m.downgrade_sql() {
            sections.push((down, m.downgrade_line(), "downgrade"));
        }
        for (sql, first_line, section) in sections {
            let mut check = Check {
                file,
                migration: m,
                options,
                allowed: &allowed,
                section,
                out: &mut out,
            };
            check.section(sql, first_line);
        }
    }
    out
}

/// One section being checked.
struct Check<'a> {
    file: &'a SourceFile,
    migration: &'a Migration,
    options: &'a LintOptions,
    allowed: &'a [Rule],
    section: &'static str,
    out: &'a mut Vec<Finding>,
}

/// A statement's code tokens and where it is.
struct Stmt<'a> {
    tokens: Vec<Code<'a>>,
    line: usize,
    first_line: &'a str,
    allowed: Vec<Rule>,
}

impl Stmt<'_> {
    /// The word at `i`, upper-cased; `None` for anything else.
    fn word(&self, i: usize) -> Option<String> {
        match self.tokens.get(i) {
            Some(Code::Word(w)) => Some(w.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn is(&self, i: usize, keyword: &str) -> bool {
        matches!(self.tokens.get(i), Some(Code::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    /// Whether `keywords` follow one another from `i`.
    fn are(&self, i: usize, keywords: &[&str]) -> bool {
        keywords.iter().enumerate().all(|(k, w)| self.is(i + k, w))
    }

    /// Skips the optional keywords at `i`, in order, each at most once.
    fn skip(&self, mut i: usize, optional: &[&str]) -> usize {
        for w in optional {
            if self.is(i, w) {
                i += 1;
            }
        }
        i
    }

    /// The name at `i` (`schema.table`, quoted or not): its last part as PostgreSQL
    /// folds it, and the position after it.
    fn name(&self, mut i: usize) -> Option<(String, usize)> {
        let mut last = None;
        loop {
            last = Some(match self.tokens.get(i)? {
                Code::Word(w) => w.to_lowercase(),
                Code::Quoted(q) if q.len() >= 2 => q[1..q.len() - 1].replace("\"\"", "\""),
                _ => return last.map(|l| (l, i)),
            });
            i += 1;
            if self.tokens.get(i) != Some(&Code::Punct(b'.')) {
                return last.map(|l| (l, i));
            }
            i += 1;
        }
    }

    /// The top-level comma-separated parts from `i` to the end, as token ranges.
    fn parts(&self, i: usize) -> Vec<std::ops::Range<usize>> {
        let mut parts = Vec::new();
        let (mut start, mut depth) = (i, 0usize);
        for (k, t) in self.tokens.iter().enumerate().skip(i) {
            match t {
                Code::Punct(b'(') => depth += 1,
                Code::Punct(b')') => depth = depth.saturating_sub(1),
                Code::Punct(b',') if depth == 0 => {
                    parts.push(start..k);
                    start = k + 1;
                }
                _ => {}
            }
        }
        parts.push(start..self.tokens.len());
        parts
    }

    /// Whether a word of `range` is `keyword`, or (with two) the two follow each other.
    fn has(&self, range: &std::ops::Range<usize>, keywords: &[&str]) -> bool {
        range.clone().any(|k| self.are(k, keywords))
    }
}

impl Check<'_> {
    fn on(&self, rule: Rule, stmt: &Stmt<'_>) -> bool {
        self.options.rules.contains(&rule)
            && !self.allowed.contains(&rule)
            && !stmt.allowed.contains(&rule)
    }

    fn report(&mut self, rule: Option<Rule>, stmt: &Stmt<'_>, message: String, help: String) {
        let help = match rule {
            Some(rule) => format!(
                "{help}; or, where this is intended, add `-- lint: allow({rule})` to the header (or in a comment right before the statement)"
            ),
            None => help,
        };
        self.out.push(Finding {
            rule,
            diagnostic: Diagnostic::new(message)
                .at(&self.file.display, stmt.line)
                .with_excerpt(stmt.first_line)
                .with_help(help),
        });
    }

    fn section(&mut self, sql: &str, first_line: usize) {
        let dialect = self.options.dialect;
        let mut created: HashSet<String> = HashSet::new();
        // The first schema change and the first data change, for `mixed_ddl_dml`.
        let mut ddl: Option<(usize, String)> = None;
        let mut dml: Option<(usize, String)> = None;
        let mut mixed: Option<Stmt<'_>> = None;
        for statement in split_statements(sql, dialect) {
            let line = first_line + statement.line - 1;
            let first = statement.sql.lines().next().unwrap_or("");
            let mut stmt = Stmt {
                tokens: code_tokens(statement.sql, dialect),
                line,
                first_line: first,
                allowed: Vec::new(),
            };
            if let Some(comment) = opt_out(statement.before) {
                match parse_allow(comment) {
                    Ok(rules) => stmt.allowed = rules,
                    Err(e) => {
                        self.report(
                            None,
                            &stmt,
                            e,
                            "write `-- lint: allow(<rule>, ...)`".to_owned(),
                        );
                        continue;
                    }
                }
            }
            if dialect == Dialect::Postgres {
                self.postgres(&stmt, &mut created);
            }
            if dialect == Dialect::MySql && self.on(Rule::MixedDdlDml, &stmt) {
                let shown = format!("line {line}: `{}`", shorten(first));
                match kind(&stmt) {
                    Some(Kind::Schema) if ddl.is_none() => {
                        ddl = Some((line, shown));
                        if dml.is_some() && mixed.is_none() {
                            mixed = Some(stmt);
                        }
                    }
                    Some(Kind::Data) if dml.is_none() => {
                        dml = Some((line, shown));
                        if ddl.is_some() && mixed.is_none() {
                            mixed = Some(stmt);
                        }
                    }
                    _ => {}
                }
            }
        }
        if let (Some(stmt), Some((_, ddl)), Some((_, dml))) = (mixed, ddl, dml) {
            let message = format!(
                "the {} of revision `{}` mixes schema changes ({ddl}) with data changes ({dml}); MySQL commits each schema change on its own, so a failure leaves the revision part-way",
                self.section,
                self.migration.revision()
            );
            self.report(
                Some(Rule::MixedDdlDml),
                &stmt,
                message,
                "move the data changes into a revision of their own".to_owned(),
            );
        }
    }

    fn postgres(&mut self, stmt: &Stmt<'_>, created: &mut HashSet<String>) {
        if self.migration.transactional()
            && self.on(Rule::NotInTransaction, stmt)
            && let Some(what) = outside_transaction(stmt)
        {
            let message = format!(
                "`{what}` cannot run inside a transaction block, and revision `{}` runs in one",
                self.migration.revision()
            );
            self.report(
                Some(Rule::NotInTransaction),
                stmt,
                message,
                format!(
                    "add `-- transaction: false` to the header of {}, so that its statements run one by one outside a transaction",
                    self.file.display
                ),
            );
        }
        // CREATE [GLOBAL | LOCAL] [TEMP | TEMPORARY | UNLOGGED] TABLE [IF NOT EXISTS] name
        if stmt.is(0, "CREATE") {
            let i = stmt.skip(1, &["GLOBAL", "LOCAL"]);
            let i = stmt.skip(i, &["TEMP", "TEMPORARY", "UNLOGGED"]);
            if stmt.is(i, "TABLE") {
                let i = stmt.skip(i + 1, &["IF", "NOT", "EXISTS"]);
                if let Some((name, _)) = stmt.name(i) {
                    created.insert(name);
                }
                return;
            }
        }
        self.create_index(stmt, created);
        self.alter_table(stmt, created);
    }

    /// CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON [ONLY] table
    fn create_index(&mut self, stmt: &Stmt<'_>, created: &HashSet<String>) {
        let i = stmt.skip(1, &["UNIQUE"]);
        if !(stmt.is(0, "CREATE") && stmt.is(i, "INDEX")) || stmt.is(i + 1, "CONCURRENTLY") {
            return;
        }
        let Some(on) = (i..stmt.tokens.len()).find(|&k| stmt.is(k, "ON")) else {
            return;
        };
        let Some((table, _)) = stmt.name(stmt.skip(on + 1, &["ONLY"])) else {
            return;
        };
        if created.contains(&table) || !self.on(Rule::IndexNotConcurrently, stmt) {
            return;
        }
        self.report(
            Some(Rule::IndexNotConcurrently),
            stmt,
            format!("`CREATE INDEX` on the existing table `{table}` without `CONCURRENTLY` blocks writes to the table until the index is built"),
            "build it with `CREATE INDEX CONCURRENTLY` in a revision of its own with `-- transaction: false`".to_owned(),
        );
    }

    /// ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, ...]
    fn alter_table(&mut self, stmt: &Stmt<'_>, created: &HashSet<String>) {
        if !stmt.are(0, &["ALTER", "TABLE"]) {
            return;
        }
        let i = stmt.skip(2, &["IF", "EXISTS"]);
        let i = stmt.skip(i, &["ONLY"]);
        let Some((table, mut i)) = stmt.name(i) else {
            return;
        };
        if created.contains(&table) {
            return;
        }
        if stmt.tokens.get(i) == Some(&Code::Punct(b'*')) {
            i += 1;
        }
        for part in stmt.parts(i) {
            let at = part.start;
            if stmt.is(at, "ADD") {
                let c = stmt.skip(at + 1, &["CONSTRAINT"]);
                let constraint = c > at + 1;
                // ADD CONSTRAINT name ...: the kind comes after the name.
                let kind_at = if constraint { c + 1 } else { c };
                if stmt.is(kind_at, "FOREIGN") || stmt.is(kind_at, "CHECK") {
                    if !stmt.has(&part, &["NOT", "VALID"])
                        && self.on(Rule::ConstraintNotValid, stmt)
                    {
                        let what = if stmt.is(kind_at, "CHECK") {
                            "check constraint"
                        } else {
                            "foreign key"
                        };
                        self.report(
                            Some(Rule::ConstraintNotValid),
                            stmt,
                            format!("adding a {what} to the existing table `{table}` without `NOT VALID` scans the table while holding a lock that blocks writes"),
                            "add it with `NOT VALID`, then `ALTER TABLE ... VALIDATE CONSTRAINT` in a later revision, which does not block writes".to_owned(),
                        );
                    }
                    continue;
                }
                let column = !constraint
                    && !["PRIMARY", "UNIQUE", "EXCLUDE"]
                        .iter()
                        .any(|w| stmt.is(kind_at, w));
                if column
                    && stmt.has(&part, &["NOT", "NULL"])
                    && !stmt.has(&part, &["DEFAULT"])
                    && !stmt.has(&part, &["GENERATED"])
                    && self.on(Rule::AddColumnNotNull, stmt)
                {
                    self.report(
                        Some(Rule::AddColumnNotNull),
                        stmt,
                        format!("adding a `NOT NULL` column without a default to the existing table `{table}` fails as soon as the table has a row"),
                        "give the column a `DEFAULT`, or add it nullable, fill it, then `SET NOT NULL` in later revisions".to_owned(),
                    );
                }
            } else if stmt.is(at, "ALTER") {
                let c = stmt.skip(at + 1, &["COLUMN"]);
                let Some((column, after)) = stmt.name(c) else {
                    continue;
                };
                let retype = stmt.is(after, "TYPE") || stmt.are(after, &["SET", "DATA", "TYPE"]);
                if retype && self.on(Rule::AlterColumnType, stmt) {
                    self.report(
                        Some(Rule::AlterColumnType),
                        stmt,
                        format!("changing the type of `{table}.{column}` rewrites the table (for most type changes) under a lock that blocks reads and writes"),
                        "add a column of the new type, fill it in batches, and switch to it in later revisions".to_owned(),
                    );
                }
                if stmt.are(after, &["SET", "NOT", "NULL"]) && self.on(Rule::SetNotNull, stmt) {
                    self.report(
                        Some(Rule::SetNotNull),
                        stmt,
                        format!("`SET NOT NULL` on `{table}.{column}` scans the whole table under a lock that blocks reads and writes"),
                        format!("first add `CHECK ({column} IS NOT NULL) NOT VALID` and validate it in another revision; PostgreSQL 12 and later then set NOT NULL without the scan"),
                    );
                }
            }
        }
    }
}

/// The text of a `lint:` opt-out in the comments before a statement.
fn opt_out(comments: &str) -> Option<&str> {
    comments.lines().find_map(|line| {
        let line = line
            .trim()
            .trim_start_matches("--")
            .trim_start_matches("/*")
            .trim();
        let rest = line.strip_prefix("lint:")?;
        Some(rest.trim().trim_end_matches("*/").trim())
    })
}

/// What PostgreSQL refuses to run in a transaction block, if `stmt` is one.
fn outside_transaction(stmt: &Stmt<'_>) -> Option<&'static str> {
    let w0 = stmt.word(0)?;
    let i = stmt.skip(1, &["UNIQUE"]);
    match w0.as_str() {
        "VACUUM" => Some("VACUUM"),
        "CREATE" if stmt.are(i, &["INDEX", "CONCURRENTLY"]) => Some("CREATE INDEX CONCURRENTLY"),
        "DROP" if stmt.are(1, &["INDEX", "CONCURRENTLY"]) => Some("DROP INDEX CONCURRENTLY"),
        "CREATE" | "DROP" if stmt.is(1, "DATABASE") => Some(if w0 == "CREATE" {
            "CREATE DATABASE"
        } else {
            "DROP DATABASE"
        }),
        "CREATE" | "DROP" if stmt.is(1, "TABLESPACE") => Some(if w0 == "CREATE" {
            "CREATE TABLESPACE"
        } else {
            "DROP TABLESPACE"
        }),
        "ALTER" if stmt.is(1, "SYSTEM") => Some("ALTER SYSTEM"),
        "REINDEX" => {
            let concurrently = (1..stmt.tokens.len()).any(|k| stmt.is(k, "CONCURRENTLY"));
            // REINDEX [(options)] SYSTEM | DATABASE name
            let mut k = 1;
            if stmt.tokens.get(1) == Some(&Code::Punct(b'(')) {
                k = stmt
                    .tokens
                    .iter()
                    .position(|t| *t == Code::Punct(b')'))
                    .map_or(1, |p| p + 1);
            }
            if concurrently {
                Some("REINDEX CONCURRENTLY")
            } else if stmt.is(k, "SYSTEM") || stmt.is(k, "DATABASE") {
                Some("REINDEX DATABASE")
            } else {
                None
            }
        }
        _ => None,
    }
}

enum Kind {
    Schema,
    Data,
}

/// Whether a MySQL statement changes the schema or the data (or neither: `SET`, `SELECT`).
fn kind(stmt: &Stmt<'_>) -> Option<Kind> {
    match stmt.word(0)?.as_str() {
        "CREATE" | "ALTER" | "DROP" | "RENAME" | "TRUNCATE" => Some(Kind::Schema),
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "LOAD" => Some(Kind::Data),
        "WITH"
            if (1..stmt.tokens.len())
                .any(|k| ["INSERT", "UPDATE", "DELETE"].iter().any(|w| stmt.is(k, w))) =>
        {
            Some(Kind::Data)
        }
        _ => None,
    }
}

/// The start of a line, for quoting it in a message.
fn shorten(line: &str) -> String {
    let line = line.trim();
    match line.char_indices().nth(40) {
        Some((at, _)) => format!("{}...", &line[..at]),
        None => line.to_owned(),
    }
}
