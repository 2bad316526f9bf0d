//! Problems found in migration files, each pointing at a file and line.

use std::fmt;

/// One problem found while loading or checking migration files.
///
/// It says what is wrong, where (`file:line`, with the offending line quoted when known)
/// and, where there is one, what to do about it.
///
/// # Examples
///
/// ```
/// use migraph_core::Diagnostic;
///
/// let d = Diagnostic::new("unknown header key `revison`")
///     .at("migrations/001_init.sql", 1)
///     .with_excerpt("-- revison: 001")
///     .with_help("did you mean `revision`?");
/// let text = d.to_string();
/// assert!(text.starts_with("unknown header key `revison`"));
/// assert!(text.contains("--> migrations/001_init.sql:1"));
/// assert!(text.contains("help: did you mean `revision`?"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// The file as the user would name it (e.g. `migrations/001_init.sql`).
    pub file: Option<String>,
    /// 1-based line number in `file`.
    pub line: Option<usize>,
    /// The text of that line.
    pub excerpt: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// What kind of problem it is, for callers that add their own advice.
    pub kind: DiagnosticKind,
}

/// The kinds of problem a caller may want to tell apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The migrations folder does not exist.
    FolderNotFound,
    /// Anything else: a file's or the graph's problem.
    #[default]
    Other,
}

impl Diagnostic {
    /// A diagnostic with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            file: None,
            line: None,
            excerpt: None,
            help: None,
            kind: DiagnosticKind::Other,
        }
    }

    /// Says what kind of problem it is.
    #[must_use]
    pub fn of_kind(mut self, kind: DiagnosticKind) -> Self {
        self.kind = kind;
        self
    }

    /// Points the diagnostic at `file`, line `line` (1-based; 0 means the whole file).
    #[must_use]
    pub fn at(mut self, file: impl Into<String>, line: usize) -> Self {
        self.file = Some(file.into());
        self.line = (line > 0).then_some(line);
        self
    }

    /// Quotes the offending line.
    #[must_use]
    pub fn with_excerpt(mut self, excerpt: impl Into<String>) -> Self {
        self.excerpt = Some(excerpt.into());
        self
    }

    /// Adds advice on what to do.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds advice only when there is some.
    #[must_use]
    pub fn with_help_opt(self, help: Option<String>) -> Self {
        match help {
            Some(help) => self.with_help(help),
            None => self,
        }
    }
}

impl Diagnostic {
    /// The diagnostic on one line, `file:line: message; help`, for command-line output.
    ///
    /// # Examples
    ///
    /// ```
    /// use migraph_core::Diagnostic;
    ///
    /// let d = Diagnostic::new("unknown parent `a2`").at("m/b2.sql", 2).with_help("did you mean `a1`?");
    /// assert_eq!(d.one_line(), "m/b2.sql:2: unknown parent `a2`; did you mean `a1`?");
    /// ```
    pub fn one_line(&self) -> String {
        let mut line = match (&self.file, self.line) {
            (Some(file), Some(n)) => format!("{file}:{n}: "),
            (Some(file), None) => format!("{file}: "),
            _ => String::new(),
        };
        line += &self.message;
        if let Some(help) = &self.help {
            line += "; ";
            line += help;
        }
        line
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(file) = &self.file {
            match self.line {
                Some(line) => write!(f, "\n  --> {file}:{line}")?,
                None => write!(f, "\n  --> {file}")?,
            }
            if let (Some(line), Some(excerpt)) = (self.line, &self.excerpt) {
                let width = line.to_string().len();
                write!(
                    f,
                    "\n{:width$} |\n{line} | {excerpt}\n{:width$} |",
                    "",
                    "",
                    excerpt = excerpt.trim_end()
                )?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n   = help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found in a migrations directory, reported together.
///
/// # Examples
///
/// ```
/// use migraph_core::{Diagnostic, Diagnostics};
///
/// let all = Diagnostics::from(vec![Diagnostic::new("first"), Diagnostic::new("second")]);
/// assert_eq!(all.len(), 2);
/// assert!(all.to_string().contains("first") && all.to_string().contains("second"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// The problems, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes the problems out.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(value: Vec<Diagnostic>) -> Self {
        Self(value)
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(value: Diagnostic) -> Self {
        Self(vec![value])
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest of `candidates` to `name`, if one is close enough to be a likely typo.
///
/// # Examples
///
/// ```
/// use migraph_core::did_you_mean;
///
/// assert_eq!(did_you_mean("revison", ["revision", "message"]), Some("revision"));
/// assert_eq!(did_you_mean("zzz", ["revision", "message"]), None);
/// ```
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}
