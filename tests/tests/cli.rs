//! The `migraph` command line, run in-process on real files and databases: output,
//! exit codes and errors; offline scripts checked by running them with `psql`, `mysql`
//! and `sqlite3`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

use migraph_core::{Directory, LoadOptions};
use migraph_tests::{Backend as _, TestDb, cli, migrations_dir};
use serde_json::Value;

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> String {
    let (code, out, err) = cli(args);
    assert_eq!(code, ExitCode::SUCCESS, "migrations {args:?}: {err}");
    out
}

/// Runs and expects failure (exit 1) with one error line; returns it.
fn fails(args: &[&str]) -> String {
    let (code, out, err) = cli(args);
    assert_eq!(
        code,
        ExitCode::FAILURE,
        "migrations {args:?} succeeded: {out}"
    );
    assert!(err.starts_with("error: "), "{err}");
    // One error: a failed revision's goes on, indented, with its statement and the
    // database's fields.
    assert!(
        err.trim_end().lines().skip(1).all(|l| l.starts_with("  ")),
        "one error: {err}"
    );
    err
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const BASIC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/db/basic");

#[test]
fn init_writes_a_template_and_refuses_a_non_empty_folder() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("migrations");
    let d = dir.to_str().unwrap();
    let out = ok(&["init", d, "-t", "postgres"]);
    assert!(out.contains("2 files from template `postgres`"), "{out}");
    assert!(dir.join("README.md").exists());
    let loaded = Directory::load(&dir, d, LoadOptions::default()).unwrap();
    assert_eq!(loaded.files.len(), 1);
    assert!(
        loaded.files[0]
            .migration
            .upgrade_sql()
            .contains("GENERATED ALWAYS AS IDENTITY")
    );
    let err = fails(&["init", d, "-t", "sqlite"]);
    assert!(err.contains("exists and is not empty"), "{err}");
    let err = fails(&[
        "init",
        root.path().join("x").to_str().unwrap(),
        "-t",
        "oracle",
    ]);
    assert!(
        err.contains("no template `oracle`") && err.contains("postgres"),
        "{err}"
    );
    let list = ok(&["list-templates"]);
    for t in ["app", "mysql", "postgres", "sqlite"] {
        assert!(list.lines().any(|l| l.starts_with(t)), "{list}");
    }
}

#[test]
fn revision_revision_merge_makes_files_the_macro_and_the_cli_accept() {
    let root = tempfile::tempdir().unwrap();
    let d = root.path().join("m");
    let d = d.to_str().unwrap();
    ok(&["init", d, "-t", "sqlite"]);
    let first = Directory::load(Path::new(d), d, LoadOptions::default())
        .unwrap()
        .files[0]
        .migration
        .revision()
        .to_owned();
    let a = ok(&["--dir", d, "revision", "-m", "Add e-mail to account!"]);
    assert!(a.trim().ends_with("_add_e_mail_to_account.sql"), "{a}");
    // A second revision on the first one: a branch, and so two heads.
    let err = fails(&["--dir", d, "revision", "-m", "other", "--head", &first]);
    assert!(
        err.contains("is not a head") && err.contains("--splice"),
        "{err}"
    );
    ok(&[
        "--dir",
        d,
        "revision",
        "-m",
        "other branch",
        "--head",
        &first,
        "--splice",
        "--rev-id",
        "b0b",
    ]);
    let err = fails(&["--dir", d, "revision", "-m", "third"]);
    assert!(
        err.contains("several heads") && err.contains("migraph merge"),
        "{err}"
    );
    // The compile-time rules refuse two unlabelled heads; the merge fixes that.
    assert!(Directory::load(Path::new(d), d, LoadOptions::default()).is_err());
    let merge = ok(&["--dir", d, "merge", "-m", "merge heads", "heads"]);
    assert!(merge.contains("_merge_heads.sql"), "{merge}");
    let loaded = Directory::load(Path::new(d), d, LoadOptions::default()).unwrap();
    assert_eq!(loaded.files.len(), 4);
    assert_eq!(loaded.graph.heads().len(), 1);
    let merged = &loaded.files[loaded.graph.heads()[0].index()].migration;
    assert_eq!(merged.down_revisions().len(), 2);
    let heads = ok(&["--dir", d, "heads"]);
    assert_eq!(heads.lines().count(), 1, "{heads}");
    assert!(ok(&["--dir", d, "branches"]).contains(&format!("{first} (branchpoint)")));
    // And the result migrates.
    let db = root.path().join("t.db");
    let url = format!("sqlite:{}", db.display());
    let out = ok(&["--dir", d, "--database-url", &url, "upgrade", "head"]);
    assert_eq!(out.lines().count(), 4, "{out}");
}

#[test]
fn every_command_on_sqlite() {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("t.db").display());
    let run = |args: &[&str]| {
        let mut all = vec!["--dir", BASIC, "--database-url", &url];
        all.extend_from_slice(args);
        ok(&all)
    };
    assert_eq!(run(&["current"]).trim(), "base (nothing applied)");
    let out = run(&["upgrade", "b2"]);
    assert!(
        out.starts_with("upgrade a1 create account") && out.contains("\nupgrade b2 create note"),
        "{out}"
    );
    let (code, out, _) = cli(&["--dir", BASIC, "--database-url", &url, "check"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.contains("behind") && out.contains("c3"), "{out}");
    let json: Value = serde_json::from_str(&run(&["upgrade", "head", "--json"])).unwrap();
    assert_eq!(json["steps"][0]["revision"], "c3");
    assert_eq!(json["steps"][0]["action"], "upgrade");
    assert_eq!(run(&["upgrade", "head"]).trim(), "nothing to do");
    assert!(run(&["check"]).starts_with("ok"));
    assert_eq!(run(&["current"]).trim(), "c3 (head) create tag");
    let current: Value = serde_json::from_str(&run(&["current", "--json"])).unwrap();
    assert_eq!(current["current"][0]["revision"], "c3");
    assert_eq!(current["current"][0]["state"], "applied");
    assert_eq!(run(&["downgrade", "-1"]).trim_end().lines().count(), 1);
    assert_eq!(run(&["current"]).trim(), "b2 create note");
    assert!(run(&["downgrade", "base"]).contains("downgrade a1"));
    let stamped = run(&["stamp", "b2"]);
    assert!(
        stamped.contains("stamp a1") && stamped.contains("stamp b2"),
        "{stamped}"
    );
    assert!(run(&["stamp", "--purge", "a1"]).contains("unstamp b2"));
    let history = run(&["history"]);
    assert_eq!(
        history.lines().collect::<Vec<_>>(),
        [
            "b2 -> c3 (head), create tag",
            "a1 -> b2, create note",
            "<base> -> a1, create account"
        ]
    );
    // Both ends included, as in Alembic.
    assert_eq!(
        run(&["history", "-r", "a1:b2"]).trim(),
        "a1 -> b2, create note\n<base> -> a1, create account"
    );
    let history: Value = serde_json::from_str(&run(&["history", "--json"])).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 3);
    let show = run(&["show", "b2"]);
    assert!(
        show.contains("Rev: b2") && show.contains("Parent: a1") && show.contains("Children: c3"),
        "{show}"
    );
    assert!(
        show.contains("-- migrate:downgrade\nDROP TABLE note;"),
        "{show}"
    );
    let show: Value = serde_json::from_str(&run(&["show", "c3", "--json"])).unwrap();
    assert_eq!(show["head"], true);
    assert!(run(&["repair", "--checksums"]).contains("already matches"));
}

