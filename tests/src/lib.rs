//! Support for the workspace's integration tests: a fresh, real database per test.
//!
//! PostgreSQL and MariaDB tests need `MIGRATIONS_TEST_POSTGRES_URL` and
//! `MIGRATIONS_TEST_MYSQL_URL` (an account that may create databases). When a URL is unset
//! the test prints that it is skipped, unless `MIGRATIONS_TEST_REQUIRE_DATABASES=1` (as in
//! CI), which makes a missing URL a failure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};

use migraph::Driver;
use sqlx::{AssertSqlSafe, Pool};

/// A database that exists for one test and is dropped after it.
pub struct TestDb<DB: sqlx::Database> {
    /// A pool on the fresh database.
    pub pool: Pool<DB>,
    /// The URL of the fresh database.
    pub url: String,
    cleanup: Option<Cleanup>,
    _dir: Option<tempfile::TempDir>,
}

/// Drops the database.
type Cleanup = Box<dyn FnOnce() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "mt_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The URL in `var`, or `None` (printing that the test is skipped) when it is unset.
///
/// # Panics
///
/// When the URL is unset and `MIGRATIONS_TEST_REQUIRE_DATABASES=1`.
pub fn url_from(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("MIGRATIONS_TEST_REQUIRE_DATABASES").as_deref() != Ok("1"),
                "{var} is not set, and MIGRATIONS_TEST_REQUIRE_DATABASES=1 requires it"
            );
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// Whether the command-line program `name` can be run; when it cannot, prints that the
/// test is skipped.
///
/// # Panics
///
/// When it cannot and `MIGRATIONS_TEST_REQUIRE_DATABASES=1`.
pub fn tool_available(name: &str) -> bool {
    let found = std::process::Command::new(name)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var("MIGRATIONS_TEST_REQUIRE_DATABASES").as_deref() != Ok("1"),
            "`{name}` is not installed, and MIGRATIONS_TEST_REQUIRE_DATABASES=1 requires it"
        );
        eprintln!("skipped: `{name}` is not installed");
    }
    found
}

pub use migraph_core::with_database;

/// What a server database of the tests needs, per server (PostgreSQL, MySQL).
pub trait Server: sqlx::Database {
    /// The variable with the URL of an account that may create databases.
    const URL_VAR: &'static str;
    /// How a database name is quoted.
    const QUOTE: char;
    /// SQL that drops a database even when it is in use.
    const DROP: &'static str;
}

impl Server for sqlx::Postgres {
    const URL_VAR: &'static str = "MIGRATIONS_TEST_POSTGRES_URL";
    const QUOTE: char = '"';
    const DROP: &'static str = "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)";
}

impl Server for sqlx::MySql {
    const URL_VAR: &'static str = "MIGRATIONS_TEST_MYSQL_URL";
    const QUOTE: char = '`';
    const DROP: &'static str = "DROP DATABASE IF EXISTS `{name}`";
}

/// Runs one statement on a fresh connection to `url`.
async fn execute_on<DB: sqlx::Database>(url: &str, sql: String) -> Result<(), sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let mut conn = <DB::Connection as sqlx::Connection>::connect(url).await?;
    sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await?;
    Ok(())
}

impl<DB: Server> TestDb<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    async fn server() -> Option<Self> {
        Self::server_at(DB::URL_VAR).await
    }

    /// A fresh database on the server whose URL is in `var`, or `None` when it is unset.
    pub async fn server_at(var: &str) -> Option<Self> {
        let admin = url_from(var)?;
        let name = unique_name();
        let q = DB::QUOTE;
        execute_on::<DB>(&admin, format!("CREATE DATABASE {q}{name}{q}"))
            .await
            .unwrap();
        let url = with_database(&admin, &name);
        let pool = sqlx::pool::PoolOptions::<DB>::new()
            .max_connections(4)
            .connect(&url)
            .await
            .unwrap();
        let drop_sql = DB::DROP.replace("{name}", &name);
        Some(Self {
            pool,
            url,
            cleanup: Some(Box::new(move || {
                Box::pin(async move {
                    let _ = execute_on::<DB>(&admin, drop_sql).await;
                })
            })),
            _dir: None,
        })
    }
}

impl TestDb<sqlx::Postgres> {
    /// A fresh PostgreSQL database, or `None` when no server is configured.
    pub async fn postgres() -> Option<Self> {
        Self::server().await
    }
}

