//! Alembic's meaning of every command, case by case, through the command line on a fresh
//! SQLite database: the steps in order, the version-table rows after, or the exact error.
//!
//! Graphs are written as in the issue tracker: `rev<parent[label]{depends_on}`, one file
//! each; every revision creates a table `t_<rev>` and drops it on downgrade, so a
//! revision run twice, or undone when it was not applied, fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::ExitCode;

use migraph_tests::migrations_dir;

struct Case {
    dir: tempfile::TempDir,
    db: tempfile::TempDir,
}

impl Case {
    /// Files from `rev<parent1,parent2[label]{dep}` specs.
    fn new(specs: &[&str]) -> Self {
        let files: Vec<(String, String)> = specs.iter().map(|s| file(s)).collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        Self {
            dir: migrations_dir(&refs),
            db: tempfile::tempdir().unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("sqlite:{}", self.db.path().join("t.db").display())
    }

    /// Runs `migrations ARGS` on the case's folder and database.
    fn cli(&self, args: &[&str]) -> (ExitCode, String, String) {
        let url = self.url();
        let mut argv = vec![
            "migraph",
            "--dir",
            self.dir.path().to_str().unwrap(),
            "--database-url",
            &url,
        ];
        argv.extend_from_slice(args);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = migraph::cli::run_args(argv, false, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    /// Runs and expects success; returns the revisions acted on, in order, as
    /// `action revision`.
    fn ok(&self, args: &[&str]) -> Vec<String> {
        let (code, out, err) = self.cli(args);
        assert_eq!(code, ExitCode::SUCCESS, "{args:?}: {err}");
        out.lines()
            .filter(|l| *l != "nothing to do")
            .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// Runs and expects exit code 1; returns the error line.
    fn fails(&self, args: &[&str]) -> String {
        let (code, out, err) = self.cli(args);
        assert_eq!(code, ExitCode::FAILURE, "{args:?} succeeded: {out}");
        err
    }

    /// The revisions in the version table, sorted, and that each one's table exists
    /// exactly when its row does (for revisions that were run, not stamped).
    fn rows(&self) -> Vec<String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect(&self.url()).await.unwrap();
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT revision FROM _migrations ORDER BY revision")
                    .fetch_all(&pool)
                    .await
                    .unwrap_or_default();
            pool.close().await;
            rows.into_iter().map(|(r,)| r).collect()
        })
    }

    fn tables(&self) -> Vec<String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let pool = sqlx::SqlitePool::connect(&self.url()).await.unwrap();
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT substr(name, 3) FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\' ORDER BY name",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            pool.close().await;
            rows.into_iter().map(|(r,)| r).collect()
        })
    }

    /// Rows and tables agree, and are `expected`.
    fn at(&self, expected: &[&str]) {
        assert_eq!(self.rows(), expected, "version table");
        assert_eq!(self.tables(), expected, "tables");
    }
}

fn file(spec: &str) -> (String, String) {
    let (rev, rest) = spec.split_once('<').unwrap();
    let parents = rest.split(['[', '{']).next().unwrap();
    let label = spec
        .split_once('[')
        .map(|(_, l)| l.split(']').next().unwrap());
    let dep = spec
        .split_once('{')
        .map(|(_, d)| d.split('}').next().unwrap());
    let mut text = format!(
        "-- revision: {rev}\n-- down_revision: {}\n-- message: make t_{rev}\n",
        if parents.is_empty() { "none" } else { parents }
    );
    if let Some(l) = label {
        text += &format!("-- branch_labels: {l}\n");
    }
    if let Some(d) = dep {
        text += &format!("-- depends_on: {d}\n");
    }
    text += &format!(
        "-- migrate:upgrade\nCREATE TABLE t_{rev} (id INTEGER);\n-- migrate:downgrade\nDROP TABLE t_{rev};\n"
    );
    (format!("{rev}_m.sql"), text)
}

/// Point 1: Downgrade keeps a revision that only depends on the target.
#[test]
fn downgrade_keeps_what_only_depends_on_the_target() {
    let c = Case::new(&["a1<", "a2<a1", "b1<{a1}"]);
    assert_eq!(
        c.ok(&["upgrade", "heads"]),
        ["upgrade a1", "upgrade a2", "upgrade b1"]
    );
    assert_eq!(c.ok(&["downgrade", "a1"]), ["downgrade a2"]);
    c.at(&["a1", "b1"]);
}

