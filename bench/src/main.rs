//! Side-by-side measurements of applying N generated revisions, and of the no-op start
//! (a database already at head), with migraph, a raw sqlx loop and sqlx's own migrator,
//! on SQLite, PostgreSQL and MariaDB, in one run. Ratios are taken round by round against
//! the raw loop, so the machine's noise hits every tool of a round alike.
//!
//! ```sh
//! cargo run --release -p migraph-bench -- --n 1000 --rounds 3   # the full run
//! cargo run -p migraph-bench -- --smoke                          # N = 20, one round (CI)
//! cargo run --release -p migraph-bench -- --fleet 200             # many SQLite databases
//! cargo run --release -p migraph-bench -- --size 1,10000          # release binary sizes
//! cargo run --release -p migraph-bench -- --startup 1000          # a whole process's start, each database
//! ```
//!
//! PostgreSQL and MariaDB are measured when `MIGRATIONS_TEST_POSTGRES_URL` and
//! `MIGRATIONS_TEST_MYSQL_URL` name a server account that may create databases.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::Path;
use std::time::{Duration, Instant};

mod wire;

type Failure = Box<dyn std::error::Error>;

/// Each revision: a table, three rows, an index.
fn revision_sql(i: usize) -> String {
    format!(
        "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v VARCHAR(20) NOT NULL);\n\
         INSERT INTO t{i} (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c');\n\
         CREATE INDEX t{i}_v ON t{i} (v);\n"
    )
}

/// Writes the same N revisions as diesel's folders (`<version>_step/up.sql`).
fn generate_diesel(n: usize, dir: &Path) -> Result<(), Failure> {
    for i in 0..n {
        let folder = dir.join(format!("{:05}_step", i + 1));
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join("up.sql"), revision_sql(i))?;
        std::fs::write(folder.join("down.sql"), format!("DROP TABLE t{i};\n"))?;
    }
    Ok(())
}

/// diesel_migrations on a fresh SQLite file: apply, then the no-op start. Each run opens
/// its connection and reads the folder, as an application using `FileBasedMigrations`
/// would; diesel's `embed_migrations!` needs the folder at compile time.
fn diesel_times(loaded: &Loaded, dir: &Path) -> Result<Times, Failure> {
    let path = dir.join("b.db");
    let apply = diesel_start(loaded, &path)?;
    let noop = diesel_start(loaded, &path)?;
    Ok(Times {
        apply,
        noop,
        start: Duration::ZERO,
        statements: None,
        round_trips: None,
    })
}

/// One run of diesel_migrations on the SQLite file at `path`, which is also one start-up:
/// a new connection, the folder read, what is pending applied.
fn diesel_start(loaded: &Loaded, path: &Path) -> Result<Duration, Failure> {
    use diesel::Connection as _;
    use diesel_migrations::MigrationHarness as _;
    let path = path.to_str().ok_or("a temporary path that is not UTF-8")?;
    let started = Instant::now();
    let mut conn = diesel::SqliteConnection::establish(path)?;
    let source = diesel_migrations::FileBasedMigrations::from_path(&loaded.diesel)?;
    conn.run_pending_migrations(source)
        .map_err(|e| format!("diesel: {e}"))?;
    Ok(started.elapsed())
}

/// Writes the same N revisions as migraph files and as sqlx files.
fn generate(n: usize, ours: &Path, theirs: &Path) -> Result<(), Failure> {
    for i in 0..n {
        let parent = if i == 0 {
            "none".to_owned()
        } else {
            format!("r{:05}", i - 1)
        };
        let sql = revision_sql(i);
        std::fs::write(
            ours.join(format!("r{i:05}_step.sql")),
            format!("-- revision: r{i:05}\n-- down_revision: {parent}\n-- migrate:upgrade\n{sql}"),
        )?;
        std::fs::write(theirs.join(format!("{:05}_step.sql", i + 1)), sql)?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Raw,
    Sqlx,
    Migraph,
    /// `single_transaction(true)`: one transaction for the whole run (not on MySQL, whose
    /// DDL commits on its own).
    MigraphWhole,
    /// diesel_migrations on SQLite (synchronous; its folders read from disk each run).
    Diesel,
}

const TOOLS: [Tool; 5] = [
    Tool::Raw,
    Tool::Sqlx,
    Tool::Migraph,
    Tool::MigraphWhole,
    Tool::Diesel,
];

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Raw => "raw sqlx loop",
            Tool::Sqlx => "sqlx migrator",
            Tool::Migraph => "migraph",
            Tool::MigraphWhole => "migraph, whole run in one transaction",
            Tool::Diesel => "diesel_migrations",
        }
    }
}

/// What one tool took in one round: applying everything, then starting at head.
#[derive(Clone, Copy)]
struct Times {
    apply: Duration,
    noop: Duration,
    /// The start-up a service makes at head: a new pool, its first connection and the
    /// tool's check; the median of [`STARTS`], taken in turn with the other tools'.
    start: Duration,
    /// Statements per revision while applying, as the server counts them (MariaDB's
    /// `Questions`), where the server can say.
    statements: Option<f64>,
    /// Round trips per revision while applying, and for the whole no-op start, counted on
    /// the wire by [`wire::Proxy`], in the counting pass (not a timed round).
    round_trips: Option<(f64, u64)>,
}

/// How many start-ups on a new pool are timed per tool and round, the tools taking turns
/// so that the machine's noise hits each alike.
const STARTS: usize = 15;

/// The migrations, loaded once outside the timings (migraph embeds them at build time;
/// sqlx's `migrate!` does too).
struct Loaded {
    ours: migraph::Migrations,
    theirs: sqlx::migrate::Migrator,
    raw: Vec<String>,
    /// diesel's folder of the same revisions.
    diesel: std::path::PathBuf,
}

