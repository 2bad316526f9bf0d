//! A release rollback with two builds of an application, each embedding its own folder
//! with `embed_migrations!`, whose start-up moves the database `to` its newest revision:
//! the newer build forward, the older one back through the revision it does not have,
//! and again nothing when already there.
//!
//! Builds two small crates with cargo; their target folder is shared with the other
//! scratch crates and reused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use migraph_tests::cargo_build;

const MAIN: &str = r#"
static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("migrations");

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (url, target) = (args.next().unwrap(), args.next().unwrap());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    match MIGRATIONS.runner().to(&pool, &target).await {
        Ok(report) => {
            let steps: Vec<String> = report.steps.iter().map(|s| format!("{} {}", s.action, s.revision)).collect();
            println!("moved: {}", steps.join(", "));
        }
        Err(e) => println!("error: {e}"),
    }
}
"#;

/// A release crate named `name` embedding revisions `ids`, each a table.
fn release(root: &Path, name: &str, ids: &[&str]) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    migraph_tests::write_app_manifest(&dir, name, "");
    std::fs::write(dir.join("src/main.rs"), MAIN).unwrap();
    let mut parent = "none";
    for id in ids {
        std::fs::write(
            dir.join("migrations").join(format!("{id}_step.sql")),
            format!("-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\nCREATE TABLE t_{id} (id INTEGER);\n-- migrate:downgrade\nDROP TABLE t_{id};\n"),
        )
        .unwrap();
        parent = id;
    }
    dir
}

#[test]
fn an_older_build_moves_the_database_back_and_a_newer_one_forward() {
    let root = tempfile::tempdir().unwrap();
    let old = release(root.path(), "release_old", &["a1", "b2"]);
    let new = release(root.path(), "release_new", &["a1", "b2", "c3"]);
    let url = format!("sqlite:{}?mode=rwc", root.path().join("app.db").display());
    let run = |dir: &Path, target: &str| {
        let target_dir = cargo_build(dir);
        let name = dir.file_name().unwrap().to_str().unwrap();
        let out = Command::new(target_dir.join("debug").join(name))
            .args([&url, target])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(run(&new, "c3"), "moved: upgrade a1, upgrade b2, upgrade c3");
    // The release is rolled back: the older build goes to its own newest revision,
    // undoing c3 with the downgrade SQL the newer build stored.
    assert_eq!(run(&old, "b2"), "moved: downgrade c3");
    assert_eq!(run(&old, "b2"), "moved:");
    // And forward again with the newer build.
    assert_eq!(run(&new, "c3"), "moved: upgrade c3");
}