impl TestDb<sqlx::MySql> {
    /// A fresh MySQL/MariaDB database, or `None` when no server is configured.
    pub async fn mysql() -> Option<Self> {
        Self::server().await
    }
}

impl TestDb<sqlx::Sqlite> {
    /// A fresh SQLite database in a temporary file.
    pub async fn sqlite() -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.db");
        let url = format!("sqlite:{}?mode=rwc", path.display());
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect(&url)
            .await
            .unwrap();
        Some(Self {
            pool,
            url,
            cleanup: None,
            _dir: Some(dir),
        })
    }
}

impl<DB: sqlx::Database> Drop for TestDb<DB> {
    fn drop(&mut self) {
        let Some(cleanup) = self.cleanup.take() else {
            return;
        };
        // Drop runs outside async; a thread with its own runtime does the async clean-up.
        // The pool's connections belong to the test's runtime, which this blocks, so they
        // are not closed here: PostgreSQL's FORCE ends them, MySQL drops a database in use.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(cleanup());
        })
        .join();
    }
}

/// What a test needs to look at a database directly, per database.
pub trait Backend: Driver {
    /// Whether to expect DDL to roll back with its transaction.
    const TRANSACTIONAL_DDL: bool;

    /// Whether table `name` exists.
    fn table_exists(pool: &Pool<Self>, name: &str) -> impl Future<Output = bool> + Send;

    /// Runs SQL, panicking on error.
    fn execute(pool: &Pool<Self>, sql: &str) -> impl Future<Output = ()> + Send;

    /// Runs a query returning one integer, panicking on error.
    fn scalar(pool: &Pool<Self>, sql: &str) -> impl Future<Output = i64> + Send;

    /// Runs a query returning one text value, panicking on error.
    fn text(pool: &Pool<Self>, sql: &str) -> impl Future<Output = String> + Send;

    /// SQL that holds the migration lock of version table `_migrations` for as long as
    /// the session (or, on SQLite, the transaction) lasts.
    const HOLD_LOCK: &'static str;

    /// A connection of the pool holding the migration lock of `_migrations` until it is
    /// closed.
    fn hold_lock(
        pool: &Pool<Self>,
    ) -> impl Future<Output = sqlx::pool::PoolConnection<Self>> + Send;

    /// SQL that sleeps for about a second.
    const SLEEP_A_SECOND: &'static str;
}

macro_rules! backend {
    ($db:ty, $ddl:expr, $exists:expr, $hold:expr, $sleep:expr) => {
        impl Backend for $db {
            const TRANSACTIONAL_DDL: bool = $ddl;
            const HOLD_LOCK: &'static str = $hold;
            const SLEEP_A_SECOND: &'static str = $sleep;

            fn hold_lock(
                pool: &Pool<Self>,
            ) -> impl Future<Output = sqlx::pool::PoolConnection<Self>> + Send {
                let pool = pool.clone();
                async move {
                    let mut conn = pool.acquire().await.unwrap();
                    sqlx::raw_sql($hold).execute(&mut *conn).await.unwrap();
                    conn
                }
            }

            fn scalar(pool: &Pool<Self>, sql: &str) -> impl Future<Output = i64> + Send {
                let pool = pool.clone();
                let sql = sql.to_owned();
                async move {
                    sqlx::query_scalar::<$db, i64>(AssertSqlSafe(sql))
                        .fetch_one(&pool)
                        .await
                        .unwrap()
                }
            }

            fn text(pool: &Pool<Self>, sql: &str) -> impl Future<Output = String> + Send {
                let pool = pool.clone();
                let sql = sql.to_owned();
                async move {
                    sqlx::query_scalar::<$db, String>(AssertSqlSafe(sql))
                        .fetch_one(&pool)
                        .await
                        .unwrap()
                }
            }

            fn table_exists(pool: &Pool<Self>, name: &str) -> impl Future<Output = bool> + Send {
                let pool = pool.clone();
                let name = name.to_owned();
                async move {
                    let n: i64 = sqlx::query_scalar::<$db, i64>($exists)
                        .bind(name)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                    n > 0
                }
            }

            fn execute(pool: &Pool<Self>, sql: &str) -> impl Future<Output = ()> + Send {
                let pool = pool.clone();
                let sql = sql.to_owned();
                async move {
                    sqlx::raw_sql(AssertSqlSafe(sql))
                        .execute(&pool)
                        .await
                        .unwrap();
                }
            }
        }
    };
}

