//! Cargo rebuilds a crate that embeds a folder when a migration file is edited (the macro
//! includes every file) and, with `migraph::build::watch`, when a file is added. A
//! debug build that missed a new file says so at run time instead of skipping it.
//!
//! Builds two small crates with cargo, so it takes a while the first time; their target
//! folder sits next to the workspace's and is reused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use migraph_tests::{cargo_build, try_cargo_build, workspace_root};

const A1: &str = "-- revision: a1\n-- down_revision: none\n-- message: first\n-- migrate:upgrade\nCREATE TABLE first_table (id INTEGER PRIMARY KEY);\n";
const B2: &str = "-- revision: b2\n-- down_revision: a1\n-- message: second\n-- migrate:upgrade\nCREATE TABLE second_table (id INTEGER PRIMARY KEY);\n";

const MAIN: &str = r#"
static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!("migrations");

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let names: Vec<&str> = MIGRATIONS.migrations().iter().map(|m| m.message()).collect();
    println!("embedded: {}", names.join(","));
    let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
    match MIGRATIONS.upgrade(&pool, "head").await {
        Ok(report) => println!("applied: {}", report.revisions().join(",")),
        Err(e) => println!("error: {e}"),
    }
}
"#;

/// A crate embedding `migrations/`, with or without the build-script helper.
fn project(root: &Path, name: &str, with_helper: bool) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    let facade = workspace_root().join("migrations");
    let build_dep = if with_helper {
        format!(
            "[build-dependencies]\nmigraph = {{ path = {facade:?}, default-features = false }}\n"
        )
    } else {
        String::new()
    };
    migraph_tests::write_app_manifest(&dir, name, &build_dep);
    if with_helper {
        std::fs::write(
            dir.join("build.rs"),
            "fn main() {\n    migraph::build::watch(\"migrations\");\n}\n",
        )
        .unwrap();
    }
    std::fs::write(dir.join("src/main.rs"), MAIN).unwrap();
    std::fs::write(dir.join("migrations/a1_first.sql"), A1).unwrap();
    dir
}

/// Builds the project and runs its binary; returns what it printed.
fn build_and_run(dir: &Path) -> String {
    let target = cargo_build(dir);
    let name = dir.file_name().unwrap().to_str().unwrap();
    let out = Command::new(target.join("debug").join(name))
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn adding_or_editing_a_migration_rebuilds_the_crate() {
    let root = tempfile::tempdir().unwrap();
    let watched = project(root.path(), "rebuild_watched", true);
    let unwatched = project(root.path(), "rebuild_unwatched", false);

    for dir in [&watched, &unwatched] {
        let out = build_and_run(dir);
        assert!(out.contains("embedded: first\n"), "{out}");
        assert!(out.contains("applied: a1\n"), "{out}");
    }

    // Editing an embedded file rebuilds, helper or not: the macro includes each file.
    for dir in [&watched, &unwatched] {
        std::fs::write(
            dir.join("migrations/a1_first.sql"),
            A1.replace("message: first", "message: edited"),
        )
        .unwrap();
        let out = build_and_run(dir);
        assert!(out.contains("embedded: edited\n"), "{out}");
    }

    // A new file: the helper makes cargo rebuild and embed it.
    std::fs::write(watched.join("migrations/b2_second.sql"), B2).unwrap();
    let out = build_and_run(&watched);
    assert!(out.contains("embedded: edited,second\n"), "{out}");
    assert!(out.contains("applied: a1,b2\n"), "{out}");

    // Without it cargo keeps the old binary, and the debug build refuses to run with it,
    // naming the file and the fix.
    std::fs::write(unwatched.join("migrations/b2_second.sql"), B2).unwrap();
    let out = build_and_run(&unwatched);
    assert!(out.contains("embedded: edited\n"), "{out}");
    assert!(
        out.contains("error: `b2_second.sql` is in `migrations`"),
        "{out}"
    );
    assert!(
        out.contains("migraph::build::watch(\"migrations\")"),
        "{out}"
    );
}

/// With default features, the crate is the macro and the build helper: embedding stops
/// the build with a message naming the feature to turn on, not an unresolved path.
#[test]
fn without_a_driver_the_macro_says_which_feature_to_turn_on() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("nodriver");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(dir.join("migrations/a1_first.sql"), A1).unwrap();
    let facade = workspace_root().join("migrations");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"nodriver\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nmigraph = {{ path = {facade:?} }}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "static MIGRATIONS: migraph::Migrations = migraph::embed_migrations!(\"migrations\");\n\nfn main() {\n    let _ = &MIGRATIONS;\n}\n",
    )
    .unwrap();
    let (_, out) = try_cargo_build(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("embed_migrations! needs a database driver")
            && stderr.contains("features = [")
            && !stderr.contains("__private"),
        "{stderr}"
    );
}

/// The `[lint]` table of the crate's migraph.toml makes `embed_migrations!` lint the SQL:
/// editing the file rebuilds the crate, a finding fails the build naming the file, line
/// and rule, and the revision's opt-out lets it through.
#[test]
fn the_lint_settings_of_migraph_toml_apply_at_build_time() {
    let root = tempfile::tempdir().unwrap();
    let dir = project(root.path(), "lint_config", false);
    let b2 = "-- revision: b2\n-- down_revision: a1\n-- message: second\n-- migrate:upgrade\nCREATE INDEX first_idx ON first_table (id);\n";
    std::fs::write(dir.join("migrations/b2_second.sql"), b2).unwrap();
    std::fs::write(dir.join("migraph.toml"), "[lint]\ndialect = \"postgres\"\n").unwrap();
    // The default PostgreSQL rule has nothing to say.
    let out = build_and_run(&dir);
    assert!(out.contains("embedded: first,second\n"), "{out}");
    // The opt-in rules find the index on a table an earlier revision created.
    std::fs::write(
        dir.join("migraph.toml"),
        "[lint]\ndialect = \"postgres\"\nrules = [\"online\"]\n",
    )
    .unwrap();
    let (_, built) = try_cargo_build(&dir);
    let stderr = String::from_utf8_lossy(&built.stderr);
    assert!(!built.status.success(), "the build went through");
    assert!(
        stderr.contains("--> migrations/b2_second.sql:5")
            && stderr.contains("without `CONCURRENTLY`")
            && stderr.contains("lint: allow(index_not_concurrently)"),
        "{stderr}"
    );
    std::fs::write(
        dir.join("migrations/b2_second.sql"),
        b2.replace(
            "-- migrate:",
            "-- lint: allow(index_not_concurrently)\n-- migrate:",
        ),
    )
    .unwrap();
    let out = build_and_run(&dir);
    assert!(out.contains("embedded: first,second\n"), "{out}");
}
