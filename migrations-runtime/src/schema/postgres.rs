//! PostgreSQL's schema, from `pg_catalog`, in the session's current schema.

use super::{Schema, cell, rows};
use crate::driver::Driver;

/// The relations of the current schema, joined as `c` with their namespace `n`.
const IN_SCHEMA: &str =
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()";

pub(super) async fn read<DB: Driver>(conn: &mut DB::Connection) -> Result<Schema, sqlx::Error> {
    let mut schema = Schema::default();
    for row in rows::<DB>(
        conn,
        &format!("SELECT c.relname FROM pg_class c {IN_SCHEMA} AND c.relkind IN ('r', 'p')"),
    )
    .await?
    {
        schema.table(cell(&row, 0));
    }
    let columns = format!(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), (NOT a.attnotnull)::text, \
         pg_get_expr(d.adbin, d.adrelid) \
         FROM pg_class c \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
         {IN_SCHEMA} AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum"
    );
    for row in rows::<DB>(conn, &columns).await? {
        let default = row.get(4).cloned().flatten();
        schema.column(
            cell(&row, 0),
            cell(&row, 1),
            cell(&row, 2),
            cell(&row, 3) == "true",
            default,
        );
    }
    let constraints = format!(
        "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) \
         FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         {IN_SCHEMA} AND con.contype IN ('p', 'u', 'f', 'c', 'x') ORDER BY c.relname, con.conname"
    );
    for row in rows::<DB>(conn, &constraints).await? {
        schema.constraint(cell(&row, 0), lower_keywords(cell(&row, 2)), cell(&row, 1));
    }
    // Indexes of their own, not those behind a primary key, unique or exclusion constraint.
    let indexes = format!(
        "SELECT t.relname, c.relname, pg_get_indexdef(x.indexrelid) \
         FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         {IN_SCHEMA} AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid \
         AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x')) ORDER BY t.relname, c.relname"
    );
    for row in rows::<DB>(conn, &indexes).await? {
        schema.index(
            cell(&row, 0),
            cell(&row, 1),
            index_definition(cell(&row, 2)),
        );
    }
    let views = format!(
        "SELECT c.relname, pg_get_viewdef(c.oid, true) FROM pg_class c {IN_SCHEMA} AND c.relkind IN ('v', 'm')"
    );
    for row in rows::<DB>(conn, &views).await? {
        schema
            .views
            .insert(cell(&row, 0).to_owned(), super::squeeze(cell(&row, 1)));
    }
    for row in rows::<DB>(
        conn,
        &format!("SELECT c.relname FROM pg_class c {IN_SCHEMA} AND c.relkind = 'S'"),
    )
    .await?
    {
        schema.sequences.insert(cell(&row, 0).to_owned());
    }
    let enums = "SELECT t.typname, string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) \
                 FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
                 WHERE n.nspname = current_schema() GROUP BY t.typname";
    for row in rows::<DB>(conn, enums).await? {
        schema
            .types
            .insert(cell(&row, 0).to_owned(), cell(&row, 1).to_owned());
    }
    // Functions and procedures, leaving out those an extension brought.
    let functions = "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' \
                     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
                     WHERE n.nspname = current_schema() AND NOT EXISTS \
                     (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')";
    for row in rows::<DB>(conn, functions).await? {
        schema.functions.insert(cell(&row, 0).to_owned());
    }
    Ok(schema)
}

/// `CREATE UNIQUE INDEX i ON public.t USING btree (email) WHERE ...` as `unique (email)
/// where ...`: what the index is, without its name and the table's schema.
fn index_definition(definition: &str) -> String {
    let unique = definition.starts_with("CREATE UNIQUE INDEX");
    let method = definition
        .split_once(" USING ")
        .map_or(definition, |(_, m)| m);
    let body = method.strip_prefix("btree ").unwrap_or(method);
    let body = match body.split_once(" WHERE ") {
        Some((columns, predicate)) => format!("{columns} where {predicate}"),
        None => body.to_owned(),
    };
    if unique {
        format!("unique {body}")
    } else {
        body
    }
}

/// `FOREIGN KEY (a) REFERENCES t(id)` as `foreign key (a) references t(id)`.
fn lower_keywords(definition: &str) -> String {
    const KEYWORDS: [&str; 7] = [
        "PRIMARY KEY",
        "FOREIGN KEY",
        "REFERENCES",
        "UNIQUE",
        "CHECK",
        "EXCLUDE",
        "NOT VALID",
    ];
    let mut text = definition.to_owned();
    for keyword in KEYWORDS {
        text = text.replace(keyword, &keyword.to_lowercase());
    }
    text
}
