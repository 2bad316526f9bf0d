//! Many processes starting at once, and the migration lock released on every path, on
//! PostgreSQL, MariaDB and SQLite.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use migraph::{Dialect, Error, LockStrategy, Migrations};
use migraph_tests::{Backend, TestDb, migrations_dir, on_every_database};

const REVISIONS: usize = 50;
const PROCESSES: usize = 16;

/// `n` revisions; each records itself in `hits`, whose primary key makes a second
/// application of any of them fail.
fn revisions(n: usize) -> tempfile::TempDir {
    revisions_with(n, None)
}

/// As [`revisions`], every `outside`th revision (when given) saying `transaction: false`.
fn revisions_with(n: usize, outside: Option<usize>) -> tempfile::TempDir {
    let files: Vec<(String, String)> = (0..n)
        .map(|i| {
            let down = if i == 0 { "none".to_owned() } else { format!("r{:03}", i - 1) };
            let create = if i == 0 { "CREATE TABLE hits (revision VARCHAR(64) PRIMARY KEY);\n" } else { "" };
            let header = match outside {
                Some(every) if i > 0 && i % every == 0 => "-- transaction: false\n",
                _ => "",
            };
            let text = format!(
                "-- revision: r{i:03}\n-- down_revision: {down}\n{header}-- migrate:upgrade\n{create}INSERT INTO hits (revision) VALUES ('r{i:03}');\n-- migrate:downgrade\nDELETE FROM hits WHERE revision = 'r{i:03}';\n"
            );
            (format!("r{i:03}_hit.sql"), text)
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    migrations_dir(&refs)
}

/// Not a test on its own: the child process the concurrency tests start many of. It
/// upgrades the database at `MIGRATIONS_CHILD_URL` with the folder `MIGRATIONS_CHILD_DIR`,
/// with the lock strategy `MIGRATIONS_CHILD_LOCK` (default `session`) and the lock timeout
/// `MIGRATIONS_CHILD_LOCK_TIMEOUT` in seconds (default 300).
#[test]
#[ignore = "started by the concurrency tests as a child process"]
fn child_process() {
    let url = std::env::var("MIGRATIONS_CHILD_URL").expect("MIGRATIONS_CHILD_URL");
    let dir = std::env::var("MIGRATIONS_CHILD_DIR").expect("MIGRATIONS_CHILD_DIR");
    let migrations = Migrations::from_dir(dir).unwrap();
    let lock = std::env::var("MIGRATIONS_CHILD_LOCK").unwrap_or_else(|_| "session".to_owned());
    let seconds: u64 =
        std::env::var("MIGRATIONS_CHILD_LOCK_TIMEOUT").map_or(300, |s| s.parse().unwrap());
    let runner = migrations
        .runner()
        .lock(LockStrategy::from_name(&lock).unwrap())
        .lock_timeout(Duration::from_secs(seconds));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let report = if url.starts_with("postgres") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .unwrap();
            runner.upgrade(&pool, "head").await
        } else if url.starts_with("mysql") {
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .unwrap();
            runner.upgrade(&pool, "head").await
        } else {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .unwrap();
            runner.upgrade(&pool, "head").await
        };
        match report {
            Ok(report) => println!("\napplied {}", report.steps.len()),
            Err(e) => panic!("child failed: {e}"),
        }
    });
}

