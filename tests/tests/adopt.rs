//! Switching from another tool: its folder imported (`migraph::import`), a database it
//! migrated adopted (`Migrator::adopt`), on real PostgreSQL, MariaDB and SQLite
//! databases. Each source database is made the way the tool makes it: sqlx's by sqlx's
//! own migrator; diesel's, refinery's and Alembic's by running their SQL and writing
//! their version table as they lay it out.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use migraph::import::{AlembicSql, Tool, read, write};
use migraph::{Dialect, Error, Migrations};
use migraph_tests::{Backend, TestDb, on_every_database, workspace_root};

on_every_database!(
    a_diesel_database_is_adopted,
    a_sqlx_database_is_adopted,
    a_refinery_database_is_adopted,
    an_alembic_database_is_adopted,
    adoption_refuses_what_does_not_match,
    a_gap_is_recorded_as_it_is_and_upgrade_fills_it,
);

/// The version tables as diesel and refinery create them.
const DIESEL_TABLE: &str = "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)";
const REFINERY_TABLE: &str = "CREATE TABLE refinery_schema_history (version INTEGER PRIMARY KEY, name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255))";

fn fixture(tool: &str) -> PathBuf {
    workspace_root().join("tests/fixtures/import").join(tool)
}

/// Imports `tool`'s fixture into a fresh folder.
fn imported(tool: Tool) -> (tempfile::TempDir, Migrations) {
    let src = fixture(tool.name());
    let (up, down) = if tool == Tool::Alembic {
        (
            std::fs::read_to_string(src.join("upgrade.sql")).unwrap(),
            std::fs::read_to_string(src.join("downgrade.sql")).unwrap(),
        )
    } else {
        (String::new(), String::new())
    };
    let alembic = (tool == Tool::Alembic).then(|| AlembicSql {
        upgrade: &up,
        downgrade: Some(&down),
        dialect: Dialect::Postgres,
        version_table: "alembic_version",
    });
    let import = read(tool, &src, alembic).unwrap();
    assert!(import.skipped.is_empty(), "{:?}", import.skipped);
    let dest = tempfile::tempdir().unwrap();
    write(&import, dest.path(), false).unwrap();
    let migrations = Migrations::from_dir(dest.path()).unwrap();
    (dest, migrations)
}

/// Runs each revision's upgrade SQL by hand, parents first, as the other tool did.
async fn run_by_hand<DB: Backend>(db: &TestDb<DB>, m: &Migrations, only: &[&str]) {
    for r in m.history().unwrap() {
        let wanted = only.is_empty() || only.contains(&r.revision());
        if wanted && !r.upgrade_sql().trim().is_empty() {
            DB::execute(&db.pool, r.upgrade_sql()).await;
        }
    }
}

