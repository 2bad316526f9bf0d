//! Compile-time checks of `embed_migrations!`: every bad input fails the build with a
//! message naming the file and line; good inputs build and embed the right graph.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

/// trybuild builds each case inside `<target>/tests/trybuild/<crate>`, where the macro's
/// relative paths resolve; copy the fixtures there (a copy, not a link, so that it works
/// on every platform).
fn copy_fixtures() {
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
    let copy = project.join("fixtures");
    // An earlier version linked the folder; remove a link or an old copy alike.
    let _ = std::fs::remove_file(&copy);
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &copy,
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a fixtures folder");
    for entry in std::fs::read_dir(from).expect("read the fixtures") {
        let entry = entry.expect("a fixtures entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("an entry's type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a fixture");
        }
    }
}

#[test]
fn ui() {
    copy_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}
