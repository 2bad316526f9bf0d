//! The migration lock: one runner at a time per database and version table, by one of
//! the strategies of [`LockStrategy`]. By default (`session`), PostgreSQL takes a session-level advisory lock and MySQL/MariaDB a named `GET_LOCK`,
//! both keyed on the version table (MySQL's key includes the database, as its lock names
//! are server-wide), polled until the lock timeout with a log line while waiting. SQLite
//! has no such lock: each revision's `BEGIN IMMEDIATE` transaction is the lock, waiting
//! up to the lock timeout for other writers, and the revision is skipped if another
//! process applied it meanwhile.
//!
//! The lock is released on every path that returns. If the future is dropped or a panic
//! unwinds while a session lock is held, a pooled connection is closed instead of going
//! back to the pool, which ends the session and with it the lock. (SQLite's lock is a
//! transaction, which sqlx rolls back; its connection, perhaps the only one holding an
//! in-memory database, is kept.) A lease (`table`) left behind by a dropped run ends
//! when its time is up.

use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;

use crate::dialect::DialectSql as _;
use crate::driver::{Driver, Guard};
use crate::error::Error;
use crate::table::TableName;

mod sealed {
    pub trait Sealed {}
}

/// A connection as sqlx's `Acquire` hands it out: a pooled connection, or a borrowed one.
///
/// Implemented for `PoolConnection<DB>` and `&mut C` for every sqlx connection type `C`,
/// which covers a pool, a connection and a transaction; sealed.
pub trait AcquiredConnection:
    sealed::Sealed + std::ops::DerefMut<Target: sqlx::Connection>
{
    /// The connection as the runner holds it: the same for every way it was acquired, so
    /// that the runner is compiled once per database, in this crate.
    #[doc(hidden)]
    fn held(&mut self) -> Held<'_, <Self::Target as sqlx::Connection>::Database>;
}

impl<DB: sqlx::Database> sealed::Sealed for PoolConnection<DB> {}
impl<DB: sqlx::Database> AcquiredConnection for PoolConnection<DB> {
    fn held(&mut self) -> Held<'_, DB> {
        Held::Pooled(self)
    }
}

impl<C: sqlx::Connection> sealed::Sealed for &mut C {}
impl<C: sqlx::Connection> AcquiredConnection for &mut C {
    fn held(&mut self) -> Held<'_, C::Database> {
        Held::Borrowed(&mut **self)
    }
}

/// A run's connection, however it was acquired (see [`AcquiredConnection`]).
#[doc(hidden)]
pub enum Held<'a, DB: sqlx::Database> {
    /// From a pool: closed rather than returned should a run be cut short while it holds
    /// the lock.
    Pooled(&'a mut PoolConnection<DB>),
    /// The caller's own connection or transaction.
    Borrowed(&'a mut DB::Connection),
}

impl<DB: sqlx::Database> Held<'_, DB> {
    /// Makes sure that the session ends rather than going back to a pool: should a run
    /// be cut short while the session holds the migration lock, or once a run has changed
    /// the session's settings ([`crate::Migrator::session_sql`]).
    pub(crate) fn close_if_abandoned(&mut self) {
        match self {
            // sqlx cannot take this back, so the connection is closed after a locked run
            // even when it ends well: one reconnect per run that changed something.
            Held::Pooled(conn) => conn.close_on_drop(),
            // A borrowed connection is the caller's: if the run is dropped while the lock
            // is held, the lock lasts until the caller closes that connection.
            Held::Borrowed(_) => {}
        }
    }
}

impl<DB: sqlx::Database> std::ops::Deref for Held<'_, DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match self {
            Held::Pooled(conn) => conn,
            Held::Borrowed(conn) => conn,
        }
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for Held<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Held::Pooled(conn) => conn,
            Held::Borrowed(conn) => conn,
        }
    }
}

