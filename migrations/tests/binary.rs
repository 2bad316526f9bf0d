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
