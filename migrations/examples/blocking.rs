//! A synchronous program migrating its database: no `async`, no tokio in sight.
//!
//! ```sh
//! cargo run -p migraph --features blocking,sqlite --example blocking -- sqlite:app.db
//! ```

#![allow(clippy::print_stdout, reason = "an example prints what it did")]

static MIGRATIONS: migraph::Migrations =
    migraph::embed_migrations!("./examples/quickstart/migrations");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite:blocking-example.db".to_owned());
    let runner = MIGRATIONS.runner();
    let report = migraph::blocking::upgrade(&runner, &url, "head")?;
    for step in &report.steps {
        println!("{} {} {}", step.action, step.revision, step.message);
    }
    let pending = migraph::blocking::check(&runner, &url)?;
    println!("at head: {}", pending.is_empty());
    Ok(())
}