#[test]
fn errors_are_one_line_with_exit_code_1() {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("t.db").display());
    let with = |args: &[&str]| {
        let mut all = vec!["--dir", BASIC, "--database-url", &url];
        all.extend_from_slice(args);
        fails(&all)
    };
    assert!(with(&["show", "x9"]).contains("no revision or branch label `x9`"));
    assert!(with(&["upgrade", "b3"]).contains("did you mean `b2`?"));
    let ambiguous = migrations_dir(&[
        (
            "a1aa_x.sql",
            "-- revision: a1aa\n-- down_revision: none\n-- migrate:upgrade\n",
        ),
        (
            "a1bb_y.sql",
            "-- revision: a1bb\n-- down_revision: a1aa\n-- migrate:upgrade\n",
        ),
    ]);
    let err = fails(&["--dir", ambiguous.path().to_str().unwrap(), "show", "a1"]);
    assert!(
        err.contains("`a1` is ambiguous") && err.contains("a1aa, a1bb"),
        "{err}"
    );
    let branched = migrations_dir(&[
        (
            "a1_x.sql",
            "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n",
        ),
        (
            "b1_y.sql",
            "-- revision: b1\n-- down_revision: a1\n-- migrate:upgrade\n",
        ),
        (
            "c1_z.sql",
            "-- revision: c1\n-- down_revision: a1\n-- migrate:upgrade\n",
        ),
    ]);
    let err = fails(&[
        "--dir",
        branched.path().to_str().unwrap(),
        "--database-url",
        &url,
        "upgrade",
        "head",
    ]);
    assert!(
        err.contains("several heads (b1, c1)") && err.contains("merge"),
        "{err}"
    );
    let err = fails(&[
        "--dir",
        BASIC,
        "--database-url",
        "oracle://db",
        "upgrade",
        "head",
    ]);
    assert!(err.contains("unsupported database URL"), "{err}");
    let err = fails(&["--dir", BASIC, "upgrade", "head"]);
    assert!(
        err.contains("no database") && err.contains("DATABASE_URL"),
        "{err}"
    );
    let err = fails(&["--dir", "/no/such/dir", "heads"]);
    assert!(
        err.contains("migrations directory `/no/such/dir` not found"),
        "{err}"
    );
    let err = fails(&[
        "--dir",
        BASIC,
        "downgrade",
        "base",
        "--sql",
        "--dialect",
        "sqlite",
    ]);
    assert!(err.contains("needs a range"), "{err}");
    // A usage error is clap's, with exit code 2.
    let (code, _, err) = cli(&["upgrade"]);
    assert_eq!(code, ExitCode::from(2));
    assert!(err.contains("TARGET"), "{err}");
}

#[test]
fn a_dirty_database_is_refused_until_repaired() {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("t.db").display());
    let dir = migrations_dir(&[
        (
            "a1_x.sql",
            "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INTEGER);\n",
        ),
        (
            "b2_y.sql",
            "-- revision: b2\n-- down_revision: a1\n-- transaction: false\n-- migrate:upgrade\nCREATE TABLE u (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n",
        ),
    ]);
    let d = dir.path().to_str().unwrap();
    let err = fails(&["--dir", d, "--database-url", &url, "upgrade", "head"]);
    assert!(err.contains("at statement 2"), "{err}");
    let err = fails(&["--dir", d, "--database-url", &url, "upgrade", "head"]);
    assert!(
        err.contains("`b2` is `failed`") && err.contains("repair"),
        "{err}"
    );
    let current = ok(&["--dir", d, "--database-url", &url, "current"]);
    assert!(
        current.contains("dirty: b2 is failed: upgrade failed at statement 2 of 2"),
        "{current}"
    );
    let (code, out, _) = cli(&["--dir", d, "--database-url", &url, "check"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.contains("not ok") && out.contains("b2"), "{out}");
    let err = fails(&["--dir", d, "--database-url", &url, "repair", "b2"]);
    assert!(
        err.contains("--applied") && err.contains("--rolled-back"),
        "{err}"
    );
    assert!(
        ok(&[
            "--dir",
            d,
            "--database-url",
            &url,
            "repair",
            "b2",
            "--applied"
        ])
        .contains("repaired b2")
    );
    assert!(ok(&["--dir", d, "--database-url", &url, "check"]).starts_with("ok"));
}

/// Upgrade, downgrade, current and check on a server database.
fn server_commands(url: &str) {
    let run = |args: &[&str]| {
        let mut all = vec!["--dir", BASIC, "--database-url", url];
        all.extend_from_slice(args);
        cli(&all)
    };
    assert_eq!(run(&["check"]).0, ExitCode::FAILURE);
    let (code, out, err) = run(&["upgrade", "head"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(out.lines().count(), 3, "{out}");
    assert_eq!(run(&["current"]).1.trim(), "c3 (head) create tag");
    assert_eq!(run(&["check"]).0, ExitCode::SUCCESS);
    assert!(run(&["downgrade", "a1"]).1.contains("downgrade b2"));
    assert_eq!(run(&["current"]).1.trim(), "a1 create account");
    assert_eq!(run(&["check"]).0, ExitCode::FAILURE);
}

#[test]
fn upgrade_downgrade_current_check_on_postgres() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::<sqlx::Postgres>::postgres()) else {
        return;
    };
    server_commands(&db.url);
}

#[test]
fn upgrade_downgrade_current_check_on_mariadb() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::<sqlx::MySql>::mysql()) else {
        return;
    };
    server_commands(&db.url);
    // The mariadb:// scheme works too.
    let mariadb = db.url.replacen("mysql:", "mariadb:", 1);
    assert_eq!(
        cli(&["--dir", BASIC, "--database-url", &mariadb, "current"])
            .1
            .trim(),
        "a1 create account"
    );
}

