//! How a revision is run and recorded, written once for every database: the body of each
//! driver's `Driver` implementation, instantiated by `impl_driver!` in the database's own
//! file with that database's types and [`super::DialectInfo`].

/// Implements [`Driver`] for one sqlx database type. The body is the same for every
/// database: only the types and the [`DialectInfo`] differ.
macro_rules! impl_driver {
    ($db:ty, $dialect:expr) => {
        impl $crate::driver::sealed::Sealed for $db {}

        impl $crate::driver::Driver for $db {
            const DIALECT: $crate::driver::Dialect = $dialect;
            const SESSION_LOCK: bool = INFO.try_lock.is_some();

            // The entry points: each boxes the runner's future for this database, so
            // that it is compiled in this crate (never inlined into a caller's).
            #[inline(never)]
            fn migrate<'a>(
                runner: &'a $crate::migrator::Migrator<'_>,
                conn: $crate::lock::Held<'a, Self>,
                direction: $crate::migrator::Direction,
            ) -> ::futures_util::future::BoxFuture<'a, Result<$crate::report::Report, $crate::error::Error>> {
                Box::pin(runner.migrate_on(conn, direction))
            }

            #[inline(never)]
            fn pending<'a, 'm>(
                runner: &'a $crate::migrator::Migrator<'m>,
                conn: $crate::lock::Held<'a, Self>,
                target: ::migraph_core::Target,
            ) -> ::futures_util::future::BoxFuture<'a, Result<Vec<&'m ::migraph_core::Migration>, $crate::error::Error>> {
                Box::pin(runner.pending_on(conn, target))
            }

            #[inline(never)]
            fn applied<'a>(
                runner: &'a $crate::migrator::Migrator<'_>,
                conn: $crate::lock::Held<'a, Self>,
            ) -> ::futures_util::future::BoxFuture<'a, Result<Vec<$crate::table::AppliedRevision>, $crate::error::Error>> {
                Box::pin(runner.applied_on(conn))
            }

            #[inline(never)]
            fn stamp_targets<'a>(
                runner: &'a $crate::migrator::Migrator<'_>,
                conn: $crate::lock::Held<'a, Self>,
                targets: Vec<::migraph_core::Target>,
                start: $crate::migrator::Start,
            ) -> ::futures_util::future::BoxFuture<'a, Result<$crate::report::Report, $crate::error::Error>> {
                Box::pin(runner.stamp_on(conn, targets, start))
            }

            #[inline(never)]
            fn repair<'a>(
                runner: &'a $crate::migrator::Migrator<'_>,
                conn: $crate::lock::Held<'a, Self>,
                revision: &'a str,
                how: $crate::migrator::Repair,
            ) -> ::futures_util::future::BoxFuture<'a, Result<(), $crate::error::Error>> {
                Box::pin(runner.repair_on(conn, revision, how))
            }

            #[inline(never)]
            fn repair_checksums<'a>(
                runner: &'a $crate::migrator::Migrator<'_>,
                conn: $crate::lock::Held<'a, Self>,
                revisions: &'a [&'a str],
            ) -> ::futures_util::future::BoxFuture<'a, Result<Vec<String>, $crate::error::Error>> {
                Box::pin(runner.repair_checksums_on(conn, revisions))
            }

            #[inline(never)]
            fn adopt<'a>(
                runner: &'a $crate::migrator::Migrator<'_>,
                conn: $crate::lock::Held<'a, Self>,
                tool: ::migraph_core::import::Tool,
            ) -> ::futures_util::future::BoxFuture<'a, Result<$crate::migrator::Adoption, $crate::error::Error>> {
                Box::pin(runner.adopt_on(conn, tool))
            }

            fn read_rows<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
            ) -> impl ::std::future::Future<
                Output = Result<Option<Vec<$crate::table::AppliedRevision>>, sqlx::Error>,
            > + Send
            + 'e {
                async move {
                    let sql = Self::DIALECT.select_rows(table);
                    let rows = Self::read_text(conn, &sql).await?;
                    Ok(rows.map(|rows| rows.into_iter().map($crate::driver::decode_row).collect()))
                }
            }

            fn read_states<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
                expected: usize,
            ) -> impl ::std::future::Future<
                Output = Result<Option<$crate::driver::StateRows>, sqlx::Error>,
            > + Send
            + 'e {
                async move {
                    // As text, unprepared: one round trip on a new connection, where a
                    // prepared statement costs two (prepare, then execute).
                    let sql = Self::DIALECT.select_states(table);
                    // SQLite's come as one text, kept as it is.
                    if Self::DIALECT == ::migraph_core::Dialect::Sqlite {
                        let rows = Self::read_text(conn, &sql).await?;
                        return Ok(rows.map(|rows| {
                            let all = rows.into_iter().next().and_then(|r| r.into_iter().next().flatten());
                            $crate::driver::StateRows::joined(all.unwrap_or_default())
                        }));
                    }
                    // Three NOT NULL text columns: revision, checksum, state, each copied
                    // from the row as it arrives into one buffer.
                    guarded_read(conn, async |conn| {
                        use ::futures_util::TryStreamExt as _;
                        use sqlx::Row as _;
                        let mut out = $crate::driver::StateRows::with_capacity(expected);
                        let mut rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch(conn);
                        while let Some(row) = rows.try_next().await? {
                            let cell = |i: usize| row.try_get::<Option<&str>, _>(i).map(Option::unwrap_or_default);
                            out.push([cell(0)?, cell(1)?, cell(2)?]);
                        }
                        Ok(out)
                    })
                    .await
                }
            }

            fn read_text<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                sql: &'e str,
            ) -> impl ::std::future::Future<
                Output = Result<Option<Vec<Vec<Option<String>>>>, sqlx::Error>,
            > + Send
            + 'e {
                async move { guarded_read(conn, async |conn| text_rows(conn, sql).await).await }
            }

            fn read_only(
                conn: &mut <Self as sqlx::Database>::Connection,
            ) -> impl ::std::future::Future<Output = Result<bool, sqlx::Error>> + Send + '_ {
                async move {
                    for sql in $crate::driver::info(Self::DIALECT).read_only {
                        // A query the server does not understand (another version's name
                        // for a setting) says nothing; the next one may.
                        if let Ok(Some(rows)) = Self::read_text(&mut *conn, sql).await {
                            let first = rows.into_iter().next().and_then(|r| r.into_iter().next().flatten());
                            return Ok(first.is_some_and(|v| v.trim() != "0"));
                        }
                    }
                    Ok(false)
                }
            }

            fn create_table<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move {
                    let sql = Self::DIALECT.create_table(table);
                    $crate::lock::create_racing::<Self>(conn, &sql).await
                }
            }

                    fn run<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
                change: &'e $crate::driver::Change<'e>,
            ) -> impl ::std::future::Future<Output = Result<bool, $crate::driver::RunError>> + Send + 'e {
                async move {
                    let started = ::std::time::Instant::now();
                    if let Some(code) = change.code {
                        return run_code(&mut *conn, table, change, code, started).await;
                    }
                    if change.transactional && $crate::dialect::DialectSql::syntax(Self::DIALECT).transactional_ddl {
                        in_transaction(&mut *conn, table, change, started, None).await
                    } else {
                        with_dirty_state(&mut *conn, table, change, started).await
                    }
                }
            }

            fn run_sql<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                sql: &'e str,
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move { execute_sql(conn, sql).await.map_err(|(e, _)| e) }
            }

                    fn fix_rows<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
                fixes: &'e [$crate::driver::RowFix<'e>],
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move {
                    let mut tx = open_transaction(&mut *conn).await?;
                    for fix in fixes {
                        match fix {
                            $crate::driver::RowFix::MarkApplied(revision) => {
                                set_state(&mut *tx, table, revision, $crate::table::RevisionState::Applied, None, None).await?;
                            }
                            $crate::driver::RowFix::Remove(revision) => {
                                let change = $crate::driver::RowChange::Delete(revision);
                                record(&mut *tx, table, &change, ::std::time::Instant::now(), $crate::table::RevisionState::Applied).await?;
                            }
                            $crate::driver::RowFix::Parents { revision, parents } => {
                                use $crate::dialect::DialectSql as _;
                                let sql = format!(
                                    "UPDATE {} SET parents = {} WHERE revision = {}",
                                    table.quoted(Self::DIALECT.syntax().quote),
                                    Self::DIALECT.literal(parents),
                                    Self::DIALECT.literal(revision)
                                );
                                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
                            }
                            $crate::driver::RowFix::Record(row) => {
                                let change = $crate::driver::RowChange::Insert(row.clone());
                                record(&mut *tx, table, &change, ::std::time::Instant::now(), $crate::table::RevisionState::Applied).await?;
                            }
                            $crate::driver::RowFix::Checksum { revision, checksum, downgrade_sql } => {
                                let sql = Self::DIALECT.update_checksum(table, revision, checksum, *downgrade_sql);
                                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
                            }
                        }
                    }
                    tx.commit().await
                }
            }

            fn begin_run(
                conn: &mut <Self as sqlx::Database>::Connection,
            ) -> impl ::std::future::Future<Output = Result<sqlx::Transaction<'_, Self>, sqlx::Error>> + Send {
                open_transaction(conn)
            }

            fn try_lock<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                key: &'e str,
                token: &'e str,
            ) -> impl ::std::future::Future<Output = Result<bool, sqlx::Error>> + Send + 'e {
                async move {
                    use $crate::dialect::DialectSql as _;
                    let Some(sql) = $crate::driver::info(Self::DIALECT).try_lock else {
                        return Ok(true);
                    };
                    let sql = sql
                        .replace("{key}", &Self::DIALECT.literal(key))
                        .replace("{token}", &Self::DIALECT.literal(token));
                    let taken = first_value(&mut *conn, &sql).await?;
                    Ok(taken.is_some_and(|v| v.trim().parse::<i64>().is_ok_and(|n| n > 0)))
                }
            }

            fn wait_for_writers<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                timeout: ::std::time::Duration,
            ) -> impl ::std::future::Future<Output = Result<Option<i64>, sqlx::Error>> + Send + 'e {
                set_wait(conn, timeout)
            }

            fn restore_wait<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                previous: Option<i64>,
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                restore_wait(conn, previous)
            }

            fn is_busy(error: &sqlx::Error) -> bool {
                ($crate::driver::info(Self::DIALECT).busy)(error)
            }

            fn unlock<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                key: &'e str,
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move {
                    use $crate::dialect::DialectSql as _;
                    if let Some(sql) = $crate::driver::info(Self::DIALECT).unlock {
                        let sql = sql.replace("{key}", &Self::DIALECT.literal(key));
                        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
                    }
                    Ok(())
                }
            }

            fn execute_counted<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                sql: &'e str,
            ) -> impl ::std::future::Future<Output = Result<u64, sqlx::Error>> + Send + 'e {
                async move {
                    Ok(sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?.rows_affected())
                }
            }

                    fn stamp<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
                insert: &'e [$crate::driver::NewRow<'e>],
                delete: &'e [&'e str],
            ) -> impl ::std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'e {
                async move {
                    let started = ::std::time::Instant::now();
                    let mut tx = open_transaction(&mut *conn).await?;
                    for revision in delete {
                        let change = $crate::driver::RowChange::Delete(revision);
                        record(&mut *tx, table, &change, started, $crate::table::RevisionState::Applied).await?;
                    }
                    for row in insert {
                        let change = $crate::driver::RowChange::Insert(row.clone());
                        record(&mut *tx, table, &change, started, $crate::table::RevisionState::Applied).await?;
                    }
                    tx.commit().await
                }
            }
        }

        /// Runs `read`, a read of the version table, with "no such table" as `None`.
        /// Inside a transaction (the caller's) it goes behind a savepoint, since the table
        /// may be missing and on PostgreSQL an error aborts the whole transaction: released
        /// after a read that worked, rolled back to (and released) after one that failed.
        async fn guarded_read<T>(
            conn: &mut <$db as sqlx::Database>::Connection,
            read: impl AsyncFnOnce(&mut <$db as sqlx::Database>::Connection) -> Result<T, sqlx::Error>,
        ) -> Result<Option<T>, sqlx::Error> {
            use sqlx::Connection as _;
            let guarded = conn.is_in_transaction();
            if guarded {
                sqlx::raw_sql("SAVEPOINT migraph_read").execute(&mut *conn).await?;
            }
            let result = read(&mut *conn).await;
            if guarded {
                let sql = if result.is_ok() {
                    "RELEASE SAVEPOINT migraph_read"
                } else {
                    "ROLLBACK TO SAVEPOINT migraph_read; RELEASE SAVEPOINT migraph_read"
                };
                sqlx::raw_sql(sql).execute(&mut *conn).await?;
            }
            $crate::driver::missing_as_none(<$db as $crate::driver::Driver>::DIALECT, result)
        }

        /// Runs SQL as plain text (perhaps several statements) and returns the rows of all
        /// its results, every column as text: text as text, a number as its digits.
        async fn text_rows(
            conn: &mut <$db as sqlx::Database>::Connection,
            sql: &str,
        ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
            use sqlx::Row as _;
            let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await?;
            let cell = |r: &<$db as sqlx::Database>::Row, i: usize| {
                r.try_get::<Option<String>, _>(i)
                    .or_else(|e| r.try_get::<Option<i64>, _>(i).map(|n| n.map(|n| n.to_string())).map_err(|_| e))
            };
            rows.iter()
                .map(|r| (0..r.len()).map(|i| cell(r, i)).collect())
                .collect()
        }

        /// The first column of the last row that SQL returns, as text; `None` when it
        /// returns no row or NULL.
        async fn first_value(
            conn: &mut <$db as sqlx::Database>::Connection,
            sql: &str,
        ) -> Result<Option<String>, sqlx::Error> {
            let rows = text_rows(conn, sql).await?;
            Ok(rows.into_iter().last().and_then(|r| r.into_iter().next().flatten()))
        }

        /// Sets how long the connection waits for other writers (SQLite's busy timeout)
        /// and returns the previous setting, to restore with [`restore_wait`].
        async fn set_wait(
            conn: &mut <$db as sqlx::Database>::Connection,
            timeout: ::std::time::Duration,
        ) -> Result<Option<i64>, sqlx::Error> {
            let info = $crate::driver::info(<$db as $crate::driver::Driver>::DIALECT);
            let Some(pragma) = info.busy_timeout else {
                return Ok(None);
            };
            let previous: i64 = sqlx::query_scalar::<$db, i64>(pragma).fetch_one(&mut *conn).await?;
            let ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{pragma} = {ms}"))).execute(&mut *conn).await?;
            Ok(Some(previous))
        }

        async fn restore_wait(
            conn: &mut <$db as sqlx::Database>::Connection,
            previous: Option<i64>,
        ) -> Result<(), sqlx::Error> {
            let info = $crate::driver::info(<$db as $crate::driver::Driver>::DIALECT);
            if let (Some(pragma), Some(ms)) = (info.busy_timeout, previous) {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{pragma} = {ms}"))).execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Opens a transaction with the dialect's statement, or a savepoint when the
        /// connection is already in one (a whole run in one transaction, or a transaction
        /// the caller passed).
        async fn open_transaction(
            conn: &mut <$db as sqlx::Database>::Connection,
        ) -> Result<sqlx::Transaction<'_, $db>, sqlx::Error> {
            use sqlx::Connection as _;
            if conn.is_in_transaction() {
                conn.begin().await
            } else {
                conn.begin_with($crate::dialect::DialectSql::syntax(<$db as $crate::driver::Driver>::DIALECT).begin).await
            }
        }

        /// What [`enter`] found.
        enum Entry {
            /// Another runner holds the transaction-scoped lock: roll back, try again.
            Busy,
            /// The guard passed; the row was not read again.
            Unchecked,
            /// The guard passed; the revision's row says this state (`None`: no row).
            Row(Option<String>),
        }

        /// First in a revision's transaction (or before its `running` row, outside one):
        /// the guard of the run's lock, then, where the guard needs it, the revision's row
        /// read again.
        async fn enter(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
        ) -> Result<Entry, $crate::driver::RunError> {
            use $crate::dialect::DialectSql as _;
            use $crate::driver::{Guard, RunError};
            let plain = RunError::plain;
            let mut lock = "";
            match change.guard {
                Guard::Free => {}
                Guard::Session(check) => {
                    execute_sql(&mut *conn, check).await.map_err(|(e, _)| lock_lost_or(e, table))?;
                }
                Guard::Lease(renew) => renew_lease(&mut *conn, renew, table).await?,
                Guard::Transaction { lock: sql } => lock = sql,
            }
            if !change.guard.recheck(<$db as $crate::driver::Driver>::SESSION_LOCK) {
                return Ok(Entry::Unchecked);
            }
            let read = <$db as $crate::driver::Driver>::DIALECT.select_state(table, change.row.revision());
            let first = |row: Vec<Option<String>>| row.into_iter().next().flatten();
            if lock.is_empty() {
                let rows = text_rows(&mut *conn, &read).await.map_err(plain)?;
                return Ok(Entry::Row(rows.into_iter().next().and_then(first)));
            }
            // The lock, then the row: two statements, so that the row is read after the
            // lock is taken, in one round trip.
            let mut rows = text_rows(&mut *conn, &format!("{lock};\n{read}")).await.map_err(plain)?.into_iter();
            if rows.next().and_then(first).as_deref() != Some("1") {
                return Ok(Entry::Busy);
            }
            Ok(Entry::Row(rows.next().and_then(first)))
        }

        /// Renews the run's lease; losing it refuses the revision.
        async fn renew_lease(
            conn: &mut <$db as sqlx::Database>::Connection,
            renew: &str,
            table: &$crate::table::TableName,
        ) -> Result<(), $crate::driver::RunError> {
            use $crate::driver::RunError;
            let changed = <$db as $crate::driver::Driver>::execute_counted(conn, renew).await.map_err(RunError::plain)?;
            if changed == 1 {
                return Ok(());
            }
            Err(RunError::refused($crate::error::Error::LockLost {
                table: table.to_string(),
                reason: "its lease in the lock table ran out and another runner took it (a revision ran longer than the lease?)".to_owned(),
            }))
        }

        /// A database error, or, when the session check raised it, the lost lock.
        fn lock_lost_or(error: sqlx::Error, table: &$crate::table::TableName) -> $crate::driver::RunError {
            use $crate::driver::RunError;
            let said = ($crate::driver::info(<$db as $crate::driver::Driver>::DIALECT).describe)(&error);
            if said.code.as_deref() != Some("MG001") {
                return RunError::plain(error);
            }
            let reason = match said.hint {
                Some(hint) => format!("{}; {hint}", said.message),
                None => said.message,
            };
            RunError::refused($crate::error::Error::LockLost {
                table: table.to_string(),
                reason,
            })
        }

        /// Whether the row read again says that the change is made already.
        fn made(row: &Option<String>, change: &$crate::driver::RowChange<'_>) -> bool {
            match change {
                $crate::driver::RowChange::Insert(_) => row.is_some(),
                $crate::driver::RowChange::Delete(_) => row.is_none(),
            }
        }

        /// Waits a little before trying again for a transaction-scoped lock, or for another
        /// runner's revision; `false` when the lock timeout has passed since `since`.
        async fn wait_turn(change: &$crate::driver::Change<'_>, since: ::std::time::Instant) -> bool {
            let Some(left) = change.lock_timeout.checked_sub(since.elapsed()).filter(|l| !l.is_zero()) else {
                return false;
            };
            tokio::time::sleep($crate::lock::POLL.min(left)).await;
            true
        }

        /// The refusal after [`wait_turn`] gave up.
        fn timed_out(table: &$crate::table::TableName, since: ::std::time::Instant) -> $crate::driver::RunError {
            $crate::driver::RunError::refused($crate::error::Error::LockTimeout {
                table: table.to_string(),
                waited: since.elapsed(),
            })
        }

        /// Runs a transactional revision: its SQL (or its Rust code, `code`) and its version
        /// row in one transaction, rolled back on any error.
        async fn in_transaction(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            started: ::std::time::Instant,
            code: Option<$crate::RustFn<$db>>,
        ) -> Result<bool, $crate::driver::RunError> {
            use $crate::driver::{Guard, RunError};
            use sqlx::Connection as _;
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            let check = match change.guard {
                Guard::Free => Some(""),
                Guard::Session(check) => Some(check.as_str()),
                Guard::Lease(_) | Guard::Transaction { .. } => None,
            };
            if let (Some(elapsed), Some(check), None) = ($crate::driver::info(dialect).elapsed_ms, check, code)
                && !change.guard.recheck(<$db as $crate::driver::Driver>::SESSION_LOCK)
                && ::migraph_core::ends_closed(change.sql, dialect)
            {
                // Inside the run's own transaction the revision needs no BEGIN and no
                // savepoint: a failure rolls the whole run back. Inside a transaction the
                // caller passed, it keeps its savepoint, so that a failure leaves the
                // caller's transaction usable.
                if change.in_run_transaction {
                    return in_one_text(conn, table, change, elapsed, false, check).await.map(|()| true);
                }
                if !conn.is_in_transaction() {
                    return in_one_text(conn, table, change, elapsed, true, check).await.map(|()| true);
                }
            }
            let since = ::std::time::Instant::now();
            loop {
                let mut tx = open_transaction(&mut *conn).await.map_err(RunError::plain)?;
                let done = async {
                    match enter(&mut *tx, table, change).await? {
                        Entry::Busy => return Ok(None),
                        Entry::Row(row) if made(&row, &change.row) => return Ok(Some(false)),
                        Entry::Row(_) | Entry::Unchecked => {}
                    }
                    match code {
                        Some(function) => function(&mut *tx).await.map_err(code_failed)?,
                        None => execute_sql(&mut *tx, change.sql).await.map_err(|(error, done)| RunError {
                            statement: Some(done),
                            ..RunError::plain(error)
                        })?,
                    }
                    record(&mut *tx, table, &change.row, started, $crate::table::RevisionState::Applied)
                        .await
                        .map_err(RunError::plain)?;
                    Ok(Some(true))
                }
                .await;
                match done {
                    Ok(Some(ran)) => {
                        tx.commit().await.map_err(RunError::plain)?;
                        return Ok(ran);
                    }
                    Ok(None) => {
                        let _ = tx.rollback().await;
                        if !wait_turn(change, since).await {
                            return Err(timed_out(table, since));
                        }
                    }
                    Err(e) => {
                        // The error is what counts; a failed rollback closes the
                        // connection, which undoes the transaction too.
                        let _ = tx.rollback().await;
                        return Err(e);
                    }
                }
            }
        }

        /// Runs a transactional revision as one text in one round trip: `BEGIN` (when
        /// `own_transaction`), the session check (`check`, when not empty), its SQL exactly
        /// as written, its version-row change with the values as literals, and `COMMIT`.
        /// The server stops at the first error and the transaction is rolled back; the
        /// statements that completed before it say which one failed.
        async fn in_one_text(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            elapsed: &str,
            own_transaction: bool,
            check: &str,
        ) -> Result<(), $crate::driver::RunError> {
            use $crate::dialect::{DialectSql as _, Values};
            use $crate::driver::RunError;
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            let row = match &change.row {
                $crate::driver::RowChange::Insert(row) => {
                    let values = row.values();
                    dialect.insert_row(table, Values::Timed(&values, elapsed))
                }
                $crate::driver::RowChange::Delete(revision) => dialect.delete_row(table, revision),
            };
            let (begin, commit) = if own_transaction { ("BEGIN;\n", ";\nCOMMIT") } else { ("", "") };
            let check_end = if check.is_empty() { "" } else { ";\n" };
            let text = [begin, check, check_end, change.sql, "\n;\n", &row, commit].concat();
            let Err((error, done)) = execute_sql(&mut *conn, &text).await else {
                return Ok(());
            };
            if own_transaction {
                // The failed transaction is still open on the server until this; a failed
                // rollback closes the connection, which undoes it too.
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
            }
            // `BEGIN` and the check complete first.
            let before = usize::from(own_transaction) + usize::from(!check.is_empty());
            if done < before {
                let failed = lock_lost_or(error, table);
                if failed.refused.is_some() {
                    return Err(failed);
                }
                return Err($crate::driver::RunError {
                    offset: begin.len() + check.len() + check_end.len(),
                    ..failed
                });
            }
            let statements = ::migraph_core::split_statements(change.sql, dialect).len();
            // Every statement ran, and then the version row could not be written.
            if done == before + statements
                && let Some(lost) = RunError::lost_lock(table, change, &error, "this run's transaction for it was rolled back")
            {
                return Err(lost);
            }
            Err($crate::driver::RunError {
                statement: done.checked_sub(before).filter(|&i| i < statements),
                offset: begin.len() + check.len() + check_end.len(),
                ..$crate::driver::RunError::plain(error)
            })
        }

        /// Runs a Rust revision's code: in a transaction with its version row where DDL is
        /// transactional and the revision wants one, else with the `running`/`failed` row
        /// protocol (a failure marks it `failed`: the code may have done part of its work).
        async fn run_code(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            code: &(dyn ::std::any::Any + Send + Sync),
            started: ::std::time::Instant,
        ) -> Result<bool, $crate::driver::RunError> {
            use $crate::driver::RunError;
            use $crate::table::RevisionState;
            let plain = RunError::plain;
            let revision = change.row.revision();
            let refuse = |what: String| plain(sqlx::Error::Configuration(what.into()));
            let Some(code) = code.downcast_ref::<$crate::RustCode<$db>>() else {
                return Err(refuse(format!(
                    "revision `{revision}` is written in Rust for another database than this one; embed_migrations!'s `database =` names the one it runs on"
                )));
            };
            let function = if change.down { code.downgrade } else { Some(code.upgrade) };
            let Some(function) = function else {
                return Err(refuse(format!("revision `{revision}` has no `downgrade` function")));
            };
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            if change.transactional && $crate::dialect::DialectSql::syntax(dialect).transactional_ddl {
                return in_transaction(conn, table, change, started, Some(function)).await;
            }
            if !claim(&mut *conn, table, change, started).await? {
                return Ok(false);
            }
            if let Err(e) = function(&mut *conn).await {
                let text = format!("Rust code: {e}");
                if let Err(mark) = set_state(&mut *conn, table, revision, RevisionState::Failed, None, Some(&text)).await {
                    tracing::error!(revision, error = %mark, "could not mark the failed revision's row; it still says running");
                }
                return Err(code_failed(e));
            }
            mark_done(&mut *conn, table, change, started).await.map_err(plain)?;
            Ok(true)
        }

        /// What a Rust revision's failure becomes: its database error, or its own.
        fn code_failed(e: $crate::BoxError) -> $crate::driver::RunError {
            use $crate::driver::RunError;
            match e.downcast::<sqlx::Error>() {
                Ok(db) => RunError::plain(*db),
                Err(other) => RunError {
                    code_error: Some(other),
                    ..RunError::plain(sqlx::Error::Protocol("the revision's Rust code failed".to_owned()))
                },
            }
        }

        /// Claims a revision run outside a transaction: the guard of the run's lock, its
        /// row read again where the guard needs it, and the row marked `running`; `false`
        /// when another runner did it already. Where the row is read again (under a
        /// transaction-scoped lock, or SQLite's `BEGIN IMMEDIATE`), the claim is one short
        /// transaction holding that lock, and a revision another runner has claimed is
        /// waited for (up to the lock timeout) rather than run again.
        async fn claim(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            started: ::std::time::Instant,
        ) -> Result<bool, $crate::driver::RunError> {
            use $crate::driver::{RowChange, RunError};
            use $crate::table::RevisionState;
            let plain = RunError::plain;
            let locked_read = change.guard.recheck(<$db as $crate::driver::Driver>::SESSION_LOCK)
                && $crate::dialect::DialectSql::syntax(<$db as $crate::driver::Driver>::DIALECT).transactional_ddl;
            if !locked_read {
                if let Entry::Row(row) = enter(&mut *conn, table, change).await?
                    && made(&row, &change.row)
                {
                    return Ok(false);
                }
                if let Err(e) = mark_running(&mut *conn, table, change, started).await {
                    return Err(RunError::lost_lock(table, change, &e, "nothing of it ran here").unwrap_or_else(|| plain(e)));
                }
                return Ok(true);
            }
            let since = ::std::time::Instant::now();
            loop {
                let mut tx = open_transaction(&mut *conn).await.map_err(plain)?;
                let ours = match enter(&mut *tx, table, change).await {
                    Err(e) => {
                        let _ = tx.rollback().await;
                        return Err(e);
                    }
                    Ok(Entry::Busy) => None,
                    Ok(Entry::Unchecked) => Some(true),
                    Ok(Entry::Row(row)) => match (row.as_deref(), &change.row) {
                        (None, RowChange::Insert(_)) | (Some("applied"), RowChange::Delete(_)) => Some(true),
                        (None, RowChange::Delete(_)) | (Some("applied"), RowChange::Insert(_)) => Some(false),
                        // Another runner is at it: wait for it.
                        (Some("running"), _) => None,
                        (Some(state), _) => {
                            let _ = tx.rollback().await;
                            return Err(RunError::refused($crate::error::Error::Dirty {
                                revision: change.row.revision().to_owned(),
                                state: RevisionState::parse(state).unwrap_or(RevisionState::Failed),
                                error: None,
                            }));
                        }
                    },
                };
                match ours {
                    Some(true) => {
                        if let Err(e) = mark_running(&mut *tx, table, change, started).await {
                            let _ = tx.rollback().await;
                            return Err(plain(e));
                        }
                        tx.commit().await.map_err(plain)?;
                        return Ok(true);
                    }
                    Some(false) => {
                        tx.commit().await.map_err(plain)?;
                        return Ok(false);
                    }
                    None => {
                        let _ = tx.rollback().await;
                        if !wait_turn(change, since).await {
                            return Err(timed_out(table, since));
                        }
                    }
                }
            }
        }

        /// Runs a revision outside a transaction: its row says `running` while it runs,
        /// and `failed` with the error if it fails, so that a later run knows the schema
        /// may hold part of it.
        async fn with_dirty_state(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            started: ::std::time::Instant,
        ) -> Result<bool, $crate::driver::RunError> {
            use $crate::table::RevisionState;
            use $crate::driver::{Guard, RunError};
            let plain = RunError::plain;
            use $crate::dialect::{DialectSql as _, Values};
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            let revision = change.row.revision();
            let statements = ::migraph_core::split_statements(change.sql, dialect);
            // Where it can, the `running` row travels with the first statement and the
            // `applied` row with the last: each text runs in autocommit, statement after
            // statement, and stops at the first error, so what completed says which.
            let joined = match $crate::driver::info(dialect).running_elapsed_ms {
                Some(elapsed)
                    if matches!(change.guard, Guard::Free)
                        && change.resume.is_none()
                        && !change.guard.recheck(<$db as $crate::driver::Driver>::SESSION_LOCK)
                        && !statements.is_empty() =>
                {
                    Some(elapsed)
                }
                _ => None,
            };
            let action = if change.down { "downgrade" } else { "upgrade" };
            let line_of = |statement: &::migraph_core::Statement<'_>| match change.first_line {
                0 => format!("line {} of the section", statement.line),
                first => format!("line {}", first + statement.line - 1),
            };
            // How far the revision got, written before each statement starts.
            let at = |i: usize| {
                let statement = &statements[i];
                let shown: String = statement.sql.lines().next().unwrap_or("").chars().take(200).collect();
                format!("{action} at statement {} of {}, {}: {shown}", i + 1, statements.len(), line_of(statement))
            };
            // The `running` row that travels with the first statement says it is at it.
            let first_at = if statements.is_empty() { String::new() } else { at(change.resume.unwrap_or(0)) };
            let (mark, finish) = match (&change.row, joined) {
                (_, None) => (String::new(), String::new()),
                ($crate::driver::RowChange::Insert(row), Some(elapsed)) => {
                    let values = row.values();
                    (
                        dialect.insert_row(table, Values::RunningAt(&values, &first_at)),
                        dialect.set_state(table, revision, "applied", Some(elapsed), None),
                    )
                }
                ($crate::driver::RowChange::Delete(_), Some(_)) => (
                    dialect.set_state(table, revision, "running", None, Some(&first_at)),
                    dialect.delete_row(table, revision),
                ),
            };
            // A resumed revision's row is already there, `running` or `failed`.
            if joined.is_none() && change.resume.is_none() && !claim(&mut *conn, table, change, started).await? {
                return Ok(false);
            }
            let first = change.resume.unwrap_or(0);
            let last = statements.len().saturating_sub(1);
            for (i, statement) in statements.iter().enumerate().skip(first) {
                // Written before the statement starts: how far the revision got, for
                // `current`, `check` and `repair --resume` after a crash. It travels with
                // the statement where the two may share a text (each statement of a text
                // runs in autocommit, in order), else one round trip before it.
                let progress = dialect.set_state(table, revision, RevisionState::Running.as_str(), None, Some(&at(i)));
                // A lease is renewed before each statement (the claim renewed it before the
                // first); lost part-way, the revision stops there, marked `failed`.
                if let (true, Guard::Lease(renew)) = (i > 0, change.guard)
                    && let Err(lost) = renew_lease(&mut *conn, renew, table).await
                {
                    let error = format!("{action} stopped before statement {} of {}: the run lost its lease", i + 1, statements.len());
                    if let Err(mark) = set_state(&mut *conn, table, revision, RevisionState::Failed, None, Some(&error)).await {
                        tracing::error!(revision, error = %mark, "could not mark the stopped revision's row; it still says running");
                    }
                    return Err(lost);
                }
                // Joined, one statement goes first: the `running` row (which says it is at
                // the first statement), or the progress of a later one.
                let before = usize::from(joined.is_some());
                let mut failed_before = None;
                if joined.is_none()
                    && let Err((source, _)) = execute_sql(&mut *conn, &progress).await
                {
                    failed_before = Some(source);
                }
                let text = match joined {
                    None => ::std::borrow::Cow::Borrowed(statement.sql),
                    Some(_) => {
                        let mut text = String::new();
                        text.push_str(if i == 0 { &mark } else { &progress });
                        text.push_str(";\n");
                        text.push_str(statement.sql);
                        if i == last {
                            text.push_str("\n;\n");
                            text.push_str(&finish);
                        }
                        ::std::borrow::Cow::Owned(text)
                    }
                };
                let outcome = match failed_before {
                    Some(source) => Err((source, 0)),
                    None => execute_sql(&mut *conn, &text).await,
                };
                if let Err((source, done)) = outcome {
                    // The `running` row itself failed: nothing ran, nothing changed.
                    if joined.is_some() && i == 0 && done == 0 {
                        return Err(plain(source));
                    }
                    // A result came back from the revision's statement before the error:
                    // it ran, at least in part (the `applied` row then failed, or a
                    // procedure failed after a result set), so it is not undone.
                    let partly = done > before;
                    let said = ($crate::driver::info(<$db as $crate::driver::Driver>::DIALECT).describe)(&source);
                    let line = line_of(statement);
                    // A statement fails as a whole: when the first one fails, nothing of
                    // the revision ran, so its row goes back to where it was and the next
                    // run tries again. Later, the schema may hold part of it: `failed`.
                    let settled = if i == 0 && !partly && change.resume.is_none() {
                        match &change.row {
                            $crate::driver::RowChange::Insert(_) => {
                                let undo = $crate::driver::RowChange::Delete(revision);
                                record(&mut *conn, table, &undo, started, RevisionState::Applied).await
                            }
                            $crate::driver::RowChange::Delete(_) => {
                                set_state(&mut *conn, table, revision, RevisionState::Applied, None, None).await
                            }
                        }
                    } else {
                        let error = format!("{action} failed at statement {} of {} ({line}): {said}", i + 1, statements.len());
                        set_state(&mut *conn, table, revision, RevisionState::Failed, None, Some(&error)).await
                    };
                    if let Err(mark) = settled {
                        tracing::error!(revision, error = %mark, "could not settle the failed revision's row; it still says running");
                    }
                    return Err(RunError {
                        statement: Some(i),
                        ..RunError::plain(source)
                    });
                }
            }
            if joined.is_some() {
                return Ok(true);
            }
            mark_done(&mut *conn, table, change, started).await.map_err(plain)?;
            Ok(true)
        }

        /// Writes the row of a revision run outside a transaction as `running`: a new row
        /// for an upgrade, the existing row's state for a downgrade.
        async fn mark_running(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            started: ::std::time::Instant,
        ) -> Result<(), sqlx::Error> {
            use $crate::table::RevisionState;
            match &change.row {
                $crate::driver::RowChange::Insert(_) => {
                    record(&mut *conn, table, &change.row, started, RevisionState::Running).await
                }
                $crate::driver::RowChange::Delete(revision) => {
                    set_state(&mut *conn, table, revision, RevisionState::Running, None, None).await
                }
            }
        }

        /// Ends what [`mark_running`] began: the row `applied` with its execution time
        /// after an upgrade, gone after a downgrade.
        async fn mark_done(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            started: ::std::time::Instant,
        ) -> Result<(), sqlx::Error> {
            use $crate::table::RevisionState;
            match &change.row {
                $crate::driver::RowChange::Insert(row) => {
                    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                    set_state(&mut *conn, table, row.revision, RevisionState::Applied, Some(ms), None).await
                }
                $crate::driver::RowChange::Delete(_) => {
                    record(&mut *conn, table, &change.row, started, RevisionState::Applied).await
                }
            }
        }

        /// Sets a row's state (and execution time, when given) and error text.
        async fn set_state(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            revision: &str,
            state: $crate::table::RevisionState,
            ms: Option<i64>,
            error: Option<&str>,
        ) -> Result<(), sqlx::Error> {
            let ms = ms.map(|ms| ms.to_string());
            let sql = <$db as $crate::driver::Driver>::DIALECT.set_state(table, revision, state.as_str(), ms.as_deref(), error);
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
            Ok(())
        }

        /// Runs SQL exactly as given, all its statements in one call; on failure, says how
        /// many statements completed before it (each completed statement is one result).
        async fn execute_sql(
            conn: &mut <$db as sqlx::Database>::Connection,
            sql: &str,
        ) -> Result<(), (sqlx::Error, usize)> {
            use ::futures_util::TryStreamExt as _;
            if sql.trim().is_empty() {
                return Ok(());
            }
            let mut done = 0;
            let mut results = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch_many(&mut *conn);
            loop {
                match results.try_next().await {
                    Ok(Some(::sqlx::Either::Left(_))) => done += 1,
                    Ok(Some(::sqlx::Either::Right(_))) => {}
                    Ok(None) => return Ok(()),
                    Err(e) if ($crate::driver::info(<$db as $crate::driver::Driver>::DIALECT).empty_query)(&e) => return Ok(()),
                    Err(e) => return Err((e, done)),
                }
            }
        }

        /// Writes a revision's version-table change.
        async fn record(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::RowChange<'_>,
            started: ::std::time::Instant,
            state: $crate::table::RevisionState,
        ) -> Result<(), sqlx::Error> {
            use $crate::dialect::{DialectSql as _, Values};
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            let sql = match change {
                $crate::driver::RowChange::Insert(row) => {
                    let values = row.values();
                    match state {
                        $crate::table::RevisionState::Running => dialect.insert_row(table, Values::Running(&values)),
                        _ => {
                            let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX).to_string();
                            dialect.insert_row(table, Values::Timed(&values, &ms))
                        }
                    }
                }
                $crate::driver::RowChange::Delete(revision) => dialect.delete_row(table, revision),
            };
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
            Ok(())
        }
    };
}
pub(super) use impl_driver;
