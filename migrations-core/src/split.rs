//! Splitting a section of SQL into statements, for revisions that run statement by
//! statement (`transaction: false`, and every revision on MySQL).
//!
//! A `;` ends a statement unless it is inside a string, a quoted identifier, a dollar
//! quote, a comment, or a block: a trigger or routine body (`BEGIN ... END`), `BEGIN
//! ATOMIC ... END`, or `CASE ... END`. What counts as a string or a comment depends on the
//! dialect: `E''` strings, dollar quotes and nested comments are PostgreSQL's; backslash
//! escapes, backquotes and `#` comments MySQL's; `[name]` SQLite's. On MySQL,
//! `/*! ... */` and `/*M! ... */` are not comments but code the server runs (mysqldump's
//! version-guarded statements), so a statement made of one is kept.

use std::fmt;

/// The SQL dialects migrations are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    MySql,
    /// SQLite.
    Sqlite,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
            Self::Sqlite => "sqlite",
        })
    }
}

impl Dialect {
    /// The dialect of a name: `postgres` (or `postgresql`), `mysql` (or `mariadb`),
    /// `sqlite`.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::Dialect;
    ///
    /// assert_eq!(Dialect::from_name("mariadb"), Some(Dialect::MySql));
    /// assert_eq!(Dialect::from_name("oracle"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "postgres" | "postgresql" => Some(Self::Postgres),
            "mysql" | "mariadb" => Some(Self::MySql),
            "sqlite" => Some(Self::Sqlite),
            _ => None,
        }
    }

    /// The dialect a database URL speaks, from its scheme (`postgres://`, `mysql://`,
    /// `mariadb://`, `sqlite:`).
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::Dialect;
    ///
    /// assert_eq!(Dialect::from_url("postgres://u@h/db"), Some(Dialect::Postgres));
    /// assert_eq!(Dialect::from_url("sqlite:app.db"), Some(Dialect::Sqlite));
    /// assert_eq!(Dialect::from_url("app.db"), None);
    /// ```
    pub fn from_url(url: &str) -> Option<Self> {
        url.split_once(':')
            .and_then(|(scheme, _)| Self::from_name(scheme))
    }
}

/// `url` naming the database `name` instead of its own, its query kept: how a tool reaches
/// another database on the same server.
///
/// # Examples
///
/// ```
/// use migraph_core::with_database;
///
/// assert_eq!(with_database("postgres://u@h:5432/app?sslmode=disable", "scratch"), "postgres://u@h:5432/scratch?sslmode=disable");
/// assert_eq!(with_database("mysql://root@h", "other"), "mysql://root@h/other");
/// ```
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// One statement of a section: from its first code token to its last, so comments
/// before it and after it (before its `;`) are left out, and so is the `;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement<'a> {
    /// The statement's code, exactly as in the section.
    pub sql: &'a str,
    /// The 1-based line of the section on which it starts.
    pub line: usize,
    /// Comments between the previous statement's `;` and this statement, trimmed.
    pub before: &'a str,
    /// Comments between the statement's last code token and its `;`, trimmed.
    pub after: &'a str,
}