/// What the version table and schema hold, for comparing online and offline runs.
async fn snapshot<DB: migraph_tests::Backend>(db: &TestDb<DB>) -> (Vec<String>, Vec<bool>, i64) {
    let m = migraph::Migrations::from_dir(BASIC).unwrap();
    let rows: Vec<String> = m
        .runner()
        .applied(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            format!(
                "{} {:?} {} {} {:?} {}",
                r.revision, r.parents, r.message, r.checksum, r.downgrade_sql, r.state
            )
        })
        .collect();
    let mut tables = Vec::new();
    for t in ["account", "note", "tag"] {
        tables.push(DB::table_exists(&db.pool, t).await);
    }
    let notes = if tables[1] {
        DB::scalar(&db.pool, "SELECT COUNT(*) FROM note").await
    } else {
        -1
    };
    let mut rows = rows;
    rows.sort();
    (rows, tables, notes)
}

/// Runs `script` with the database's own client.
fn run_script(client: &[String], script: &str) {
    let mut child = Command::new(&client[0])
        .args(&client[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", client[0]));
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} failed:\n{}\n{script}",
        client[0],
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Online and offline runs of `upgrade head` and `downgrade head:base` leave the same
/// version table and schema.
async fn offline_matches_online<DB: migraph_tests::Backend>(
    online: &TestDb<DB>,
    offline: &TestDb<DB>,
    dialect: &str,
    client: &[String],
) {
    if !migraph_tests::tool_available(&client[0]) {
        return;
    }
    // The command line runs its own runtime: off this one's thread.
    let offline_sql = async |args: &[&str]| {
        let mut all: Vec<String> = vec!["--dir".into(), BASIC.into()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        all.extend(["--sql".into(), "--dialect".into(), dialect.to_owned()]);
        tokio::task::spawn_blocking(move || {
            cli(&all.iter().map(String::as_str).collect::<Vec<_>>())
        })
        .await
        .unwrap()
    };
    let url = online.url.clone();
    tokio::task::spawn_blocking(move || {
        ok(&["--dir", BASIC, "--database-url", &url, "upgrade", "head"]);
    })
    .await
    .unwrap();
    // Offline in two scripts: the second starts mid-graph, where the table exists.
    let first = offline_sql(&["upgrade", ":b2"]).await.1;
    let second = offline_sql(&["upgrade", "b2:head"]).await.1;
    assert!(first.contains("-- Running upgrade a1 -> b2"), "{first}");
    assert!(first.contains("CREATE TABLE IF NOT EXISTS"), "{first}");
    assert!(!second.contains("CREATE TABLE IF NOT EXISTS"), "{second}");
    assert!(second.contains("-- Running upgrade b2 -> c3"), "{second}");
    // The version rows hold `;` only inside string literals: no DELIMITER for them.
    assert!(!first.contains("DELIMITER"), "{first}");
    run_script(client, &first);
    run_script(client, &second);
    let after_upgrade = snapshot(online).await;
    assert_eq!(after_upgrade.0.len(), 3);
    assert_eq!(after_upgrade.2, 1);
    assert_eq!(snapshot(offline).await, after_upgrade);

    let url = online.url.clone();
    tokio::task::spawn_blocking(move || {
        ok(&["--dir", BASIC, "--database-url", &url, "downgrade", "base"]);
    })
    .await
    .unwrap();
    // `--single-transaction`: one BEGIN/COMMIT around the whole script where DDL is
    // transactional; refused on MySQL, as online.
    let (code, downgrade, err) =
        offline_sql(&["downgrade", "head:base", "--single-transaction"]).await;
    if dialect == "mysql" {
        assert_eq!(code, ExitCode::FAILURE);
        assert!(err.contains("commits DDL on its own"), "{err}");
        let (code, script, err) = offline_sql(&["downgrade", "head:base"]).await;
        assert_eq!(code, ExitCode::SUCCESS, "{err}");
        return run_downgrade_script(online, offline, client, &script).await;
    }
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(downgrade.matches("BEGIN;").count(), 1, "{downgrade}");
    assert_eq!(downgrade.matches("COMMIT;").count(), 1, "{downgrade}");
    assert!(downgrade.trim_end().ends_with("COMMIT;"), "{downgrade}");
    run_downgrade_script(online, offline, client, &downgrade).await;
}

async fn run_downgrade_script<DB: migraph_tests::Backend>(
    online: &TestDb<DB>,
    offline: &TestDb<DB>,
    client: &[String],
    downgrade: &str,
) {
    assert!(
        downgrade.contains("-- Running downgrade c3 -> b2"),
        "{downgrade}"
    );
    run_script(client, downgrade);
    let after_downgrade = snapshot(online).await;
    assert!(after_downgrade.0.is_empty());
    assert_eq!(snapshot(offline).await, after_downgrade);
}

#[test]
fn offline_scripts_give_what_online_runs_give_on_sqlite() {
    let rt = runtime();
    rt.block_on(async {
        let online = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
        let offline = TestDb::<sqlx::Sqlite>::sqlite().await.unwrap();
        let file = offline
            .url
            .trim_start_matches("sqlite:")
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let client = vec!["sqlite3".to_owned(), "-bail".to_owned(), file];
        offline_matches_online(&online, &offline, "sqlite", &client).await;
    });
}

#[test]
fn offline_scripts_give_what_online_runs_give_on_postgres() {
    let rt = runtime();
    rt.block_on(async {
        let (Some(online), Some(offline)) = (
            TestDb::<sqlx::Postgres>::postgres().await,
            TestDb::<sqlx::Postgres>::postgres().await,
        ) else {
            return;
        };
        let client = vec![
            "psql".to_owned(),
            "-v".to_owned(),
            "ON_ERROR_STOP=1".to_owned(),
            "-q".to_owned(),
            offline.url.clone(),
        ];
        offline_matches_online(&online, &offline, "postgres", &client).await;
    });
}

#[test]
fn offline_scripts_give_what_online_runs_give_on_mariadb() {
    let rt = runtime();
    rt.block_on(async {
        let Some((online, offline)) = two_mariadb().await else {
            return;
        };
        let client = mysql_client(&offline.url);
        offline_matches_online(&online, &offline, "mysql", &client).await;
    });
}

#[test]
fn on_a_terminal_the_output_is_coloured_and_shows_progress() {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("t.db").display());
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = [
        "migraph",
        "--dir",
        BASIC,
        "--database-url",
        &url,
        "upgrade",
        "head",
    ];
    let code = migraph::cli::run_args(args, true, &mut out, &mut err);
    assert_eq!(code, ExitCode::SUCCESS, "{}", String::from_utf8_lossy(&err));
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("\x1b[32mupgrade\x1b[0m a1"), "{out:?}");
    assert_eq!(out.lines().count(), 3);
}

#[test]
fn check_lists_pending_and_a_failed_upgrade_says_what_is_done_in_text_and_json() {
    let mut files: Vec<(String, String)> = (1..=8)
        .map(|i| {
            let parent = if i == 1 {
                "none".to_owned()
            } else {
                format!("r0{}", i - 1)
            };
            (
                format!("r0{i}_step.sql"),
                format!(
                    "-- revision: r0{i}\n-- down_revision: {parent}\n-- message: step {i}\n-- migrate:upgrade\nCREATE TABLE t{i} (id INTEGER);\n"
                ),
            )
        })
        .collect();
    files[7].1 += "INSERT INTO no_such_table VALUES (1);\n";
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let dir = migrations_dir(&refs);
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("t.db").display());
    let d = dir.path().to_str().unwrap();
    let (code, out, _) = cli(&["--dir", d, "--database-url", &url, "check"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "not ok: the database is behind: 8 revision(s) to apply",
            "  r01 step 1",
            "  r02 step 2",
            "  r03 step 3",
            "  r04 step 4",
            "  r05 step 5",
            "  ... and 3 more (`check --json` lists them all)",
        ]
    );
    let (_, out, _) = cli(&["--dir", d, "--database-url", &url, "check", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["pending"].as_array().unwrap().len(), 8);
    let (code, out, err) = cli(&[
        "--dir",
        d,
        "--database-url",
        &url,
        "upgrade",
        "head",
        "--json",
    ]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.starts_with("error: upgrade of revision `r08`"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let e = &v["error"];
    assert_eq!(e["revision"], "r08");
    assert_eq!(e["statement"], 2);
    assert_eq!(e["line"], 6);
    assert_eq!(e["sql"], "INSERT INTO no_such_table VALUES (1)");
    assert_eq!(e["code"], "1");
    assert!(
        e["database_message"]
            .as_str()
            .unwrap()
            .contains("no such table"),
        "{e}"
    );
    assert_eq!(e["completed"].as_array().unwrap().len(), 7, "{e}");
    // As text: the revisions done before the failure are listed on stdout, as a run that
    // succeeds lists them, and the error follows on stderr.
    let fresh = format!("sqlite:{}?mode=rwc", root.path().join("t2.db").display());
    let upgrade = ["--dir", d, "--database-url", &fresh, "upgrade", "head"];
    let (code, out, err) = cli(&upgrade);
    assert_eq!(code, ExitCode::FAILURE);
    let done: Vec<&str> = out.lines().map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert_eq!(
        done,
        ["r01", "r02", "r03", "r04", "r05", "r06", "r07"],
        "{out}"
    );
    assert!(out.lines().all(|l| l.starts_with("upgrade r0")), "{out}");
    assert!(err.starts_with("error: upgrade of revision `r08`"), "{err}");
    // In one transaction nothing is done, and the error says so.
    let whole = format!("sqlite:{}?mode=rwc", root.path().join("t3.db").display());
    let single = [
        "--dir",
        d,
        "--database-url",
        &whole,
        "upgrade",
        "head",
        "--single-transaction",
    ];
    let err = fails(&single);
    let (_, out, _) = cli(&single);
    assert_eq!(out, "");
    assert!(
        err.trim_end().ends_with(
            "the run was one transaction, rolled back: none of its revisions is applied"
        ),
        "{err}"
    );
    let current = ok(&["--dir", d, "--database-url", &whole, "current"]);
    assert!(current.contains("nothing applied"), "{current}");
}

/// A folder that only applies with a session setting: `--session-sql`, or
/// `migraph.toml`, whose settings flags override; a bad file names its line.
#[test]
fn session_sql_and_the_configuration_file() {
    let dir = migrations_dir(&[
        (
            "a1_tables.sql",
            "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE parent (id INTEGER PRIMARY KEY);\nCREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));\nINSERT INTO parent VALUES (1);\nINSERT INTO child VALUES (1, 1);\n",
        ),
        (
            "b2_rebuild.sql",
            "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE parent_new (id INTEGER PRIMARY KEY, note TEXT);\nINSERT INTO parent_new (id) SELECT id FROM parent;\nDROP TABLE parent;\nALTER TABLE parent_new RENAME TO parent;\n",
        ),
    ]);
    let root = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let url = |name: &str| format!("sqlite:{}", root.path().join(name).display());
    let (first, second) = (url("one.db"), url("two.db"));
    let err = fails(&["--dir", d, "--database-url", &first, "upgrade", "head"]);
    assert!(err.contains("FOREIGN KEY constraint failed"), "{err}");
    let out = ok(&[
        "--dir",
        d,
        "--database-url",
        &first,
        "upgrade",
        "head",
        "--session-sql",
        "PRAGMA foreign_keys = OFF",
    ]);
    assert!(out.contains("upgrade b2"), "{out}");

    // The same from the file, which also names the folder and the version table.
    let config = root.path().join("migraph.toml");
    std::fs::write(
        &config,
        format!(
            "directory = \"{d}\"\ntable = \"app_versions\"\n[session_sql]\nsqlite = [\"PRAGMA foreign_keys = OFF\"]\n"
        ),
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let out = ok(&["--config", c, "--database-url", &second, "upgrade", "head"]);
    assert!(
        out.contains("upgrade a1") && out.contains("upgrade b2"),
        "{out}"
    );
    let current = ok(&["--config", c, "--database-url", &second, "current"]);
    assert!(current.starts_with("b2 (head)"), "{current}");
    // A flag overrides the file: the default table holds nothing.
    let current = ok(&[
        "--config",
        c,
        "--database-url",
        &second,
        "--table",
        "_migrations",
        "current",
    ]);
    assert_eq!(current.trim(), "base (nothing applied)");

    std::fs::write(&config, "table = \"x\"\nsesion_sql = 1\n").unwrap();
    let err = fails(&["--config", c, "heads"]);
    assert!(
        err.contains("migraph.toml:2:") && err.contains("sesion_sql"),
        "{err}"
    );
    // `init` writes a commented file next to a new folder, and keeps an existing one.
    let fresh = tempfile::tempdir().unwrap();
    let folder = fresh.path().join("migrations");
    let out = ok(&["init", folder.to_str().unwrap(), "-t", "sqlite"]);
    assert!(out.contains("migraph.toml"), "{out}");
    let written = fresh.path().join("migraph.toml");
    let parsed = migraph::cli::Config::load(&written).unwrap();
    assert_eq!(parsed.directory, Some(fresh.path().join("migrations")));
    assert!(
        std::fs::read_to_string(&written)
            .unwrap()
            .contains("# sqlite = [\"PRAGMA foreign_keys = OFF\"]")
    );
}

/// Two MariaDB test databases: one for the online run, one for the offline script.
async fn two_mariadb() -> Option<(TestDb<sqlx::MySql>, TestDb<sqlx::MySql>)> {
    Some((TestDb::mysql().await?, TestDb::mysql().await?))
}

/// The `mysql` client's arguments for a test database's URL.
fn mysql_client(url: &str) -> Vec<String> {
    // mysql://user@host:port/name
    let rest = url.trim_start_matches("mysql://");
    let (user, rest) = rest.split_once('@').unwrap();
    let (host_port, name) = rest.split_once('/').unwrap();
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "3306"));
    vec![
        "mysql".to_owned(),
        format!("--host={host}"),
        format!("--port={port}"),
        format!("--user={user}"),
        format!("--database={}", name.split('?').next().unwrap()),
    ]
}

/// On MySQL, a trigger body whose statement ends in a comment goes into `DELIMITER`
/// cleanly, an executable comment is kept, and the client runs the script to the same
/// state as the online run.
#[test]
fn an_offline_mysql_script_with_triggers_and_comments_runs_with_the_client() {
    let rt = runtime();
    rt.block_on(async {
        let Some((online, offline)) = two_mariadb().await else {
            return;
        };
        let client = mysql_client(&offline.url);
        if !migraph_tests::tool_available(&client[0]) {
            return;
        }
        let dir = migrations_dir(&[
            (
                "a1_t.sql",
                "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT, n INT);\n",
            ),
            (
                "b2_trigger.sql",
                "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.n = NEW.id * 2;\nEND -- doubles ids\n;\n/*!40101 SET @x = 1 */;\nINSERT INTO t (id) VALUES (21) -- done\n",
            ),
        ]);
        let d = dir.path().to_str().unwrap().to_owned();
        let url = online.url.clone();
        let script = tokio::task::spawn_blocking(move || {
            ok(&["--dir", &d, "--database-url", &url, "upgrade", "head"]);
            ok(&["--dir", &d, "upgrade", "head", "--sql", "--dialect", "mysql"])
        })
        .await
        .unwrap();
        assert!(
            script.contains("END$$\nDELIMITER ;\n-- doubles ids\n/*!40101 SET @x = 1 */;\n"),
            "{script}"
        );
        run_script(&client, &script);
        for db in [&online, &offline] {
            assert_eq!(sqlx::MySql::scalar(&db.pool, "SELECT n FROM t").await, 42);
            assert_eq!(
                sqlx::MySql::scalar(&db.pool, "SELECT COUNT(*) FROM _migrations").await,
                2
            );
        }
    });
}

/// The switch from another tool, as a user makes it: `import`, then `adopt` on the
/// database that tool migrated, then `check`.
#[test]
fn import_then_adopt_then_check() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("migrations");
    let dir_s = dir.to_str().unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/import/diesel");
    let out = ok(&["--dir", dir_s, "import", "--from", "diesel", src]);
    assert!(out.contains("20240105101500_create_users.sql"), "{out}");
    assert!(out.contains("3 revision(s) imported from diesel"), "{out}");
    assert!(out.contains("migraph adopt --from diesel"), "{out}");
    // Again: nothing to write.
    let out = ok(&["--dir", dir_s, "import", "--from", "diesel", src]);
    assert!(out.contains("0 written, 3 unchanged"), "{out}");
    // The database diesel migrated: its SQL, its table.
    let url = format!("sqlite:{}", root.path().join("t.db").display());
    runtime().block_on(async {
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
        let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
            .await
            .unwrap();
        let m = migraph::Migrations::from_dir(&dir).unwrap();
        // diesel ran the first two of the three.
        for r in m.history().unwrap().into_iter().take(2) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(r.upgrade_sql().to_owned()))
                .execute(&pool)
                .await
                .unwrap();
        }
        sqlx::raw_sql(
            "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); \
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20240105101500'), ('20240106090000')",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    let db = ["--dir", dir_s, "--database-url", &url];
    let out = ok(&[&db[..], &["adopt", "--from", "diesel"]].concat());
    assert!(
        out.contains("recorded 20240105101500 create users"),
        "{out}"
    );
    assert!(
        out.contains("2 revision(s) recorded as applied by diesel, 0 already recorded, 1 pending"),
        "{out}"
    );
    assert!(out.contains("pending 20240107120000 index posts"), "{out}");
    let (code, out, _) = cli(&[&db[..], &["check"]].concat());
    assert_eq!(code, ExitCode::FAILURE, "{out}");
    ok(&[&db[..], &["upgrade", "head"]].concat());
    ok(&[&db[..], &["check"]].concat());
    let json: Value =
        serde_json::from_str(&ok(
            &[&db[..], &["adopt", "--from", "diesel", "--json"]].concat()
        ))
        .unwrap();
    assert_eq!(json["recorded"], serde_json::json!([]));
    assert_eq!(json["already"].as_array().unwrap().len(), 2);
    // A tool the command does not know, and a folder with nothing to import.
    let (code, _, err) = cli(&["import", "--from", "flyway", src]);
    assert_eq!(code, ExitCode::from(2));
    assert!(err.contains("unknown tool `flyway`"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = fails(&[
        "--dir",
        dir_s,
        "import",
        "--from",
        "sqlx",
        empty.path().to_str().unwrap(),
    ]);
    assert!(err.contains("no sqlx migrations found"), "{err}");
    let err = fails(&["--dir", dir_s, "import", "--from", "alembic", src]);
    assert!(err.contains("--upgrade-sql"), "{err}");
}

/// `--databases FILE --jobs N`: 200 SQLite databases and, when configured, a PostgreSQL
/// and a MariaDB one, one SQLite database broken on purpose. Every other database ends at
/// head, the broken one is named, and the exit code is 1.
#[test]
fn one_command_on_many_databases() {
    let root = tempfile::tempdir().unwrap();
    let rt = runtime();
    // Kept to the end of the test, which drops them.
    let pg = rt.block_on(TestDb::<sqlx::Postgres>::postgres());
    let my = rt.block_on(TestDb::<sqlx::MySql>::mysql());
    let servers: Vec<String> = pg
        .iter()
        .map(|db| db.url.clone())
        .chain(my.iter().map(|db| db.url.clone()))
        .collect();
    let mut list = String::from("# the fleet\n");
    for i in 0..200 {
        let path = root.path().join(format!("tenant{i:03}.db"));
        std::fs::write(&path, b"").unwrap();
        list.push_str(&format!("sqlite:{}\n", path.display()));
    }
    // Tenant 7 already has a table that the first revision creates.
    rt.block_on(async {
        let url = format!("sqlite:{}", root.path().join("tenant007.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::raw_sql("CREATE TABLE account (id INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    for url in &servers {
        list.push_str(url);
        list.push('\n');
    }
    let file = root.path().join("databases.txt");
    std::fs::write(&file, &list).unwrap();
    let file = file.to_str().unwrap();
    let total = 200 + servers.len();
    let (code, out, err) = cli(&[
        "--dir",
        BASIC,
        "upgrade",
        "head",
        "--databases",
        file,
        "--jobs",
        "8",
    ]);
    assert_eq!(code, ExitCode::FAILURE, "{out}");
    assert!(
        out.contains(&format!(
            "{total} database(s): {} done, 0 no, 1 failed, 0 skipped",
            total - 1
        )),
        "{out}"
    );
    assert!(
        out.contains("failed: sqlite:") && out.contains("tenant007.db"),
        "{out}"
    );
    assert!(
        err.contains("1 of") && err.contains("tenant007.db"),
        "{err}"
    );
    // Every other database is at head: `check` says so for each, and no for tenant 7.
    let (code, out, _) = cli(&["--dir", BASIC, "check", "--databases", file, "--jobs", "8"]);
    assert_eq!(code, ExitCode::FAILURE, "{out}");
    assert!(
        out.contains(&format!(
            "{total} database(s): {} done, 1 behind, 0 failed",
            total - 1
        )),
        "{out}"
    );
    // One JSON object per database.
    let out = ok(&["--dir", BASIC, "current", "--databases", file, "--json"]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), total);
    assert!(lines.iter().all(|l| l["status"] == "done"), "{out}");
    // --fail-fast with one job: nothing after the first failure starts.
    std::fs::write(
        root.path().join("two.txt"),
        format!(
            "sqlite:{}\nsqlite:{}\n",
            root.path().join("tenant007.db").display(),
            root.path().join("fresh.db").display()
        ),
    )
    .unwrap();
    let two = root.path().join("two.txt");
    let (code, out, _) = cli(&[
        "--dir",
        BASIC,
        "upgrade",
        "head",
        "--databases",
        two.to_str().unwrap(),
        "--jobs",
        "1",
        "--fail-fast",
    ]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        out.contains("2 database(s): 0 done, 0 no, 1 failed, 1 skipped"),
        "{out}"
    );
    assert!(
        !root.path().join("fresh.db").exists()
            || std::fs::metadata(root.path().join("fresh.db"))
                .unwrap()
                .len()
                == 0
    );
    // On a terminal a progress bar follows the databases; the results still go to stdout.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = ["migraph", "--dir", BASIC, "current", "--databases", file];
    let code = migraph::cli::run_args(argv, true, &mut out, &mut err);
    assert_eq!(code, ExitCode::SUCCESS);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(&format!("{total} database(s): {total} done")),
        "{out}"
    );
    // Commands that do not read a database refuse the option.
    let err = fails(&["--dir", BASIC, "heads", "--databases", file]);
    assert!(err.contains("--databases is for"), "{err}");
}

/// PostgreSQL tenant schemas: `--schemas 'tenant_%'` runs in each schema (its search path,
/// its own version table), `--jobs` at once; one broken tenant is named, the others end
/// at head; `--schema NAME` runs in one.
#[test]
fn one_command_in_many_postgres_schemas() {
    let rt = runtime();
    let Some(db) = rt.block_on(TestDb::<sqlx::Postgres>::postgres()) else {
        return;
    };
    let mut setup: String = (0..100)
        .map(|i| format!("CREATE SCHEMA tenant_{i:03};"))
        .collect();
    // Tenant 7 already has the table the first revision creates.
    setup.push_str("CREATE TABLE tenant_007.account (id INTEGER);");
    rt.block_on(async {
        sqlx::raw_sql(sqlx::AssertSqlSafe(setup))
            .execute(&db.pool)
            .await
            .unwrap();
    });
    let url = db.url.as_str();
    let on = |args: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = ["--dir", BASIC, "--database-url", url]
            .map(str::to_owned)
            .to_vec();
        all.extend(args.iter().map(|a| (*a).to_owned()));
        all
    };
    let args = on(&["upgrade", "head", "--schemas", "tenant_%", "--jobs", "8"]);
    let (code, out, err) = cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, ExitCode::FAILURE, "{out}");
    assert!(
        out.contains("100 database(s): 99 done, 0 no, 1 failed, 0 skipped"),
        "{out}"
    );
    assert!(err.contains("schema tenant_007"), "{err}");
    let args = on(&["check", "--schemas", "tenant_%", "--jobs", "8"]);
    let (code, out, _) = cli(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        out.contains("100 database(s): 99 done, 1 behind, 0 failed"),
        "{out}"
    );
    // Each schema has its own version table and tables; the public schema has none.
    let args = on(&["current", "--schema", "tenant_042"]);
    let out = ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.contains("c3"), "{out}");
    rt.block_on(async {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '_migrations'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(n, 100);
    });
}

/// `--lock` and `lock` in the configuration file choose the strategy: a lease on SQLite
/// leaves its table empty after the run; `transaction` is refused on MariaDB, saying what
/// to use; an unknown name is refused with where it came from.
#[test]
fn the_lock_strategy_from_a_flag_or_the_configuration_file() {
    let dir = migrations_dir(&[(
        "a1_t.sql",
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INTEGER);\n",
    )]);
    let d = dir.path().to_str().unwrap();
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("lease.db");
    let url = format!("sqlite:{}?mode=rwc", file.display());
    let out = ok(&[
        "--dir",
        d,
        "--database-url",
        &url,
        "upgrade",
        "head",
        "--lock",
        "table",
    ]);
    assert!(out.contains("upgrade a1"), "{out}");
    let leases = runtime().block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::Sqlite::scalar(&pool, "SELECT COUNT(*) FROM _migrations_lock").await
    });
    assert_eq!(leases, 0, "the lease is released");

    let (code, _, err) = cli(&[
        "--dir",
        d,
        "--database-url",
        &url,
        "upgrade",
        "head",
        "--lock",
        "leased",
    ]);
    assert_ne!(code, ExitCode::SUCCESS);
    assert!(err.contains("unknown lock strategy `leased`"), "{err}");

    let config = root.path().join("migraph.toml");
    std::fs::write(&config, format!("directory = \"{d}\"\nlock = \"sesion\"\n")).unwrap();
    let c = config.to_str().unwrap();
    let err = fails(&["--config", c, "heads"]);
    assert!(
        err.contains("migraph.toml:2: unknown lock strategy `sesion`"),
        "{err}"
    );

    let Some(mariadb) = runtime().block_on(TestDb::<sqlx::MySql>::mysql()) else {
        return;
    };
    std::fs::write(
        &config,
        format!("directory = \"{d}\"\nlock = \"transaction\"\n"),
    )
    .unwrap();
    let err = fails(&[
        "--config",
        c,
        "--database-url",
        &mariadb.url,
        "upgrade",
        "head",
    ]);
    assert!(
        err.contains("lock strategy `transaction` does not work on") && err.contains("use `table`"),
        "{err}"
    );
    // A flag overrides the file.
    let out = ok(&[
        "--config",
        c,
        "--database-url",
        &mariadb.url,
        "upgrade",
        "head",
        "--lock",
        "table",
    ]);
    assert!(out.contains("upgrade a1"), "{out}");
}

/// The older release's binary refuses a database the newer one moved on, and takes it
/// back with `--roll-back-unknown`, using the downgrade SQL the newer one stored.
#[test]
fn rolling_back_a_release_with_the_older_binary() {
    let a1 = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INTEGER);\n-- migrate:downgrade\nDROP TABLE t;\n";
    let b2 = "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nALTER TABLE t ADD COLUMN note TEXT;\n-- migrate:downgrade\nALTER TABLE t DROP COLUMN note;\n";
    let newer = migrations_dir(&[("a1_t.sql", a1), ("b2_note.sql", b2)]);
    let older = migrations_dir(&[("a1_t.sql", a1)]);
    let (newer, older) = (
        newer.path().to_str().unwrap(),
        older.path().to_str().unwrap(),
    );
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", root.path().join("app.db").display());
    ok(&["--dir", newer, "--database-url", &url, "upgrade", "head"]);

    let (code, out, _) = cli(&["--dir", older, "--database-url", &url, "check"]);
    assert_eq!(code, ExitCode::FAILURE, "{out}");
    let err = fails(&["--dir", older, "--database-url", &url, "upgrade", "head"]);
    assert!(err.contains("b2"), "{err}");

    let out = ok(&[
        "--dir",
        older,
        "--database-url",
        &url,
        "upgrade",
        "head",
        "--roll-back-unknown",
    ]);
    assert!(out.contains("downgrade b2"), "{out}");
    ok(&["--dir", older, "--database-url", &url, "check"]);
    let columns = runtime().block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::Sqlite::scalar(&pool, "SELECT COUNT(*) FROM pragma_table_info('t')").await
    });
    assert_eq!(columns, 1, "the newer release's column is gone");
    // And the newer release moves it forward again.
    let out = ok(&["--dir", newer, "--database-url", &url, "upgrade", "head"]);
    assert!(out.contains("upgrade b2"), "{out}");
}