/// A database kind and how to get a fresh database of it.
#[derive(Clone, Copy)]
enum Kind {
    Sqlite,
    Postgres,
    MySql,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "SQLite",
            Kind::Postgres => "PostgreSQL",
            Kind::MySql => "MariaDB",
        }
    }
}

/// A tool's database, kept at head after its run for the start-ups, and dropped after.
struct Kept {
    kind: Kind,
    tool: Tool,
    url: String,
    /// The SQLite file's folder.
    dir: Option<tempfile::TempDir>,
    /// The server database to drop: the server's URL and the database's name.
    server: Option<(String, String)>,
}

impl Kept {
    /// One start-up on the database at head: a new pool, its first connection, the tool's
    /// check.
    async fn start(&self, loaded: &Loaded) -> Result<Duration, Failure> {
        match (self.kind, &self.dir) {
            (Kind::Sqlite, Some(dir)) if self.tool == Tool::Diesel => {
                diesel_start(loaded, &dir.path().join("b.db"))
            }
            (Kind::Sqlite, _) => start_once::<sqlx::Sqlite>(&self.url, self.tool, loaded).await,
            (Kind::Postgres, _) => start_once::<sqlx::Postgres>(&self.url, self.tool, loaded).await,
            (Kind::MySql, _) => start_once::<sqlx::MySql>(&self.url, self.tool, loaded).await,
        }
    }

    /// Drops the server database (a SQLite folder goes with `self`).
    async fn drop_database(self) -> Result<(), Failure> {
        let Some((server, name)) = &self.server else {
            return Ok(());
        };
        match self.kind {
            Kind::Postgres => drop_database::<sqlx::Postgres>(server, name).await,
            Kind::MySql => drop_database::<sqlx::MySql>(server, name).await,
            Kind::Sqlite => Ok(()),
        }
    }
}

async fn drop_database<DB: Bench>(server: &str, name: &str) -> Result<(), Failure>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    admin::<DB>(server, &[format!("DROP DATABASE {name}")]).await?;
    if let Some(sql) = DB::SETTLE {
        // Only a superuser may; otherwise the next tool pays, as it would in any order.
        let _ = admin::<DB>(server, &[sql.to_owned()]).await;
    }
    Ok(())
}

/// One start-up of `tool` on a new pool of `url`.
async fn start_once<DB: Bench>(url: &str, tool: Tool, loaded: &Loaded) -> Result<Duration, Failure>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
{
    let started = Instant::now();
    let fresh = sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(1)
        .connect(url)
        .await?;
    go(&fresh, tool, loaded).await?;
    let took = started.elapsed();
    fresh.close().await;
    Ok(took)
}

/// Runs `tool` once on a fresh database of `kind`: apply, then the no-op start. The
/// database is kept for the start-ups.
async fn measure(
    kind: Kind,
    server: Option<&str>,
    tool: Tool,
    loaded: &Loaded,
    round: usize,
    proxy: Option<&wire::Proxy>,
) -> Result<(Times, Kept), Failure> {
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite:{}?mode=rwc", dir.path().join("b.db").display());
            let times = if tool == Tool::Diesel {
                diesel_times(loaded, dir.path())?
            } else {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await?;
                let times = run(&pool, tool, loaded, None).await;
                pool.close().await;
                times?
            };
            let kept = Kept {
                kind,
                tool,
                url,
                dir: Some(dir),
                server: None,
            };
            Ok((times, kept))
        }
        Kind::Postgres => {
            let server = server.ok_or("no server URL")?;
            on_server::<sqlx::Postgres>(kind, server, round, tool, loaded, proxy).await
        }
        Kind::MySql => {
            let server = server.ok_or("no server URL")?;
            on_server::<sqlx::MySql>(kind, server, round, tool, loaded, proxy).await
        }
    }
}

/// Runs `tool` on a fresh database created on the server of `server`, kept for the
/// start-ups.
async fn on_server<DB: Bench>(
    kind: Kind,
    server: &str,
    round: usize,
    tool: Tool,
    loaded: &Loaded,
    proxy: Option<&wire::Proxy>,
) -> Result<(Times, Kept), Failure>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
{
    let name = format!("migraph_bench_{round}_{}", tool as u8);
    let fresh = [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ];
    admin::<DB>(server, &fresh).await?;
    let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
    let mut url = format!("{base}/{name}");
    if let Some(proxy) = proxy {
        url = proxy.url(&url).ok_or("a server URL without a host")?;
    }
    let pool = sqlx::Pool::<DB>::connect(&url).await?;
    let times = run(&pool, tool, loaded, proxy).await;
    pool.close().await;
    let kept = Kept {
        kind,
        tool,
        url,
        dir: None,
        server: Some((server.to_owned(), name)),
    };
    match times {
        Ok(times) => Ok((times, kept)),
        Err(e) => {
            kept.drop_database().await?;
            Err(e)
        }
    }
}

/// The three tools behind one signature per database type.
trait Bench: sqlx::Database + migraph::Driver {
    fn raw(pool: &sqlx::Pool<Self>, sql: &[String]) -> impl Future<Output = Result<(), Failure>>;

    /// The server's count of statements its clients sent, where it keeps one.
    fn questions(pool: &sqlx::Pool<Self>) -> impl Future<Output = Result<Option<u64>, Failure>>;

    /// Makes the server's count readable in a new database, where it can be (PostgreSQL's
    /// `pg_stat_statements`, when the server has it loaded), and starts it from zero.
    fn start_count(pool: &sqlx::Pool<Self>) -> impl Future<Output = ()>;

    /// What makes the server finish the work a dropped database left (PostgreSQL's
    /// checkpoint), so that the next tool does not pay for it.
    const SETTLE: Option<&'static str>;
}

