//! Target resolution on hand-made graphs with branches, merges, labels and `depends_on`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{applied, branched, graph, ids};
use migrations_core::{Graph, Resolved, Target, TargetError};

fn resolve(g: &Graph, target: &str, current: &[&str]) -> Result<Vec<String>, TargetError> {
    let t: Target = target.parse()?;
    match t.resolve(g, &applied(g, current))? {
        Resolved::Revisions(r) => Ok(ids(g, &r)),
        Resolved::BranchBase(l) => Ok(vec![format!("base of {}", g.id(l))]),
    }
}

#[test]
fn full_ids_labels_and_unique_prefixes_resolve() {
    let g = branched();
    assert_eq!(resolve(&g, "c2", &[]).unwrap(), ["c2"]);
    assert_eq!(resolve(&g, "left", &[]).unwrap(), ["c1"]);
    assert_eq!(resolve(&g, "a", &[]).unwrap(), ["a1"]);
    assert_eq!(resolve(&g, "base", &[]).unwrap(), Vec::<String>::new());
    assert_eq!(resolve(&g, "heads", &[]).unwrap(), ["c2", "d2"]);
}

#[test]
fn an_ambiguous_prefix_lists_the_candidates() {
    let err = resolve(&branched(), "c", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::Ambiguous {
            prefix: "c".into(),
            candidates: vec!["c1".into(), "c2".into()]
        }
    );
    assert!(err.to_string().contains("c1, c2"));
}

#[test]
fn an_unknown_name_suggests_a_near_match() {
    let err = resolve(&branched(), "lefty", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::Unknown {
            name: "lefty".into(),
            suggestion: Some("left".into())
        }
    );
    let err = resolve(&branched(), "zzzz", &[]).unwrap_err();
    assert!(matches!(
        err,
        TargetError::Unknown {
            suggestion: None,
            ..
        }
    ));
}

#[test]
fn head_with_several_heads_is_an_error_that_suggests_alternatives() {
    let err = resolve(&branched(), "head", &[]).unwrap_err();
    assert!(matches!(&err, TargetError::MultipleHeads { heads, .. } if heads == &["c2", "d2"]));
    let text = err.to_string();
    assert!(text.contains("heads") && text.contains("<label>@head") && text.contains("merge"));
}

#[test]
fn relative_steps_from_current() {
    let g = branched();
    assert_eq!(resolve(&g, "+1", &[]).unwrap(), ["a1"]);
    assert_eq!(resolve(&g, "+2", &[]).unwrap(), ["b1"]);
    assert_eq!(resolve(&g, "+1", &["a1"]).unwrap(), ["b1"]);
    assert_eq!(resolve(&g, "-1", &["a1", "b1"]).unwrap(), ["a1"]);
    assert_eq!(
        resolve(&g, "-2", &["a1", "b1"]).unwrap(),
        Vec::<String>::new()
    );
    assert!(matches!(
        resolve(&g, "-3", &["a1", "b1"]).unwrap_err(),
        TargetError::WalkedTooFar { up: false, .. }
    ));
    assert!(matches!(
        resolve(&g, "-1", &[]).unwrap_err(),
        TargetError::WalkedTooFar { up: false, .. }
    ));
}

#[test]
fn relative_steps_from_a_named_revision() {
    let g = branched();
    assert_eq!(resolve(&g, "c1+1", &[]).unwrap(), ["c2"]);
    assert_eq!(resolve(&g, "c2-2", &[]).unwrap(), ["b1"]);
    assert!(matches!(
        resolve(&g, "c2+1", &[]).unwrap_err(),
        TargetError::WalkedTooFar { up: true, .. }
    ));
}

#[test]
fn a_walk_through_a_fork_is_an_error_naming_the_ways() {
    let err = resolve(&branched(), "b1+1", &[]).unwrap_err();
    assert_eq!(
        err,
        TargetError::Fork {
            target: "b1+1".into(),
            at: "b1".into(),
            up: true,
            options: vec!["c1".into(), "d1".into()]
        }
    );
}

#[test]
fn several_current_revisions_make_a_current_relative_step_ambiguous() {
    let g = branched();
    let err = resolve(&g, "-1", &["a1", "b1", "c1", "d1"]).unwrap_err();
    assert!(
        matches!(&err, TargetError::SeveralCurrent { current, .. } if current == &["c1", "d1"])
    );
    assert!(err.to_string().contains("c1-1"));
}

#[test]
fn branch_positions() {
    let g = branched();
    assert_eq!(resolve(&g, "left@head", &[]).unwrap(), ["c2"]);
    assert_eq!(resolve(&g, "right@head", &[]).unwrap(), ["d2"]);
    assert_eq!(resolve(&g, "left@base", &[]).unwrap(), ["base of c1"]);
    assert_eq!(resolve(&g, "left@c2", &[]).unwrap(), ["c2"]);
    assert_eq!(
        resolve(&g, "left@d1", &[]).unwrap_err(),
        TargetError::NotOnBranch {
            revision: "d1".into(),
            label: "left".into()
        }
    );
    assert_eq!(resolve(&g, "left@+1", &["a1", "b1"]).unwrap(), ["c1"]);
    assert_eq!(resolve(&g, "left@+2", &["a1", "b1"]).unwrap(), ["c2"]);
    assert_eq!(
        resolve(&g, "left@+1", &["a1", "b1", "c1", "d1"]).unwrap(),
        ["c2"]
    );
    assert_eq!(
        resolve(&g, "right@-1", &["a1", "b1", "c1", "d1", "d2"]).unwrap(),
        ["d1"]
    );
    assert!(matches!(
        resolve(&g, "nope@head", &[]).unwrap_err(),
        TargetError::Unknown { .. }
    ));
}

#[test]
fn a_step_down_from_a_merge_lands_on_all_its_parents() {
    let (_, g) = graph(&["a", "b <- a", "c <- a", "d <- b c"]);
    assert_eq!(
        resolve(&g, "-1", &["a", "b", "c", "d"]).unwrap(),
        ["b", "c"]
    );
    assert!(matches!(
        resolve(&g, "d-2", &[]).unwrap_err(),
        TargetError::Fork { up: false, .. }
    ));
}

#[test]
fn syntax_errors_are_reported() {
    for bad in ["a b", "@head", "x@", "a+", "a+b", "+", "a-1x", ""] {
        assert!(
            matches!(bad.parse::<Target>(), Err(TargetError::Syntax { .. })),
            "{bad:?} parsed"
        );
    }
    for good in [
        "head", "heads", "base", "+3", "-1", "ab+2", "ab-10", "l@head", "l@base", "l@ab", "l@+1",
        "l@-1",
    ] {
        let t: Target = good.parse().unwrap();
        assert_eq!(t.to_string(), good);
    }
}
