//! Fuzzing the two parsers that read user input, the migration file parser and the
//! statement splitter: no input makes them panic, and what they return is consistent with
//! their input.
//!
//! Each target runs for `MIGRATIONS_FUZZ_SECONDS` (default 2) on random bytes and on
//! random sequences of SQL's tricky fragments; CI gives each 30 s.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use migraph_core::{Dialect, Migration, checksum, is_valid_name, split_statements};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const FRAGMENTS: &[&str] = &[
    "'",
    "\"",
    "`",
    "$$",
    "$a$",
    "$1",
    "E'",
    "e'",
    "\\",
    "--",
    "-- ",
    "#",
    "/*",
    "*/",
    ";",
    "[",
    "]",
    " ",
    "\n",
    "\r\n",
    "\t",
    "x",
    "_",
    "1",
    "BEGIN",
    "begin",
    "END",
    "CASE",
    "IF",
    "ATOMIC",
    "TRANSACTION",
    "WORK",
    "LOOP",
    "-- revision: a1\n",
    "-- down_revision: none\n",
    "-- down_revision: a1, b2\n",
    "-- branch_labels: l\n",
    "-- depends_on: a1\n",
    "-- transaction: false\n",
    "-- migrate:upgrade\n",
    "-- migrate:downgrade\n",
    "-- migrate:",
    "-- revision:",
    ":",
    ",",
    "\u{feff}",
    "é",
    "\u{0}",
    "\u{7f}",
];

fn fragments() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..80)
        .prop_map(|parts| parts.concat())
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..2048)
}

fn budget() -> Duration {
    let secs = std::env::var("MIGRATIONS_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    Duration::from_secs(secs)
}

/// Runs `check` on values of `strategy` until the budget is spent; a panic fails with the
/// input that caused it.
fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(&S::Value))
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::default();
    let deadline = Instant::now() + budget();
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let value = strategy.new_tree(&mut runner).unwrap().current();
        if catch_unwind(AssertUnwindSafe(|| check(&value))).is_err() {
            panic!("{name}: failed on input {value:?}");
        }
        runs += 1;
    }
    eprintln!("{name}: {runs} inputs");
    assert!(runs > 0);
}

fn check_parse(bytes: &[u8]) {
    for name in ["a1_x.sql", "a1.sql", "x.sql"] {
        match Migration::parse_file(name, name, bytes) {
            Ok((m, lines)) => {
                assert!(is_valid_name(m.revision()));
                assert!(name.starts_with(m.revision()));
                assert_eq!(checksum(m.upgrade_sql()), m.checksum());
                assert!(lines.revision >= 1 && lines.down_revision >= 1);
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                for e in errors.iter() {
                    assert_eq!(e.file.as_deref(), Some(name));
                    assert!(!e.message.is_empty());
                }
            }
        }
    }
}

fn check_split(sql: &str) {
    for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
        let statements = split_statements(sql, dialect);
        let lines = sql.lines().count().max(1);
        let mut after = 0usize;
        for s in &statements {
            assert!(!s.sql.is_empty());
            assert_eq!(s.sql, s.sql.trim());
            // Each statement is a slice of the input, in order, not overlapping.
            let offset = s.sql.as_ptr() as usize - sql.as_ptr() as usize;
            assert!(
                offset >= after && offset + s.sql.len() <= sql.len(),
                "{dialect}: {s:?}"
            );
            after = offset + s.sql.len();
            assert!(
                s.line >= 1 && s.line <= lines + 1,
                "{dialect}: line {} of {lines}",
                s.line
            );
        }
    }
}

#[test]
fn the_file_parser_never_panics() {
    fuzz("parse bytes", bytes(), |b| check_parse(b));
    fuzz("parse fragments", fragments(), |s| {
        check_parse(s.as_bytes());
    });
}

#[test]
fn the_statement_splitter_never_panics() {
    fuzz("split bytes", bytes(), |b| {
        check_split(&String::from_utf8_lossy(b));
    });
    fuzz("split fragments", fragments(), |s| check_split(s));
}