macro_rules! bench {
    ($db:ty, $int:literal, $p:literal, $questions:expr, $start_count:expr, $settle:expr) => {
        impl Bench for $db {
            const SETTLE: Option<&'static str> = $settle;

            async fn questions(pool: &sqlx::Pool<Self>) -> Result<Option<u64>, Failure> {
                let Some(sql) = $questions else {
                    return Ok(None);
                };
                // A server without the count (PostgreSQL without pg_stat_statements
                // loaded) refuses the query: no count.
                let Ok((_, value)) = sqlx::query_as::<_, (String, String)>(sql)
                    .fetch_one(pool)
                    .await
                else {
                    return Ok(None);
                };
                Ok(Some(value.parse()?))
            }

            async fn start_count(pool: &sqlx::Pool<Self>) {
                for sql in $start_count {
                    // Where the server cannot count, the count reads as none later.
                    let _ = sqlx::raw_sql(sql).execute(pool).await;
                }
            }

            /// What an application would write by hand: a version table, then each missing
            /// revision in a transaction with its version row.
            async fn raw(pool: &sqlx::Pool<Self>, sql: &[String]) -> Result<(), Failure> {
                let mut conn = pool.acquire().await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(concat!(
                    "CREATE TABLE IF NOT EXISTS raw_versions (version ",
                    $int,
                    " PRIMARY KEY)"
                )))
                .execute(&mut *conn)
                .await?;
                let done: Vec<(i64,)> = sqlx::query_as("SELECT version FROM raw_versions")
                    .fetch_all(&mut *conn)
                    .await?;
                let done: std::collections::HashSet<i64> = done.into_iter().map(|(v,)| v).collect();
                for (i, section) in sql.iter().enumerate() {
                    let version = i64::try_from(i)?;
                    if done.contains(&version) {
                        continue;
                    }
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(section.as_str()))
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(concat!(
                        "INSERT INTO raw_versions (version) VALUES (",
                        $p,
                        ")"
                    ))
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                }
                Ok(())
            }
        }
    };
}

