//! The `migraph` binary itself: it starts, answers `--help` with examples, and reports
//! errors as one line with exit code 1, without a panic or a backtrace.

#![cfg(all(
    feature = "cli",
    feature = "postgres",
    feature = "mysql",
    feature = "sqlite"
))]
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn migrations(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_migraph"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

#[test]
fn help_shows_the_commands_and_examples() {
    let out = migrations(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for command in [
        "init",
        "revision",
        "merge",
        "upgrade",
        "downgrade",
        "stamp",
        "current",
        "history",
        "check",
        "repair",
    ] {
        assert!(text.contains(command), "{command} missing from --help");
    }
    let out = migrations(&["upgrade", "--help"]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("Example: `migraph upgrade head`")
    );
}

#[test]
fn an_error_is_one_line_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = migrations(&[
        "--dir",
        dir.path().to_str().unwrap(),
        "--database-url",
        "nosuch://x",
        "current",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: unsupported database URL `nosuch://x`"),
        "{err}"
    );
    assert!(!err.contains("panicked") && !err.contains("backtrace"));
}

/// The database URL comes from the variable `database_url_env` names in migraph.toml;
/// `--database-url` overrides it.
#[test]
fn the_configured_variable_holds_the_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("migrations");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("a1_t.sql"),
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INTEGER);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("migraph.toml"),
        "database_url_env = \"APP_DATABASE\"\n",
    )
    .unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("app.db").display());
    let run = |args: &[&str], env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_migraph"));
        command
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("APP_DATABASE")
            .env_remove("MIGRAPH_CONFIG");
        if let Some(url) = env {
            command.env("APP_DATABASE", url);
        }
        command.output().unwrap()
    };
    let out = run(&["upgrade", "head"], Some(&url));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("upgrade a1"));
    let out = run(&["current"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no database: pass --database-url or set APP_DATABASE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["current", "--database-url", &url], None);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("a1 (head)"));
}
