//! One error story: each error either quotes its cause or returns it from `source()`,
//! never both, so a report that walks the chain (as anyhow and eyre print it) says each
//! thing once. On SQLite, no server needed.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::error::Error as _;

use migraph::{Error, Migrations};
use migraph_tests::migrations_dir;

/// The chain as anyhow's `{:#}` prints it, after checking that no message repeats one
/// printed before it.
fn chain(e: &Error) -> String {
    let mut printed = vec![e.to_string()];
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        for earlier in &printed {
            assert!(
                !earlier.contains(&text),
                "`{text}` is printed twice in the chain of `{e}`"
            );
        }
        printed.push(text);
        next = cause.source();
    }
    printed.join(": ")
}

#[tokio::test]
async fn no_error_in_a_chain_repeats_its_cause() {
    let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
    let broken = migrations_dir(&[(
        "a1_x.sql",
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nINSERT INTO nowhere VALUES (1);\n",
    )]);
    let m = Migrations::from_dir(broken.path()).unwrap();

    let execute = m.upgrade(&pool, "head").await.unwrap_err();
    assert!(matches!(execute, Error::Execute { .. }));
    assert!(chain(&execute).contains("no such table: nowhere"));

    let session = m
        .runner()
        .session_sql(["PRAGMA nonsense("])
        .upgrade(&pool, "head")
        .await
        .unwrap_err();
    assert!(matches!(session, Error::Session { .. }), "{session}");
    let text = chain(&session);
    assert!(
        text.contains("session SQL `PRAGMA nonsense(` failed"),
        "{text}"
    );

    let plan = m.upgrade(&pool, "nope").await.unwrap_err();
    assert!(matches!(plan, Error::Plan(_)));
    assert!(chain(&plan).contains("no revision or branch label `nope`"));

    pool.close().await;
    let database = m.upgrade(&pool, "head").await.unwrap_err();
    assert!(matches!(database, Error::Database(_)), "{database}");
    chain(&database);

    let bad = migrations_dir(&[("a1_x.sql", "-- revison: a1\n")]);
    let load = Error::from(Migrations::from_dir(bad.path()).unwrap_err());
    assert!(matches!(load, Error::Load(_)));
    assert!(chain(&load).contains("unknown header key `revison`"));
}
