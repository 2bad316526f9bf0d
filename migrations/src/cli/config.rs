//! `migraph.toml`: the project's settings, read by the `migraph` binary and by an
//! application's own migration subcommand, so that both agree without long command
//! lines. Command-line flags override it.

use std::path::{Path, PathBuf};

use migraph_core::Dialect;
use serde::Deserialize;

use super::CliError;

/// The file's name, looked for in the current folder.
pub const CONFIG_FILE: &str = "migraph.toml";

/// The settings of `migraph.toml`; every key may be left out.
///
/// # Examples
///
/// ```
/// use migraph::cli::Config;
///
/// let config = Config::parse(
///     "table = \"app_versions\"\n[session_sql]\nmysql = [\"SET foreign_key_checks = 0\"]\n",
///     "migraph.toml",
/// )?;
/// assert_eq!(config.table.as_deref(), Some("app_versions"));
/// assert_eq!(config.session_sql(migraph::Dialect::MySql), ["SET foreign_key_checks = 0"]);
/// assert!(config.session_sql(migraph::Dialect::Postgres).is_empty());
/// # Ok::<(), migraph::cli::CliError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// The migrations folder; relative to the folder the file is in.
    pub directory: Option<PathBuf>,
    /// The version table (optionally `schema.table`).
    pub table: Option<String>,
    /// Seconds to wait for another process's migration lock.
    pub lock_timeout: Option<u64>,
    /// How to keep other runners out: `session`, `transaction`, `table` or `none`.
    #[serde(default, deserialize_with = "lock_strategy")]
    pub lock: Option<crate::LockStrategy>,
    /// Seconds a lease of the `table` lock strategy lasts unless renewed.
    pub lease: Option<u64>,
    /// The environment variable holding the database URL (default `DATABASE_URL`).
    pub database_url_env: Option<String>,
    /// Statements run on each connection a run uses, before anything else, per dialect.
    #[serde(default)]
    pub session_sql: SessionSql,
    /// What `migraph lint` and `embed_migrations!` check in the SQL.
    #[serde(default)]
    pub lint: LintConfig,
}

/// `[lint]`: the dialect whose rules check the SQL, and the opt-in rules to add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LintConfig {
    /// `postgres`, `mysql` or `sqlite`: with it, `embed_migrations!` lints at build time.
    #[serde(default, deserialize_with = "dialect")]
    pub dialect: Option<Dialect>,
    /// Opt-in rules by name, or `online` for all of PostgreSQL's.
    #[serde(default)]
    pub rules: Vec<String>,
}

/// `dialect = "..."`: a dialect's name, or an error that names the ones there are.
fn dialect<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Dialect>, D::Error> {
    let name = String::deserialize(deserializer)?;
    Dialect::from_name(&name).map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown dialect `{name}`: use postgres, mysql or sqlite"
        ))
    })
}

/// Session SQL per dialect: `[session_sql]` with `postgres`, `mysql` and `sqlite` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SessionSql {
    /// For PostgreSQL, e.g. `["SET lock_timeout = '5s'"]`.
    #[serde(default)]
    pub postgres: Vec<String>,
    /// For MySQL and MariaDB, e.g. `["SET foreign_key_checks = 0"]`.
    #[serde(default)]
    pub mysql: Vec<String>,
    /// For SQLite, e.g. `["PRAGMA foreign_keys = OFF"]`.
    #[serde(default)]
    pub sqlite: Vec<String>,
}

/// `lock = "..."`: a strategy's name, or an error that names the ones there are.
fn lock_strategy<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<crate::LockStrategy>, D::Error> {
    let name = String::deserialize(deserializer)?;
    crate::LockStrategy::from_name(&name)
        .map(Some)
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown lock strategy `{name}`: use session, transaction, table or none"
            ))
        })
}

/// What `migraph init` writes: every key, commented out, with what it does.
pub(crate) const TEMPLATE: &str = r#"# Settings of the `migraph` command and of an application's `migrate` subcommand.
# Command-line flags override them.

# The migrations folder, relative to this file.
directory = "{{directory}}"

# The version table (optionally `schema.table`).
# table = "_migrations"

# Seconds to wait for another process's migration lock.
# lock_timeout = 300

# How to keep other runners out: "session" (a lock held for the run), "transaction"
# (each revision's transaction takes it: behind PgBouncer in transaction mode), "table"
# (a lease row, for engines without advisory locks) or "none".
# lock = "session"

# Seconds a lease of the "table" strategy lasts unless renewed.
# lease = 60

# The environment variable that holds the database URL.
# database_url_env = "DATABASE_URL"

# The SQL lint (`migraph lint`, and at build time in `embed_migrations!`): the dialect
# whose rules apply, and opt-in rules ("online" for PostgreSQL's risky schema changes).
# [lint]
# dialect = "postgres"
# rules = ["online"]

# Statements run on each connection a run uses, before anything else; the connection is
# closed after the run, so the settings never reach the application's queries.
[session_sql]
# postgres = ["SET lock_timeout = '5s'", "SET search_path = app"]
# mysql = ["SET foreign_key_checks = 0"]
# sqlite = ["PRAGMA foreign_keys = OFF"]
"#;

impl Config {
    /// Parses the text of a configuration file; `name` names it in errors.
    ///
    /// # Errors
    ///
    /// The file's name and line, and what is wrong (an unknown key, a value of the wrong
    /// type).
    pub fn parse(text: &str, name: &str) -> Result<Self, CliError> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| 1 + text[..s.start.min(text.len())].matches('\n').count());
            let message = e.message().trim_end();
            CliError(match line {
                Some(line) => format!("{name}:{line}: {message}"),
                None => format!("{name}: {message}"),
            })
        })
    }

    /// Reads the configuration file at `path`; a relative `directory` becomes relative
    /// to the file's folder.
    ///
    /// # Errors
    ///
    /// A file that cannot be read, or whose contents are not valid settings.
    pub fn load(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?;
        let mut config = Self::parse(&text, &path.display().to_string())?;
        if let (Some(dir), Some(folder)) = (&config.directory, path.parent())
            && dir.is_relative()
            && !folder.as_os_str().is_empty()
        {
            config.directory = Some(folder.join(dir));
        }
        Ok(config)
    }

    /// The configuration of the current folder: `migraph.toml` if it exists, or the
    /// file named by the `MIGRAPH_CONFIG` variable; the defaults otherwise.
    ///
    /// # Errors
    ///
    /// As [`Config::load`].
    pub fn find() -> Result<Self, CliError> {
        if let Some(path) = std::env::var_os("MIGRAPH_CONFIG") {
            return Self::load(Path::new(&path));
        }
        let path = Path::new(CONFIG_FILE);
        if path.exists() {
            Self::load(path)
        } else {
            Ok(Self::default())
        }
    }

    /// The session SQL for `dialect`.
    pub fn session_sql(&self, dialect: Dialect) -> &[String] {
        match dialect {
            Dialect::Postgres => &self.session_sql.postgres,
            Dialect::MySql => &self.session_sql.mysql,
            _ => &self.session_sql.sqlite,
        }
    }

    /// The database URL from the environment: `database_url_env`, or `DATABASE_URL`.
    pub(crate) fn database_url_from_env(&self) -> Option<String> {
        std::env::var(self.database_url_env.as_deref().unwrap_or("DATABASE_URL")).ok()
    }
}
