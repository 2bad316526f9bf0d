//! Drift: the schema the migrations build, compared with the live database's.
//!
//! [`crate::Migrator::diff`] applies the revisions the live database has to an empty
//! scratch database, reads both schemas from the catalog (one module per database:
//! `pg_catalog`, `information_schema`, `sqlite_master` and the `pragma_*` functions), and
//! lists every difference: tables, columns (type, nullability, default), primary keys,
//! unique, foreign-key and (PostgreSQL, MySQL) check constraints, indexes (columns,
//! uniqueness, partial predicate), views, and on PostgreSQL sequences, enum types and
//! functions.

mod mysql;
mod postgres;
mod sqlite;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use migraph_core::Dialect;

use crate::driver::Driver;
use crate::table::TableName;

/// What a schema holds, as far as drift is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Schema {
    tables: BTreeMap<String, Table>,
    /// View name to definition.
    views: BTreeMap<String, String>,
    sequences: BTreeSet<String>,
    /// Enum type name to its labels.
    types: BTreeMap<String, String>,
    /// `name(arguments)`.
    functions: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Table {
    /// In the table's order.
    columns: Vec<Column>,
    /// A constraint's definition (`primary key (id)`, `foreign key (a) references t
    /// (id)`...) to its name: compared by definition, as the names of constraints nobody
    /// named may differ.
    constraints: BTreeMap<String, String>,
    /// An index's name to its definition (`unique (email) where ...`).
    indexes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    data_type: String,
    nullable: bool,
    default: Option<String>,
}

impl Schema {
    fn table(&mut self, name: &str) -> &mut Table {
        self.tables.entry(name.to_owned()).or_default()
    }

    fn column(
        &mut self,
        table: &str,
        name: &str,
        data_type: &str,
        nullable: bool,
        default: Option<String>,
    ) {
        self.table(table).columns.push(Column {
            name: name.to_owned(),
            data_type: data_type.to_owned(),
            nullable,
            default,
        });
    }

    fn constraint(&mut self, table: &str, definition: String, name: &str) {
        self.table(table)
            .constraints
            .insert(definition, name.to_owned());
    }

    fn index(&mut self, table: &str, name: &str, definition: String) {
        self.table(table)
            .indexes
            .insert(name.to_owned(), definition);
    }
}

/// Which way a difference goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Change {
    /// In the database, not in what the migrations build: `+`.
    Extra,
    /// In what the migrations build, not in the database: `-`.
    Missing,
    /// In both, but not alike: `~`, the migrations' side first.
    Changed,
}

/// One difference between the schema the migrations build and the live database's.
///
/// # Examples
///
/// ```
/// use migraph_runtime::{Change, Difference};
///
/// let d = Difference::new(Change::Changed, "column orders.total", "numeric(10,2) -> numeric(12,2)");
/// assert_eq!(d.to_string(), "~ column orders.total: numeric(10,2) -> numeric(12,2)");
/// let d = Difference::new(Change::Extra, "index users_email_idx on users", "(email)");
/// assert_eq!(d.to_string(), "+ index users_email_idx on users (email)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Difference {
    /// Which way it goes.
    pub change: Change,
    /// What differs: `table audit`, `column orders.total`, `index i on users`...
    pub object: String,
    /// How: the definition of what is on one side only, or `before -> after`.
    pub detail: String,
}

impl Difference {
    /// A difference.
    pub fn new(change: Change, object: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            change,
            object: object.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self.change {
            Change::Extra => '+',
            Change::Missing => '-',
            Change::Changed => '~',
        };
        match (self.change, self.detail.is_empty()) {
            (_, true) => write!(f, "{sign} {}", self.object),
            (Change::Changed, false) => write!(f, "{sign} {}: {}", self.object, self.detail),
            (_, false) => write!(f, "{sign} {} {}", self.object, self.detail),
        }
    }
}

/// Reads the schema `conn` sees (PostgreSQL: its current schema; MySQL: its database),
/// leaving out the version table `table` and its lease table.
pub(crate) async fn read<DB: Driver>(
    conn: &mut DB::Connection,
    table: &TableName,
) -> Result<Schema, sqlx::Error> {
    let mut schema = match DB::DIALECT {
        Dialect::Postgres => postgres::read::<DB>(conn).await?,
        Dialect::MySql => mysql::read::<DB>(conn).await?,
        _ => sqlite::read::<DB>(conn).await?,
    };
    let lease = format!("{}_lock", table.name());
    schema.tables.retain(|name, _| {
        !name.eq_ignore_ascii_case(table.name()) && !name.eq_ignore_ascii_case(&lease)
    });
    Ok(schema)
}