/// Splits `sql` into statements. Empty statements and statements that are only comments
/// are dropped. Never fails: an unterminated string or comment runs to the end, where the
/// database will report it.
///
/// # Examples
///
/// ```
/// use migraph_core::{Dialect, split_statements};
///
/// let sql = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
///            -- a comment; not a statement\n\
///            CREATE INDEX CONCURRENTLY i ON t (x);";
/// let statements = split_statements(sql, Dialect::Postgres);
/// assert_eq!(statements.len(), 2);
/// assert!(statements[0].sql.ends_with("LANGUAGE sql"));
/// assert_eq!(statements[1].line, 3);
/// ```
pub fn split_statements(sql: &str, dialect: Dialect) -> Vec<Statement<'_>> {
    let mut lexer = Lexer::new(sql, dialect);
    let mut out = Vec::new();
    // Where the text since the last `;` starts, where its code starts and ends.
    let mut gap = 0;
    let mut start = 0;
    let mut code_end = 0;
    let mut depth = 0usize;
    let mut has_code = false;
    // A `BEGIN` or `END` waits for the next token: `BEGIN;` is a transaction, `BEGIN
    // ... END` a block; `END IF` closes an `IF`, plain `END` a block.
    let mut pending_begin = false;
    let mut pending_end = false;
    loop {
        let token_start = lexer.pos;
        let Some(token) = lexer.next() else {
            break;
        };
        let word = match token {
            Token::Space | Token::Comment => continue,
            Token::Word(w) => Some(w.to_ascii_uppercase()),
            Token::Semicolon | Token::Other => None,
        };
        let word = word.as_deref();
        if std::mem::take(&mut pending_begin) && begin_opens_block(dialect, word) {
            depth += 1;
        }
        let mut qualifier = false;
        if std::mem::take(&mut pending_end) {
            match word {
                // `END IF`, `END LOOP`... close constructs that were not counted.
                Some("IF" | "LOOP" | "WHILE" | "REPEAT" | "FOR") => qualifier = true,
                // `END CASE` closes a counted `CASE` statement.
                Some("CASE") => {
                    qualifier = true;
                    depth = depth.saturating_sub(1);
                }
                _ => depth = depth.saturating_sub(1),
            }
        }
        match (token, word) {
            (Token::Semicolon, _) if depth == 0 => {
                if has_code {
                    push(sql, [gap, start, code_end, lexer.pos - 1], &mut out);
                }
                gap = lexer.pos;
                has_code = false;
                continue;
            }
            _ if !has_code => start = token_start,
            _ => {}
        }
        code_end = lexer.pos;
        match (token, word) {
            (_, Some(_)) if qualifier => {}
            (_, Some("BEGIN")) => pending_begin = true,
            (_, Some("CASE")) => depth += 1,
            (_, Some("END")) => pending_end = true,
            _ => {}
        }
        has_code = true;
    }
    if has_code {
        push(sql, [gap, start, code_end, sql.len()], &mut out);
    }
    out
}

/// Whether `sql` has a `;` outside strings, quoted identifiers and comments: a statement
/// that does (a trigger or routine body) needs `DELIMITER` for MySQL's command-line
/// client, which ends a statement at every such `;`.
///
/// # Examples
///
/// ```
/// use migraph_core::{Dialect, contains_semicolon};
///
/// assert!(!contains_semicolon("INSERT INTO t VALUES ('a;b') -- c;", Dialect::MySql));
/// assert!(contains_semicolon("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET @a = 1; END", Dialect::MySql));
/// ```
pub fn contains_semicolon(sql: &str, dialect: Dialect) -> bool {
    let mut lexer = Lexer::new(sql, dialect);
    std::iter::from_fn(|| lexer.next()).any(|t| t == Token::Semicolon)
}

/// Whether `sql` ends outside every string, quoted identifier and comment: text appended
/// after it (following a newline) is read as new code, not as part of something `sql`
/// left open.
///
/// # Examples
///
/// ```
/// use migraph_core::{Dialect, ends_closed};
///
/// assert!(ends_closed("SELECT 'a' -- c", Dialect::Postgres));
/// assert!(!ends_closed("SELECT 'a", Dialect::Postgres));
/// assert!(!ends_closed("SELECT $$ a", Dialect::Postgres));
/// assert!(!ends_closed("SELECT 1 /* a", Dialect::Sqlite));
/// ```
pub fn ends_closed(sql: &str, dialect: Dialect) -> bool {
    let mut lexer = Lexer::new(sql, dialect);
    while lexer.next().is_some() {}
    !lexer.open
}

/// Whether a `BEGIN` followed by `next` (a word, or `None` for punctuation) opens a block
/// rather than a transaction.
fn begin_opens_block(dialect: Dialect, next: Option<&str>) -> bool {
    match dialect {
        // Plain `BEGIN` is a transaction; SQL-standard bodies say `BEGIN ATOMIC`.
        Dialect::Postgres => next == Some("ATOMIC"),
        Dialect::Sqlite => !matches!(
            next,
            None | Some("TRANSACTION" | "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE")
        ),
        Dialect::MySql => !matches!(next, None | Some("WORK")),
    }
}

