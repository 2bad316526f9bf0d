//! Offline mode: a plan rendered as one SQL script, for DBAs who review and apply SQL by
//! hand. Running the script gives the same version table as running online (times
//! aside).

use std::fmt::Write as _;

use migraph_core::{
    Dialect, Migration, RevIndex, RevSet, Target, contains_semicolon, plan, split_statements,
};

use crate::dialect::{DialectSql, Values};
use crate::error::Error;
use crate::migrator::{Migrator, parse_target};
use crate::table::TableName;

/// The revisions applied at the start of an offline script: everything `from` needs.
fn start_state(m: &Migrator<'_>, from: &str) -> Result<RevSet, Error> {
    let graph = m.migrations().graph()?;
    let target = parse_target(from)?;
    let resolved = target
        .resolve(graph, &RevSet::empty(graph))
        .map_err(|e| Error::Plan(e.into()))?;
    Ok(graph.ancestors(&resolved.revisions))
}

struct Script {
    dialect: Dialect,
    table: TableName,
    out: String,
    /// One transaction around the whole script rather than one per revision.
    whole: bool,
}

impl Script {
    fn new(dialect: Dialect, table: TableName, title: &str, whole: bool) -> Self {
        let mut out = String::new();
        let _ = writeln!(out, "-- {title}");
        let _ = writeln!(out, "-- dialect: {dialect}, version table: {table}\n");
        if whole {
            out.push_str("BEGIN;\n\n");
        }
        Self {
            dialect,
            table,
            out,
            whole,
        }
    }

    /// Closes the whole-script transaction, if there is one, and returns the script.
    fn finish(mut self) -> String {
        if self.whole {
            self.out.push_str("COMMIT;\n");
        }
        self.out
    }

    fn create_table(&mut self) {
        let sql = self.dialect.create_table(&self.table);
        let _ = writeln!(self.out, "{sql};\n");
    }

    /// A statement, with MySQL's client told about a `;` inside its code (trigger
    /// bodies); a `;` inside a string or comment needs no telling.
    fn statement(&mut self, sql: &str) {
        if self.dialect == Dialect::MySql && contains_semicolon(sql, self.dialect) {
            let _ = writeln!(self.out, "DELIMITER $$\n{sql}$$\nDELIMITER ;");
        } else {
            let _ = writeln!(self.out, "{sql};");
        }
    }

    /// A section statement by statement, each ended by `;` right after its code, with
    /// the comments before and after it on lines of their own (so that a comment at the
    /// end of a statement cannot swallow its `;`).
    fn section(&mut self, sql: &str) {
        for statement in split_statements(sql, self.dialect) {
            if !statement.before.is_empty() {
                let _ = writeln!(self.out, "{}", statement.before);
            }
            self.statement(statement.sql);
            if !statement.after.is_empty() {
                let _ = writeln!(self.out, "{}", statement.after);
            }
        }
    }

    fn insert_row(&mut self, m: &Migration) {
        let row = crate::migrator::new_row(m);
        let sql = self
            .dialect
            .insert_row(&self.table, Values::Literals(&row.values()));
        self.statement(&sql);
    }

    fn delete_row(&mut self, revision: &str) {
        let sql = self.dialect.delete_row(&self.table, revision);
        self.statement(&sql);
    }

    /// Opens a transaction around one revision where the dialect's DDL is transactional.
    fn begin(&mut self, transactional: bool) -> bool {
        let wrap = transactional && self.dialect.syntax().transactional_ddl && !self.whole;
        if wrap {
            self.out.push_str("BEGIN;\n");
        }
        wrap
    }

    fn commit(&mut self, wrapped: bool) {
        if wrapped {
            self.out.push_str("COMMIT;\n");
        }
        self.out.push('\n');
    }
}

