//! SQLite's schema, from `sqlite_master` and the `pragma_*` table functions.

use super::{Schema, cell, rows};
use crate::driver::Driver;

/// The tables, as `m`, leaving out SQLite's own.
const TABLES: &str = "sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";

pub(super) async fn read<DB: Driver>(conn: &mut DB::Connection) -> Result<Schema, sqlx::Error> {
    let mut schema = Schema::default();
    for row in rows::<DB>(conn, &format!("SELECT m.name FROM {TABLES}")).await? {
        schema.table(cell(&row, 0));
    }
    let columns = "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk \
                   FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                   WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.cid";
    // Primary key columns, in the key's order.
    let mut keys: Vec<(String, i64, String)> = Vec::new();
    for row in rows::<DB>(conn, columns).await? {
        let (table, column) = (cell(&row, 0), cell(&row, 1));
        let default = row.get(4).cloned().flatten();
        schema.column(table, column, cell(&row, 2), cell(&row, 3) == "0", default);
        if let Ok(position) = cell(&row, 5).parse::<i64>()
            && position > 0
        {
            keys.push((table.to_owned(), position, column.to_owned()));
        }
    }
    keys.sort();
    let mut primary: Vec<(String, Vec<String>)> = Vec::new();
    for (table, _, column) in keys {
        match primary.last_mut() {
            Some((t, columns)) if *t == table => columns.push(column),
            _ => primary.push((table, vec![column])),
        }
    }
    for (table, columns) in primary {
        schema.constraint(&table, format!("primary key ({})", columns.join(", ")), "");
    }
    let foreign = "SELECT m.name, f.id, f.\"from\", f.\"table\", f.\"to\" \
                   FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
                   WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, f.id, f.seq";
    for (table, _, definition) in super::foreign_keys(&rows::<DB>(conn, foreign).await?) {
        schema.constraint(&table, definition, "");
    }
    // Indexes (not the primary key's), with their columns; an expression has no name.
    let indexes = "SELECT m.name, i.name, i.\"unique\", i.origin, s.sql, c.name \
                   FROM sqlite_master m JOIN pragma_index_list(m.name) i \
                   JOIN pragma_index_info(i.name) c \
                   LEFT JOIN sqlite_master s ON s.type = 'index' AND s.name = i.name \
                   WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND i.origin <> 'pk' \
                   ORDER BY m.name, i.name, c.seqno";
    let mut found: Vec<(String, String, bool, bool, String, Vec<String>)> = Vec::new();
    for row in rows::<DB>(conn, indexes).await? {
        let column = match cell(&row, 5) {
            "" => "<expression>".to_owned(),
            name => name.to_owned(),
        };
        match found.last_mut() {
            Some((t, n, _, _, _, columns)) if t == cell(&row, 0) && n == cell(&row, 1) => {
                columns.push(column);
            }
            _ => found.push((
                cell(&row, 0).to_owned(),
                cell(&row, 1).to_owned(),
                cell(&row, 2) == "1",
                cell(&row, 3) == "u",
                cell(&row, 4).to_owned(),
                vec![column],
            )),
        }
    }
    for (table, name, unique, constraint, sql, columns) in found {
        let columns = columns.join(", ");
        if constraint {
            schema.constraint(&table, format!("unique ({columns})"), "");
            continue;
        }
        let mut definition = if unique {
            format!("unique ({columns})")
        } else {
            format!("({columns})")
        };
        if let Some(predicate) = predicate(&sql) {
            definition.push_str(" where ");
            definition.push_str(&predicate);
        }
        schema.index(&table, &name, definition);
    }
    let views = "SELECT name, sql FROM sqlite_master WHERE type = 'view'";
    for row in rows::<DB>(conn, views).await? {
        schema
            .views
            .insert(cell(&row, 0).to_owned(), super::squeeze(cell(&row, 1)));
    }
    Ok(schema)
}

/// The `WHERE` clause of a partial index's `CREATE INDEX` text: what follows the first
/// `WHERE` that stands as a word (not inside a quoted name).
fn predicate(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let at = upper.match_indices("WHERE").map(|(i, _)| i).find(|&i| {
        let before = upper[..i].chars().next_back();
        let after = upper[i + 5..].chars().next();
        before.is_some_and(|c| !c.is_alphanumeric() && c != '_' && c != '"' && c != '\'')
            && after.is_some_and(|c| !c.is_alphanumeric() && c != '_')
    })?;
    Some(super::squeeze(&sql[at + 5..]))
}