backend!(
    sqlx::Postgres,
    true,
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
    "SELECT pg_advisory_lock(hashtextextended('migrations:_migrations', 0))",
    "SELECT pg_sleep(1)"
);
backend!(
    sqlx::MySql,
    false,
    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
    "SELECT GET_LOCK(CONCAT('migrations_', LEFT(SHA1(CONCAT(DATABASE(), '/', 'migrations:_migrations')), 40)), 0)",
    "SELECT SLEEP(1)"
);
backend!(
    sqlx::Sqlite,
    true,
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    "BEGIN IMMEDIATE",
    // No sleep function: a recursive count that takes about a second.
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT COUNT(*) FROM c"
);

/// Writes `files` (name, text) into a fresh temporary directory.
pub fn migrations_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// Instantiates a generic async test body `fn(&Pool<DB>)` once per database, as
/// `mod $name { sqlite, postgres, mysql }`.
#[macro_export]
macro_rules! on_every_database {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                if let Some(db) = $crate::TestDb::<sqlx::Sqlite>::sqlite().await {
                    super::$name(&db).await;
                }
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::<sqlx::Postgres>::postgres().await {
                    super::$name(&db).await;
                }
            }
            #[tokio::test]
            async fn mysql() {
                if let Some(db) = $crate::TestDb::<sqlx::MySql>::mysql().await {
                    super::$name(&db).await;
                }
            }
        }
    )*};
}

/// The workspace's root folder.
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The workspace's target folder, as cargo reports it (`CARGO_TARGET_DIR` or `target`).
pub fn target_dir() -> std::path::PathBuf {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    let json = String::from_utf8(out.stdout).unwrap();
    let key = "\"target_directory\":\"";
    let start = json.find(key).unwrap() + key.len();
    let end = start + json[start..].find('"').unwrap();
    std::path::PathBuf::from(&json[start..end])
}

/// Builds the cargo project in `dir` with the target folder that the tests which build
/// small crates share (next to the workspace's, so their dependencies are built once),
/// using the workspace's lock file so that the versions match. Returns that folder.
///
/// # Panics
///
/// When the build fails.
pub fn cargo_build(dir: &std::path::Path) -> std::path::PathBuf {
    let (target, out) = try_cargo_build(dir);
    assert!(
        out.status.success(),
        "cargo build in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    target
}

/// As [`cargo_build`], returning cargo's output whether or not the build succeeds.
pub fn try_cargo_build(dir: &std::path::Path) -> (std::path::PathBuf, std::process::Output) {
    let target = target_dir().join("scratch-crates");
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(dir)
        .output()
        .unwrap();
    (target, out)
}

/// A migrations folder of owned `(file name, text)` pairs, loaded: the folder lives as long
/// as the returned guard.
pub fn load_folder(files: &[(String, String)]) -> (tempfile::TempDir, migraph::Migrations) {
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let dir = migrations_dir(&named);
    let m = migraph::Migrations::from_dir(dir.path()).unwrap();
    (dir, m)
}

/// Runs the `migraph` binary's command line `args` in this process (without colour);
/// returns the exit code, stdout and stderr, and checks that nothing panicked.
pub fn cli(args: &[&str]) -> (std::process::ExitCode, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("migraph").chain(args.iter().copied());
    let code = migraph::cli::run_args(argv, false, &mut out, &mut err);
    let (out, err) = (
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    );
    assert!(
        !err.contains("panicked") && !out.contains("panicked"),
        "{err}"
    );
    (code, out, err)
}

/// Writes the `Cargo.toml` of a small application crate `name` in `dir` that depends on
/// this workspace's `migraph` (SQLite), sqlx and tokio; `extra` is appended (a
/// `[build-dependencies]` table, say).
pub fn write_app_manifest(dir: &std::path::Path, name: &str, extra: &str) {
    let facade = workspace_root().join("migrations");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nmigraph = {{ path = {facade:?}, default-features = false, features = [\"sqlite\"] }}\n\
             sqlx = {{ version = \"0.9\", default-features = false, features = [\"sqlite\", \"runtime-tokio\"] }}\n\
             tokio = {{ version = \"1\", features = [\"rt\", \"macros\"] }}\n\n{extra}\n[workspace]\n"
        ),
    )
    .unwrap();
}