bench!(sqlx::Sqlite, "INTEGER", "?", None::<&str>, [""; 0], None);
// Each statement of a text counts on its own, BEGIN and COMMIT included (utility
// statements are tracked by default); `bench/pgss.sh` starts such a server.
bench!(
    sqlx::Postgres,
    "BIGINT",
    "$1",
    Some(
        "SELECT 'calls', COALESCE(sum(calls), 0)::text FROM pg_stat_statements \
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ),
    [
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
        "SELECT pg_stat_statements_reset()"
    ],
    Some("CHECKPOINT")
);
bench!(
    sqlx::MySql,
    "BIGINT",
    "?",
    Some("SHOW GLOBAL STATUS LIKE 'Questions'"),
    [""; 0],
    None
);

/// What `tool` runs on `pool`: apply what is missing.
async fn go<DB: Bench>(pool: &sqlx::Pool<DB>, tool: Tool, loaded: &Loaded) -> Result<(), Failure>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
{
    match tool {
        Tool::Raw => DB::raw(pool, &loaded.raw).await?,
        Tool::Sqlx => loaded.theirs.run(pool).await?,
        Tool::Migraph => {
            loaded.ours.upgrade(pool, "head").await?;
        }
        Tool::MigraphWhole => {
            loaded
                .ours
                .runner()
                .single_transaction(true)
                .upgrade(pool, "head")
                .await?;
        }
        Tool::Diesel => return Err("diesel runs on its own SQLite connection".into()),
    }
    Ok(())
}

/// Applies everything with `tool`, then runs it again on the database at head, on the
/// same pool.
async fn run<DB: Bench>(
    pool: &sqlx::Pool<DB>,
    tool: Tool,
    loaded: &Loaded,
    proxy: Option<&wire::Proxy>,
) -> Result<Times, Failure>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
{
    let once = async || -> Result<Duration, Failure> {
        let started = Instant::now();
        go(pool, tool, loaded).await?;
        Ok(started.elapsed())
    };
    DB::start_count(pool).await;
    // What reading the counter itself adds, to take off.
    let own = match (DB::questions(pool).await?, DB::questions(pool).await?) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => 0,
    };
    let before = DB::questions(pool).await?;
    // With the proxy, a connection is opened first, outside the count (a tool that
    // closes its connection after changing something reconnects for the no-op start).
    let warm = async || -> Result<u64, Failure> {
        sqlx::raw_sql("SELECT 1").execute(pool).await?;
        Ok(proxy.map_or(0, wire::Proxy::round_trips))
    };
    let trips_before = warm().await?;
    let apply = once().await?;
    let trips_apply = proxy.map_or(0, wire::Proxy::round_trips) - trips_before;
    let after = DB::questions(pool).await?;
    let statements = match (before, after) {
        (Some(b), Some(a)) => {
            Some(a.saturating_sub(b).saturating_sub(own) as f64 / loaded.raw.len() as f64)
        }
        _ => None,
    };
    let trips_before = warm().await?;
    let noop = once().await?;
    let trips_noop = proxy.map_or(0, wire::Proxy::round_trips) - trips_before;
    Ok(Times {
        apply,
        noop,
        start: Duration::ZERO,
        statements,
        round_trips: proxy
            .is_some()
            .then(|| (trips_apply as f64 / loaded.raw.len() as f64, trips_noop)),
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn spread(values: &[f64]) -> (f64, f64) {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

/// The small crates' programs: `go!` connects to the URL of their first argument (an
/// in-memory SQLite database without one) on a pool of one connection and runs the tool;
/// each database the crate is built for gets its own expansion.
const GO: &str = "macro_rules! go {\n    \
    ($options:ty, $int:literal, $p:literal, $url:expr) => {{\n        \
    let pool = <$options>::new().max_connections(1).connect($url).await.unwrap();\n\
    BODY    }};\n}\n\n\
    #[tokio::main(flavor = \"current_thread\")]\nasync fn main() {\n    \
    let url = std::env::args().nth(1).unwrap_or_else(|| \"sqlite::memory:\".to_owned());\n\
    DISPATCH}\n";

/// The raw loop of [`Bench::raw`], for the small crates' `SQL` array. With a second
/// argument `floor` it only takes its connection and runs `SELECT 1`: what any program's
/// start-up costs at least.
const RAW_LOOP: &str = "        let mut conn = pool.acquire().await.unwrap();\n        \
    if std::env::args().nth(2).as_deref() == Some(\"floor\") {\n            \
        sqlx::raw_sql(\"SELECT 1\").execute(&mut *conn).await.unwrap();\n            \
        return;\n        }\n        \
    sqlx::raw_sql(concat!(\"CREATE TABLE IF NOT EXISTS raw_versions (version \", $int, \" PRIMARY KEY)\")).execute(&mut *conn).await.unwrap();\n        \
    let done: Vec<(i64,)> = sqlx::query_as(\"SELECT version FROM raw_versions\").fetch_all(&mut *conn).await.unwrap();\n        \
    let done: std::collections::HashSet<i64> = done.into_iter().map(|(v,)| v).collect();\n        \
    for (i, sql) in SQL.iter().enumerate() {\n            \
        let version = i as i64;\n            \
        if done.contains(&version) {\n                continue;\n            }\n            \
        let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();\n            \
        sqlx::raw_sql(*sql).execute(&mut *tx).await.unwrap();\n            \
        sqlx::query(concat!(\"INSERT INTO raw_versions (version) VALUES (\", $p, \")\")).bind(version).execute(&mut *tx).await.unwrap();\n            \
        tx.commit().await.unwrap();\n        }\n";

/// Writes a small crate embedding `n` revisions with `tool`, its program built for SQLite
/// only, or with `servers` for PostgreSQL and MySQL too (chosen by the URL's scheme).
fn rebuild_crate(dir: &Path, n: usize, tool: Tool, servers: bool) -> Result<(), Failure> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace")?;
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations)?;
    std::fs::create_dir_all(dir.join("src"))?;
    // `generate` writes both formats; the other one goes here and away.
    let spare = tempfile::tempdir()?;
    let drivers = if servers {
        "\"sqlite\", \"postgres\", \"mysql\""
    } else {
        "\"sqlite\""
    };
    let (dependency, statics, body) = match tool {
        Tool::Migraph | Tool::MigraphWhole => {
            generate(n, &migrations, spare.path())?;
            (
                format!(
                    "migraph = {{ path = {:?}, features = [{drivers}] }}",
                    workspace.join("migrations")
                ),
                "static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!(\"migrations\");\n\n"
                    .to_owned(),
                "        let report = MIGRATIONS.upgrade(&pool, \"head\").await.unwrap();\n        \
                 println!(\"{}\", report.steps.len());\n"
                    .to_owned(),
            )
        }
        Tool::Raw => {
            generate(n, spare.path(), &migrations)?;
            // The same SQL, included file by file, and the bench's raw loop: a version
            // table, then each missing revision in a transaction with its version row.
            let files: String = (1..=n)
                .map(|i| format!("    include_str!(\"../migrations/{i:05}_step.sql\"),\n"))
                .collect();
            (
                String::new(),
                format!("static SQL: [&str; {n}] = [\n{files}];\n\n"),
                RAW_LOOP.to_owned(),
            )
        }
        Tool::Diesel => return Err("the rebuild is measured for sqlx and migraph".into()),
        Tool::Sqlx => {
            generate(n, spare.path(), &migrations)?;
            (
                String::new(),
                "static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!(\"./migrations\");\n\n"
                    .to_owned(),
                "        MIGRATOR.run(&pool).await.unwrap();\n".to_owned(),
            )
        }
    };
    let sqlite = "go!(sqlx::sqlite::SqlitePoolOptions, \"INTEGER\", \"?\", &url)";
    let dispatch = if servers {
        format!(
            "    if url.starts_with(\"postgres\") {{\n        \
             go!(sqlx::postgres::PgPoolOptions, \"BIGINT\", \"$1\", &url)\n    \
             }} else if url.starts_with(\"mysql\") {{\n        \
             go!(sqlx::mysql::MySqlPoolOptions, \"BIGINT\", \"?\", &url)\n    \
             }} else {{\n        {sqlite}\n    }}\n"
        )
    } else {
        format!("    {sqlite}\n")
    };
    let main = statics + &GO.replace("BODY", &body).replace("DISPATCH", &dispatch);
    let sqlx_drivers = if servers {
        "\"sqlite\", \"postgres\", \"mysql\", "
    } else {
        "\"sqlite\", "
    };
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"rebuild{n}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n{dependency}\n\
             sqlx = {{ version = \"0.9\", default-features = false, features = [{sqlx_drivers}\"runtime-tokio\", \"migrate\", \"macros\"] }}\n\
             tokio = {{ version = \"1\", features = [\"rt\", \"macros\"] }}\n\n[workspace]\n"
        ),
    )?;
    std::fs::write(dir.join("src/main.rs"), main)?;
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    Ok(())
}

/// Builds `dir` with cargo, into `target`, in release mode with `--release`; how long it
/// took.
fn cargo_build(dir: &Path, target: &Path, release: bool) -> Result<Duration, Failure> {
    let started = Instant::now();
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--quiet"])
            .args(release.then_some("--release"))
            .env("CARGO_TARGET_DIR", target)
            .current_dir(dir)
            .status()?;
    if !status.success() {
        return Err(format!("cargo build in {} failed", dir.display()).into());
    }
    Ok(started.elapsed())
}

/// Where the benchmark's small crates are built: dependencies are built once and kept
/// next to the workspace's own build.
fn crates_target() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
            std::path::PathBuf::from,
        )
        .join("bench-crates")
}

