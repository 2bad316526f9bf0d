//! The SQL lint: each rule fires where its SQL is, with the file, line and statement, and
//! not where the same words are in a string, a comment, a new table or an opt-out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use migraph_core::lint::{Finding, LintOptions, Rule, lint};
use migraph_core::{Dialect, Directory, LoadOptions};

/// Lints one revision `a1` whose header adds `header` and whose upgrade is `sql`.
fn lint_one(header: &str, sql: &str, options: &LintOptions) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a1_one.sql"),
        format!("-- revision: a1\n-- down_revision: none\n{header}-- migrate:upgrade\n{sql}"),
    )
    .unwrap();
    let loaded = Directory::load(dir.path(), "migrations", LoadOptions::default()).unwrap();
    lint(&loaded.files, options)
}

fn postgres() -> LintOptions {
    LintOptions::new(Dialect::Postgres)
}

fn online() -> LintOptions {
    postgres().enable("online").unwrap()
}

fn rules(findings: &[Finding]) -> Vec<Rule> {
    findings.iter().filter_map(|f| f.rule).collect()
}

#[test]
fn statements_that_cannot_run_in_a_transaction_are_named_at_their_line() {
    for (sql, what) in [
        (
            "CREATE INDEX CONCURRENTLY i ON t (x)",
            "CREATE INDEX CONCURRENTLY",
        ),
        (
            "create unique index concurrently i on t (x)",
            "CREATE INDEX CONCURRENTLY",
        ),
        ("DROP INDEX CONCURRENTLY i", "DROP INDEX CONCURRENTLY"),
        ("REINDEX INDEX CONCURRENTLY i", "REINDEX CONCURRENTLY"),
        (
            "REINDEX (VERBOSE) TABLE CONCURRENTLY t",
            "REINDEX CONCURRENTLY",
        ),
        ("VACUUM ANALYZE t", "VACUUM"),
        ("CREATE DATABASE other", "CREATE DATABASE"),
        ("DROP DATABASE other", "DROP DATABASE"),
        ("ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"),
        (
            "CREATE TABLESPACE fast LOCATION '/ssd'",
            "CREATE TABLESPACE",
        ),
        ("DROP TABLESPACE fast", "DROP TABLESPACE"),
    ] {
        let findings = lint_one("", &format!("SELECT 1;\n\n{sql};\n"), &postgres());
        assert_eq!(rules(&findings), [Rule::NotInTransaction], "{sql}");
        let d = &findings[0].diagnostic;
        assert_eq!(d.file.as_deref(), Some("migrations/a1_one.sql"));
        assert_eq!(d.line, Some(6), "{sql}");
        assert_eq!(d.excerpt.as_deref(), Some(sql));
        let text = d.to_string();
        assert!(
            text.contains(&format!("`{what}` cannot run inside a transaction block")),
            "{text}"
        );
        assert!(text.contains("add `-- transaction: false`"), "{text}");
    }
}

#[test]
fn outside_a_transaction_or_in_a_string_or_comment_nothing_is_found() {
    let sql = "CREATE INDEX CONCURRENTLY i ON t (x);\nVACUUM t;\n";
    assert!(lint_one("-- transaction: false\n", sql, &postgres()).is_empty());
    let quoted = "INSERT INTO notes VALUES ('VACUUM; CREATE INDEX CONCURRENTLY');\n\
                  -- VACUUM;\n/* DROP DATABASE x; */\nCREATE FUNCTION f() RETURNS void AS $$ VACUUM $$ LANGUAGE sql;\n";
    assert!(lint_one("", quoted, &postgres()).is_empty());
    // A plain index in a transaction is fine by default.
    assert!(lint_one("", "CREATE INDEX i ON t (x);\n", &postgres()).is_empty());
}

#[test]
fn the_downgrade_section_is_checked_too() {
    let sql = "CREATE TABLE t (x INT);\n-- migrate:downgrade\nDROP INDEX CONCURRENTLY i;\nDROP TABLE t;\n";
    let findings = lint_one("", sql, &postgres());
    assert_eq!(rules(&findings), [Rule::NotInTransaction]);
    assert_eq!(findings[0].diagnostic.line, Some(6));
}

#[test]
fn a_header_or_a_comment_before_the_statement_opts_out() {
    let sql = "VACUUM t;\n";
    assert!(lint_one("-- lint: allow(not_in_transaction)\n", sql, &postgres()).is_empty());
    let sql = "-- lint: allow(not_in_transaction)\nVACUUM t;\nVACUUM u;\n";
    let findings = lint_one("", sql, &postgres());
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].diagnostic.excerpt.as_deref(), Some("VACUUM u"));
}

#[test]
fn a_bad_opt_out_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a1_one.sql"),
        "-- revision: a1\n-- down_revision: none\n-- lint: allow(not_in_transacton)\n-- migrate:upgrade\nSELECT 1;\n",
    )
    .unwrap();
    let err = Directory::load(dir.path(), "migrations", LoadOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("migrations/a1_one.sql:3"), "{text}");
    assert!(
        text.contains("did you mean `not_in_transaction`?"),
        "{text}"
    );

    let findings = lint_one("", "-- lint: allow(vacuum)\nVACUUM t;\n", &postgres());
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule, None);
    assert!(
        findings[0]
            .diagnostic
            .message
            .contains("unknown lint rule `vacuum`")
    );
}