impl Migrator<'_> {
    /// A script for `steps`, in one transaction when [`Migrator::single_transaction`] is
    /// set (refused where an online run would be refused).
    fn script(&self, dialect: Dialect, title: &str, steps: &[RevIndex]) -> Result<Script, Error> {
        let all = self.migrations().migrations();
        // A revision written in Rust has no SQL to write; a script that recorded it
        // without running it would be a lie.
        if let Some(m) = steps.iter().map(|&i| &all[i]).find(|m| m.is_rust()) {
            return Err(Error::RustNotScripted {
                revision: m.revision().to_owned(),
                file: m.file_name().to_owned(),
            });
        }
        let whole = self.is_single_transaction();
        if whole {
            let all = self.migrations().migrations();
            self.check_single_transaction(dialect, steps.iter().map(|&i| &all[i]))?;
        }
        Ok(Script::new(dialect, self.table_name()?, title, whole))
    }

    /// The SQL script that upgrades a database at `from` (`base` for an empty one) to
    /// `to`, version-table statements included, for `dialect`. Nothing is connected to.
    ///
    /// # Errors
    ///
    /// A bad target or table name, a relative target that cannot take its steps, or
    /// [`Migrator::single_transaction`] where an online run would refuse it.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// std::fs::write(
    ///     dir.path().join("a1_init.sql"),
    ///     "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
    /// )?;
    /// let migrations = migraph_runtime::Migrations::from_dir(dir.path())?;
    /// let sql = migrations.runner().upgrade_script(migraph_runtime::Dialect::Postgres, "base", "head")?;
    /// assert!(sql.contains("-- Running upgrade  -> a1\nBEGIN;\nCREATE TABLE t (id INT);"));
    /// # Ok(()) }
    /// ```
    pub fn upgrade_script(&self, dialect: Dialect, from: &str, to: &str) -> Result<String, Error> {
        let graph = self.migrations().graph()?;
        let applied = start_state(self, from)?;
        let steps = plan::upgrade(graph, &applied, &parse_target(to)?)?;
        let mut script = self.script(dialect, &format!("upgrade {from} -> {to}"), &steps)?;
        // A script that starts from base creates the version table; one that starts
        // mid-graph runs where it exists already.
        if applied.is_empty() {
            script.create_table();
        }
        for i in steps {
            let m = &self.migrations().migrations()[i];
            let _ = writeln!(
                script.out,
                "-- Running upgrade {} -> {}",
                m.down_revisions().join(", "),
                m.revision()
            );
            let wrapped = script.begin(m.transactional());
            script.section(m.upgrade_sql());
            script.insert_row(m);
            script.commit(wrapped);
        }
        Ok(script.finish())
    }

    /// The SQL script that downgrades a database at `from` to `to` (a downgrade needs both
    /// ends, as in Alembic: `head:base`).
    ///
    /// # Errors
    ///
    /// A bad target or table name, a target that is not below `from`, or a revision
    /// without a downgrade section.
    pub fn downgrade_script(
        &self,
        dialect: Dialect,
        from: &str,
        to: &str,
    ) -> Result<String, Error> {
        let graph = self.migrations().graph()?;
        let applied = start_state(self, from)?;
        let steps = self.downgrade_plan(graph, &applied, &parse_target(to)?)?;
        let all = self.migrations().migrations();
        let mut script = self.script(dialect, &format!("downgrade {from} -> {to}"), &steps)?;
        for i in steps {
            let m = &all[i];
            let _ = writeln!(
                script.out,
                "-- Running downgrade {} -> {}",
                m.revision(),
                m.down_revisions().join(", ")
            );
            let wrapped = script.begin(m.transactional());
            script.section(m.downgrade_sql().unwrap_or_default());
            script.delete_row(m.revision());
            script.commit(wrapped);
        }
        Ok(script.finish())
    }

    /// The SQL script that stamps `targets` on a database at `from`: version-table rows
    /// only.
    ///
    /// # Errors
    ///
    /// A bad target or table name.
    pub fn stamp_script(
        &self,
        dialect: Dialect,
        from: &str,
        targets: &[&str],
    ) -> Result<String, Error> {
        let graph = self.migrations().graph()?;
        let applied = start_state(self, from)?;
        let targets = targets
            .iter()
            .map(|t| parse_target(t))
            .collect::<Result<Vec<_>, _>>()?;
        let plan = plan::stamp(graph, &applied, &targets)?;
        let all = self.migrations().migrations();
        let mut script =
            self.script(dialect, &format!("stamp {from} -> {}", join(&targets)), &[])?;
        if applied.is_empty() {
            script.create_table();
        }
        let wrapped = script.begin(true);
        for &i in &plan.delete {
            script.delete_row(all[i].revision());
        }
        for &i in &plan.insert {
            script.insert_row(&all[i]);
        }
        script.commit(wrapped);
        Ok(script.finish())
    }
}

fn join(targets: &[Target]) -> String {
    targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::Migrations;

    /// Each dialect's script is that dialect's, whichever driver features are compiled in
    /// (CI runs this with each driver feature alone).
    #[test]
    fn every_dialect_renders_its_own_script_with_any_driver_compiled_in() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a1_t.sql"),
            "-- revision: a1\n-- down_revision: none\n-- message: it's t\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n-- migrate:downgrade\nDROP TABLE t;\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b2_trigger.sql"),
            "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.id = 1; END;\n",
        )
        .unwrap();
        let m = Migrations::from_dir(dir.path()).unwrap();
        let runner = m.runner();
        let script = |d| runner.upgrade_script(d, "base", "head").unwrap();
        let pg = script(Dialect::Postgres);
        assert!(
            pg.contains("CREATE TABLE IF NOT EXISTS \"_migrations\""),
            "{pg}"
        );
        assert!(pg.contains("TIMESTAMPTZ NOT NULL DEFAULT now()"), "{pg}");
        assert_eq!(pg.matches("BEGIN;\n").count(), 2, "{pg}");
        assert!(pg.contains("INSERT INTO \"_migrations\" (revision, parents, message, checksum, downgrade_sql, execution_ms, state, error) VALUES ('a1', '', 'it''s t', "), "{pg}");
        let my = script(Dialect::MySql);
        assert!(
            my.contains("CREATE TABLE IF NOT EXISTS `_migrations`"),
            "{my}"
        );
        assert!(
            my.contains("TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"),
            "{my}"
        );
        assert!(!my.contains("BEGIN;\n"), "{my}");
        assert!(my.contains("DELIMITER $$\nCREATE TRIGGER"), "{my}");
        assert!(my.contains("INSERT INTO `_migrations`"), "{my}");
        let lite = script(Dialect::Sqlite);
        assert!(
            lite.contains("strftime('%Y-%m-%d %H:%M:%f', 'now')"),
            "{lite}"
        );
        assert!(lite.contains("INSERT INTO \"_migrations\""), "{lite}");
        assert!(!lite.contains("DELIMITER"), "{lite}");
        // And a whole-run transaction is refused for MySQL offline too.
        let err = m
            .runner()
            .single_transaction(true)
            .upgrade_script(Dialect::MySql, "base", "head")
            .unwrap_err();
        assert!(matches!(err, Error::SingleTransaction { .. }), "{err}");
    }
}