/// How a run keeps other runners of the same migrations out: [`crate::Migrator::lock`],
/// `--lock` on the command line, `lock` in `migraph.toml`.
///
/// | strategy | PostgreSQL | MySQL / MariaDB | SQLite |
/// |---|---|---|---|
/// | `session` (default) | advisory lock for the run | `GET_LOCK` for the run | each revision's `BEGIN IMMEDIATE` |
/// | `transaction` | `pg_try_advisory_xact_lock` in each revision's transaction | refused | as `session` |
/// | `table` | a lease row in `<version table>_lock` | the same | the same |
/// | `none` | nothing | nothing | nothing |
///
/// # Examples
///
/// ```
/// use migraph_runtime::LockStrategy;
///
/// assert_eq!(LockStrategy::from_name("transaction"), Some(LockStrategy::Transaction));
/// assert_eq!(LockStrategy::default().to_string(), "session");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum LockStrategy {
    /// One lock held by the run's database session from its first revision to its last.
    /// On PostgreSQL each revision also checks, in its own transaction, that its server
    /// session is the one holding the lock: behind a pooler in transaction mode it may
    /// not be, and the run stops with [`Error::LockLost`] before running anything twice.
    #[default]
    Session,
    /// No session state: each revision's transaction takes a transaction-scoped lock
    /// (PostgreSQL's `pg_try_advisory_xact_lock`, polled up to the lock timeout), reads
    /// the revision's row again and skips it when another runner did it. Parents come
    /// first, so the graph stays whole. A revision that runs outside a transaction is
    /// claimed by its `running` row, written in a short transaction under that lock;
    /// other runners wait for it. For PgBouncer in transaction mode. MySQL and MariaDB
    /// have no transaction-scoped lock (and their DDL commits on its own): refused there
    /// with [`Error::LockStrategy`]. On SQLite, where each revision's `BEGIN IMMEDIATE`
    /// is already such a lock, the same as `Session`.
    Transaction,
    /// A lease: a row in the table `<version table>_lock` naming the runner and when its
    /// lease ends (by the database server's clock), taken at the start of the run,
    /// renewed in each revision's transaction and before each statement of a revision
    /// run outside one, and deleted at the end. A crashed runner's lease ends after
    /// [`crate::Migrator::lease`]. For engines with no advisory lock (MariaDB Galera,
    /// some distributed SQL databases).
    Table,
    /// No lock at all: for a run that is known to be the only one.
    None,
}

impl LockStrategy {
    /// Every strategy, in the order of the table above.
    pub const ALL: [Self; 4] = [Self::Session, Self::Transaction, Self::Table, Self::None];

    /// The strategy named `name` (`session`, `transaction`, `table`, `none`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The strategy's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Transaction => "transaction",
            Self::Table => "table",
            Self::None => "none",
        }
    }
}

impl std::fmt::Display for LockStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a run locks: the strategy and its times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LockOptions {
    pub(crate) strategy: LockStrategy,
    pub(crate) timeout: Duration,
    pub(crate) lease: Duration,
}

/// A token that tells this run from every other: the process, the time, and the
/// standard library's per-process random hash keys.
fn token() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", hasher.finish())
}

/// Who holds a lease, for the one who waits for it: host, process and run.
fn owner(token: &str) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    let mut owner = format!("{host} pid {} run {token}", std::process::id());
    owner.truncate(255);
    owner
}

/// The lock's name for a version table.
pub(crate) fn key(table: &TableName) -> String {
    format!("migrations:{table}")
}

/// How often to try again while another process holds the lock.
pub(crate) const POLL: Duration = Duration::from_millis(50);
/// How often to say again that we are waiting.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Takes the session-level migration lock, waiting up to `timeout`.
async fn acquire<DB: Driver>(
    conn: &mut DB::Connection,
    table: &TableName,
    timeout: Duration,
    token: &str,
) -> Result<(), Error> {
    let key = key(table);
    poll::<DB>(conn, table, timeout, Take::Session { key: &key, token }).await
}

/// Takes the transaction-scoped migration lock inside `tx` with `lock` (the dialect's
/// `xact_lock`, which answers `1` when taken), polling up to `timeout`; the lock is held
/// until the transaction ends.
pub(crate) async fn take_in_transaction<DB: Driver>(
    tx: &mut DB::Connection,
    table: &TableName,
    lock: &str,
    timeout: Duration,
) -> Result<(), Error> {
    poll::<DB>(tx, table, timeout, Take::InTransaction(lock)).await
}

