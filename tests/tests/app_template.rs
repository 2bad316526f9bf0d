//! `migraph init -t app` writes an application that builds, embeds its migrations and
//! carries the migration commands in its own binary.
//!
//! Builds the application with cargo against this workspace, so it takes a while the
//! first time; its target folder is shared with the other tests that build crates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, ExitCode};

use migraph_tests::{cargo_build, workspace_root};

fn run(binary: &Path, args: &[&str], url: &str, cwd: &Path) -> (bool, String, String) {
    let out = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .current_dir(cwd)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_app_template_builds_and_migrates_with_its_own_binary() {
    let root = tempfile::tempdir().unwrap();
    let app = root.path().join("demoapp");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = migraph::cli::run_args(
        ["migraph", "init", app.to_str().unwrap(), "-t", "app"],
        false,
        &mut out,
        &mut err,
    );
    assert_eq!(code, ExitCode::SUCCESS, "{}", String::from_utf8_lossy(&err));
    // Build against this workspace rather than the published crate.
    let manifest = app.join("Cargo.toml");
    let facade = workspace_root().join("migrations");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replace(
        &format!("migraph = {{ version = \"{}\"", env!("CARGO_PKG_VERSION")),
        &format!("migraph = {{ path = {facade:?}"),
    );
    assert_eq!(text.matches("path = ").count(), 2, "{text}");
    std::fs::write(&manifest, text).unwrap();
    let target = cargo_build(&app);
    let binary = target.join("debug").join("demoapp");
    let url = format!("sqlite:{}?mode=rwc", root.path().join("demo.db").display());

    let (success, stdout, stderr) = run(&binary, &["migrate", "current"], &url, &app);
    assert!(success, "{stderr}");
    assert_eq!(stdout.trim(), "base (nothing applied)");
    let (success, stdout, stderr) = run(
        &binary,
        &["migrate", "upgrade", "head", "--sql"],
        &url,
        &app,
    );
    assert!(success, "{stderr}");
    assert!(
        stdout.contains("-- Running upgrade  -> ") && stdout.contains("CREATE TABLE example"),
        "{stdout}"
    );
    let (success, stdout, stderr) = run(&binary, &["migrate", "upgrade", "head"], &url, &app);
    assert!(success, "{stderr}");
    assert!(
        stdout.starts_with("upgrade ") && stdout.contains("create example table"),
        "{stdout}"
    );
    let (success, stdout, _) = run(&binary, &["migrate", "current"], &url, &app);
    assert!(success);
    assert!(stdout.contains("(head) create example table"), "{stdout}");
    let (success, _, _) = run(&binary, &["migrate", "check"], &url, &app);
    assert!(success);
    // The service itself starts by bringing the database to head: nothing left to do.
    let (success, stdout, stderr) = run(&binary, &[], &url, &app);
    assert!(success, "{stderr}");
    assert!(
        stdout.contains("database at head (0 revisions applied)"),
        "{stdout}"
    );
    // The migration files are inside the binary: it works from anywhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let (success, stdout, _) = run(&binary, &["migrate", "heads"], &url, elsewhere.path());
    assert!(success);
    assert!(stdout.contains("(head) create example table"), "{stdout}");
    // `init` wrote the app a migraph.toml; its settings apply to the subcommand run
    // from the app's folder, as they do to the `migraph` binary.
    let config = app.join("migraph.toml");
    assert!(
        std::fs::read_to_string(&config)
            .unwrap()
            .contains("[session_sql]")
    );
    std::fs::write(
        &config,
        "table = \"demo_versions\"\n[session_sql]\nsqlite = [\"PRAGMA foreign_keys = OFF\"]\n",
    )
    .unwrap();
    let (success, stdout, stderr) = run(&binary, &["migrate", "current"], &url, &app);
    assert!(success, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "base (nothing applied)",
        "not the file's table"
    );
    let (success, stdout, stderr) = run(
        &binary,
        &[
            "migrate",
            "current",
            "--session-sql",
            "PRAGMA foreign_keys = ON",
        ],
        &url,
        elsewhere.path(),
    );
    assert!(success, "{stderr}");
    assert!(stdout.contains("(head) create example table"), "{stdout}");
}