/// `migraph lint` checks a folder without a build: the dialect's default rules, the
/// opt-in ones by flag or from migraph.toml's `[lint]`, exit 1 on findings, and JSON.
#[test]
fn lint_checks_the_sql_of_a_folder_and_exits_1_on_findings() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let online = format!("{fixtures}/ui/lint-online");
    // No dialect anywhere: asked for.
    let err = fails(&["--dir", &online, "--config", "/dev/null", "lint"]);
    assert!(err.contains("say which SQL dialect to check"), "{err}");
    // The default PostgreSQL rule finds nothing here; the online ones find five.
    let out = ok(&["--dir", &online, "lint", "--dialect", "postgres"]);
    assert!(
        out.contains("0 finding(s) in 2 revision(s), postgres"),
        "{out}"
    );
    let (code, out, _) = cli(&[
        "--dir",
        &online,
        "lint",
        "--dialect",
        "postgres",
        "--rule",
        "online",
    ]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.contains("5 finding(s) in 2 revision(s)"), "{out}");
    assert!(
        out.contains(&format!("--> {online}/b2_tighten.sql:8")),
        "{out}"
    );
    assert!(
        out.contains("8 | ALTER TABLE users ALTER COLUMN email SET NOT NULL"),
        "{out}"
    );
    // The same from the configuration file, as JSON.
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("migraph.toml");
    std::fs::write(
        &config,
        "[lint]\ndialect = \"postgres\"\nrules = [\"online\"]\n",
    )
    .unwrap();
    let c = config.to_str().unwrap();
    let (code, out, _) = cli(&["--dir", &online, "--config", c, "lint", "--json"]);
    assert_eq!(code, ExitCode::FAILURE);
    let json: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(json["dialect"], "postgres");
    assert_eq!(json["revisions"], 2);
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "index_not_concurrently",
            "add_column_not_null",
            "alter_column_type",
            "constraint_not_valid",
            "set_not_null"
        ]
    );
    assert_eq!(json["findings"][0]["line"], 4);
    assert_eq!(
        json["findings"][0]["statement"],
        "CREATE INDEX users_email ON users (email)"
    );
    // The default rules of each dialect, and their opt-outs.
    let err_out = cli(&[
        "--dir",
        &format!("{fixtures}/ui/lint-not-in-transaction"),
        "lint",
        "--dialect",
        "postgres",
    ]);
    assert_eq!(err_out.0, ExitCode::FAILURE);
    assert!(err_out.1.contains("2 finding(s)"), "{}", err_out.1);
    let (code, out, _) = cli(&[
        "--dir",
        &format!("{fixtures}/ui/lint-mixed-ddl-dml"),
        "lint",
        "--dialect",
        "mysql",
    ]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.contains("mixes schema changes"), "{out}");
    ok(&[
        "--dir",
        &format!("{fixtures}/pass/lint-opt-outs"),
        "lint",
        "--dialect",
        "postgres",
        "--rule",
        "online",
    ]);
    ok(&[
        "--dir",
        &format!("{fixtures}/pass/lint-mysql-opt-out"),
        "lint",
        "--dialect",
        "mysql",
    ]);
    // A rule of another dialect is refused, naming it.
    let err = fails(&[
        "--dir",
        &online,
        "lint",
        "--dialect",
        "mysql",
        "--rule",
        "online",
    ]);
    assert!(err.contains("checks postgres SQL"), "{err}");
}