/// Rows of text from `sql`: none when it reads a catalog this server does not have.
async fn rows<DB: Driver>(
    conn: &mut DB::Connection,
    sql: &str,
) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
    Ok(DB::read_text(conn, sql).await?.unwrap_or_default())
}

/// Cell `i` of a row, empty when NULL.
fn cell(row: &[Option<String>], i: usize) -> &str {
    row.get(i).and_then(Option::as_deref).unwrap_or("")
}

/// Foreign keys from rows of (table, constraint, column, referenced table, referenced
/// column), one row per column in order: each as (table, constraint, definition).
fn foreign_keys(rows: &[Vec<Option<String>>]) -> Vec<(String, String, String)> {
    struct Key {
        table: String,
        name: String,
        from: Vec<String>,
        to_table: String,
        to: Vec<String>,
    }
    let mut keys: Vec<Key> = Vec::new();
    for row in rows {
        let (from, to) = (cell(row, 2).to_owned(), cell(row, 4).to_owned());
        match keys.last_mut() {
            Some(k) if k.table == cell(row, 0) && k.name == cell(row, 1) => {
                k.from.push(from);
                k.to.push(to);
            }
            _ => keys.push(Key {
                table: cell(row, 0).to_owned(),
                name: cell(row, 1).to_owned(),
                from: vec![from],
                to_table: cell(row, 3).to_owned(),
                to: vec![to],
            }),
        }
    }
    keys.into_iter()
        .map(|k| {
            // SQLite leaves out the columns of a key to the other table's primary key.
            let to = if k.to.iter().all(String::is_empty) {
                String::new()
            } else {
                format!(" ({})", k.to.join(", "))
            };
            let definition = format!(
                "foreign key ({}) references {}{to}",
                k.from.join(", "),
                k.to_table
            );
            (k.table, k.name, definition)
        })
        .collect()
}

/// Whitespace runs as one space, for comparing definitions written by people.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every difference between `expected` (what the migrations build) and `actual` (the
/// database), tables first, in name order.
pub(crate) fn compare(expected: &Schema, actual: &Schema) -> Vec<Difference> {
    let mut out = Vec::new();
    for name in actual.tables.keys() {
        if !expected.tables.contains_key(name) {
            out.push(Difference::new(Change::Extra, format!("table {name}"), ""));
        }
    }
    for (name, want) in &expected.tables {
        let Some(have) = actual.tables.get(name) else {
            out.push(Difference::new(
                Change::Missing,
                format!("table {name}"),
                "",
            ));
            continue;
        };
        compare_table(name, want, have, &mut out);
    }
    out.sort_by_key(|d| object_order(&d.object));
    named(
        "view",
        &expected.views,
        &actual.views,
        |_, _| "its definition differs".to_owned(),
        &mut out,
    );
    let set = |s: &BTreeSet<String>| s.iter().map(|n| (n.clone(), String::new())).collect();
    named(
        "sequence",
        &set(&expected.sequences),
        &set(&actual.sequences),
        |_, _| String::new(),
        &mut out,
    );
    named(
        "type",
        &expected.types,
        &actual.types,
        |a, b| format!("enum ({a}) -> enum ({b})"),
        &mut out,
    );
    named(
        "function",
        &set(&expected.functions),
        &set(&actual.functions),
        |_, _| String::new(),
        &mut out,
    );
    out
}

/// Sorts a table's differences after the table's own line, by table then kind.
fn object_order(object: &str) -> (String, u8, String) {
    let (kind, rest) = object.split_once(' ').unwrap_or((object, ""));
    let table = match kind {
        "table" => rest,
        "column" => rest.split('.').next().unwrap_or(""),
        _ => rest
            .rsplit_once(" on ")
            .map(|(_, table)| table)
            .or_else(|| rest.strip_prefix("on "))
            .unwrap_or(""),
    }
    .to_owned();
    let rank = match kind {
        "table" => 0,
        "column" => 1,
        "index" => 3,
        _ => 2,
    };
    (table, rank, object.to_owned())
}

