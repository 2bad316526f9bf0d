//! Upgrade, downgrade and stamp plans on hand-made graphs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{applied, branched, ids};
use migrations_core::{Graph, PlanError, Target, plan};

fn t(s: &str) -> Target {
    s.parse().unwrap()
}

fn up(g: &Graph, current: &[&str], target: &str) -> Result<Vec<String>, PlanError> {
    plan::upgrade(g, &applied(g, current), &t(target)).map(|p| ids(g, &p))
}

fn down(g: &Graph, current: &[&str], target: &str) -> Result<Vec<String>, PlanError> {
    plan::downgrade(g, &applied(g, current), &t(target)).map(|p| ids(g, &p))
}

#[test]
fn upgrade_heads_applies_parents_first_with_file_name_ties() {
    let g = branched();
    assert_eq!(
        up(&g, &[], "heads").unwrap(),
        ["a1", "b1", "c1", "c2", "d1", "d2"]
    );
}

#[test]
fn upgrade_a_branch_leaves_the_other_alone_but_pulls_in_dependencies() {
    let g = branched();
    assert_eq!(up(&g, &[], "left@head").unwrap(), ["a1", "b1", "c1", "c2"]);
    // d2 depends on c1, so c1 comes along; c2 does not.
    assert_eq!(
        up(&g, &["a1", "b1"], "right@head").unwrap(),
        ["c1", "d1", "d2"]
    );
}

#[test]
fn upgrade_to_where_we_are_does_nothing() {
    let g = branched();
    assert!(
        up(&g, &["a1", "b1", "c1", "c2"], "left@head")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn upgrade_to_a_revision_behind_current_says_to_downgrade() {
    let g = branched();
    let err = up(&g, &["a1", "b1", "c1"], "a1").unwrap_err();
    assert!(matches!(&err, PlanError::BehindCurrent { ahead, .. } if ahead == "b1"));
    assert!(err.to_string().contains("downgrade a1"));
}

#[test]
fn upgrade_refuses_a_branch_base() {
    assert!(matches!(
        up(&branched(), &[], "left@base").unwrap_err(),
        PlanError::WrongCommand { .. }
    ));
}

#[test]
fn downgrade_undoes_descendants_children_first_including_dependents() {
    let g = branched();
    let all = ["a1", "b1", "c1", "c2", "d1", "d2"];
    // d2 depends on c1: undoing c1 takes d2 with it, but not d1.
    assert_eq!(down(&g, &all, "b1").unwrap(), ["d2", "d1", "c2", "c1"]);
    assert_eq!(down(&g, &all, "c2").unwrap(), Vec::<String>::new());
    assert_eq!(
        down(&g, &all, "base").unwrap(),
        ["d2", "d1", "c2", "c1", "b1", "a1"]
    );
}

#[test]
fn downgrade_relative_and_branch_base() {
    let g = branched();
    assert_eq!(down(&g, &["a1", "b1", "c1", "c2"], "-1").unwrap(), ["c2"]);
    assert_eq!(
        down(&g, &["a1", "b1", "c1", "c2"], "-2").unwrap(),
        ["c2", "c1"]
    );
    let all = ["a1", "b1", "c1", "c2", "d1", "d2"];
    assert_eq!(down(&g, &all, "right@base").unwrap(), ["d2", "d1"]);
    // left@base takes c1 and c2, and d2, which depends on c1.
    assert_eq!(down(&g, &all, "left@base").unwrap(), ["d2", "c2", "c1"]);
}

#[test]
fn downgrade_to_an_unapplied_revision_is_an_error() {
    let g = branched();
    let err = down(&g, &["a1", "b1"], "c1").unwrap_err();
    assert_eq!(
        err,
        PlanError::NotApplied {
            target: "c1".into(),
            current: "b1".into()
        }
    );
}

#[test]
fn stamp_makes_the_applied_set_exactly_what_the_targets_need() {
    let g = branched();
    let p = plan::stamp(&g, &applied(&g, &["a1", "b1", "c1", "c2"]), &[t("d2")]).unwrap();
    assert_eq!(ids(&g, &p.insert), ["d1", "d2"]);
    assert_eq!(ids(&g, &p.delete), ["c2"]);
    let p = plan::stamp(&g, &applied(&g, &["a1"]), &[t("base")]).unwrap();
    assert_eq!(ids(&g, &p.delete), ["a1"]);
}

#[test]
fn a_target_that_is_an_ancestor_of_another_is_an_error() {
    let g = branched();
    let err = plan::stamp(&g, &applied(&g, &[]), &[t("b1"), t("c2")]).unwrap_err();
    assert_eq!(
        err,
        PlanError::AncestorTarget {
            ancestor: "b1".into(),
            of: "c2".into()
        }
    );
}
