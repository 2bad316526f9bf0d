//! The migration lock: one runner at a time per database and version table.
//!
//! PostgreSQL takes a session-level advisory lock and MySQL/MariaDB a named `GET_LOCK`,
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
//! in-memory database, is kept.)

use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;

use crate::driver::Driver;
use crate::error::Error;
use crate::table::TableName;

mod sealed {
    pub trait Sealed {}
}

/// A connection as sqlx's `Acquire` hands it out: a pooled connection, or a borrowed one.
///
/// Implemented for `PoolConnection<DB>` and `&mut C` for every sqlx connection type `C`,
/// which covers a pool, a connection and a transaction; sealed.
pub trait AcquiredConnection: sealed::Sealed {
    /// Makes sure that the session ends rather than going back to a pool: should a run
    /// be cut short while the session holds the migration lock, or once a run has changed
    /// the session's settings ([`crate::Migrator::session_sql`]).
    #[doc(hidden)]
    fn close_if_abandoned(&mut self);
}

impl<DB: sqlx::Database> sealed::Sealed for PoolConnection<DB> {}
impl<DB: sqlx::Database> AcquiredConnection for PoolConnection<DB> {
    fn close_if_abandoned(&mut self) {
        // sqlx cannot take this back, so the connection is closed after a locked run even
        // when it ends well: one reconnect per run that changed something.
        self.close_on_drop();
    }
}

impl<C: sqlx::Connection> sealed::Sealed for &mut C {}
impl<C: sqlx::Connection> AcquiredConnection for &mut C {
    fn close_if_abandoned(&mut self) {
        // A borrowed connection is the caller's: if the run is dropped while the lock is
        // held, the lock lasts until the caller closes that connection.
    }
}

/// The lock's name for a version table.
pub(crate) fn key(table: &TableName) -> String {
    format!("migrations:{table}")
}

/// How often to try again while another process holds the lock.
const POLL: Duration = Duration::from_millis(50);
/// How often to say again that we are waiting.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// What [`release`] needs to undo.
#[must_use = "the lock is released with `release`"]
pub(crate) struct Held {
    /// The connection's wait setting before the run (SQLite).
    previous_wait: Option<i64>,
}

/// Takes the migration lock, waiting up to `timeout`.
async fn acquire<DB: Driver>(
    conn: &mut DB::Connection,
    table: &TableName,
    timeout: Duration,
) -> Result<Held, Error> {
    let previous_wait = DB::wait_for_writers(conn, timeout).await?;
    let key = key(table);
    let started = Instant::now();
    let mut reported: Option<Instant> = None;
    loop {
        if DB::try_lock(conn, &key).await? {
            if reported.is_some() {
                tracing::info!(table = %table, waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
            }
            return Ok(Held { previous_wait });
        }
        let waited = started.elapsed();
        if waited >= timeout {
            release_wait::<DB>(conn, table, previous_wait).await;
            return Err(Error::LockTimeout {
                table: table.to_string(),
                waited,
            });
        }
        if reported.is_none_or(|at| at.elapsed() >= REPORT_EVERY) {
            tracing::info!(
                table = %table,
                waited_ms = waited.as_millis() as u64,
                "waiting for the migration lock: another process is migrating this database"
            );
            reported = Some(Instant::now());
        }
        tokio::time::sleep(POLL.min(timeout - waited)).await;
    }
}

/// Runs `work` on `conn` holding the migration lock, and releases the lock on every way
/// out of it: its result, or an error. Should `work` be dropped or panic while a session
/// lock is held, the pooled connection is closed instead (see [`AcquiredConnection`]).
pub(crate) async fn with_lock<DB, C, T>(
    conn: &mut C,
    table: &TableName,
    timeout: Duration,
    work: impl AsyncFnOnce(&mut DB::Connection) -> Result<T, Error>,
) -> Result<T, Error>
where
    DB: Driver,
    C: AcquiredConnection + std::ops::DerefMut<Target = DB::Connection>,
{
    // A replica or a read-only session would fail at the first write, after the lock;
    // say so before taking it.
    if DB::read_only(conn).await? {
        return Err(Error::ReadOnly);
    }
    if DB::SESSION_LOCK {
        conn.close_if_abandoned();
    }
    let held = acquire::<DB>(conn, table, timeout).await?;
    let result = work(conn).await;
    release::<DB>(conn, table, held).await;
    result
}

/// Releases the migration lock. A failure is logged, not returned: the run's own result
/// matters more, and a connection that cannot unlock is broken, which ends its session
/// and the lock with it.
async fn release<DB: Driver>(conn: &mut DB::Connection, table: &TableName, held: Held) {
    if let Err(error) = DB::unlock(conn, &key(table)).await {
        tracing::warn!(table = %table, %error, "could not release the migration lock");
    }
    release_wait::<DB>(conn, table, held.previous_wait).await;
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
