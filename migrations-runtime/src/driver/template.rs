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

            fn read_rows<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
            ) -> impl ::std::future::Future<
                Output = Result<Option<Vec<$crate::table::AppliedRevision>>, sqlx::Error>,
            > + Send
            + 'e {
                async move {
                    let sql = Self::DIALECT.select_rows(table);
                    let guarded = guard(&mut *conn).await?;
                    let rows =
                        sqlx::query_as::<$db, $crate::driver::RowTuple>(sqlx::AssertSqlSafe(sql))
                            .fetch_all(&mut *conn)
                            .await;
                    unguard(&mut *conn, guarded, rows.is_ok()).await?;
                    $crate::driver::missing_as_none(Self::DIALECT, rows)
                        .map(|rows| rows.map(|r| r.into_iter().map($crate::driver::decode_row).collect()))
                }
            }

            fn read_states<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                table: &'e $crate::table::TableName,
            ) -> impl ::std::future::Future<
                Output = Result<Option<Vec<$crate::table::AppliedRevision>>, sqlx::Error>,
            > + Send
            + 'e {
                async move {
                    // As text, unprepared: one round trip on a new connection, where a
                    // prepared statement costs two (prepare, then execute).
                    let sql = Self::DIALECT.select_states(table);
                    let rows = Self::read_text(conn, &sql).await?;
                    Ok(rows.map(|rows| {
                        rows.into_iter()
                            .map(|row| {
                                // Three NOT NULL columns: revision, checksum, state.
                                let mut column = row.into_iter().map(Option::unwrap_or_default);
                                let mut next = || column.next().unwrap_or_default();
                                $crate::driver::decode_state_row((next(), next(), next()))
                            })
                            .collect()
                    }))
                }
            }

            fn read_text<'e>(
                conn: &'e mut <Self as sqlx::Database>::Connection,
                sql: &'e str,
            ) -> impl ::std::future::Future<
                Output = Result<Option<Vec<Vec<Option<String>>>>, sqlx::Error>,
            > + Send
            + 'e {
                async move {
                    use sqlx::Row as _;
                    let guarded = guard(&mut *conn).await?;
                    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *conn).await;
                    unguard(&mut *conn, guarded, rows.is_ok()).await?;
                    let Some(rows) = $crate::driver::missing_as_none(Self::DIALECT, rows)? else {
                        return Ok(None);
                    };
                    rows.iter()
                        .map(|r| (0..r.len()).map(|i| r.try_get::<Option<String>, _>(i)).collect())
                        .collect::<Result<Vec<_>, sqlx::Error>>()
                        .map(Some)
                }
            }

            fn read_only(
                conn: &mut <Self as sqlx::Database>::Connection,
            ) -> impl ::std::future::Future<Output = Result<bool, sqlx::Error>> + Send + '_ {
                async move {
                    for sql in $crate::driver::info(Self::DIALECT).read_only {
                        // A query the server does not understand (another version's name
                        // for a setting) says nothing; the next one may.
                        if let Ok(n) = sqlx::query_scalar::<$db, i64>(sqlx::AssertSqlSafe(*sql))
                            .fetch_one(&mut *conn)
                            .await
                        {
                            return Ok(n != 0);
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
                    sqlx::raw_sql(sqlx::AssertSqlSafe(Self::DIALECT.create_table(table)))
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
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
                        in_transaction(&mut *conn, table, change, started).await
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
                            $crate::driver::RowFix::Checksum { revision, checksum, downgrade_sql } => {
                                sqlx::query::<$db>(sqlx::AssertSqlSafe(Self::DIALECT.update_checksum(table)))
                                    .bind(*checksum)
                                    .bind(*downgrade_sql)
                                    .bind(*revision)
                                    .execute(&mut *tx)
                                    .await?;
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
            ) -> impl ::std::future::Future<Output = Result<bool, sqlx::Error>> + Send + 'e {
                async move {
                    let Some(sql) = $crate::driver::info(Self::DIALECT).try_lock else {
                        return Ok(true);
                    };
                    let taken: i64 = sqlx::query_scalar::<$db, i64>(sqlx::AssertSqlSafe(sql))
                        .bind(key)
                        .fetch_one(&mut *conn)
                        .await?;
                    Ok(taken == 1)
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
                    if let Some(sql) = $crate::driver::info(Self::DIALECT).unlock {
                        sqlx::query::<$db>(sqlx::AssertSqlSafe(sql)).bind(key).execute(&mut *conn).await?;
                    }
                    Ok(())
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

        /// Inside a transaction (the caller's), puts a read of the version table behind a
        /// savepoint: the table may be missing, and on PostgreSQL an error aborts the
        /// whole transaction. Says whether it did.
        async fn guard(conn: &mut <$db as sqlx::Database>::Connection) -> Result<bool, sqlx::Error> {
            use sqlx::Connection as _;
            if !conn.is_in_transaction() {
                return Ok(false);
            }
            sqlx::raw_sql("SAVEPOINT migraph_read").execute(&mut *conn).await?;
            Ok(true)
        }

        /// Ends what [`guard`] began: released after a read that worked, rolled back to
        /// (and released) after one that failed.
        async fn unguard(
            conn: &mut <$db as sqlx::Database>::Connection,
            guarded: bool,
            worked: bool,
        ) -> Result<(), sqlx::Error> {
            if guarded {
                let sql = if worked {
                    "RELEASE SAVEPOINT migraph_read"
                } else {
                    "ROLLBACK TO SAVEPOINT migraph_read; RELEASE SAVEPOINT migraph_read"
                };
                sqlx::raw_sql(sql).execute(&mut *conn).await?;
            }
            Ok(())
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

        /// Runs a transactional revision: its SQL and its version row in one transaction,
        /// rolled back on any error.
        async fn in_transaction(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            started: ::std::time::Instant,
        ) -> Result<bool, $crate::driver::RunError> {
            use $crate::driver::RunError;
            use sqlx::Connection as _;
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            if let Some(elapsed) = $crate::driver::info(dialect).elapsed_ms {
                if !needs_recheck() && ::migraph_core::ends_closed(change.sql, dialect) {
                    // Inside the run's own transaction the revision needs no BEGIN and
                    // no savepoint: a failure rolls the whole run back. Inside a
                    // transaction the caller passed, it keeps its savepoint, so that a
                    // failure leaves the caller's transaction usable.
                    if change.in_run_transaction {
                        return in_one_text(conn, table, change, elapsed, false).await.map(|()| true);
                    }
                    if !conn.is_in_transaction() {
                        return in_one_text(conn, table, change, elapsed, true).await.map(|()| true);
                    }
                }
            }
            let mut tx = open_transaction(&mut *conn).await.map_err(RunError::plain)?;
            let done = async {
                if needs_recheck() && !still_to_do(&mut *tx, table, &change.row).await.map_err(RunError::plain)? {
                    return Ok(false);
                }
                execute_sql(&mut *tx, change.sql).await.map_err(|(error, done)| RunError {
                    error,
                    statement: Some(done),
                    offset: 0,
                    code_error: None,
                })?;
                record(&mut *tx, table, &change.row, started, $crate::table::RevisionState::Applied)
                    .await
                    .map_err(RunError::plain)?;
                Ok(true)
            }
            .await;
            match done {
                Ok(ran) => {
                    tx.commit().await.map_err(RunError::plain)?;
                    Ok(ran)
                }
                Err(e) => {
                    // The error is what counts; a failed rollback closes the connection,
                    // which undoes the transaction too.
                    let _ = tx.rollback().await;
                    Err(e)
                }
            }
        }

        /// Runs a transactional revision as one text in one round trip: `BEGIN` (when
        /// `own_transaction`), its SQL exactly as written, its version-row change with the
        /// values as literals, and `COMMIT`. The server stops at the first error and the
        /// transaction is rolled back; the statements that completed before it say which
        /// one failed.
        async fn in_one_text(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            change: &$crate::driver::Change<'_>,
            elapsed: &str,
            own_transaction: bool,
        ) -> Result<(), $crate::driver::RunError> {
            use $crate::dialect::{DialectSql as _, Values};
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            let row = match &change.row {
                $crate::driver::RowChange::Insert(row) => {
                    let values = [
                        Some(row.revision),
                        Some(row.parents.as_str()),
                        Some(row.message),
                        Some(row.checksum),
                        row.downgrade_sql,
                    ];
                    dialect.insert_row(table, Values::Timed(&values, elapsed))
                }
                $crate::driver::RowChange::Delete(revision) => {
                    dialect.delete_row(table, Values::Literals(&[Some(*revision)]))
                }
            };
            let (begin, commit) = if own_transaction { ("BEGIN;\n", ";\nCOMMIT") } else { ("", "") };
            let text = [begin, change.sql, "\n;\n", &row, commit].concat();
            let Err((error, done)) = execute_sql(&mut *conn, &text).await else {
                return Ok(());
            };
            if own_transaction {
                // The failed transaction is still open on the server until this; a failed
                // rollback closes the connection, which undoes it too.
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
            }
            let statements = ::migraph_core::split_statements(change.sql, dialect).len();
            let before = usize::from(own_transaction); // `BEGIN` completes first
            Err($crate::driver::RunError {
                error,
                statement: done.checked_sub(before).filter(|&i| i < statements),
                offset: begin.len(),
                code_error: None,
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
            let failed = |e: $crate::BoxError| match e.downcast::<sqlx::Error>() {
                Ok(db) => RunError {
                    error: *db,
                    statement: None,
                    offset: 0,
                    code_error: None,
                },
                Err(other) => RunError {
                    error: sqlx::Error::Protocol("the revision's Rust code failed".to_owned()),
                    statement: None,
                    offset: 0,
                    code_error: Some(other),
                },
            };
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            if change.transactional && $crate::dialect::DialectSql::syntax(dialect).transactional_ddl {
                let mut tx = open_transaction(&mut *conn).await.map_err(plain)?;
                if needs_recheck() && !still_to_do(&mut *tx, table, &change.row).await.map_err(plain)? {
                    return Ok(false);
                }
                return match function(&mut *tx).await {
                    Ok(()) => {
                        record(&mut *tx, table, &change.row, started, RevisionState::Applied).await.map_err(plain)?;
                        tx.commit().await.map_err(plain)?;
                        Ok(true)
                    }
                    Err(e) => {
                        let _ = tx.rollback().await;
                        Err(failed(e))
                    }
                };
            }
            if needs_recheck() && !still_to_do(&mut *conn, table, &change.row).await.map_err(plain)? {
                return Ok(false);
            }
            mark_running(&mut *conn, table, change, started).await.map_err(plain)?;
            if let Err(e) = function(&mut *conn).await {
                let text = format!("Rust code: {e}");
                if let Err(mark) = set_state(&mut *conn, table, revision, RevisionState::Failed, None, Some(&text)).await {
                    tracing::error!(revision, error = %mark, "could not mark the failed revision's row; it still says running");
                }
                return Err(failed(e));
            }
            mark_done(&mut *conn, table, change, started).await.map_err(plain)?;
            Ok(true)
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
            use $crate::driver::RunError;
            let plain = RunError::plain;
            if needs_recheck() && !still_to_do(&mut *conn, table, &change.row).await.map_err(plain)? {
                return Ok(false);
            }
            use $crate::dialect::{DialectSql as _, Values};
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            let revision = change.row.revision();
            let statements = ::migraph_core::split_statements(change.sql, dialect);
            // Where it can, the `running` row travels with the first statement and the
            // `applied` row with the last: each text runs in autocommit, statement after
            // statement, and stops at the first error, so what completed says which.
            let joined = match $crate::driver::info(dialect).running_elapsed_ms {
                Some(elapsed) if !needs_recheck() && !statements.is_empty() => Some(elapsed),
                _ => None,
            };
            let (mark, finish) = match (&change.row, joined) {
                (_, None) => (String::new(), String::new()),
                ($crate::driver::RowChange::Insert(row), Some(elapsed)) => {
                    let values = [
                        Some(row.revision),
                        Some(row.parents.as_str()),
                        Some(row.message),
                        Some(row.checksum),
                        row.downgrade_sql,
                    ];
                    (
                        dialect.insert_row(table, Values::Running(&values)),
                        dialect.set_state_literal(table, revision, "applied", Some(elapsed)),
                    )
                }
                ($crate::driver::RowChange::Delete(_), Some(_)) => (
                    dialect.set_state_literal(table, revision, "running", None),
                    dialect.delete_row(table, Values::Literals(&[Some(revision)])),
                ),
            };
            if joined.is_none() {
                mark_running(&mut *conn, table, change, started).await.map_err(plain)?;
            }
            let last = statements.len().saturating_sub(1);
            for (i, statement) in statements.iter().enumerate() {
                let before = usize::from(joined.is_some() && i == 0);
                let text = match joined {
                    None => ::std::borrow::Cow::Borrowed(statement.sql),
                    Some(_) => {
                        let mut text = String::new();
                        if i == 0 {
                            text.push_str(&mark);
                            text.push_str(";\n");
                        }
                        text.push_str(statement.sql);
                        if i == last {
                            text.push_str("\n;\n");
                            text.push_str(&finish);
                        }
                        ::std::borrow::Cow::Owned(text)
                    }
                };
                if let Err((source, done)) = execute_sql(&mut *conn, &text).await {
                    // The `running` row itself failed: nothing ran, nothing changed.
                    if done < before {
                        return Err(plain(source));
                    }
                    // A result came back from the revision's statement before the error:
                    // it ran, at least in part (the `applied` row then failed, or a
                    // procedure failed after a result set), so it is not undone.
                    let partly = done > before;
                    let said = ($crate::driver::info(<$db as $crate::driver::Driver>::DIALECT).describe)(&source);
                    let line = match change.first_line {
                        0 => format!("line {} of the section", statement.line),
                        first => format!("line {}", first + statement.line - 1),
                    };
                    // A statement fails as a whole: when the first one fails, nothing of
                    // the revision ran, so its row goes back to where it was and the next
                    // run tries again. Later, the schema may hold part of it: `failed`.
                    let settled = if i == 0 && !partly {
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
                        let error = format!("statement {} of {} ({line}): {said}", i + 1, statements.len());
                        set_state(&mut *conn, table, revision, RevisionState::Failed, None, Some(&error)).await
                    };
                    if let Err(mark) = settled {
                        tracing::error!(revision, error = %mark, "could not settle the failed revision's row; it still says running");
                    }
                    return Err(RunError {
                        error: source,
                        statement: Some(i),
                        offset: 0,
                        code_error: None,
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
            let sql = <$db as $crate::driver::Driver>::DIALECT.set_state(table);
            sqlx::query::<$db>(sqlx::AssertSqlSafe(sql))
                .bind(state.as_str())
                .bind(ms)
                .bind(error)
                .bind(revision)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// Whether each revision's row must be checked again inside its transaction.
        /// Under a session lock (PostgreSQL, MySQL) no other runner can have touched the
        /// table since the state was read under that lock, so the check would cost a
        /// round trip per revision for nothing; SQLite's lock is each revision's own
        /// `BEGIN IMMEDIATE`, so another process may have applied it in between.
        fn needs_recheck() -> bool {
            !<$db as $crate::driver::Driver>::SESSION_LOCK
        }

        /// Whether a revision's version-row change is still to be made: another process
        /// may have made it since the plan was read.
        async fn still_to_do(
            conn: &mut <$db as sqlx::Database>::Connection,
            table: &$crate::table::TableName,
            row: &$crate::driver::RowChange<'_>,
        ) -> Result<bool, sqlx::Error> {
            let sql = <$db as $crate::driver::Driver>::DIALECT.count_row(table);
            let n: i64 = sqlx::query_scalar::<$db, i64>(sqlx::AssertSqlSafe(sql))
                .bind(row.revision())
                .fetch_one(&mut *conn)
                .await?;
            Ok(match row {
                $crate::driver::RowChange::Insert(_) => n == 0,
                $crate::driver::RowChange::Delete(_) => n > 0,
            })
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
            let dialect = <$db as $crate::driver::Driver>::DIALECT;
            match change {
                $crate::driver::RowChange::Insert(row) => {
                    let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                    sqlx::query::<$db>(sqlx::AssertSqlSafe(dialect.insert_row(table, $crate::dialect::Values::Placeholders)))
                        .bind(row.revision)
                        .bind(&row.parents)
                        .bind(row.message)
                        .bind(row.checksum)
                        .bind(row.downgrade_sql)
                        .bind(ms)
                        .bind(state.as_str())
                        .bind(None::<&str>)
                        .execute(&mut *conn)
                        .await?;
                }
                $crate::driver::RowChange::Delete(revision) => {
                    sqlx::query::<$db>(sqlx::AssertSqlSafe(dialect.delete_row(table, $crate::dialect::Values::Placeholders)))
                        .bind(*revision)
                        .execute(&mut *conn)
                        .await?;
                }
            }
            Ok(())
        }
    };
}
pub(super) use impl_driver;