/// The release binary's size for each size of migrations folder, with a raw loop over the
/// included files, sqlx's `migrate!` and migraph's `embed_migrations!`, SQLite only; and
/// the bytes of SQL embedded.
fn sizes(sizes: &[usize]) -> Result<(), Failure> {
    let root = tempfile::tempdir()?;
    let target = crates_target();
    println!(
        "| revisions | SQL | raw loop | sqlx `migrate!` | migraph | sqlx over raw | migraph over raw |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    for &n in sizes {
        let mut built = Vec::new();
        for tool in [Tool::Raw, Tool::Sqlx, Tool::Migraph] {
            let dir = root.path().join(format!("{}{n}", tool as u8));
            rebuild_crate(&dir, n, tool, false)?;
            cargo_build(&dir, &target, true)?;
            let binary = target.join("release").join(format!("rebuild{n}"));
            built.push(std::fs::metadata(binary)?.len());
        }
        let sql: usize = (0..n).map(|i| revision_sql(i).len()).sum();
        let [raw, sqlx, ours] = built[..] else {
            return Err("three builds expected".into());
        };
        println!(
            "| {n} | {:.2} MiB | {:.2} MiB | {:.2} MiB | {:.2} MiB | {:+.2} MiB | {:+.2} MiB |",
            mib(sql as u64),
            mib(raw),
            mib(sqlx),
            mib(ours),
            mib(sqlx) - mib(raw),
            mib(ours) - mib(raw),
        );
    }
    Ok(())
}

/// The start-up of a whole process on a database at head, as a service makes it at every
/// start: the release programs of [`rebuild_crate`] (the raw loop, sqlx's `migrate!`,
/// migraph's `embed_migrations!`, N revisions embedded in each), each run once to apply
/// on a database of its own, then `times` times in turn, timed from spawn to exit, each
/// round followed by the floor: the raw loop's program only connecting and running
/// `SELECT 1`. On an SQLite file, and on PostgreSQL and MariaDB when their URLs are set.
async fn startup(n: usize, times: usize) -> Result<(), Failure> {
    let root = tempfile::tempdir()?;
    let target = crates_target();
    let tools = [Tool::Raw, Tool::Sqlx, Tool::Migraph];
    let mut programs = Vec::new();
    for tool in tools {
        let dir = root.path().join(format!("start{}", tool as u8));
        rebuild_crate(&dir, n, tool, true)?;
        cargo_build(&dir, &target, true)?;
        // Each tool's program under its own name: the crates share a name and a target.
        let program = root.path().join(format!("program{}", tool as u8));
        std::fs::copy(target.join("release").join(format!("rebuild{n}")), &program)?;
        programs.push(program);
    }
    let run = |program: &Path, url: &str, floor: bool| -> Result<Duration, Failure> {
        let started = Instant::now();
        let status = std::process::Command::new(program)
            .arg(url)
            .args(floor.then_some("floor"))
            .stdout(std::process::Stdio::null())
            .status()?;
        let took = started.elapsed();
        if !status.success() {
            return Err(format!("{} failed on {url}", program.display()).into());
        }
        Ok(took)
    };
    println!(
        "N = {n} revisions embedded in a release program; the start-up at head is the median of {times} runs, ratios to the raw loop taken run by run\n"
    );
    println!(
        "| database | program | apply (whole process) | start-up at head (whole process) | ratio (min–max) |"
    );
    println!("|---|---|---|---|---|");
    let servers = [
        (
            Kind::Postgres,
            std::env::var("MIGRATIONS_TEST_POSTGRES_URL").ok(),
        ),
        (Kind::MySql, std::env::var("MIGRATIONS_TEST_MYSQL_URL").ok()),
    ];
    let mut kinds = vec![(Kind::Sqlite, None)];
    kinds.extend(
        servers
            .into_iter()
            .filter_map(|(k, url)| url.map(|u| (k, Some(u)))),
    );
    for (kind, server) in kinds {
        // A database of its own for each program.
        let mut urls = Vec::new();
        for t in 0..tools.len() {
            urls.push(match &server {
                None => format!(
                    "sqlite:{}?mode=rwc",
                    root.path().join(format!("db{t}")).display()
                ),
                Some(server) => {
                    let name = format!("migraph_start_{t}");
                    let sql = [
                        format!("DROP DATABASE IF EXISTS {name}"),
                        format!("CREATE DATABASE {name}"),
                    ];
                    match kind {
                        Kind::Postgres => admin::<sqlx::Postgres>(server, &sql).await?,
                        _ => admin::<sqlx::MySql>(server, &sql).await?,
                    }
                    let base = server
                        .rsplit_once('/')
                        .map_or(server.as_str(), |(base, _)| base);
                    format!("{base}/{name}")
                }
            });
        }
        let mut apply = Vec::new();
        for (program, url) in programs.iter().zip(&urls) {
            apply.push(run(program, url, false)?);
        }
        // The three programs' start-ups, then the floor: the raw loop's program taking
        // its connection and running `SELECT 1`.
        let mut starts: Vec<Vec<Duration>> = vec![Vec::new(); tools.len() + 1];
        for _ in 0..times {
            for (t, (program, url)) in programs.iter().zip(&urls).enumerate() {
                starts[t].push(run(program, url, false)?);
            }
            starts[tools.len()].push(run(&programs[0], &urls[0], true)?);
        }
        for (t, started) in starts.iter().enumerate() {
            let ratios: Vec<f64> = (0..times)
                .map(|k| started[k].as_secs_f64() / starts[0][k].as_secs_f64())
                .collect();
            let (lo, hi) = spread(&ratios);
            let (name, apply) = match (tools.get(t), apply.get(t)) {
                (Some(tool), Some(apply)) => (
                    tool.name(),
                    format!("{:.0} ms", apply.as_secs_f64() * 1000.0),
                ),
                _ => ("connect and `SELECT 1` (floor)", "–".to_owned()),
            };
            println!(
                "| {} | {name} | {apply} | {:.2} ms | {:.2}× ({lo:.2}–{hi:.2}) |",
                kind.name(),
                median(started.iter().map(|d| d.as_secs_f64() * 1000.0).collect()),
                median(ratios.clone()),
            );
        }
        if let Some(server) = &server {
            let sql: Vec<String> = (0..tools.len())
                .map(|t| format!("DROP DATABASE migraph_start_{t}"))
                .collect();
            match kind {
                Kind::Postgres => admin::<sqlx::Postgres>(server, &sql).await?,
                _ => admin::<sqlx::MySql>(server, &sql).await?,
            }
        }
    }
    Ok(())
}