/// Starts a child process that upgrades `url` to head with the folder `dir`.
fn child(url: &str, dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MIGRATIONS_CHILD_URL", url)
        .env("MIGRATIONS_CHILD_DIR", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

on_every_database!(
    sixteen_processes_apply_every_revision_exactly_once,
    a_failed_revision_does_not_keep_the_lock,
    a_dropped_run_releases_the_lock,
    a_lock_held_elsewhere_times_out_with_nothing_changed,
);

async fn sixteen_processes_apply_every_revision_exactly_once<DB: Backend>(db: &TestDb<DB>) {
    let dir = revisions(REVISIONS);
    let outcome = processes(&db.url, dir.path(), PROCESSES, &[]).await;
    outcome.assert_all_succeeded();
    each_revision_applied_once(db, dir.path(), &outcome).await;
}

/// What the child processes did.
struct Outcome {
    /// How many revisions the children said they applied, in all.
    applied: usize,
    /// The output of each child that failed.
    failures: Vec<String>,
}

impl Outcome {
    fn assert_all_succeeded(&self) {
        assert!(
            self.failures.is_empty(),
            "children failed:\n{}",
            self.failures.join("\n---\n")
        );
    }
}

/// Runs `n` child processes at once against `url`, with extra environment `env`, and
/// gathers what they did.
async fn processes(url: &str, dir: &Path, n: usize, env: &[(&str, &str)]) -> Outcome {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..n)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "child_process",
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("MIGRATIONS_CHILD_URL", url)
                .env("MIGRATIONS_CHILD_DIR", dir)
                .envs(env.iter().copied())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outcome = Outcome {
        applied: 0,
        failures: Vec::new(),
    };
    for child in children {
        let out = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            outcome.failures.push(format!(
                "{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        outcome.applied += stdout
            .lines()
            .find_map(|l| Some(&l[l.find("applied ")? + "applied ".len()..]))
            .map_or(0, |n| n.trim().parse::<usize>().unwrap());
    }
    outcome
}

/// Each revision of `dir` ran once in all: the children's reports add up to them, and
/// the primary key of `hits` would have failed a second run of any.
async fn each_revision_applied_once<DB: Backend>(db: &TestDb<DB>, dir: &Path, outcome: &Outcome) {
    let n = std::fs::read_dir(dir).unwrap().count();
    assert_eq!(outcome.applied, n);
    assert_eq!(
        DB::scalar(&db.pool, "SELECT COUNT(*) FROM hits").await,
        n as i64
    );
    let rows = Migrations::from_dir(dir)
        .unwrap()
        .runner()
        .applied(&db.pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), n);
    assert!(
        rows.iter()
            .all(|r| r.state == migraph::RevisionState::Applied)
    );
}

on_every_database!(
    with_transaction_locks_each_revision_is_applied_once,
    with_a_lease_each_revision_is_applied_once,
);

/// Eight processes with `--lock transaction`, some revisions outside a transaction;
/// refused on MariaDB, which has no transaction-scoped lock.
async fn with_transaction_locks_each_revision_is_applied_once<DB: Backend>(db: &TestDb<DB>) {
    let dir = revisions_with(30, Some(7));
    if DB::DIALECT == Dialect::MySql {
        let m = Migrations::from_dir(dir.path()).unwrap();
        let refused = m
            .runner()
            .lock(LockStrategy::Transaction)
            .upgrade(&db.pool, "head")
            .await;
        assert!(
            matches!(refused, Err(Error::LockStrategy { .. })),
            "{refused:?}"
        );
        assert!(refused.unwrap_err().to_string().contains("use `table`"));
        return;
    }
    let outcome = processes(
        &db.url,
        dir.path(),
        8,
        &[("MIGRATIONS_CHILD_LOCK", "transaction")],
    )
    .await;
    outcome.assert_all_succeeded();
    each_revision_applied_once(db, dir.path(), &outcome).await;
}

/// Eight processes with `--lock table`, some revisions outside a transaction; the lease
/// is gone afterwards.
async fn with_a_lease_each_revision_is_applied_once<DB: Backend>(db: &TestDb<DB>) {
    let dir = revisions_with(30, Some(7));
    let outcome = processes(
        &db.url,
        dir.path(),
        8,
        &[("MIGRATIONS_CHILD_LOCK", "table")],
    )
    .await;
    outcome.assert_all_succeeded();
    each_revision_applied_once(db, dir.path(), &outcome).await;
    assert_eq!(
        DB::scalar(&db.pool, "SELECT COUNT(*) FROM _migrations_lock").await,
        0
    );
}

const A1: &str = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE first_table (id INTEGER PRIMARY KEY);\n-- migrate:downgrade\nDROP TABLE first_table;\n";

async fn a_failed_revision_does_not_keep_the_lock<DB: Backend>(db: &TestDb<DB>) {
    let broken = "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nINSERT INTO no_such_table VALUES (1);\n";
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_broken.sql", broken)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    assert!(matches!(
        m.upgrade(&db.pool, "head").await,
        Err(Error::Execute { .. })
    ));
    // Neither this pool nor another waits for a lock: both get the lock and reach b2.
    let other = sqlx::Pool::<DB>::connect(&db.url).await.unwrap();
    for pool in [&db.pool, &other] {
        let started = Instant::now();
        let err = m
            .runner()
            .lock_timeout(Duration::from_secs(1))
            .upgrade(pool, "head")
            .await
            .unwrap_err();
        // b2's only statement failed as a whole, so nothing of it stays, on MySQL too:
        // each run tries it again.
        assert!(matches!(err, Error::Execute { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
    other.close().await;
}

async fn a_dropped_run_releases_the_lock<DB: Backend>(db: &TestDb<DB>) {
    let slow = format!(
        "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\n{};\nCREATE TABLE slow_table (id INTEGER PRIMARY KEY);\n",
        DB::SLEEP_A_SECOND
    );
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_slow.sql", &slow)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    // Cut the run short while b2 is running.
    let cut = tokio::time::timeout(Duration::from_millis(300), m.upgrade(&db.pool, "head")).await;
    assert!(cut.is_err(), "the slow revision finished within 300 ms");
    let other = sqlx::Pool::<DB>::connect(&db.url).await.unwrap();
    let runner = m.runner().lock_timeout(Duration::from_secs(20));
    if DB::DIALECT == Dialect::Postgres {
        // PostgreSQL had b2 whole, from BEGIN to COMMIT, in the one text sent before the
        // cut: the server ran it to its end, and it is applied, once, with its row.
        let report = runner.upgrade(&other, "head").await.unwrap();
        assert!(report.is_empty(), "{:?}", report.revisions());
        assert!(DB::table_exists(&other, "slow_table").await);
        let rows = m.runner().applied(&other).await.unwrap();
        assert_eq!(rows.len(), 2);
    } else if DB::TRANSACTIONAL_DDL {
        // b2 was rolled back with its transaction; the next run applies it.
        let report = runner.upgrade(&other, "head").await.unwrap();
        assert_eq!(report.revisions(), ["b2"]);
        assert!(DB::table_exists(&other, "slow_table").await);
    } else {
        // MySQL cannot roll DDL back: b2's row says it was cut short, and the next run,
        // which got the lock, refuses to guess.
        let err = runner.upgrade(&other, "head").await.unwrap_err();
        assert!(
            matches!(&err, Error::Dirty { revision, .. } if revision == "b2"),
            "{err}"
        );
    }
    other.close().await;
}

async fn a_lock_held_elsewhere_times_out_with_nothing_changed<DB: Backend>(db: &TestDb<DB>) {
    let m = Migrations::from_dir(migrations_dir(&[("a1_first.sql", A1)]).path()).unwrap();
    let holder = DB::hold_lock(&db.pool).await;
    let started = Instant::now();
    let err = m
        .runner()
        .lock_timeout(Duration::from_secs(1))
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert!(err.to_string().contains("nothing was changed"));
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(!DB::table_exists(&db.pool, "first_table").await);
    assert!(m.current(&db.pool).await.unwrap().is_empty());
    // Once the other session lets go, the run goes through.
    holder.close().await.unwrap();
    let report = m
        .runner()
        .lock_timeout(Duration::from_secs(5))
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    assert_eq!(report.revisions(), ["a1"]);
}

const KILL_REVISIONS: usize = 200;
const KILL_TRIALS: usize = 20;

/// A small random number generator (xorshift), seeded from the clock; the seed is printed
/// so that a failing trial can be told apart.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64 | 1);
        println!("seed {seed}");
        Self(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// A child applying 200 revisions is killed with SIGKILL at a random moment; a new run
/// then completes to head, every revision applied exactly once, the schema (`hits`)
/// matching the version table.
async fn killed_runs_leave_a_database_that_a_new_run_completes<DB: Backend>(
    fresh: impl AsyncFn() -> Option<TestDb<DB>>,
) {
    let dir = revisions(KILL_REVISIONS);
    let m = Migrations::from_dir(dir.path()).unwrap();
    let mut random = Random::new();
    // How long a whole run takes, start-up included: the window to kill in.
    let window = {
        let Some(db) = fresh().await else { return };
        let started = Instant::now();
        let out = tokio::task::spawn_blocking({
            let c = child(&db.url, dir.path());
            move || c.wait_with_output()
        })
        .await
        .unwrap()
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        started.elapsed()
    };
    let mut cut_mid_way = 0;
    for trial in 0..KILL_TRIALS {
        let Some(db) = fresh().await else { return };
        let at = Duration::from_millis(random.below(window.as_millis() as u64));
        let mut victim = child(&db.url, dir.path());
        tokio::time::sleep(at).await;
        victim.kill().unwrap();
        victim.wait().unwrap();
        let report = m
            .runner()
            .lock_timeout(Duration::from_secs(30))
            .upgrade(&db.pool, "head")
            .await;
        let report = report.unwrap_or_else(|e| panic!("trial {trial}, killed after {at:?}: {e}"));
        let hits = DB::scalar(&db.pool, "SELECT COUNT(*) FROM hits").await;
        let recorded = DB::scalar(
            &db.pool,
            "SELECT COUNT(*) FROM _migrations WHERE state = 'applied'",
        )
        .await;
        let matching = DB::scalar(
            &db.pool,
            "SELECT COUNT(*) FROM hits h JOIN _migrations m ON m.revision = h.revision",
        )
        .await;
        assert_eq!(
            (hits, recorded, matching),
            (
                KILL_REVISIONS as i64,
                KILL_REVISIONS as i64,
                KILL_REVISIONS as i64
            ),
            "trial {trial}, killed after {at:?}, then {} applied",
            report.steps.len()
        );
        if (1..KILL_REVISIONS).contains(&report.steps.len()) {
            cut_mid_way += 1;
        }
    }
    println!("{cut_mid_way} of {KILL_TRIALS} kills landed part-way through the revisions");
    assert!(
        cut_mid_way >= KILL_TRIALS / 4,
        "too few kills landed part-way: {cut_mid_way}"
    );
}

#[tokio::test]
async fn killed_runs_on_postgres() {
    killed_runs_leave_a_database_that_a_new_run_completes(TestDb::<sqlx::Postgres>::postgres).await;
}

#[tokio::test]
async fn killed_runs_on_sqlite() {
    killed_runs_leave_a_database_that_a_new_run_completes(TestDb::<sqlx::Sqlite>::sqlite).await;
}

on_every_database!(a_panicking_progress_hook_releases_the_lock);

async fn a_panicking_progress_hook_releases_the_lock<DB: Backend>(db: &TestDb<DB>) {
    let b2 = "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE second_table (id INTEGER PRIMARY KEY);\n";
    let dir = migrations_dir(&[("a1_first.sql", A1), ("b2_second.sql", b2)]);
    let m = std::sync::Arc::new(Migrations::from_dir(dir.path()).unwrap());
    let pool = db.pool.clone();
    let panicking = {
        let m = m.clone();
        tokio::spawn(async move {
            m.runner()
                .on_step(|step| panic!("a caller's hook fails after {}", step.revision))
                .upgrade(&pool, "head")
                .await
        })
    };
    assert!(panicking.await.unwrap_err().is_panic());
    // a1 was done when the hook panicked; b2 was never started. Another run, from another
    // pool, gets the lock at once and finishes.
    let other = sqlx::Pool::<DB>::connect(&db.url).await.unwrap();
    let report = m
        .runner()
        .lock_timeout(Duration::from_secs(2))
        .upgrade(&other, "head")
        .await
        .unwrap();
    assert_eq!(report.revisions(), ["b2"]);
    other.close().await;
}

on_every_database!(two_version_tables_do_not_block_each_other);

async fn two_version_tables_do_not_block_each_other<DB: Backend>(db: &TestDb<DB>) {
    let m = Migrations::from_dir(migrations_dir(&[("a1_first.sql", A1)]).path()).unwrap();
    // Another application holds the lock of `_migrations`...
    let holder = DB::hold_lock(&db.pool).await;
    let runner = m
        .runner()
        .table("other_app_versions")
        .lock_timeout(Duration::from_secs(1));
    let result = runner.upgrade(&db.pool, "head").await;
    if DB::HOLD_LOCK.starts_with("BEGIN") {
        // ...which on SQLite is a write transaction on the whole file: this one waits.
        assert!(
            matches!(result, Err(Error::LockTimeout { .. })),
            "{result:?}"
        );
    } else {
        // ...and an application with its own version table goes on.
        assert_eq!(result.unwrap().revisions(), ["a1"]);
    }
    holder.close().await.unwrap();
}

/// The test database `db` through PgBouncer in transaction mode (`tests/pgbouncer.sh`),
/// or `None` (skipped) when no PgBouncer is configured.
fn through_pgbouncer(db: &TestDb<sqlx::Postgres>) -> Option<String> {
    let bouncer = migraph_tests::url_from("MIGRATIONS_TEST_PGBOUNCER_URL")?;
    let name = db.url.rsplit('/').next()?.split('?').next()?;
    Some(migraph_tests::with_database(&bouncer, name))
}

/// Sixteen processes upgrade 50 revisions through PgBouncer in transaction mode, whose
/// two server connections they share: with `--lock transaction`, then with `--lock
/// table`, each revision is applied exactly once and every process succeeds.
#[tokio::test]
async fn through_pgbouncer_each_revision_is_applied_once() {
    for strategy in ["transaction", "table"] {
        let Some(db) = TestDb::<sqlx::Postgres>::postgres().await else {
            return;
        };
        let Some(url) = through_pgbouncer(&db) else {
            return;
        };
        let dir = revisions_with(REVISIONS, Some(10));
        let env = [("MIGRATIONS_CHILD_LOCK", strategy)];
        let outcome = processes(&url, dir.path(), PROCESSES, &env).await;
        outcome.assert_all_succeeded();
        each_revision_applied_once(&db, dir.path(), &outcome).await;
    }
}

/// Stamp, repair and adopt read rows and then write them. Under the transaction strategy
/// they do both in one transaction holding the lock each revision's transaction takes:
/// while another session holds it they wait, and time out with nothing recorded; then
/// they go through, through PgBouncer too.
#[tokio::test]
async fn under_transaction_locks_stamp_waits_for_the_lock_in_one_transaction() {
    let Some(db) = TestDb::<sqlx::Postgres>::postgres().await else {
        return;
    };
    let m = Migrations::from_dir(migrations_dir(&[("a1_first.sql", A1)]).path()).unwrap();
    let runner = || {
        m.runner()
            .lock(LockStrategy::Transaction)
            .lock_timeout(Duration::from_secs(1))
    };
    let holder = <sqlx::Postgres as Backend>::hold_lock(&db.pool).await;
    let started = Instant::now();
    let err = runner().stamp(&db.pool, &["head"]).await.unwrap_err();
    assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(m.current(&db.pool).await.unwrap().is_empty());
    holder.close().await.unwrap();
    let report = match through_pgbouncer(&db) {
        Some(url) => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let report = runner().stamp(&pool, &["head"]).await.unwrap();
            pool.close().await;
            report
        }
        None => runner().stamp(&db.pool, &["head"]).await.unwrap(),
    };
    assert_eq!(report.revisions(), ["a1"]);
    let current = m.current(&db.pool).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].revision, "a1");
    assert!(!<sqlx::Postgres as Backend>::table_exists(&db.pool, "first_table").await);
}

/// Under a session lock, a version row that another runner wrote while this run held the
/// lock (what a pooler in transaction mode allows) is the lock lost, not a database error:
/// for a revision in a transaction, whose row is written after its SQL (rolled back with
/// it), and for one outside a transaction, whose `running` row is written before its SQL
/// (which then does not run). A trigger stands in for the other runner, deterministically.
#[tokio::test]
async fn a_version_row_written_by_another_runner_under_a_session_lock_is_the_lock_lost() {
    let Some(db) = TestDb::<sqlx::Postgres>::postgres().await else {
        return;
    };
    let dir = revisions_with(3, Some(2));
    let m = Migrations::from_dir(dir.path()).unwrap();
    m.upgrade(&db.pool, "r000").await.unwrap();
    // Another runner's row appears as this run inserts its own for `revisions`.
    let another_runner = |revisions: &str| {
        format!(
            "CREATE OR REPLACE FUNCTION another_runner() RETURNS trigger AS $$ BEGIN \
             IF pg_trigger_depth() = 1 AND NEW.revision IN ({revisions}) THEN \
             INSERT INTO _migrations SELECT NEW.*; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
    };
    sqlx::Postgres::execute(&db.pool, &another_runner("'r001', 'r002'")).await;
    sqlx::Postgres::execute(
        &db.pool,
        "CREATE TRIGGER another_runner BEFORE INSERT ON _migrations \
         FOR EACH ROW EXECUTE FUNCTION another_runner()",
    )
    .await;
    let lost = async |target: &str| {
        let err = m.upgrade(&db.pool, target).await.unwrap_err();
        let Error::LockLost { reason, .. } = err else {
            panic!("{target}: not the lock lost: {err}");
        };
        let hits = format!("SELECT COUNT(*) FROM hits WHERE revision = '{target}'");
        assert_eq!(
            sqlx::Postgres::scalar(&db.pool, &hits).await,
            0,
            "{target} ran"
        );
        assert!(
            reason.contains(&format!("another runner recorded revision `{target}`"))
                && reason.contains("--lock transaction"),
            "{reason}"
        );
        reason
    };
    // In its transaction: its SQL ran, the row failed, all of it rolled back.
    let reason = lost("r001").await;
    assert!(
        reason.ends_with("this run's transaction for it was rolled back"),
        "{reason}"
    );
    // Outside a transaction: the `running` row failed before its SQL.
    sqlx::Postgres::execute(&db.pool, &another_runner("'r002'")).await;
    let reason = lost("r002").await;
    assert!(reason.ends_with("nothing of it ran here"), "{reason}");
    assert_eq!(
        sqlx::Postgres::scalar(&db.pool, "SELECT COUNT(*) FROM _migrations").await,
        2,
        "r000 and r001 recorded, r002 not"
    );
}

/// A session lock does not hold through a pooler in transaction mode: the runs notice
/// that their transactions reach server sessions that do not hold it, and stop, saying
/// so; none applies a revision twice, and what was applied is recorded.
#[tokio::test]
async fn through_pgbouncer_a_session_lock_stops_and_never_applies_twice() {
    let Some(db) = TestDb::<sqlx::Postgres>::postgres().await else {
        return;
    };
    let Some(url) = through_pgbouncer(&db) else {
        return;
    };
    let dir = revisions_with(REVISIONS, Some(10));
    let env = [
        ("MIGRATIONS_CHILD_LOCK", "session"),
        ("MIGRATIONS_CHILD_LOCK_TIMEOUT", "5"),
    ];
    let outcome = processes(&url, dir.path(), PROCESSES, &env).await;
    for failure in &outcome.failures {
        assert!(
            // The lock was lost; another run held it; or another run, holding the same
            // server session's lock, was part-way through a revision outside a
            // transaction.
            failure.contains("lost the migration lock")
                || failure.contains("timed out")
                || failure.contains("is `running` in the version table"),
            "a process failed for another reason:\n{failure}"
        );
    }
    assert!(
        outcome
            .failures
            .iter()
            .any(|f| f.contains("a pooler in transaction mode") && f.contains("--lock transaction")),
        "no process noticed the pooler: {} failures",
        outcome.failures.len()
    );
    let rows = Migrations::from_dir(dir.path())
        .unwrap()
        .runner()
        .applied(&db.pool)
        .await
        .unwrap();
    let applied = rows
        .iter()
        .filter(|r| r.state == migraph::RevisionState::Applied)
        .count();
    assert_eq!(applied, rows.len(), "{rows:?}");
    if applied > 0 {
        let hits = sqlx::Postgres::scalar(&db.pool, "SELECT COUNT(*) FROM hits").await;
        assert_eq!(
            hits, applied as i64,
            "a revision ran without being recorded, or twice"
        );
    }
    // Processes that stopped part-way do not report what they applied before.
    assert!(outcome.applied <= applied);
}

on_every_database!(a_lease_left_by_a_crashed_runner_blocks_until_it_runs_out);

/// A lease whose holder is gone keeps other runners out until its time is up, and then
/// lets the next one in.
async fn a_lease_left_by_a_crashed_runner_blocks_until_it_runs_out<DB: Backend>(db: &TestDb<DB>) {
    let m = Migrations::from_dir(migrations_dir(&[("a1_first.sql", A1)]).path()).unwrap();
    let runner = m
        .runner()
        .lock(LockStrategy::Table)
        .lock_timeout(Duration::from_secs(1));
    // A first run makes the lease table, and leaves it empty.
    runner.downgrade(&db.pool, "base").await.unwrap();
    assert_eq!(
        DB::scalar(&db.pool, "SELECT COUNT(*) FROM _migrations_lock").await,
        0
    );
    DB::execute(
        &db.pool,
        "INSERT INTO _migrations_lock (name, owner, acquired_at_ms, expires_at_ms) VALUES ('migrations:_migrations', 'a crashed runner', 0, 99999999999999)",
    )
    .await;
    let started = Instant::now();
    let refused = runner.upgrade(&db.pool, "head").await;
    assert!(
        matches!(refused, Err(Error::LockTimeout { .. })),
        "{refused:?}"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(
        m.runner().applied(&db.pool).await.unwrap().is_empty(),
        "nothing ran"
    );
    // Its time is up.
    DB::execute(&db.pool, "UPDATE _migrations_lock SET expires_at_ms = 0").await;
    assert_eq!(
        runner.upgrade(&db.pool, "head").await.unwrap().revisions(),
        ["a1"]
    );
    assert_eq!(
        DB::scalar(&db.pool, "SELECT COUNT(*) FROM _migrations_lock").await,
        0
    );
}
