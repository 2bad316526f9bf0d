//! MySQL's and MariaDB's schema, from `information_schema`, in the connection's database.

use super::{Schema, cell, rows};
use crate::driver::Driver;

pub(super) async fn read<DB: Driver>(conn: &mut DB::Connection) -> Result<Schema, sqlx::Error> {
    let mut schema = Schema::default();
    let database = rows::<DB>(conn, "SELECT DATABASE()").await?;
    let database = database.first().map_or("", |r| cell(r, 0)).to_owned();
    let tables = "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
                  WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'";
    for row in rows::<DB>(conn, tables).await? {
        schema.table(cell(&row, 0));
    }
    let columns = "SELECT CAST(c.TABLE_NAME AS CHAR), CAST(c.COLUMN_NAME AS CHAR), CAST(c.COLUMN_TYPE AS CHAR), \
                   CAST(c.IS_NULLABLE AS CHAR), CAST(c.COLUMN_DEFAULT AS CHAR) \
                   FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
                   ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE' \
                   WHERE c.TABLE_SCHEMA = DATABASE() ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION";
    for row in rows::<DB>(conn, columns).await? {
        // MariaDB says `NULL` (unquoted, where a string default is quoted) for none.
        let default = row.get(4).cloned().flatten().filter(|d| d != "NULL");
        schema.column(
            cell(&row, 0),
            cell(&row, 1),
            cell(&row, 2),
            cell(&row, 3) == "YES",
            default,
        );
    }
    // Indexes, the primary key among them, column by column.
    let indexes = "SELECT CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR), CAST(NON_UNIQUE AS CHAR), \
                   CAST(COLUMN_NAME AS CHAR), CAST(SUB_PART AS CHAR) FROM information_schema.STATISTICS \
                   WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";
    let mut current: Option<(String, String, bool, Vec<String>)> = None;
    let mut finished = Vec::new();
    for row in rows::<DB>(conn, indexes).await? {
        let (table, name) = (cell(&row, 0), cell(&row, 1));
        let column = match cell(&row, 4) {
            "" => cell(&row, 3).to_owned(),
            part => format!("{}({part})", cell(&row, 3)),
        };
        match &mut current {
            Some((t, n, _, columns)) if t == table && n == name => columns.push(column),
            _ => {
                finished.extend(current.take());
                current = Some((
                    table.to_owned(),
                    name.to_owned(),
                    cell(&row, 2) == "0",
                    vec![column],
                ));
            }
        }
    }
    finished.extend(current);
    for (table, name, unique, columns) in finished {
        let columns = columns.join(", ");
        if name == "PRIMARY" {
            schema.constraint(&table, format!("primary key ({columns})"), "PRIMARY");
        } else if unique {
            schema.index(&table, &name, format!("unique ({columns})"));
        } else {
            schema.index(&table, &name, format!("({columns})"));
        }
    }
    let foreign = "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR), \
                   CAST(REFERENCED_TABLE_NAME AS CHAR), CAST(REFERENCED_COLUMN_NAME AS CHAR) \
                   FROM information_schema.KEY_COLUMN_USAGE \
                   WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL \
                   ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION";
    for (table, name, definition) in super::foreign_keys(&rows::<DB>(conn, foreign).await?) {
        schema.constraint(&table, definition, &name);
    }
    // Check constraints where the server lists them (MariaDB 10.2, MySQL 8.0.16 on).
    let checks = "SELECT CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR), CAST(CHECK_CLAUSE AS CHAR) \
                  FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()";
    if let Ok(found) = rows::<DB>(conn, checks).await {
        for row in found {
            schema.constraint(
                cell(&row, 0),
                format!("check ({})", cell(&row, 2)),
                cell(&row, 1),
            );
        }
    }
    // A view's text names the database; the scratch database has another name.
    let views = "SELECT CAST(TABLE_NAME AS CHAR), CAST(VIEW_DEFINITION AS CHAR) FROM information_schema.VIEWS \
                 WHERE TABLE_SCHEMA = DATABASE()";
    let qualifier = format!("`{}`.", database.replace('`', "``"));
    for row in rows::<DB>(conn, views).await? {
        let definition = cell(&row, 1).replace(&qualifier, "");
        schema
            .views
            .insert(cell(&row, 0).to_owned(), super::squeeze(&definition));
    }
    let routines = "SELECT CAST(CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) AS CHAR) FROM information_schema.ROUTINES \
                    WHERE ROUTINE_SCHEMA = DATABASE()";
    for row in rows::<DB>(conn, routines).await? {
        schema.functions.insert(cell(&row, 0).to_owned());
    }
    Ok(schema)
}