/// Runs `sql` on the server of `server`, statement after statement.
async fn admin<DB: Bench>(server: &str, sql: &[String]) -> Result<(), Failure>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let pool = sqlx::Pool::<DB>::connect(server).await?;
    for statement in sql {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&pool)
            .await?;
    }
    pool.close().await;
    Ok(())
}

/// The rebuild after editing one migration file, debug and release, with migraph's
/// `embed_migrations!` and with sqlx's `migrate!`, at each size.
fn rebuild(sizes: &[usize]) -> Result<(), Failure> {
    let root = tempfile::tempdir()?;
    let target = crates_target();
    println!(
        "| revisions | tool | first build | rebuild after one edit | release: first build | release: rebuild after one edit |"
    );
    println!("|---|---|---|---|---|---|");
    for &n in sizes {
        for tool in [Tool::Sqlx, Tool::Migraph] {
            let dir = root.path().join(format!("{}{n}", tool as u8));
            rebuild_crate(&dir, n, tool, false)?;
            let mut times = Vec::new();
            for release in [false, true] {
                times.push(cargo_build(&dir, &target, release)?);
                edit_last(&dir.join("migrations"))?;
                times.push(cargo_build(&dir, &target, release)?);
            }
            let [first, again, first_release, again_release] = times[..] else {
                return Err("four builds expected".into());
            };
            println!(
                "| {n} | {} | {:.1} s | {:.1} s | {:.1} s | {:.1} s |",
                tool.name(),
                first.as_secs_f64(),
                again.as_secs_f64(),
                first_release.as_secs_f64(),
                again_release.as_secs_f64()
            );
        }
    }
    Ok(())
}

/// Edits one migration file of `migrations`: a comment at the end of the last revision.
fn edit_last(migrations: &Path) -> Result<(), Failure> {
    let mut files: Vec<_> = std::fs::read_dir(migrations)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let last = files.last().ok_or("no migration")?;
    let mut text = std::fs::read_to_string(last)?;
    text.push_str("-- edited\n");
    std::fs::write(last, text)?;
    Ok(())
}

/// Revision `i` of a graph shape: a long chain, or `width` branches that each run
/// `n / width` revisions from a shared root and meet in a merge every 100 revisions.
fn shape_file(i: usize, parents: &[usize]) -> migraph::Migration {
    let down = if parents.is_empty() {
        "none".to_owned()
    } else {
        parents
            .iter()
            .map(|p| format!("r{p:06}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!(
        "-- revision: r{i:06}\n-- down_revision: {down}\n-- migrate:upgrade\nSELECT {i};\n"
    );
    migraph::Migration::parse(&format!("r{i:06}_m.sql"), &text).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    })
}

/// The resident memory of this process, from `/proc/self/statm` (Linux), in MiB.
fn resident_mib() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<f64>().ok())
        })
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// Builds, checks and plans `upgrade heads` on graphs of `n` revisions in the core alone.
fn graph_scale(n: usize) -> Result<(), Failure> {
    println!(
        "| shape | revisions | parse | build and check | plan upgrade heads | resident memory |"
    );
    println!("|---|---|---|---|---|---|");
    let chain: Vec<Vec<usize>> = (0..n)
        .map(|i| if i == 0 { Vec::new() } else { vec![i - 1] })
        .collect();
    // Ten branches from the root; every 100 revisions the ten tips merge into one.
    let mut wide: Vec<Vec<usize>> = vec![Vec::new()];
    let mut tips: Vec<usize> = vec![0; 10];
    while wide.len() < n {
        let i = wide.len();
        if i.is_multiple_of(100) {
            let mut merge = tips.clone();
            merge.sort_unstable();
            merge.dedup();
            wide.push(merge);
            tips = vec![i; 10];
        } else {
            let b = i % 10;
            wide.push(vec![tips[b]]);
            tips[b] = i;
        }
    }
    if wide.len() < n + 1 {
        let mut merge = tips.clone();
        merge.sort_unstable();
        merge.dedup();
        if merge.len() > 1 {
            wide.push(merge);
        }
    }
    for (name, parents) in [("chain", chain), ("ten branches, merged every 100", wide)] {
        let before = resident_mib();
        let started = Instant::now();
        let files: Vec<migraph::Migration> = parents
            .iter()
            .enumerate()
            .map(|(i, p)| shape_file(i, p))
            .collect();
        let parsed = started.elapsed();
        let started = Instant::now();
        let graph = migraph::Graph::build(&files).map_err(|p| format!("{} problems", p.len()))?;
        graph.check_single_head(false)?;
        let built = started.elapsed();
        let started = Instant::now();
        let empty = migraph_core::RevSet::empty(&graph);
        let steps = migraph_core::plan::upgrade(&graph, &empty, &migraph::Target::heads())?;
        let planned = started.elapsed();
        assert_eq!(steps.len(), files.len());
        println!(
            "| {name} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} MiB |",
            files.len(),
            parsed.as_secs_f64() * 1000.0,
            built.as_secs_f64() * 1000.0,
            planned.as_secs_f64() * 1000.0,
            resident_mib() - before,
        );
    }
    Ok(())
}

/// The processor time this process has used so far, user and system, in seconds (Linux;
/// zero elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command's name, in parentheses: fields 3 on; utime and stime are 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // The kernel reports in clock ticks, 100 a second on Linux.
    (ticks(14) + ticks(15)) / 100.0
}