/// One try at a migration lock.
#[derive(Clone, Copy)]
enum Take<'a> {
    /// The session-level lock `key`, marking the session with the run's `token`.
    Session { key: &'a str, token: &'a str },
    /// The transaction-scoped lock: SQL that answers `1` when it took it.
    InTransaction(&'a str),
}

/// Tries to take the lock until it is taken, waiting between tries (and saying so now
/// and then) up to `timeout`.
async fn poll<DB: Driver>(
    conn: &mut DB::Connection,
    table: &TableName,
    timeout: Duration,
    take: Take<'_>,
) -> Result<(), Error> {
    let started = Instant::now();
    let mut reported: Option<Instant> = None;
    loop {
        let taken = match take {
            Take::Session { key, token } => DB::try_lock(conn, key, token).await?,
            Take::InTransaction(lock) => {
                let rows = DB::read_text(conn, lock).await?.unwrap_or_default();
                let answer = rows
                    .into_iter()
                    .next()
                    .and_then(|row| row.into_iter().next().flatten());
                answer.as_deref() == Some("1")
            }
        };
        if taken {
            if reported.is_some() {
                tracing::info!(table = %table, waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
            }
            return Ok(());
        }
        wait(
            table,
            started,
            timeout,
            &mut reported,
            "another process is migrating this database",
        )
        .await?;
    }
}

/// Sleeps before the next try for a lock, saying now and then that the run waits;
/// [`Error::LockTimeout`] once `timeout` has passed since `started`.
async fn wait(
    table: &TableName,
    started: Instant,
    timeout: Duration,
    reported: &mut Option<Instant>,
    holder: &str,
) -> Result<(), Error> {
    let waited = started.elapsed();
    if waited >= timeout {
        return Err(Error::LockTimeout {
            table: table.to_string(),
            waited,
        });
    }
    if reported.is_none_or(|at| at.elapsed() >= REPORT_EVERY) {
        tracing::info!(
            table = %table,
            waited_ms = waited.as_millis() as u64,
            "waiting for the migration lock: {holder}"
        );
        *reported = Some(Instant::now());
    }
    tokio::time::sleep(POLL.min(timeout - waited)).await;
    Ok(())
}

/// Runs a `CREATE TABLE IF NOT EXISTS`. Runners without a common lock may race to create
/// the same table, and PostgreSQL then fails the one that loses (a unique violation in
/// its catalog): it finds the table there when it tries again.
pub(crate) async fn create_racing<DB: Driver>(
    conn: &mut DB::Connection,
    sql: &str,
) -> Result<(), sqlx::Error> {
    let mut first = None;
    for _ in 0..3 {
        match DB::run_sql(conn, sql).await {
            Ok(()) => return Ok(()),
            // The first error says what went wrong: in a caller's transaction on
            // PostgreSQL the next tries only say that the transaction is aborted.
            Err(e) => first = first.or(Some(e)),
        }
        tokio::time::sleep(POLL).await;
    }
    first.map_or(Ok(()), Err)
}

/// The lease table of a version table: `<name>_lock` in the same schema.
fn lease_table(table: &TableName) -> Result<TableName, Error> {
    match table.schema() {
        Some(schema) => format!("{schema}.{}_lock", table.name()),
        None => format!("{}_lock", table.name()),
    }
    .parse()
}

/// A lease taken: where, and the SQL that renews and ends it.
struct Lease {
    renew: String,
    release: String,
}

/// Takes the run's lease in the lease table (created if missing), waiting up to
/// `timeout` for another runner's lease to be released or to run out.
async fn take_lease<DB: Driver>(
    conn: &mut DB::Connection,
    table: &TableName,
    options: &LockOptions,
    token: &str,
) -> Result<Lease, Error> {
    let dialect = DB::DIALECT;
    let leases = lease_table(table)?;
    let key = key(table);
    let owner = owner(token);
    let ms = u64::try_from(options.lease.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    create_racing::<DB>(conn, &dialect.lease_table(&leases)).await?;
    let started = Instant::now();
    let mut reported = None;
    loop {
        DB::execute_counted(conn, &dialect.lease_expire(&leases, &key)).await?;
        if DB::execute_counted(conn, &dialect.lease_take(&leases, &key, &owner, ms)).await? == 1 {
            return Ok(Lease {
                renew: dialect.lease_renew(&leases, &key, &owner, ms),
                release: dialect.lease_release(&leases, &key, &owner),
            });
        }
        let holder = DB::read_text(conn, &dialect.lease_holder(&leases, &key))
            .await?
            .and_then(|rows| rows.into_iter().next())
            .map(|row| {
                let mut it = row.into_iter().map(Option::unwrap_or_default);
                let (who, left) = (it.next().unwrap_or_default(), it.next().unwrap_or_default());
                format!("{who} holds the lease for another {left} ms")
            })
            .unwrap_or_else(|| "another process holds the lease".to_owned());
        wait(table, started, options.timeout, &mut reported, &holder).await?;
    }
}

/// Runs `work` on `conn` under the migration lock of `options.strategy`, giving it what
/// each revision does to stay under that lock, and releases the lock on every way out of
/// it: its result, or an error. Should `work` be dropped or panic while a session lock is
/// held, the pooled connection is closed instead (see [`Held`]); a lease is
/// then left to run out.
pub(crate) async fn with_lock<DB, T>(
    conn: &mut Held<'_, DB>,
    table: &TableName,
    options: &LockOptions,
    work: impl AsyncFnOnce(&mut DB::Connection, &Guard) -> Result<T, Error>,
) -> Result<T, Error>
where
    DB: Driver,
{
    // A replica or a read-only session would fail at the first write, after the lock;
    // say so before taking it.
    if DB::read_only(conn).await? {
        return Err(Error::ReadOnly);
    }
    let dialect = DB::DIALECT;
    let info = crate::driver::info(dialect);
    // Where each revision's transaction is the lock (SQLite), `session` and
    // `transaction` are the same.
    let strategy = match options.strategy {
        LockStrategy::Transaction if !DB::SESSION_LOCK => LockStrategy::Session,
        other => other,
    };
    if strategy == LockStrategy::Transaction && info.xact_lock.is_none() {
        return Err(Error::LockStrategy {
            strategy,
            dialect,
            reason: "it has no transaction-scoped lock, and its DDL commits on its own; use `table` (a lease row) or `session`".to_owned(),
        });
    }
    let previous_wait = DB::wait_for_writers(conn, options.timeout).await?;
    let token = token();
    let result = match strategy {
        LockStrategy::Session => {
            if DB::SESSION_LOCK {
                conn.close_if_abandoned();
            }
            match acquire::<DB>(conn, table, options.timeout, &token).await {
                Ok(()) => {
                    let guard = match info.session_check {
                        Some(check) => {
                            Guard::Session(check.replace("{token}", &dialect.literal(&token)))
                        }
                        None => Guard::Free,
                    };
                    let result = work(conn, &guard).await;
                    release::<DB>(conn, table).await;
                    result
                }
                Err(e) => Err(e),
            }
        }
        LockStrategy::Transaction => {
            let lock = info
                .xact_lock
                .unwrap_or_default()
                .replace("{key}", &dialect.literal(&key(table)));
            work(conn, &Guard::Transaction { lock }).await
        }
        LockStrategy::Table => match take_lease::<DB>(conn, table, options, &token).await {
            Ok(lease) => {
                let result = work(conn, &Guard::Lease(lease.renew)).await;
                if let Err(error) = DB::run_sql(conn, &lease.release).await {
                    tracing::warn!(table = %table, %error, "could not release the migration lease; it runs out by itself");
                }
                result
            }
            Err(e) => Err(e),
        },
        LockStrategy::None => work(conn, &Guard::Free).await,
    };
    release_wait::<DB>(conn, table, previous_wait).await;
    result
}

/// Releases the session-level migration lock. A failure is logged, not returned: the
/// run's own result matters more, and a connection that cannot unlock is broken, which
/// ends its session and the lock with it.
async fn release<DB: Driver>(conn: &mut DB::Connection, table: &TableName) {
    if let Err(error) = DB::unlock(conn, &key(table)).await {
        tracing::warn!(table = %table, %error, "could not release the migration lock");
    }
}

async fn release_wait<DB: Driver>(
    conn: &mut DB::Connection,
    table: &TableName,
    previous: Option<i64>,
) {
    if let Err(error) = DB::restore_wait(conn, previous).await {
        tracing::warn!(table = %table, %error, "could not restore the connection's busy timeout");
    }
}