/// Adds the statement whose text since the previous `;` starts at `gap`, whose code runs
/// from `start` to `end`, and whose `;` (or the end of the section) is at `stop`.
fn push<'a>(sql: &'a str, [gap, start, end, stop]: [usize; 4], out: &mut Vec<Statement<'a>>) {
    let (Some(text), Some(before), Some(after)) =
        (sql.get(start..end), sql.get(gap..start), sql.get(end..stop))
    else {
        return;
    };
    // Whitespace the lexer reads as part of a word (beyond ASCII) is still whitespace.
    let lead = text.len() - text.trim_start().len();
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    let line = 1 + sql.as_bytes()[..start + lead]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    out.push(Statement {
        sql: text,
        line,
        before: before.trim(),
        after: after.trim(),
    });
}

/// One token of code: comments and whitespace are not tokens here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code<'a> {
    /// A word: a keyword or an unquoted name, as written.
    Word(&'a str),
    /// A quoted identifier or string, quotes included.
    Quoted(&'a str),
    /// One byte of punctuation.
    Punct(u8),
    /// A number, or code MySQL runs from a version comment.
    Other,
}

/// The code tokens of `sql`, in order, as the dialect reads them.
pub(crate) fn code_tokens(sql: &str, dialect: Dialect) -> Vec<Code<'_>> {
    let mut lexer = Lexer::new(sql, dialect);
    let mut out = Vec::new();
    loop {
        let start = lexer.pos;
        let Some(token) = lexer.next() else {
            break;
        };
        let text = sql.get(start..lexer.pos).unwrap_or("");
        out.push(match token {
            Token::Space | Token::Comment => continue,
            Token::Word(w) => Code::Word(w),
            Token::Semicolon => Code::Punct(b';'),
            Token::Other => match text.as_bytes() {
                [b] if !b.is_ascii_alphanumeric() => Code::Punct(*b),
                [b'"' | b'\'' | b'`' | b'[', ..] => Code::Quoted(text),
                [b'E' | b'e', b'\'', ..] | [b'$', ..] => Code::Quoted(text),
                _ => Code::Other,
            },
        });
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Space,
    Comment,
    Semicolon,
    Word(&'a str),
    /// A string, quoted identifier, number or punctuation.
    Other,
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    dialect: Dialect,
    /// Whether a string, quoted identifier or comment ran to the end of the text.
    open: bool,
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

impl<'a> Lexer<'a> {
    fn new(sql: &'a str, dialect: Dialect) -> Self {
        Self {
            src: sql.as_bytes(),
            pos: 0,
            dialect,
            open: false,
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let b = self.peek(0)?;
        let dialect = self.dialect;
        let token = match b {
            b';' => {
                self.pos += 1;
                Token::Semicolon
            }
            _ if b.is_ascii_whitespace() => {
                while self.peek(0).is_some_and(|b| b.is_ascii_whitespace()) {
                    self.pos += 1;
                }
                Token::Space
            }
            b'-' if self.peek(1) == Some(b'-')
                && (dialect != Dialect::MySql
                    || self
                        .peek(2)
                        .is_none_or(|c| c.is_ascii_whitespace() || c.is_ascii_control())) =>
            {
                self.line_comment()
            }
            b'#' if dialect == Dialect::MySql => self.line_comment(),
            // `/*! ... */` and `/*M! ... */` are code to MySQL and MariaDB.
            b'/' if dialect == Dialect::MySql
                && self.peek(1) == Some(b'*')
                && (self.peek(2) == Some(b'!')
                    || (self.peek(2) == Some(b'M') && self.peek(3) == Some(b'!'))) =>
            {
                self.block_comment();
                Token::Other
            }
            b'/' if self.peek(1) == Some(b'*') => self.block_comment(),
            b'\'' => self.quoted(b'\'', dialect == Dialect::MySql),
            b'"' => self.quoted(b'"', dialect == Dialect::MySql),
            b'`' if dialect != Dialect::Postgres => self.quoted(b'`', false),
            b'[' if dialect == Dialect::Sqlite => {
                self.pos += 1;
                while self.peek(0).is_some_and(|b| b != b']') {
                    self.pos += 1;
                }
                self.open |= self.pos >= self.src.len();
                self.pos = (self.pos + 1).min(self.src.len());
                Token::Other
            }
            b'E' | b'e' if dialect == Dialect::Postgres && self.peek(1) == Some(b'\'') => {
                self.pos += 1;
                self.quoted(b'\'', true)
            }
            b'$' if dialect == Dialect::Postgres => self.dollar(),
            _ if is_word_start(b) => {
                let start = self.pos;
                while self.peek(0).is_some_and(is_word_byte) {
                    self.pos += 1;
                }
                // Only ASCII words matter (keywords); others are words all the same.
                Token::Word(std::str::from_utf8(&self.src[start..self.pos]).unwrap_or(""))
            }
            _ if b.is_ascii_digit() => {
                while self.peek(0).is_some_and(is_word_byte) {
                    self.pos += 1;
                }
                Token::Other
            }
            _ => {
                self.pos += 1;
                Token::Other
            }
        };
        Some(token)
    }

    fn line_comment(&mut self) -> Token<'a> {
        while self.peek(0).is_some_and(|b| b != b'\n') {
            self.pos += 1;
        }
        Token::Comment
    }

    /// `/* ... */`, nested on PostgreSQL.
    fn block_comment(&mut self) -> Token<'a> {
        let nests = self.dialect == Dialect::Postgres;
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 {
            match (self.peek(0), self.peek(1)) {
                (None, _) => {
                    self.open = true;
                    break;
                }
                (Some(b'*'), Some(b'/')) => {
                    depth -= 1;
                    self.pos += 2;
                }
                (Some(b'/'), Some(b'*')) if nests => {
                    depth += 1;
                    self.pos += 2;
                }
                _ => self.pos += 1,
            }
        }
        Token::Comment
    }

    /// A quoted string or identifier; a doubled quote is an escaped quote, and with
    /// `backslash` a backslash escapes the next byte.
    fn quoted(&mut self, quote: u8, backslash: bool) -> Token<'a> {
        self.pos += 1;
        loop {
            match self.peek(0) {
                None => {
                    self.open = true;
                    break;
                }
                Some(b'\\') if backslash => self.pos += 2,
                Some(b) if b == quote => {
                    if self.peek(1) == Some(quote) {
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                        break;
                    }
                }
                Some(_) => self.pos += 1,
            }
        }
        self.pos = self.pos.min(self.src.len());
        Token::Other
    }

    /// `$tag$ ... $tag$` (PostgreSQL); a `$` that does not open one (a parameter `$1`)
    /// is punctuation.
    fn dollar(&mut self) -> Token<'a> {
        let preceded_by_word = self.pos > 0 && is_word_byte(self.src[self.pos - 1]);
        let mut end = self.pos + 1;
        if self.src.get(end).is_some_and(|&b| is_word_start(b)) {
            while self
                .src
                .get(end)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80)
            {
                end += 1;
            }
        }
        if preceded_by_word || self.src.get(end) != Some(&b'$') {
            self.pos += 1;
            return Token::Other;
        }
        let tag = &self.src[self.pos..=end];
        self.pos = end + 1;
        while self.pos < self.src.len() {
            if self.src[self.pos..].starts_with(tag) {
                self.pos += tag.len();
                return Token::Other;
            }
            self.pos += 1;
        }
        self.open = true;
        Token::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(sql: &str, dialect: Dialect) -> Vec<&str> {
        split_statements(sql, dialect)
            .into_iter()
            .map(|s| s.sql)
            .collect()
    }

    use Dialect::{MySql, Postgres, Sqlite};

    /// (dialect, input, expected statements)
    const CASES: &[(Dialect, &str, &[&str])] = &[
        (Postgres, "SELECT 1; SELECT 2;", &["SELECT 1", "SELECT 2"]),
        (Postgres, "SELECT 1", &["SELECT 1"]),
        (Postgres, ";;  ;\n", &[]),
        (
            Postgres,
            "SELECT 'a;b'; SELECT 2",
            &["SELECT 'a;b'", "SELECT 2"],
        ),
        (
            Postgres,
            "SELECT 'it''s; here'; SELECT 2",
            &["SELECT 'it''s; here'", "SELECT 2"],
        ),
        (
            Postgres,
            "SELECT E'a\\';b'; SELECT 2",
            &["SELECT E'a\\';b'", "SELECT 2"],
        ),
        (
            Postgres,
            "SELECT 'a\\'; SELECT 2",
            &["SELECT 'a\\'", "SELECT 2"],
        ),
        (
            Postgres,
            "SELECT \"odd;name\" FROM t; SELECT 2",
            &["SELECT \"odd;name\" FROM t", "SELECT 2"],
        ),
        (
            Postgres,
            "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql; SELECT 2",
            &[
                "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql",
                "SELECT 2",
            ],
        ),
        (
            Postgres,
            "DO $body$ BEGIN PERFORM '$$;'; END $body$; SELECT 2",
            &["DO $body$ BEGIN PERFORM '$$;'; END $body$", "SELECT 2"],
        ),
        (
            Postgres,
            "PREPARE p AS SELECT $1; EXECUTE p(1)",
            &["PREPARE p AS SELECT $1", "EXECUTE p(1)"],
        ),
        (
            Postgres,
            "SELECT a$b FROM t; SELECT 2",
            &["SELECT a$b FROM t", "SELECT 2"],
        ),
        (
            Postgres,
            "SELECT 1 -- no; split\n; SELECT 2",
            &["SELECT 1", "SELECT 2"],
        ),
        (
            Postgres,
            "/* a /* nested; */ still; */ SELECT 1; SELECT 2",
            &["SELECT 1", "SELECT 2"],
        ),
        (
            Postgres,
            "SELECT CASE WHEN x THEN 1 ELSE 2 END FROM t; SELECT 2",
            &["SELECT CASE WHEN x THEN 1 ELSE 2 END FROM t", "SELECT 2"],
        ),
        (
            Postgres,
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3",
            &[
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
                "SELECT 3",
            ],
        ),
        (
            Postgres,
            "BEGIN; SELECT 1; COMMIT;",
            &["BEGIN", "SELECT 1", "COMMIT"],
        ),
        (
            Postgres,
            "CREATE INDEX CONCURRENTLY a ON t (x);\nCREATE INDEX CONCURRENTLY b ON t (y);",
            &[
                "CREATE INDEX CONCURRENTLY a ON t (x)",
                "CREATE INDEX CONCURRENTLY b ON t (y)",
            ],
        ),
        (Postgres, "-- only a comment\n/* and another */", &[]),
        (
            Postgres,
            "SELECT 'unterminated; string",
            &["SELECT 'unterminated; string"],
        ),
        (
            MySql,
            "SELECT 'a\\';b'; SELECT 2",
            &["SELECT 'a\\';b'", "SELECT 2"],
        ),
        (
            MySql,
            "SELECT \"a;\\\"b\"; SELECT 2",
            &["SELECT \"a;\\\"b\"", "SELECT 2"],
        ),
        (
            MySql,
            "SELECT `odd;name` FROM t; SELECT 2",
            &["SELECT `odd;name` FROM t", "SELECT 2"],
        ),
        (
            MySql,
            "SELECT 1 # hash; comment\n; SELECT 2",
            &["SELECT 1", "SELECT 2"],
        ),
        (MySql, "SELECT 1--2; SELECT 2", &["SELECT 1--2", "SELECT 2"]),
        (
            MySql,
            "SELECT 1 -- c;\n; SELECT 2",
            &["SELECT 1", "SELECT 2"],
        ),
        (
            MySql,
            "/* not /* nested; */ SELECT 1; SELECT 2",
            &["SELECT 1", "SELECT 2"],
        ),
        (
            MySql,
            "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END; SELECT 2",
            &[
                "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.b = 2; END",
                "SELECT 2",
            ],
        ),
        (
            MySql,
            "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; WHILE 0 DO SELECT 2; END WHILE; CASE 1 WHEN 1 THEN SELECT 3; END CASE; END; SELECT 4",
            &[
                "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; WHILE 0 DO SELECT 2; END WHILE; CASE 1 WHEN 1 THEN SELECT 3; END CASE; END",
                "SELECT 4",
            ],
        ),
        (
            MySql,
            "BEGIN; INSERT INTO t VALUES (1); COMMIT",
            &["BEGIN", "INSERT INTO t VALUES (1)", "COMMIT"],
        ),
        (MySql, "BEGIN WORK; SELECT 1", &["BEGIN WORK", "SELECT 1"]),
        (
            Sqlite,
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE u SET n = n + 1; INSERT INTO log VALUES ('x;y'); END; SELECT 2",
            &[
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE u SET n = n + 1; INSERT INTO log VALUES ('x;y'); END",
                "SELECT 2",
            ],
        ),
        (
            Sqlite,
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; END; SELECT 2",
            &[
                "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; END",
                "SELECT 2",
            ],
        ),
        (
            Sqlite,
            "BEGIN TRANSACTION; SELECT 1; END TRANSACTION; SELECT 2",
            &[
                "BEGIN TRANSACTION",
                "SELECT 1",
                "END TRANSACTION",
                "SELECT 2",
            ],
        ),
        (
            Sqlite,
            "BEGIN IMMEDIATE; SELECT 1; COMMIT",
            &["BEGIN IMMEDIATE", "SELECT 1", "COMMIT"],
        ),
        (
            Sqlite,
            "SELECT [odd;name] FROM t; SELECT 2",
            &["SELECT [odd;name] FROM t", "SELECT 2"],
        ),
        (
            Sqlite,
            "SELECT 'a\\'; SELECT 2",
            &["SELECT 'a\\'", "SELECT 2"],
        ),
        (
            Sqlite,
            "SELECT `odd;name` FROM t; SELECT 2",
            &["SELECT `odd;name` FROM t", "SELECT 2"],
        ),
        // MySQL's executable comments are statements; elsewhere they are comments.
        (
            MySql,
            "/*!40101 SET @x = 42 */;\n/*M!100101 SET @y = 1 */;\n/* plain */;",
            &["/*!40101 SET @x = 42 */", "/*M!100101 SET @y = 1 */"],
        ),
        (
            MySql,
            "/*!50003 CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 1; */;; SELECT 2",
            &[
                "/*!50003 CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 1; */",
                "SELECT 2",
            ],
        ),
        (Postgres, "/*!40101 SET x = 42 */; SELECT 1", &["SELECT 1"]),
        (Sqlite, "/*!40101 SET x = 42 */; SELECT 1", &["SELECT 1"]),
        // A statement ends at its last code token, before a trailing comment.
        (
            Postgres,
            "ALTER TABLE t ADD COLUMN note text -- why\n;\nSELECT 1 -- done",
            &["ALTER TABLE t ADD COLUMN note text", "SELECT 1"],
        ),
        (
            MySql,
            "ALTER TABLE t ADD note text # why\n; SELECT 1 /* done */",
            &["ALTER TABLE t ADD note text", "SELECT 1"],
        ),
        (Sqlite, "SELECT 1 /* a */ -- b\n;", &["SELECT 1"]),
    ];

    #[test]
    fn tricky_inputs_split_where_the_database_would() {
        for (dialect, input, expected) in CASES {
            assert_eq!(split(input, *dialect), *expected, "{dialect}: {input}");
        }
        assert!(CASES.len() >= 25);
    }

    #[test]
    fn comments_around_a_statement_are_kept_apart() {
        let s = split_statements(
            "-- first\nSELECT 1 -- why\n;\n/* next */ SELECT 2; -- trailing",
            Postgres,
        );
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].before, s[0].sql, s[0].after),
            ("-- first", "SELECT 1", "-- why")
        );
        assert_eq!(
            (s[1].before, s[1].sql, s[1].after),
            ("/* next */", "SELECT 2", "")
        );
    }

    #[test]
    fn statements_know_their_line() {
        let s = split_statements("\n\nSELECT 1;\n-- c\nSELECT\n2;", Sqlite);
        assert_eq!(s.iter().map(|s| s.line).collect::<Vec<_>>(), vec![3, 5]);
    }
}