/// `jobs` at once over `databases` fresh SQLite files of [`FLEET_REVISIONS`] revisions
/// each: the time to bring them all to head (pools created lazily, so connecting counts
/// too), and the processor time it took.
async fn fleet_once(
    migrations: &migraph::Migrations,
    databases: usize,
    jobs: usize,
) -> Result<(Duration, f64), Failure> {
    let dir = tempfile::tempdir()?;
    let pools = (0..databases)
        .map(|d| {
            let url = format!(
                "sqlite:{}?mode=rwc",
                dir.path().join(format!("{d}.db")).display()
            );
            sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_lazy(&url)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (cpu, started) = (cpu_seconds(), Instant::now());
    let results = migrations.runner().upgrade_each(&pools, "head", jobs).await;
    let took = (started.elapsed(), cpu_seconds() - cpu);
    for pool in &pools {
        pool.close().await;
    }
    for result in results {
        let report = result?;
        if report.revisions().len() != FLEET_REVISIONS {
            return Err(format!("a database got {} revisions", report.revisions().len()).into());
        }
    }
    Ok(took)
}

/// Revisions in each database of `--fleet`.
const FLEET_REVISIONS: usize = 20;

/// `--fleet D`: D SQLite databases of 20 revisions, one at a time against 8 at once, round
/// by round.
async fn fleet(databases: usize, rounds: usize) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let other = tempfile::tempdir()?;
    generate(FLEET_REVISIONS, dir.path(), other.path())?;
    let migrations = migraph::Migrations::from_dir(dir.path())?;
    println!(
        "{databases} SQLite databases of {FLEET_REVISIONS} revisions each, `upgrade_each` (what `--databases FILE --jobs N` runs)\n"
    );
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    println!(
        "| round | 1 job | processor time | 8 jobs | processor time | speed-up | bound on {cores} cores |"
    );
    println!("|---|---|---|---|---|---|---|");
    let (mut speedups, mut bounds) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let (one, one_cpu) = fleet_once(&migrations, databases, 1).await?;
        let (eight, eight_cpu) = fleet_once(&migrations, databases, 8).await?;
        let speedup = one.as_secs_f64() / eight.as_secs_f64();
        // However many jobs, the processor time must be spent on the cores there are.
        let bound = one.as_secs_f64() / (eight_cpu / cores);
        speedups.push(speedup);
        bounds.push(bound);
        println!(
            "| {round} | {:.2} s | {one_cpu:.2} s | {:.2} s | {eight_cpu:.2} s | {speedup:.1}× | {bound:.1}× |",
            one.as_secs_f64(),
            eight.as_secs_f64()
        );
    }
    let (lo, hi) = spread(&speedups);
    println!(
        "\nmedian speed-up of 8 jobs over 1: {:.1}× ({lo:.1}–{hi:.1}); the processor time allows at most {:.1}×",
        median(speedups.clone()),
        median(bounds)
    );
    Ok(())
}

struct Args {
    n: usize,
    rounds: usize,
    /// With `--graph N`: only the core's graph scale, at N revisions.
    graph: Option<usize>,
    /// With `--repeat-noop K`: only migraph's no-op start on SQLite, K times (to profile).
    repeat_noop: Option<usize>,
    /// With `--rebuild N,N...`: only the rebuild after one edit, at these sizes.
    rebuild: Option<Vec<usize>>,
    /// With `--fleet D`: only D SQLite databases, one at a time against eight at once.
    fleet: Option<usize>,
    /// With `--size N,N...`: only the release binaries' sizes, at these sizes.
    size: Option<Vec<usize>>,
    /// With `--startup N`: only the whole process's start-up at head, N revisions
    /// embedded, `--rounds` runs (at least 20).
    startup: Option<usize>,
}

/// `1,100,1000` as numbers.
fn numbers(list: &str) -> Result<Vec<usize>, Failure> {
    Ok(list
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<usize>, _>>()?)
}

