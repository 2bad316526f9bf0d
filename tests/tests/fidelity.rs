//! The SQL that runs is the SQL in the file, and a failure says where: on real
//! PostgreSQL, MariaDB and SQLite databases, each test once per database.

#![allow(clippy::unwrap_used, clippy::panic)]

use migraph::{Dialect, Error, LockStrategy, Migrations, RevisionState};
use migraph_tests::{Backend, TestDb, migrations_dir, on_every_database};

on_every_database!(
    sql_runs_byte_for_byte,
    embedded_sql_runs_byte_for_byte,
    mysql_executable_comments_run_and_are_comments_elsewhere,
    a_failing_statement_is_named_with_its_line_and_the_databases_fields,
    a_syntax_error_names_its_statement,
    a_revision_whose_first_statement_fails_is_retried_not_dirty,
    session_sql_runs_first_and_does_not_leak,
    a_failed_upgrade_says_what_it_completed,
    the_version_row_keeps_the_downgrade_sql_as_written,
    sql_left_open_at_its_end_fails_on_its_own,
);

/// The error of a failed upgrade carries what was applied before the failure and stays
/// applied (nothing in a whole-run transaction, which rolls it back).
async fn a_failed_upgrade_says_what_it_completed<DB: Backend>(db: &TestDb<DB>) {
    let step = |rev: &str, parent: &str, sql: &str| {
        format!("-- revision: {rev}\n-- down_revision: {parent}\n-- migrate:upgrade\n{sql}\n")
    };
    let dir = migrations_dir(&[
        (
            "a1_x.sql",
            &step("a1", "none", "CREATE TABLE t1 (id INTEGER);"),
        ),
        (
            "b2_x.sql",
            &step("b2", "a1", "CREATE TABLE t2 (id INTEGER);"),
        ),
        (
            "c3_x.sql",
            &step("c3", "b2", "INSERT INTO nowhere VALUES (1);"),
        ),
    ]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    if DB::TRANSACTIONAL_DDL {
        let err = m
            .runner()
            .single_transaction(true)
            .upgrade(&db.pool, "head")
            .await
            .unwrap_err();
        let Error::Execute { completed, .. } = &err else {
            panic!("{err}");
        };
        assert!(completed.is_empty(), "{completed:?}");
    }
    let err = m.upgrade(&db.pool, "head").await.unwrap_err();
    let Error::Execute {
        revision,
        completed,
        ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(revision, "c3");
    assert_eq!(completed.revisions(), ["a1", "b2"]);
}

/// Trailing spaces before a line break, a tab, and a CRLF line break inside string
/// literals reach the database unchanged.
/// The lock strategies a database takes (MySQL and MariaDB have no `transaction`).
fn strategies<DB: Backend>() -> Vec<LockStrategy> {
    LockStrategy::ALL
        .into_iter()
        .filter(|s| DB::DIALECT != Dialect::MySql || *s != LockStrategy::Transaction)
        .collect()
}

async fn sql_runs_byte_for_byte<DB: Backend>(db: &TestDb<DB>) {
    let file = concat!(
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n",
        "CREATE TABLE lit (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n",
        "INSERT INTO lit (id, v) VALUES (1, 'two spaces:  \nend');\n",
        "INSERT INTO lit (id, v) VALUES (2, 'a\ttab, then spaces  ');\r\n",
        "INSERT INTO lit (id, v) VALUES (3, 'crlf:\r\nend');  \r\n",
        "-- migrate:downgrade\nDROP TABLE lit;\n",
    );
    let dir = migrations_dir(&[("a1_lit.sql", file)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    // Whatever the lock strategy, the same text runs.
    for strategy in strategies::<DB>() {
        let runner = m.runner().lock(strategy);
        runner.upgrade(&db.pool, "head").await.unwrap();
        let value =
            async |id: i64| DB::text(&db.pool, &format!("SELECT v FROM lit WHERE id = {id}")).await;
        assert_eq!(value(1).await, "two spaces:  \nend", "{strategy}");
        assert_eq!(value(2).await, "a\ttab, then spaces  ", "{strategy}");
        assert_eq!(value(3).await, "crlf:\r\nend", "{strategy}");
        runner.downgrade(&db.pool, "base").await.unwrap();
    }
    // The checksum still ignores line endings and trailing whitespace.
    let lf = file.replace("\r\n", "\n");
    assert_eq!(
        migraph::Migration::parse("a1_lit.sql", &lf)
            .unwrap()
            .checksum(),
        m.migrations()[0].checksum()
    );
}

/// A file with a byte-order mark, CRLF line endings, a tab, spaces at the ends of lines
/// and a non-ASCII letter, embedded.
static BYTES: Migrations = migraph::embed_migrations!("fixtures/db/bytes");

/// Embedded, the SQL is the file's, byte for byte, as loaded from disk, and runs so.
async fn embedded_sql_runs_byte_for_byte<DB: Backend>(db: &TestDb<DB>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/db/bytes");
    let file = std::fs::read_to_string(format!("{dir}/a1_bytes.sql")).unwrap();
    let upgrade = BYTES.migrations()[0].upgrade_sql();
    assert!(file.contains(upgrade) && upgrade.contains("spaces  ');  \r\nINSERT"));
    assert_eq!(
        BYTES.migrations(),
        Migrations::from_dir(dir).unwrap().migrations()
    );
    BYTES.upgrade(&db.pool, "head").await.unwrap();
    let value =
        async |id: i64| DB::text(&db.pool, &format!("SELECT v FROM lit WHERE id = {id}")).await;
    assert_eq!(value(1).await, "two spaces:  \r\nend");
    assert_eq!(value(2).await, "a\ttab, then spaces  ");
    assert_eq!(value(3).await, "caf\u{e9}; -- not a comment");
    BYTES.downgrade(&db.pool, "base").await.unwrap();
    assert!(!DB::table_exists(&db.pool, "lit").await);
}

/// `/*! ... */` and `/*M! ... */` are statements to MySQL and MariaDB, comments to the
/// others.
async fn mysql_executable_comments_run_and_are_comments_elsewhere<DB: Backend>(db: &TestDb<DB>) {
    let mysql = DB::DIALECT == Dialect::MySql;
    let body = if mysql {
        "/*!40101 SET @x = 42 */;\n/*!50001 CREATE VIEW v AS SELECT 1 AS one */;\n/*M!100101 CREATE TABLE mm (id INT) */;\nCREATE TABLE x42 AS SELECT @x AS v;\n"
    } else {
        "/*!40101 CREATE TABLE nope (id INT) */;\nCREATE TABLE yes (id INT);\n"
    };
    let file = format!("-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n{body}");
    let dir = migrations_dir(&[("a1_dump.sql", &file)]);
    Migrations::from_dir(dir.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    if mysql {
        assert_eq!(DB::scalar(&db.pool, "SELECT v FROM x42").await, 42);
        assert_eq!(DB::scalar(&db.pool, "SELECT one FROM v").await, 1);
        assert!(DB::table_exists(&db.pool, "mm").await);
    } else {
        assert!(!DB::table_exists(&db.pool, "nope").await);
        assert!(DB::table_exists(&db.pool, "yes").await);
    }
}

const DUPLICATES: &str = concat!(
    "-- revision: a1\n-- down_revision: none\n-- message: crates\n\n-- migrate:upgrade\n",
    "CREATE TABLE crates (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);\n",
    "INSERT INTO crates (id, name) VALUES (1, 'serde'), (2, 'serde');\n",
    "-- the next statement fails: the names are not unique\n",
    "CREATE UNIQUE INDEX crates_name_key\n  ON crates (name);\n",
);

/// A revision whose third statement fails: the error names the statement, the line of
/// the file it starts on, its SQL, and the database's code and message (and PostgreSQL's
/// DETAIL), without the server's C source line.
async fn a_failing_statement_is_named_with_its_line_and_the_databases_fields<DB: Backend>(
    db: &TestDb<DB>,
) {
    let dir = migrations_dir(&[("a1_crates.sql", DUPLICATES)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    // Whatever the lock strategy, the failure says the same; each strategy on a version
    // table of its own, and without what a database that commits DDL kept of the last.
    for strategy in strategies::<DB>() {
        DB::execute(&db.pool, "DROP TABLE IF EXISTS crates").await;
        let runner = m.runner().lock(strategy).table(format!("v_{strategy}"));
        let err = runner.upgrade(&db.pool, "head").await.unwrap_err();
        let text = err.to_string();
        let Error::Execute {
            revision,
            file,
            statement,
            line,
            sql,
            database,
            ..
        } = &err
        else {
            panic!("expected a failed revision, got {err}");
        };
        assert_eq!(revision, "a1");
        let file = file.as_deref().unwrap();
        assert!(file.ends_with("a1_crates.sql"), "{file}");
        assert_eq!(*statement, Some(3));
        assert_eq!(*line, Some(9));
        assert_eq!(
            sql.as_deref(),
            Some("CREATE UNIQUE INDEX crates_name_key\n  ON crates (name)")
        );
        let code = database.code.as_deref().unwrap();
        match DB::DIALECT {
            Dialect::Postgres => {
                assert_eq!(code, "23505");
                assert!(
                    database
                        .detail
                        .as_deref()
                        .unwrap()
                        .contains("is duplicated"),
                    "{database:?}"
                );
                assert!(
                    text.contains("\n  DETAIL: Key (name)=(serde) is duplicated."),
                    "{text}"
                );
            }
            Dialect::MySql => assert!(code.starts_with("1062 (23000)"), "{code}"),
            _ => assert_eq!(code, "2067"),
        }
        assert!(
        text.starts_with(&format!(
            "upgrade of revision `a1` ({file}) failed at statement 3, line 9:\n    CREATE UNIQUE INDEX crates_name_key\n  {code} "
        )),
        "{text}"
    );
        assert!(!text.contains("at line"), "{text}");
        // Nothing of it stays where the database is transactional.
        if DB::TRANSACTIONAL_DDL {
            assert!(!DB::table_exists(&db.pool, "crates").await);
        }
    }
}

/// A syntax error stops PostgreSQL before any statement of the text runs: its position
/// names the statement. SQLite and MySQL stop at the statement itself.
async fn a_syntax_error_names_its_statement<DB: Backend>(db: &TestDb<DB>) {
    let file = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE ok1 (id INTEGER);\n\nSELEC 1;\nCREATE TABLE ok2 (id INTEGER);\n";
    let dir = migrations_dir(&[("a1_typo.sql", file)]);
    let err = Migrations::from_dir(dir.path())
        .unwrap()
        .upgrade(&db.pool, "head")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Execute { statement: Some(2), line: Some(6), sql: Some(sql), .. } if sql == "SELEC 1"
        ),
        "{err:?}"
    );
}

/// A revision run statement by statement whose first statement fails changed nothing:
/// it is not applied, not dirty, and the next run tries it again. So is a downgrade.
async fn a_revision_whose_first_statement_fails_is_retried_not_dirty<DB: Backend>(db: &TestDb<DB>) {
    let file = "-- revision: a1\n-- down_revision: none\n-- transaction: false\n-- migrate:upgrade\nINSERT INTO made_by_hand (id) VALUES (1);\nCREATE TABLE after_it (id INTEGER);\n-- migrate:downgrade\nDELETE FROM no_such_table;\nDROP TABLE after_it;\n";
    let dir = migrations_dir(&[("a1_later.sql", file)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    let err = m.upgrade(&db.pool, "head").await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Execute {
                statement: Some(1),
                ..
            }
        ),
        "{err}"
    );
    assert!(m.runner().applied(&db.pool).await.unwrap().is_empty());
    DB::execute(&db.pool, "CREATE TABLE made_by_hand (id INTEGER)").await;
    assert_eq!(
        m.upgrade(&db.pool, "head").await.unwrap().revisions(),
        ["a1"]
    );
    let err = m.downgrade(&db.pool, "base").await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Execute {
                statement: Some(1),
                ..
            }
        ),
        "{err}"
    );
    let rows = m.runner().applied(&db.pool).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, RevisionState::Applied);
    assert!(DB::table_exists(&db.pool, "after_it").await);
}

/// Session SQL runs on the run's connection before anything else, so folders that need a
/// setting apply with it and fail without it; the setting does not outlive the run.
async fn session_sql_runs_first_and_does_not_leak<DB: Backend>(db: &TestDb<DB>) {
    let (files, session, check): (Vec<(&str, &str)>, &str, &str) = match DB::DIALECT {
        // The first revision's inline REFERENCES names a table the second creates.
        Dialect::MySql => (
            vec![
                (
                    "a1_child.sql",
                    "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE child (id INT PRIMARY KEY, parent_id INT REFERENCES parent (id)) ENGINE=InnoDB;\n",
                ),
                (
                    "b2_parent.sql",
                    "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB;\n",
                ),
            ],
            "SET foreign_key_checks = 0",
            "SELECT CAST(@@foreign_key_checks AS SIGNED)",
        ),
        // A table rebuild (create, copy, drop, rename) under rows that reference it.
        Dialect::Sqlite => (
            vec![
                (
                    "a1_tables.sql",
                    "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));\nINSERT INTO parent VALUES (1, 'one');\nINSERT INTO child VALUES (1, 1);\n",
                ),
                (
                    "b2_rebuild.sql",
                    "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\nINSERT INTO parent_new SELECT id, name FROM parent;\nDROP TABLE parent;\nALTER TABLE parent_new RENAME TO parent;\n",
                ),
            ],
            "PRAGMA foreign_keys = OFF",
            "PRAGMA foreign_keys",
        ),
        // Everything, the version table included, goes to the schema on the search path.
        _ => (
            vec![(
                "a1_table.sql",
                "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE in_app (id INTEGER);\n",
            )],
            "SET search_path = app",
            "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_settings WHERE name = 'search_path' AND setting = 'app'",
        ),
    };
    if DB::DIALECT == Dialect::Postgres {
        DB::execute(&db.pool, "CREATE SCHEMA app").await;
    }
    let dir = migrations_dir(&files);
    let m = Migrations::from_dir(dir.path()).unwrap();
    // One connection, so that a setting left on it would be seen by the next query.
    let pool = sqlx::pool::PoolOptions::<DB>::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    let before = DB::scalar(&pool, check).await;
    if DB::DIALECT != Dialect::Postgres {
        let err = m.upgrade(&pool, "head").await.unwrap_err();
        assert!(matches!(err, Error::Execute { .. }), "{err}");
        let text = err.to_string();
        if DB::DIALECT == Dialect::MySql {
            assert!(text.contains("errno: 150"), "{text}");
            // Nothing of a1 stays: its only statement failed.
            assert!(m.runner().applied(&pool).await.unwrap().is_empty());
        } else {
            assert!(text.contains("FOREIGN KEY constraint failed"), "{text}");
        }
    }
    let report = m
        .runner()
        .session_sql([session])
        .upgrade(&pool, "head")
        .await
        .unwrap();
    assert_eq!(
        report.revisions().last().copied(),
        Some(if DB::DIALECT == Dialect::Postgres {
            "a1"
        } else {
            "b2"
        })
    );
    if DB::DIALECT == Dialect::Postgres {
        let in_app = DB::scalar(
            &pool,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM information_schema.tables WHERE table_schema = 'app' AND table_name IN ('in_app', '_migrations')",
        )
        .await;
        assert_eq!(in_app, 2);
        assert!(
            !DB::table_exists(&pool, "in_app").await,
            "created outside `app`"
        );
    }
    assert_eq!(DB::scalar(&pool, check).await, before, "the setting leaked");
    // A statement that fails is named, and nothing runs.
    let err = m
        .runner()
        .session_sql(["SET no_such_setting_at_all = 1"])
        .upgrade(&pool, "head")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Session { sql, .. } if sql.contains("no_such_setting")),
        "{err}"
    );
    pool.close().await;
}