/// After adoption: nothing to upgrade, and `check`'s question answered yes.
async fn at_head<DB: Backend>(db: &TestDb<DB>, m: &Migrations, tool: Tool) {
    assert!(
        m.runner()
            .pending(&db.pool, "heads")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(m.upgrade(&db.pool, "head").await.unwrap().is_empty());
    // Adopting again changes nothing.
    let again = m.runner().adopt(&db.pool, tool).await.unwrap();
    assert!(again.recorded.is_empty());
    assert_eq!(again.already.len(), m.migrations().len());
    // The other tool's table is left as it was.
    assert!(DB::table_exists(&db.pool, tool.version_table()).await);
}

async fn a_diesel_database_is_adopted<DB: Backend>(db: &TestDb<DB>) {
    let (_dir, m) = imported(Tool::Diesel);
    run_by_hand(db, &m, &[]).await;
    DB::execute(&db.pool, DIESEL_TABLE).await;
    DB::execute(
        &db.pool,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240105101500'), ('20240106090000'), ('20240107120000')",
    )
    .await;
    let adoption = m.runner().adopt(&db.pool, Tool::Diesel).await.unwrap();
    assert_eq!(
        adoption.recorded,
        ["20240105101500", "20240106090000", "20240107120000"]
    );
    assert!(adoption.pending.is_empty());
    at_head(db, &m, Tool::Diesel).await;
}

async fn a_sqlx_database_is_adopted<DB: Backend>(db: &TestDb<DB>)
where
    <DB as sqlx::Database>::Connection: sqlx::migrate::Migrate,
{
    let (_dir, m) = imported(Tool::Sqlx);
    // sqlx's own migrator, on sqlx's own folder.
    let theirs = sqlx::migrate::Migrator::new(fixture("sqlx")).await.unwrap();
    theirs.run(&db.pool).await.unwrap();
    let adoption = m.runner().adopt(&db.pool, Tool::Sqlx).await.unwrap();
    assert_eq!(
        adoption.recorded,
        ["20240105101500", "20240106090000", "20240107120000"]
    );
    at_head(db, &m, Tool::Sqlx).await;
}

async fn a_refinery_database_is_adopted<DB: Backend>(db: &TestDb<DB>) {
    let (_dir, m) = imported(Tool::Refinery);
    run_by_hand(db, &m, &[]).await;
    DB::execute(&db.pool, REFINERY_TABLE).await;
    DB::execute(
        &db.pool,
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (1, 'create_items', '2024-01-05', '1'), (2, 'seed_items', '2024-01-05', '2'), (10, 'index_items', '2024-01-05', '3')",
    )
    .await;
    let adoption = m.runner().adopt(&db.pool, Tool::Refinery).await.unwrap();
    assert_eq!(adoption.recorded, ["V1", "V2", "V10"]);
    at_head(db, &m, Tool::Refinery).await;
}

async fn an_alembic_database_is_adopted<DB: Backend>(db: &TestDb<DB>) {
    let (_dir, m) = imported(Tool::Alembic);
    let graph = m.graph().unwrap();
    assert_eq!(graph.heads().len(), 1);
    let merge = m.get("55af2cb1c267").unwrap();
    assert_eq!(merge.down_revisions(), ["ae1027a6acf0", "27c6a30d7c24"]);
    assert_eq!(m.get("27c6a30d7c24").unwrap().branch_labels(), ["audit"]);
    assert_eq!(
        m.get("1975ea83b712").unwrap().message(),
        "create account table"
    );
    assert_eq!(
        m.get("ae1027a6acf0").unwrap().downgrade_sql(),
        Some("ALTER TABLE account DROP COLUMN email;")
    );
    run_by_hand(db, &m, &[]).await;
    DB::execute(
        &db.pool,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
    )
    .await;
    DB::execute(
        &db.pool,
        "INSERT INTO alembic_version (version_num) VALUES ('55af2cb1c267')",
    )
    .await;
    let adoption = m.runner().adopt(&db.pool, Tool::Alembic).await.unwrap();
    assert_eq!(adoption.recorded.len(), 4);
    assert_eq!(adoption.recorded[0], "1975ea83b712");
    assert_eq!(adoption.recorded[3], "55af2cb1c267");
    at_head(db, &m, Tool::Alembic).await;
}

async fn adoption_refuses_what_does_not_match<DB: Backend>(db: &TestDb<DB>) {
    let (_dir, m) = imported(Tool::Diesel);
    let refused = async |tool| match m.runner().adopt(&db.pool, tool).await {
        Err(Error::Adopt { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    // No table.
    assert!(
        refused(Tool::Diesel)
            .await
            .contains("no `__diesel_schema_migrations` table")
    );
    // A version the folder lacks.
    DB::execute(&db.pool, DIESEL_TABLE).await;
    DB::execute(
        &db.pool,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20240105101500'), ('20991231000000')",
    )
    .await;
    let reason = refused(Tool::Diesel).await;
    assert!(
        reason.contains("20991231000000") && !reason.contains("20240105101500"),
        "{reason}"
    );
    assert!(m.runner().applied(&db.pool).await.unwrap().is_empty());
    // migraph's table has rows but lacks one that diesel applied: both have migrated.
    DB::execute(
        &db.pool,
        "UPDATE __diesel_schema_migrations SET version = '20240106090000' WHERE version = '20991231000000'",
    )
    .await;
    run_by_hand(db, &m, &["20240105101500", "20240106090000"]).await;
    m.runner()
        .stamp(&db.pool, &["20240105101500"])
        .await
        .unwrap();
    let reason = refused(Tool::Diesel).await;
    assert!(reason.contains("lacks 20240106090000"), "{reason}");
    assert_eq!(m.runner().applied(&db.pool).await.unwrap().len(), 1);
    // Once migraph holds all that diesel applied, and more, adopting changes nothing.
    m.runner()
        .stamp(&db.pool, &["20240107120000"])
        .await
        .unwrap();
    let again = m.runner().adopt(&db.pool, Tool::Diesel).await.unwrap();
    assert!(again.recorded.is_empty());
    assert_eq!(again.already, ["20240105101500", "20240106090000"]);
    // A failed sqlx migration.
    DB::execute(
        &db.pool,
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, success BOOLEAN NOT NULL, checksum VARCHAR(96) NOT NULL, execution_time BIGINT NOT NULL)",
    )
    .await;
    DB::execute(
        &db.pool,
        "INSERT INTO _sqlx_migrations VALUES (20240105101500, 'create users', TRUE, '', 1), (20240106090000, 'create posts', FALSE, '', 1)",
    )
    .await;
    let reason = refused(Tool::Sqlx).await;
    assert!(
        reason.contains("failed migration (20240106090000)"),
        "{reason}"
    );
}

async fn a_gap_is_recorded_as_it_is_and_upgrade_fills_it<DB: Backend>(db: &TestDb<DB>) {
    let (_dir, m) = imported(Tool::Refinery);
    // refinery applied V1 and V10, never V2 (its `set_abort_missing(false)`).
    run_by_hand(db, &m, &["V1", "V10"]).await;
    DB::execute(&db.pool, REFINERY_TABLE).await;
    DB::execute(
        &db.pool,
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (1, 'create_items', '', ''), (10, 'index_items', '', '')",
    )
    .await;
    let adoption = m.runner().adopt(&db.pool, Tool::Refinery).await.unwrap();
    assert_eq!(adoption.recorded, ["V1", "V10"]);
    assert_eq!(adoption.pending, ["V2"]);
    assert_eq!(
        m.upgrade(&db.pool, "head").await.unwrap().revisions(),
        ["V2"]
    );
    assert_eq!(
        DB::text(&db.pool, "SELECT label FROM items WHERE id = 1").await,
        "first"
    );
}

#[test]
fn import_keeps_the_sql_and_the_order_of_every_tool() {
    let (_d, diesel) = imported(Tool::Diesel);
    let posts = diesel.get("20240106090000").unwrap();
    let source =
        std::fs::read_to_string(fixture("diesel/2024-01-06-090000_create_posts/up.sql")).unwrap();
    assert_eq!(posts.upgrade_sql(), source.trim_end());
    assert_eq!(posts.created(), "2024-01-06T09:00:00Z");
    assert_eq!(posts.message(), "create posts");
    assert!(!diesel.get("20240107120000").unwrap().transactional());
    let (_s, sqlx) = imported(Tool::Sqlx);
    assert_eq!(
        sqlx.get("20240105101500").unwrap().message(),
        "create accounts"
    );
    assert!(
        sqlx.get("20240106090000")
            .unwrap()
            .downgrade_sql()
            .is_some()
    );
    assert!(!sqlx.get("20240107120000").unwrap().transactional());
    let (_r, refinery) = imported(Tool::Refinery);
    let order: Vec<&str> = refinery
        .history()
        .unwrap()
        .iter()
        .map(|m| m.revision())
        .collect();
    assert_eq!(order, ["V1", "V2", "V10"]);
    // Importing again writes nothing and changes nothing.
    let (dir, _) = imported(Tool::Diesel);
    let again = read(Tool::Diesel, &fixture("diesel"), None).unwrap();
    let done = write(&again, dir.path(), false).unwrap();
    assert!(done.written.is_empty());
    assert_eq!(done.unchanged.len(), 3);
}

#[test]
fn import_refuses_what_it_cannot_keep() {
    let src = tempfile::tempdir().unwrap();
    let put = |name: &str, text: &str| std::fs::write(src.path().join(name), text).unwrap();
    put("V1__init.sql", "CREATE TABLE t (id INT);\n");
    put("U2__view.sql", "CREATE VIEW v AS SELECT 1;\n");
    let err = read(Tool::Refinery, src.path(), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("U2__view.sql") && err.contains("unversioned"),
        "{err}"
    );
    // A line that would read as a section marker.
    let src = tempfile::tempdir().unwrap();
    let put = |name: &str, text: &str| std::fs::write(src.path().join(name), text).unwrap();
    put(
        "1_a.sql",
        "CREATE TABLE t (id INT);\n-- migrate:downgrade\nDROP TABLE t;\n",
    );
    put("2_b.sql", "CREATE TABLE u (id INT);\n");
    let import = read(Tool::Sqlx, src.path(), None).unwrap();
    assert_eq!(import.files.len(), 1);
    assert!(
        import.skipped[0].to_string().contains("1_a.sql"),
        "{:?}",
        import.skipped
    );
    // An existing file with other text is not overwritten.
    let dest = tempfile::tempdir().unwrap();
    let first = read(Tool::Diesel, &fixture("diesel"), None).unwrap();
    let name = &first.files[0].name;
    std::fs::write(dest.path().join(name), "-- mine\n").unwrap();
    let err = write(&first, dest.path(), false).unwrap_err().to_string();
    assert!(
        err.contains("exists already") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dest.path().join(name)).unwrap(),
        "-- mine\n"
    );
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 1);
    write(&first, dest.path(), true).unwrap();
    Migrations::from_dir(dest.path()).unwrap();
}

/// Every fixture imported is a folder `embed_migrations!` accepts.
#[test]
fn imported_folders_pass_the_macros_checks() {
    for tool in Tool::ALL {
        let (dir, _) = imported(tool);
        let shown = dir.path().display().to_string();
        migraph_core::Directory::load(dir.path(), &shown, migraph_core::LoadOptions::default())
            .unwrap();
    }
}
