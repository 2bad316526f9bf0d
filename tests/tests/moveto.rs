//! `to`: one command that moves the database to a revision, up or down, whichever is
//! needed. Forward, backward through revisions this build does not have (an older release
//! rolling the database back), a no-op, and other branches left alone, on every
//! database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use migraph::{Error, Migrations};
use migraph_tests::{Backend, TestDb, migrations_dir, on_every_database};

fn revision(id: &str, parent: &str, extra: &str) -> (String, String) {
    (
        format!("{id}_step.sql"),
        format!(
            "-- revision: {id}\n-- down_revision: {parent}\n{extra}-- migrate:upgrade\nCREATE TABLE t_{id} (id INTEGER);\n-- migrate:downgrade\nDROP TABLE t_{id};\n"
        ),
    )
}

/// The release's folder: the chain up to `last` of a1 b2 c3 d4, and the `other` branch.
fn release(last: usize, extra: &[(String, String)]) -> (tempfile::TempDir, Migrations) {
    let chain = [("a1", "none"), ("b2", "a1"), ("c3", "b2"), ("d4", "c3")];
    let mut files: Vec<(String, String)> = chain[..last]
        .iter()
        .map(|(id, parent)| revision(id, parent, ""))
        .collect();
    files.push(revision("x1", "none", "-- branch_labels: other\n"));
    files.extend(extra.iter().cloned());
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let dir = migrations_dir(&named);
    let m = Migrations::from_dir(dir.path()).unwrap();
    (dir, m)
}

async fn current<DB: Backend>(m: &Migrations, db: &TestDb<DB>) -> Vec<String> {
    let mut ids: Vec<String> = m
        .runner()
        .applied(&db.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.revision)
        .collect();
    ids.sort();
    ids
}

async fn moves_forward_back_and_stays<DB: Backend>(db: &TestDb<DB>) {
    let (_new_dir, new) = release(4, &[]);
    let (_old_dir, old) = release(2, &[]);
    // Forward from nothing, the other branch too.
    assert_eq!(
        new.runner().to(&db.pool, "d4").await.unwrap().revisions(),
        ["a1", "b2", "c3", "d4"]
    );
    new.runner().to(&db.pool, "other@head").await.unwrap();
    // Already there: nothing runs.
    assert!(
        new.runner()
            .to(&db.pool, "d4")
            .await
            .unwrap()
            .steps
            .is_empty()
    );
    // The older release goes back to its newest revision through the two it does not
    // have, with their stored SQL, children first; the other branch stays.
    let report = old.runner().to(&db.pool, "b2").await.unwrap();
    assert_eq!(report.revisions(), ["d4", "c3"]);
    assert!(!DB::table_exists(&db.pool, "t_d4").await && !DB::table_exists(&db.pool, "t_c3").await);
    assert_eq!(current(&old, db).await, ["a1", "b2", "x1"]);
    assert!(
        old.runner()
            .to(&db.pool, "b2")
            .await
            .unwrap()
            .steps
            .is_empty()
    );
    // The newer one forward again, part of the way, then back to a1.
    assert_eq!(
        new.runner().to(&db.pool, "c3").await.unwrap().revisions(),
        ["c3"]
    );
    assert_eq!(
        new.runner().to(&db.pool, "a1").await.unwrap().revisions(),
        ["c3", "b2"]
    );
    assert_eq!(current(&new, db).await, ["a1", "x1"]);
    assert!(DB::table_exists(&db.pool, "t_x1").await);
    // A relative target counts from the database's revisions, as in Alembic.
    assert_eq!(
        new.runner().to(&db.pool, "a1+1").await.unwrap().revisions(),
        ["b2"]
    );
}

/// A revision this build does not have on another branch is not `to`'s to undo: the run
/// is refused with nothing changed.
async fn an_unknown_revision_on_another_branch_is_refused<DB: Backend>(db: &TestDb<DB>) {
    let elsewhere = [revision("y1", "x1", "")];
    let (_new_dir, new) = release(3, &elsewhere);
    let (_old_dir, old) = release(2, &[]);
    new.runner().upgrade(&db.pool, "heads").await.unwrap();
    let before = current(&new, db).await;
    let err = old.runner().to(&db.pool, "a1").await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownApplied { revisions } if revisions == &["y1".to_owned()]),
        "{err}"
    );
    assert_eq!(current(&new, db).await, before);
    assert!(DB::table_exists(&db.pool, "t_c3").await);
    // Several revisions are not one place to go.
    let err = new.runner().to(&db.pool, "heads").await.unwrap_err();
    assert!(matches!(err, Error::MoveTo { .. }), "{err}");
    // To base, everything goes, unknown or not.
    let report = old.runner().to(&db.pool, "base").await.unwrap();
    assert_eq!(report.revisions().len(), before.len());
    assert!(current(&old, db).await.is_empty());
}

on_every_database!(
    moves_forward_back_and_stays,
    an_unknown_revision_on_another_branch_is_refused
);
