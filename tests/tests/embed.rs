//! The migrations embedded at compile time are the ones loaded from disk at run time.

#![allow(clippy::unwrap_used)]

use migraph::{Migrations, embed_migrations};

static LINEAR: Migrations = embed_migrations!("fixtures/pass/linear");
static BRANCH_MERGE: Migrations = embed_migrations!("fixtures/pass/branch-merge");
static LABELLED: Migrations = embed_migrations!("fixtures/pass/labelled-branches");
static DEPENDS_ON: Migrations = embed_migrations!("fixtures/pass/depends-on");
static DATABASE: Migrations = embed_migrations!("fixtures/db/basic");

fn loaded(dir: &str) -> Migrations {
    Migrations::from_dir(format!("{}/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn embedded_migrations_equal_the_ones_loaded_at_run_time() {
    for (embedded, dir) in [
        (&LINEAR, "pass/linear"),
        (&BRANCH_MERGE, "pass/branch-merge"),
        (&LABELLED, "pass/labelled-branches"),
        (&DEPENDS_ON, "pass/depends-on"),
        (&DATABASE, "db/basic"),
    ] {
        let from_disk = loaded(dir);
        assert!(!embedded.migrations().is_empty(), "{dir}");
        assert_eq!(embedded.migrations(), from_disk.migrations(), "{dir}");
        let ids = |m: &Migrations| -> Vec<String> {
            m.history()
                .unwrap()
                .iter()
                .map(|m| m.revision().to_owned())
                .collect()
        };
        assert_eq!(ids(embedded), ids(&from_disk), "{dir}");
    }
}

#[test]
fn embedded_migrations_remember_their_folder() {
    assert_eq!(LINEAR.dir(), "fixtures/pass/linear");
    assert_eq!(LINEAR.migrations()[0].file_name(), "a1_first.sql");
}
