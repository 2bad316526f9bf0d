//! The quickstart: embeds `./migrations` (checked when this compiles) and brings an SQLite
//! file to head. Run it twice: the second run has nothing to do.
//!
//! ```text
//! cargo run --example quickstart                 # uses ./quickstart.db
//! cargo run --example quickstart -- other.db     # or another file
//! ```

#![allow(clippy::print_stdout, reason = "an example prints what it did")]

use migraph::{Migrations, embed_migrations};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

static MIGRATIONS: Migrations = embed_migrations!("examples/quickstart/migrations");

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "quickstart.db".to_owned());
    let options = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true);
    let pool = SqlitePool::connect_with(options).await?;

    println!("database: {file}");
    println!("embedded: {} revisions", MIGRATIONS.migrations().len());
    let report = MIGRATIONS.upgrade(&pool, "head").await?;
    if report.is_empty() {
        println!("nothing to do: the database is at head");
    }
    for step in &report.steps {
        println!(
            "{} {} ({}) in {:.1?}",
            step.action, step.revision, step.message, step.duration
        );
    }
    for current in MIGRATIONS.current(&pool).await? {
        println!("current: {} ({})", current.revision, current.message);
    }
    let notes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM note")
        .fetch_one(&pool)
        .await?;
    println!("notes in the database: {notes}");
    pool.close().await;
    Ok(())
}