/// Point 2: `label@-N` that reaches the branch's base undoes that branch only.
#[test]
fn a_branch_step_to_its_base_undoes_only_that_branch() {
    let c = Case::new(&["x1<[x]", "y1<[y]"]);
    c.ok(&["upgrade", "heads"]);
    assert_eq!(c.ok(&["downgrade", "x@-1"]), ["downgrade x1"]);
    c.at(&["y1"]);
    c.ok(&["upgrade", "heads"]);
    assert_eq!(c.ok(&["downgrade", "y@base"]), ["downgrade y1"]);
    c.at(&["x1"]);
}

/// Point 3: `stamp` moves only the heads on the target's branch.
#[test]
fn stamp_moves_only_the_heads_on_the_targets_branch() {
    let c = Case::new(&["a<", "b1<a[l1]", "c1<b1", "b2<a[l2]", "c2<b2"]);
    c.ok(&["stamp", "c1", "b2"]);
    assert_eq!(c.rows(), ["a", "b1", "b2", "c1"]);
    assert_eq!(c.ok(&["stamp", "l2@head"]), ["stamp c2"]);
    assert_eq!(c.rows(), ["a", "b1", "b2", "c1", "c2"]);
    assert_eq!(c.ok(&["stamp", "l1@base"]), ["unstamp c1", "unstamp b1"]);
    assert_eq!(c.rows(), ["a", "b2", "c2"]);
    assert!(c.tables().is_empty(), "stamp ran SQL");
}

/// Point 4: The target grammar on a forked graph, through the commands.
#[test]
fn target_forms_through_the_commands() {
    let c = Case::new(&["r<", "s<r", "p1<s[left]", "q1<p1", "p2<s[right]", "q2<p2"]);
    c.ok(&["upgrade", "heads"]);
    assert_eq!(c.ok(&["downgrade", "left@head-1"]), ["downgrade q1"]);
    assert_eq!(
        c.ok(&["downgrade", "right@base+2"]),
        ["downgrade q2", "downgrade p2"]
    );
    c.at(&["p1", "r", "s"]);
    assert_eq!(c.ok(&["upgrade", "p1@head"]), ["upgrade q1"]);
    assert_eq!(c.ok(&["upgrade", "right@+2"]), ["upgrade p2", "upgrade q2"]);
    assert_eq!(
        c.ok(&["downgrade", "q1@s"]),
        ["downgrade q1", "downgrade p1"]
    );
    assert_eq!(
        c.ok(&["downgrade", "q2@base"]),
        ["downgrade q2", "downgrade p2"]
    );
    c.at(&["r", "s"]);
    let err = c.fails(&["upgrade", "left@p2"]);
    assert!(
        err.contains("revision `p2` is not on branch `left`"),
        "{err}"
    );
}