fn args() -> Result<Args, Failure> {
    let mut args = Args {
        n: 1000,
        rounds: 3,
        graph: None,
        repeat_noop: None,
        rebuild: None,
        fleet: None,
        size: None,
        startup: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => {
                args.n = 20;
                args.rounds = 1;
            }
            "--n" => args.n = it.next().ok_or("--n needs a number")?.parse()?,
            "--rounds" => args.rounds = it.next().ok_or("--rounds needs a number")?.parse()?,
            "--repeat-noop" => {
                args.repeat_noop = Some(it.next().ok_or("--repeat-noop needs a number")?.parse()?);
            }
            "--fleet" => args.fleet = Some(it.next().ok_or("--fleet needs a number")?.parse()?),
            "--graph" => args.graph = Some(it.next().ok_or("--graph needs a number")?.parse()?),
            "--rebuild" => {
                let sizes = it.next().ok_or("--rebuild needs sizes, e.g. 100,1000")?;
                args.rebuild = Some(numbers(&sizes)?);
            }
            "--startup" => {
                args.startup = Some(it.next().ok_or("--startup needs a number")?.parse()?);
            }
            "--size" => {
                let sizes = it.next().ok_or("--size needs sizes, e.g. 1,10000")?;
                args.size = Some(numbers(&sizes)?);
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}`: use --n N, --rounds R, --smoke, --graph N, --rebuild N,N, --size N,N, --startup N, --fleet D"
                )
                .into());
            }
        }
    }
    Ok(args)
}

/// migraph's no-op start on an SQLite database at head, `times` times: what a profiler
/// should look at.
async fn repeat_noop(loaded: &Loaded, times: usize) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("b.db").display());
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    loaded.ours.upgrade(&pool, "head").await?;
    let started = Instant::now();
    for _ in 0..times {
        loaded.ours.upgrade(&pool, "head").await?;
    }
    println!(
        "migraph's no-op start: {:.2} ms each",
        started.elapsed().as_secs_f64() * 1000.0 / times as f64
    );
    pool.close().await;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("b.db").display());
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    <sqlx::Sqlite as Bench>::raw(&pool, &loaded.raw).await?;
    let started = Instant::now();
    for _ in 0..times {
        <sqlx::Sqlite as Bench>::raw(&pool, &loaded.raw).await?;
    }
    println!(
        "the raw loop's no-op start: {:.2} ms each",
        started.elapsed().as_secs_f64() * 1000.0 / times as f64
    );
    pool.close().await;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let args = args()?;
    if let Some(n) = args.graph {
        return graph_scale(n);
    }
    if let Some(sizes) = &args.rebuild {
        return rebuild(sizes);
    }
    if let Some(list) = &args.size {
        return sizes(list);
    }
    if let Some(n) = args.startup {
        return startup(n, args.rounds.max(20)).await;
    }
    if let Some(databases) = args.fleet {
        return fleet(databases, args.rounds).await;
    }
    let ours_dir = tempfile::tempdir()?;
    let theirs_dir = tempfile::tempdir()?;
    let diesel_dir = tempfile::tempdir()?;
    generate(args.n, ours_dir.path(), theirs_dir.path())?;
    generate_diesel(args.n, diesel_dir.path())?;
    let loaded = Loaded {
        ours: migraph::Migrations::from_dir(ours_dir.path())?,
        theirs: sqlx::migrate::Migrator::new(theirs_dir.path()).await?,
        raw: (0..args.n).map(revision_sql).collect(),
        diesel: diesel_dir.path().to_owned(),
    };
    if let Some(times) = args.repeat_noop {
        return repeat_noop(&loaded, times).await;
    }
    let kinds = [
        (Kind::Sqlite, None),
        (
            Kind::Postgres,
            std::env::var("MIGRATIONS_TEST_POSTGRES_URL").ok(),
        ),
        (Kind::MySql, std::env::var("MIGRATIONS_TEST_MYSQL_URL").ok()),
    ];
    println!(
        "N = {} revisions (a table, three rows, an index each), {} round(s); times are medians, ratios are to the raw loop, taken round by round\n",
        args.n, args.rounds
    );
    println!(
        "| database | tool | apply | apply ratio (min–max) | no-op start | no-op ratio (min–max) | start-up, new pool | start-up ratio (min–max) | statements per revision (server) | round trips per revision (wire) | no-op round trips (wire) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (kind, server) in kinds {
        if !matches!(kind, Kind::Sqlite) && server.is_none() {
            eprintln!("{}: skipped (no server URL)", kind.name());
            continue;
        }
        let tools = match kind {
            Kind::MySql => &TOOLS[..3],
            Kind::Postgres => &TOOLS[..4],
            Kind::Sqlite => &TOOLS[..],
        };
        let mut times: Vec<Vec<Times>> = vec![Vec::new(); tools.len()];
        for round in 0..args.rounds {
            // Each round starts with another tool, so that none is always first.
            let mut kept = Vec::new();
            for k in 0..tools.len() {
                let t = (k + round) % tools.len();
                let (measured, at_head) =
                    measure(kind, server.as_deref(), tools[t], &loaded, round, None).await?;
                times[t].push(measured);
                kept.push((t, at_head));
            }
            // The start-ups, the tools taking turns.
            let mut starts: Vec<Vec<Duration>> = vec![Vec::new(); tools.len()];
            for _ in 0..STARTS {
                for (t, at_head) in &kept {
                    starts[*t].push(at_head.start(&loaded).await?);
                }
            }
            for (t, mut list) in starts.into_iter().enumerate() {
                list.sort();
                if let Some(x) = times[t].last_mut() {
                    x.start = list[STARTS / 2];
                }
            }
            for (_, at_head) in kept {
                at_head.drop_database().await?;
            }
        }
        // One more pass, untimed, through the counting proxy.
        let mut trips: Vec<Option<(f64, u64)>> = vec![None; tools.len()];
        if let Some(server) = &server {
            let upstream = wire::authority(server).ok_or("a server URL without a host")?;
            for (t, &tool) in tools.iter().enumerate() {
                let proxy = wire::Proxy::start(upstream.clone()).await?;
                let (counted, at_head) =
                    measure(kind, Some(server), tool, &loaded, args.rounds, Some(&proxy)).await?;
                at_head.drop_database().await?;
                trips[t] = counted.round_trips;
            }
        }
        for (t, &tool) in tools.iter().enumerate() {
            let ratio = |f: fn(&Times) -> Duration| -> Vec<f64> {
                (0..args.rounds)
                    .map(|r| f(&times[t][r]).as_secs_f64() / f(&times[0][r]).as_secs_f64())
                    .collect()
            };
            let ms = |f: fn(&Times) -> Duration| {
                median(
                    times[t]
                        .iter()
                        .map(|x| f(x).as_secs_f64() * 1000.0)
                        .collect(),
                )
            };
            let (apply_ratio, noop_ratio) = (ratio(|x| x.apply), ratio(|x| x.noop));
            let (alo, ahi) = spread(&apply_ratio);
            let (nlo, nhi) = spread(&noop_ratio);
            let start_ratio = ratio(|x| x.start);
            let (slo, shi) = spread(&start_ratio);
            let statements = times[t]
                .iter()
                .filter_map(|x| x.statements)
                .collect::<Vec<_>>();
            let statements = if statements.is_empty() {
                "–".to_owned()
            } else {
                format!("{:.2}", median(statements))
            };
            let trips = trips[t].map_or_else(
                || "– | –".to_owned(),
                |(per, noop)| format!("{per:.2} | {noop}"),
            );
            println!(
                "| {} | {} | {:.0} ms | {:.2}× ({alo:.2}–{ahi:.2}) | {:.1} ms | {:.2}× ({nlo:.2}–{nhi:.2}) | {:.1} ms | {:.2}× ({slo:.2}–{shi:.2}) | {statements} | {trips} |",
                kind.name(),
                tool.name(),
                ms(|x| x.apply),
                median(apply_ratio.clone()),
                ms(|x| x.noop),
                median(noop_ratio.clone()),
                ms(|x| x.start),
                median(start_ratio.clone()),
            );
        }
    }
    Ok(())
}