/// The version row's downgrade SQL, written into the revision's text as a literal on
/// PostgreSQL, is the file's section byte for byte, also where the server reads
/// backslashes in plain literals as escapes.
async fn the_version_row_keeps_the_downgrade_sql_as_written<DB: Backend>(db: &TestDb<DB>) {
    let downgrade =
        "DELETE FROM kept WHERE v = 'a\\b' OR v = 'it''s' OR v = '\\n\t\u{e9}';\nDROP TABLE kept;";
    let file = format!(
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE kept (v TEXT);\n-- migrate:downgrade\n{downgrade}\n"
    );
    let dir = migrations_dir(&[("a1_kept.sql", &file)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    let session: &[&str] = if DB::DIALECT == Dialect::Postgres {
        &["SET standard_conforming_strings = off"]
    } else {
        &[]
    };
    m.runner()
        .session_sql(session.iter().copied())
        .upgrade(&db.pool, "head")
        .await
        .unwrap();
    let rows = m.runner().applied(&db.pool).await.unwrap();
    assert_eq!(rows[0].downgrade_sql.as_deref(), Some(downgrade));
    assert_eq!(rows[0].state, RevisionState::Applied);
}

/// SQL that ends inside a string or a dollar quote is sent alone, as written, and fails
/// with the database's own error; nothing is recorded.
async fn sql_left_open_at_its_end_fails_on_its_own<DB: Backend>(db: &TestDb<DB>) {
    // (On MySQL, whose DDL commits on its own, a statement before it would leave the
    // revision part-way; that case has its own tests.)
    let open = match DB::DIALECT {
        Dialect::Postgres => "CREATE TABLE never (id INTEGER);\nSELECT $$ left open",
        Dialect::MySql => "SELECT 'left open",
        _ => "CREATE TABLE never (id INTEGER);\nSELECT 'left open",
    };
    let file = format!("-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n{open}\n");
    let dir = migrations_dir(&[("a1_open.sql", &file)]);
    let m = Migrations::from_dir(dir.path()).unwrap();
    let err = m.upgrade(&db.pool, "head").await.unwrap_err();
    let Error::Execute { database, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        ["unterminated", "syntax", "unrecognized token"]
            .iter()
            .any(|said| database.message.contains(said)),
        "{err}"
    );
    assert!(m.runner().applied(&db.pool).await.unwrap().is_empty());
    if DB::TRANSACTIONAL_DDL {
        assert!(!DB::table_exists(&db.pool, "never").await);
    }
}