/// Point 5: History ranges, with and without a database.
#[test]
fn history_ranges_through_the_command() {
    let c = Case::new(&["r1<", "r2<r1", "r3<r2"]);
    let history = |range: &str| {
        let (code, out, err) = c.cli(&["history", "-r", range]);
        assert_eq!(code, ExitCode::SUCCESS, "{range}: {err}");
        out.lines()
            .map(|l| {
                l.split(" -> ")
                    .nth(1)
                    .unwrap()
                    .split([',', ' '])
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(history("r1:r2"), ["r2", "r1"]);
    assert_eq!(history("r1:+2"), ["r3", "r2", "r1"]);
    assert_eq!(history("-2:r3"), ["r3", "r2", "r1"]);
    assert_eq!(history("-5:r3"), ["r3", "r2", "r1"]);
    c.ok(&["upgrade", "r2"]);
    assert_eq!(history("current:"), ["r3", "r2"]);
    let (code, _, err) = migrations_cli(&[
        "--dir",
        c.dir.path().to_str().unwrap(),
        "history",
        "-r",
        "current:",
    ]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("give a database URL"), "{err}");
}

fn migrations_cli(args: &[&str]) -> (ExitCode, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("migraph").chain(args.iter().copied());
    let code = migraph::cli::run_args(argv, false, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Point 6: A relative step that runs out is an error, and changes nothing.
#[test]
fn a_relative_step_that_runs_out_fails() {
    let c = Case::new(&["r1<", "r2<r1", "r3<r2"]);
    c.ok(&["upgrade", "r2"]);
    let err = c.fails(&["upgrade", "-2"]);
    assert!(err.contains("`-2` didn't produce 2 migrations"), "{err}");
    let err = c.fails(&["upgrade", "+2"]);
    assert!(err.contains("`+2` didn't produce 2 migrations"), "{err}");
    let err = c.fails(&["downgrade", "-3"]);
    assert!(err.contains("`-3` didn't produce 3 migrations"), "{err}");
    c.at(&["r1", "r2"]);
}

/// Point 7: `upgrade X` with X and a descendant applied has nothing to do.
#[test]
fn upgrade_to_an_applied_ancestor_does_nothing() {
    let c = Case::new(&["r1<", "r2<r1", "r3<r2"]);
    c.ok(&["upgrade", "r2"]);
    let (code, out, err) = c.cli(&["upgrade", "r1"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(out.trim(), "nothing to do");
    c.at(&["r1", "r2"]);
}

/// Point 8: `downgrade -1` with several current heads is refused, naming what works.
#[test]
fn downgrade_one_from_several_heads_names_the_forms_that_work() {
    let c = Case::new(&["a<", "b1<a[l1]", "b2<a[l2]"]);
    c.ok(&["upgrade", "heads"]);
    let err = c.fails(&["downgrade", "-1"]);
    assert!(
        err.contains("several revisions are current (b1, b2)")
            && err.contains("`l1@-1`, `l2@-1`, `b1-1`, `b2-1`"),
        "{err}"
    );
    assert_eq!(c.ok(&["downgrade", "l2@-1"]), ["downgrade b2"]);
    c.at(&["a", "b1"]);
}

/// Point 9: Offline scripts: no purge, one transaction on request, no CREATE TABLE mid-graph,
/// DELIMITER only where a statement's code needs it.
#[test]
fn offline_script_rules() {
    let c = Case::new(&["a1<", "b2<a1", "c3<b2"]);
    let err = c.fails(&["stamp", "heads", "--sql", "--purge"]);
    assert!(err.contains("--purge cannot be used with --sql"), "{err}");
    let script = c.ok_raw(&["upgrade", "b2:c3", "--sql"]);
    assert!(!script.contains("CREATE TABLE IF NOT EXISTS"), "{script}");
    assert!(script.contains("CREATE TABLE t_c3"), "{script}");
    let script = c.ok_raw(&["upgrade", "head", "--sql", "--single-transaction"]);
    assert_eq!(script.matches("BEGIN;").count(), 1, "{script}");
    assert_eq!(script.matches("COMMIT;").count(), 1, "{script}");
    let err = c.fails(&[
        "upgrade",
        "head",
        "--sql",
        "--single-transaction",
        "--dialect",
        "mysql",
    ]);
    assert!(err.contains("commits DDL on its own"), "{err}");
    let script = c.ok_raw(&["upgrade", "head", "--sql", "--dialect", "mysql"]);
    assert!(!script.contains("DELIMITER"), "{script}");
    assert!(script.contains("'DROP TABLE t_a1;'"), "{script}");
}

impl Case {
    fn ok_raw(&self, args: &[&str]) -> String {
        let (code, out, err) = self.cli(args);
        assert_eq!(code, ExitCode::SUCCESS, "{args:?}: {err}");
        out
    }
}

/// Point 10: Flags work before or after the targets; `--json` also among the global options;
/// `stamp --purge` prints the purged rows with their messages.
#[test]
fn flags_after_targets_and_global_json() {
    let c = Case::new(&["a1<", "b2<a1", "c3<b2"]);
    let out = c.ok_raw(&["upgrade", "b2", "--json"]);
    assert!(out.starts_with("{\"steps\""), "{out}");
    let out = c.ok_raw(&["stamp", "head", "--purge"]);
    assert!(
        out.contains("unstamp a1 make t_a1") && out.contains("unstamp b2 make t_b2"),
        "{out}"
    );
    assert!(out.contains("stamp c3 make t_c3"), "{out}");
    let url = c.url();
    let (code, out, err) = migrations_cli(&[
        "--dir",
        c.dir.path().to_str().unwrap(),
        "--json",
        "--database-url",
        &url,
        "current",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(out.starts_with("{\"current\""), "{out}");
    // `-1` stays a target, before or after a flag.
    let out = c.ok_raw(&["stamp", "--purge", "b2"]);
    assert!(out.contains("stamp b2"), "{out}");
    let out = c.ok_raw(&["stamp", "-1", "--json"]);
    assert!(out.contains("\"revision\":\"b2\""), "{out}");
    let out = c.ok_raw(&["downgrade", "head:-1", "--sql", "--dialect", "sqlite"]);
    assert!(out.contains("-- Running downgrade c3 -> b2"), "{out}");
}
