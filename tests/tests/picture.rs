//! The graph as a picture: `history --graph` against golden text for a chain, labelled
//! branches with a merge, a dependency, and a database with a failed revision and one
//! this build does not have; `graph --format dot` parses with Graphviz, and `mermaid`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::process::ExitCode;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/graph");

/// Runs the binary's command line; returns stdout, asserting success.
fn ok(args: &[&str]) -> String {
    let (code, out, err) = migraph_tests::cli(args);
    assert_eq!(code, ExitCode::SUCCESS, "{args:?}: {err}");
    out
}

fn dir(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

#[test]
fn a_chain_is_one_line_of_revisions() {
    let out = ok(&["--dir", &dir("linear"), "history", "--graph"]);
    assert_eq!(out, "* c3 (head) third\n* b2 second\n* a1 first\n");
}

#[test]
fn labelled_branches_open_and_meet_at_the_merge() {
    let out = ok(&["--dir", &dir("branches"), "history", "--graph"]);
    assert_eq!(
        out,
        "\
* d4 (head, merge) merge billing and shipping
|\\
| * c3 [shipping] shipping start
* | b2 [billing] billing start
|/
* a1 first
"
    );
}

#[test]
fn a_dependency_is_named_on_its_revision_and_dashed_in_dot() {
    let out = ok(&["--dir", &dir("depends"), "history", "--graph"]);
    assert_eq!(
        out,
        "\
* c3 (head) needs other (depends on x1)
| * x1 [other] (head) other root
* b2 second
* a1 first
"
    );
    let dot = ok(&["--dir", &dir("depends"), "graph", "--format", "dot"]);
    assert!(dot.contains("  \"c3\" -> \"b2\";\n"), "{dot}");
    assert!(
        dot.contains("  \"c3\" -> \"x1\" [style=dashed, label=\"depends on\"];\n"),
        "{dot}"
    );
    let mermaid = ok(&["--dir", &dir("depends"), "graph", "--format", "mermaid"]);
    assert!(mermaid.starts_with("flowchart BT\n"), "{mermaid}");
    assert!(mermaid.contains("  r_c3 --> r_b2\n"), "{mermaid}");
    assert!(
        mermaid.contains("  r_c3 -.->|depends on| r_x1\n"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("  r_x1[\"x1 [other]<br/>other root\"]\n"),
        "{mermaid}"
    );
}

/// A database where `c3` failed part-way and `z9`, applied by another build, is not in
/// this one: each revision carries its mark, in every format.
#[test]
fn a_database_marks_applied_pending_failed_and_unknown_revisions() {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("app.db").display());
    // Another build had z9, a child of b2, and applied it.
    let other = root.path().join("other");
    std::fs::create_dir(&other).unwrap();
    for entry in std::fs::read_dir(dir("state")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), other.join(entry.file_name())).unwrap();
    }
    std::fs::write(
        other.join("z9_elsewhere.sql"),
        "-- revision: z9\n-- down_revision: b2\n-- message: from another build\n-- migrate:upgrade\nCREATE TABLE z9 (id INTEGER);\n",
    )
    .unwrap();
    let o = other.to_str().unwrap();
    ok(&["--dir", o, "--database-url", &url, "upgrade", "z9"]);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = [
        "migraph",
        "--dir",
        o,
        "--database-url",
        &url,
        "upgrade",
        "c3",
    ];
    assert_eq!(
        migraph::cli::run_args(argv, false, &mut out, &mut err),
        ExitCode::FAILURE
    );

    let this = dir("state");
    let out = ok(&["--dir", &this, "--database-url", &url, "history", "--graph"]);
    assert_eq!(
        out,
        "\
? z9 from another build <applied, not in this build>
| x c3 (head) third <failed>
|/
* b2 second
* a1 first
"
    );
    let dot = ok(&["--dir", &this, "--database-url", &url, "graph"]);
    assert!(
        dot.contains("\"c3\" [label=\"c3\\nthird\\n(failed)\", fillcolor=\"#ffcdd2\"];"),
        "{dot}"
    );
    assert!(dot.contains("\"z9\" [label=\"z9\\nfrom another build\\n(applied, not in this build)\", style=\"rounded,dashed\"];"), "{dot}");
    assert!(
        dot.contains("\"a1\" [label=\"a1\\nfirst\\n(applied)\", fillcolor=\"#c8e6c9\"];"),
        "{dot}"
    );
    assert!(dot.contains("\"z9\" -> \"b2\";"), "{dot}");
    let mermaid = ok(&[
        "--dir",
        &this,
        "--database-url",
        &url,
        "graph",
        "--format",
        "mermaid",
    ]);
    assert!(
        mermaid.contains("  class r_a1,r_b2 applied;\n"),
        "{mermaid}"
    );
    assert!(mermaid.contains("  class r_c3 failed;\n"), "{mermaid}");
    assert!(mermaid.contains("  class r_z9 unknown;\n"), "{mermaid}");
    graphviz_reads(&dot);
}

/// Every fixture's DOT output is read by Graphviz's `dot -Tsvg` (skipped without it,
/// except in CI, which installs it).
#[test]
fn graphviz_reads_the_dot_output() {
    for name in ["linear", "branches", "depends", "state"] {
        graphviz_reads(&ok(&["--dir", &dir(name), "graph", "--format", "dot"]));
    }
}

fn graphviz_reads(dot: &str) {
    use std::io::Write as _;
    let child = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if std::env::var_os("MIGRATIONS_TEST_REQUIRE_DATABASES").is_none() => {
            println!("skipped: Graphviz's dot is not installed ({e})");
            return;
        }
        Err(e) => panic!("Graphviz's dot is needed here: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot: {}\n{dot}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("<svg"),
        "no SVG"
    );
}