/// `migraph diff` and `check --drift` on each database: no drift after migrating, then an
/// index added by hand is named, exit 1; on a server the scratch database the command
/// created is dropped again.
fn drift_commands(url: &str, scratch_prefix: Option<&str>, leftovers: impl Fn() -> usize) {
    let run = |args: &[&str]| {
        let mut all = vec!["--dir", BASIC, "--database-url", url];
        all.extend_from_slice(args);
        cli(&all)
    };
    assert_eq!(run(&["upgrade", "head"]).0, ExitCode::SUCCESS);
    let (code, out, err) = run(&["diff"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(
        out.trim(),
        "no drift: the schema is what the applied revisions build"
    );
    let (code, out, _) = run(&["check", "--drift"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(
        out.contains("its schema is what the migrations build"),
        "{out}"
    );

    let rt = runtime();
    let added = "CREATE INDEX account_name_by_hand ON account (name)";
    match migraph::Dialect::from_url(url) {
        Some(migraph::Dialect::Postgres) => rt.block_on(async {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::raw_sql(added).execute(&pool).await.unwrap();
        }),
        Some(migraph::Dialect::MySql) => rt.block_on(async {
            let pool = sqlx::MySqlPool::connect(url).await.unwrap();
            sqlx::raw_sql(added).execute(&pool).await.unwrap();
        }),
        _ => rt.block_on(async {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::raw_sql(added).execute(&pool).await.unwrap();
        }),
    }
    let (code, out, _) = run(&["diff"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        out.starts_with("+ index account_name_by_hand on account (name)\n"),
        "{out}"
    );
    assert!(out.contains("1 difference(s)"), "{out}");
    let (code, out, _) = run(&["diff", "--json"]);
    assert_eq!(code, ExitCode::FAILURE);
    let json: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(json["differences"][0]["change"], "extra");
    assert_eq!(
        json["differences"][0]["object"],
        "index account_name_by_hand on account"
    );
    let (code, out, _) = run(&["check", "--drift", "--json"]);
    assert_eq!(code, ExitCode::FAILURE);
    let json: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(
        json["drift"][0],
        "+ index account_name_by_hand on account (name)"
    );
    if scratch_prefix.is_some() {
        assert_eq!(leftovers(), 0, "a scratch database was left behind");
    }
}

#[test]
fn diff_and_check_drift_on_sqlite() {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("app.db").display());
    drift_commands(&url, None, || 0);
}

/// The drift commands on a fresh database of a server, counting the scratch databases
/// left behind with `count` (a `LIKE` pattern in place of `{pattern}`).
fn drift_on_server<DB: migraph_tests::Backend>(
    rt: &tokio::runtime::Runtime,
    db: Option<TestDb<DB>>,
    count: &str,
) {
    let Some(db) = db else {
        return;
    };
    let pattern = format!("migraph_scratch_{}_%", std::process::id());
    let sql = count.replace("{pattern}", &pattern);
    drift_commands(&db.url, Some(&pattern), || {
        rt.block_on(DB::scalar(&db.pool, &sql)) as usize
    });
}

#[test]
fn diff_and_check_drift_on_postgres() {
    let rt = runtime();
    drift_on_server(
        &rt,
        rt.block_on(TestDb::<sqlx::Postgres>::postgres()),
        "SELECT COUNT(*) FROM pg_database WHERE datname LIKE '{pattern}'",
    );
}

#[test]
fn diff_and_check_drift_on_mariadb() {
    let rt = runtime();
    drift_on_server(
        &rt,
        rt.block_on(TestDb::<sqlx::MySql>::mysql()),
        "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{pattern}'",
    );
}

/// A release's init container runs `migrate to <its newest revision>`: the newer build
/// moves the database forward, the older one, after a rollback, moves it back through the
/// revisions it does not have; run again, nothing happens.
#[test]
fn to_moves_the_database_to_each_releases_revision() {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("app.db").display());
    let write = |dir: &Path, id: &str, parent: &str| {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join(format!("{id}_step.sql")),
            format!("-- revision: {id}\n-- down_revision: {parent}\n-- message: step {id}\n-- migrate:upgrade\nCREATE TABLE t_{id} (id INTEGER);\n-- migrate:downgrade\nDROP TABLE t_{id};\n"),
        )
        .unwrap();
    };
    let (v1, v2) = (root.path().join("v1"), root.path().join("v2"));
    for dir in [&v1, &v2] {
        write(dir, "a1", "none");
        write(dir, "b2", "a1");
    }
    write(&v2, "c3", "b2");
    let (v1, v2) = (v1.to_str().unwrap(), v2.to_str().unwrap());
    let to = |dir: &str, rev: &str| ok(&["--dir", dir, "--database-url", &url, "to", rev]);
    assert!(to(v2, "c3").contains("upgrade c3"));
    assert_eq!(
        ok(&["--dir", v2, "--database-url", &url, "current"]).trim(),
        "c3 (head) step c3"
    );
    let out = to(v1, "b2");
    assert!(out.contains("downgrade c3"), "{out}");
    assert_eq!(
        ok(&["--dir", v1, "--database-url", &url, "current"]).trim(),
        "b2 (head) step b2"
    );
    let out = ok(&["--dir", v1, "--database-url", &url, "to", "b2", "--json"]);
    assert_eq!(out.trim(), "{\"steps\":[]}");
    let err = fails(&["--dir", v1, "--database-url", &url, "to", "b2", "--sql"]);
    assert!(err.contains("`to` has no --sql"), "{err}");
}

/// `upgrade --rehearse` (or `--dry-run`) reports each step, then says it rolled them back;
/// the database is as it was.
#[test]
fn upgrade_rehearse_reports_the_steps_and_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", root.path().join("app.db").display());
    let run = |args: &[&str]| cli(&[&["--dir", BASIC, "--database-url", &url], args].concat());
    let (code, out, err) = run(&["upgrade", "head", "--rehearse"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(out.contains("upgrade a1 create account ("), "{out}");
    assert!(out.contains("upgrade b2 create note ("), "{out}");
    assert!(
        out.ends_with("rehearsal: all of it was rolled back; the database is as it was\n"),
        "{out}"
    );
    assert_eq!(run(&["current"]).1.trim(), "base (nothing applied)");
    assert!(
        run(&["upgrade", "head", "--dry-run"])
            .1
            .contains("rehearsal")
    );
    // A rehearsal runs the SQL; a script does not: clap refuses the pair.
    let (code, _, err) = run(&["upgrade", "head", "--rehearse", "--sql"]);
    assert_eq!(code, ExitCode::from(2));
    assert!(err.contains("--sql"), "{err}");
}