/// Differences of things compared by name: `changed(a, b)` says how one differs.
fn named(
    kind: &str,
    expected: &BTreeMap<String, String>,
    actual: &BTreeMap<String, String>,
    changed: impl Fn(&str, &str) -> String,
    out: &mut Vec<Difference>,
) {
    for (name, have) in actual {
        match expected.get(name) {
            None => out.push(Difference::new(
                Change::Extra,
                format!("{kind} {name}"),
                one_side(kind, have),
            )),
            Some(want) if want != have => {
                out.push(Difference::new(
                    Change::Changed,
                    format!("{kind} {name}"),
                    changed(want, have),
                ));
            }
            Some(_) => {}
        }
    }
    for (name, want) in expected {
        if !actual.contains_key(name) {
            out.push(Difference::new(
                Change::Missing,
                format!("{kind} {name}"),
                one_side(kind, want),
            ));
        }
    }
}

/// What follows the name of something on one side only: an enum's labels; a view's
/// definition is left out (it can be long).
fn one_side(kind: &str, definition: &str) -> String {
    match kind {
        "type" => format!("enum ({definition})"),
        "view" => String::new(),
        _ => definition.to_owned(),
    }
}

fn compare_table(name: &str, want: &Table, have: &Table, out: &mut Vec<Difference>) {
    for column in &have.columns {
        if !want.columns.iter().any(|c| c.name == column.name) {
            out.push(Difference::new(
                Change::Extra,
                format!("column {name}.{}", column.name),
                describe(column),
            ));
        }
    }
    for column in &want.columns {
        let Some(other) = have.columns.iter().find(|c| c.name == column.name) else {
            out.push(Difference::new(
                Change::Missing,
                format!("column {name}.{}", column.name),
                describe(column),
            ));
            continue;
        };
        let mut how = Vec::new();
        if column.data_type != other.data_type {
            how.push(format!("{} -> {}", column.data_type, other.data_type));
        }
        if column.nullable != other.nullable {
            let null = |n: bool| if n { "null" } else { "not null" };
            how.push(format!(
                "{} -> {}",
                null(column.nullable),
                null(other.nullable)
            ));
        }
        if column.default != other.default {
            let default = |d: &Option<String>| {
                d.as_ref()
                    .map_or_else(|| "no default".to_owned(), |d| format!("default {d}"))
            };
            how.push(format!(
                "{} -> {}",
                default(&column.default),
                default(&other.default)
            ));
        }
        if !how.is_empty() {
            out.push(Difference::new(
                Change::Changed,
                format!("column {name}.{}", column.name),
                how.join(", "),
            ));
        }
    }
    // SQLite's constraints have no names.
    let constraint = |named: &str| match named {
        "" => format!("constraint on {name}"),
        named => format!("constraint {named} on {name}"),
    };
    for (definition, named) in &have.constraints {
        if !want.constraints.contains_key(definition) {
            out.push(Difference::new(
                Change::Extra,
                constraint(named),
                definition.clone(),
            ));
        }
    }
    for (definition, named) in &want.constraints {
        if !have.constraints.contains_key(definition) {
            out.push(Difference::new(
                Change::Missing,
                constraint(named),
                definition.clone(),
            ));
        }
    }
    for (index, definition) in &have.indexes {
        match want.indexes.get(index) {
            None => out.push(Difference::new(
                Change::Extra,
                format!("index {index} on {name}"),
                definition.clone(),
            )),
            Some(theirs) if theirs != definition => out.push(Difference::new(
                Change::Changed,
                format!("index {index} on {name}"),
                format!("{theirs} -> {definition}"),
            )),
            Some(_) => {}
        }
    }
    for (index, definition) in &want.indexes {
        if !have.indexes.contains_key(index) {
            out.push(Difference::new(
                Change::Missing,
                format!("index {index} on {name}"),
                definition.clone(),
            ));
        }
    }
}

fn describe(column: &Column) -> String {
    let mut text = column.data_type.clone();
    if !column.nullable {
        text.push_str(" not null");
    }
    if let Some(default) = &column.default {
        text.push_str(" default ");
        text.push_str(default);
    }
    text
}