#[test]
fn mysql_revisions_mixing_schema_and_data_changes_are_reported() {
    let mysql = LintOptions::new(Dialect::MySql);
    let sql = "CREATE TABLE t (id INT);\nINSERT INTO t VALUES (1);\n";
    let findings = lint_one("", sql, &mysql);
    assert_eq!(rules(&findings), [Rule::MixedDdlDml]);
    let d = &findings[0].diagnostic;
    assert_eq!(d.line, Some(5));
    assert!(
        d.message.contains("line 4: `CREATE TABLE t (id INT)`"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("line 5: `INSERT INTO t VALUES (1)`"),
        "{}",
        d.message
    );
    // One kind only, or an opt-out, passes; PostgreSQL does not check it.
    assert!(
        lint_one(
            "",
            "CREATE TABLE t (id INT);\nCREATE INDEX i ON t (id);\n",
            &mysql
        )
        .is_empty()
    );
    assert!(
        lint_one(
            "",
            "INSERT INTO t VALUES (1);\nUPDATE t SET id = 2;\n",
            &mysql
        )
        .is_empty()
    );
    assert!(lint_one("-- lint: allow(mixed_ddl_dml)\n", sql, &mysql).is_empty());
    assert!(lint_one("", sql, &postgres()).is_empty());
    // MySQL's `#` comments and strings are not code.
    assert!(
        lint_one(
            "",
            "CREATE TABLE t (id INT);\n# INSERT INTO t VALUES (1);\nSELECT 'DELETE';\n",
            &mysql
        )
        .is_empty()
    );
}

#[test]
fn the_online_rules_are_off_by_default_and_find_each_risky_change() {
    let cases = [
        (
            "CREATE INDEX i ON users (email);",
            Rule::IndexNotConcurrently,
        ),
        (
            "CREATE UNIQUE INDEX IF NOT EXISTS i ON ONLY public.users (email);",
            Rule::IndexNotConcurrently,
        ),
        (
            "ALTER TABLE users ADD COLUMN age INT NOT NULL;",
            Rule::AddColumnNotNull,
        ),
        (
            "ALTER TABLE users ADD age INT NOT NULL, ADD b INT;",
            Rule::AddColumnNotNull,
        ),
        (
            "ALTER TABLE users ALTER COLUMN email TYPE TEXT;",
            Rule::AlterColumnType,
        ),
        (
            "ALTER TABLE users ALTER email SET DATA TYPE TEXT;",
            Rule::AlterColumnType,
        ),
        (
            "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (org) REFERENCES orgs (id);",
            Rule::ConstraintNotValid,
        ),
        (
            "ALTER TABLE users ADD CHECK (age > 0);",
            Rule::ConstraintNotValid,
        ),
        (
            "ALTER TABLE \"users\" ALTER COLUMN email SET NOT NULL;",
            Rule::SetNotNull,
        ),
    ];
    for (sql, rule) in cases {
        assert!(lint_one("", sql, &postgres()).is_empty(), "{sql} is opt-in");
        let findings = lint_one("", sql, &online());
        assert_eq!(rules(&findings), [rule], "{sql}");
        assert!(
            findings[0]
                .diagnostic
                .help
                .as_deref()
                .unwrap()
                .contains(rule.name())
        );
    }
}

#[test]
fn the_safe_forms_and_new_tables_pass_the_online_rules() {
    for sql in [
        "CREATE INDEX CONCURRENTLY i ON users (email);",
        "ALTER TABLE users ADD COLUMN age INT NOT NULL DEFAULT 0;",
        "ALTER TABLE users ADD COLUMN age INT;",
        "ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (org) REFERENCES orgs (id) NOT VALID;",
        "ALTER TABLE users ADD CONSTRAINT c CHECK (age > 0) NOT VALID;",
        "ALTER TABLE users VALIDATE CONSTRAINT c;",
        "ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x';",
        // A table the revision created has no rows to lock out.
        "CREATE TABLE users (id INT);\nCREATE INDEX i ON users (id);\nALTER TABLE users ADD age INT NOT NULL;\nALTER TABLE users ALTER id TYPE BIGINT;",
        "CREATE UNLOGGED TABLE IF NOT EXISTS s.users (id INT);\nALTER TABLE s.users ALTER COLUMN id SET NOT NULL;",
    ] {
        let header = if sql.contains("CONCURRENTLY") {
            "-- transaction: false\n"
        } else {
            ""
        };
        let findings = lint_one(header, &format!("{sql}\n"), &online());
        assert!(findings.is_empty(), "{sql}: {findings:?}");
    }
}

#[test]
fn rules_of_another_dialect_or_unknown_names_are_refused() {
    let err = LintOptions::new(Dialect::MySql)
        .enable("online")
        .unwrap_err();
    assert!(err.contains("checks postgres SQL"), "{err}");
    let err = postgres().enable("set_not_nul").unwrap_err();
    assert!(err.contains("did you mean `set_not_null`?"), "{err}");
    assert!(LintOptions::new(Dialect::Sqlite).rules().is_empty());
}
