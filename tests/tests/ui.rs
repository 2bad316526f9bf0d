//! Compile-time checks of `embed_migrations!`: every bad input fails the build with a
//! message naming the file and line; good inputs build and embed the right graph.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

/// trybuild builds each case inside `<target>/tests/trybuild/<crate>`, where the macro's
/// relative paths resolve; link the fixtures there.
fn link_fixtures() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .expect("cargo metadata runs");
    let json = String::from_utf8(out.stdout).expect("utf-8 metadata");
    let key = "\"target_directory\":\"";
    let start = json.find(key).expect("target_directory in metadata") + key.len();
    let end = start + json[start..].find('"').expect("end of target_directory");
    let target = PathBuf::from(&json[start..end]);
    let project = target
        .join("tests")
        .join("trybuild")
        .join(env!("CARGO_PKG_NAME"));
    std::fs::create_dir_all(&project).expect("trybuild project folder");
    let link = project.join("fixtures");
    let _ = std::fs::remove_file(&link);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    std::os::unix::fs::symlink(&fixtures, &link).expect("link fixtures into the trybuild project");
}

#[test]
fn ui() {
    link_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}
