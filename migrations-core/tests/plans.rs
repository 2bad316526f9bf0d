//! Upgrade, downgrade, stamp and history plans on hand-made graphs, with Alembic's meaning.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ALL, applied, branched, forked, graph, ids};
use migraph_core::{Graph, PlanError, RevSet, Target, TargetError, plan};

fn t(s: &str) -> Target {
    s.parse().unwrap()
}

fn up(g: &Graph, current: &[&str], target: &str) -> Result<Vec<String>, PlanError> {
    plan::upgrade(g, &applied(g, current), &t(target)).map(|p| ids(g, &p))
}

fn down(g: &Graph, current: &[&str], target: &str) -> Result<Vec<String>, PlanError> {
    plan::downgrade(g, &applied(g, current), &t(target)).map(|p| ids(g, &p))
}

/// The applied set after stamping `targets` on `current`, in file order.
fn stamp(g: &Graph, current: &[&str], targets: &[&str]) -> Result<Vec<String>, PlanError> {
    let mut set = applied(g, current);
    let targets: Vec<Target> = targets.iter().map(|s| t(s)).collect();
    let p = plan::stamp(g, &set, &targets)?;
    for i in p.insert {
        assert!(set.insert(i), "{} inserted twice", g.id(i));
    }
    for i in p.delete {
        assert!(set.remove(i), "{} deleted but not applied", g.id(i));
    }
    Ok(set.iter().map(|i| g.id(i).to_owned()).collect())
}

fn history(g: &Graph, current: Option<&[&str]>, range: &str) -> Result<Vec<String>, PlanError> {
    let set = current.map(|c| applied(g, c));
    plan::history(g, set.as_ref(), range).map(|p| ids(g, &p))
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

/// Issue point 7: a target that is applied, with a descendant applied too, needs nothing.
#[test]
fn upgrade_to_a_revision_behind_current_does_nothing() {
    let (_, g) = graph(&["r1", "r2 <- r1", "r3 <- r2"]);
    assert!(up(&g, &["r1", "r2"], "r1").unwrap().is_empty());
    assert!(up(&g, &["r1", "r2"], "r3-2").unwrap().is_empty());
}

#[test]
fn upgrade_refuses_a_branch_base() {
    assert!(matches!(
        up(&branched(), &[], "left@base").unwrap_err(),
        PlanError::WrongCommand { .. }
    ));
}

/// Issue point 6: a relative step that cannot take its steps is an error, never a no-op.
#[test]
fn a_relative_step_that_runs_out_is_an_error() {
    let (_, g) = graph(&["r1", "r2 <- r1", "r3 <- r2"]);
    let too_few = |r: Result<Vec<String>, PlanError>| match r {
        Err(PlanError::Target(e @ TargetError::TooFewSteps { .. })) => e.to_string(),
        other => panic!("expected too few steps, got {other:?}"),
    };
    let text = too_few(up(&g, &["r1", "r2"], "-2"));
    assert!(text.contains("`-2` didn't produce 2 migrations"), "{text}");
    too_few(up(&g, &["r1", "r2"], "-1"));
    too_few(up(&g, &["r1", "r2"], "+2"));
    too_few(up(&g, &[], "+4"));
    too_few(down(&g, &["r1", "r2"], "+1"));
    too_few(down(&g, &["r1", "r2"], "-3"));
    too_few(down(&g, &[], "-1"));
    assert_eq!(up(&g, &["r1", "r2"], "+1").unwrap(), ["r3"]);
    assert_eq!(down(&g, &["r1", "r2"], "-2").unwrap(), ["r2", "r1"]);
}

/// Issue point 1: a revision that only depends on the target stays.
#[test]
fn downgrade_keeps_revisions_that_only_depend_on_the_target() {
    let (_, g) = graph(&["a1", "a2 <- a1", "b1 dep=a1"]);
    assert_eq!(up(&g, &[], "heads").unwrap(), ["a1", "a2", "b1"]);
    assert_eq!(down(&g, &["a1", "a2", "b1"], "a1").unwrap(), ["a2"]);
    // What depends on a revision being undone goes with it.
    let (_, g) = graph(&["a1", "a2 <- a1", "b1 dep=a2"]);
    assert_eq!(down(&g, &["a1", "a2", "b1"], "a1").unwrap(), ["b1", "a2"]);
}

/// Issue point 2: `label@-N` reaching the branch's base undoes that branch only.
#[test]
fn a_branch_walk_to_base_undoes_only_that_branch() {
    let (_, g) = graph(&["x1 label=x", "y1 label=y"]);
    assert_eq!(down(&g, &["x1", "y1"], "x@-1").unwrap(), ["x1"]);
    assert_eq!(down(&g, &["x1", "y1"], "y@-1").unwrap(), ["y1"]);
    assert_eq!(down(&g, &["x1", "y1"], "x@base").unwrap(), ["x1"]);
    assert_eq!(down(&g, &["x1", "y1"], "base").unwrap(), ["y1", "x1"]);
    let (_, g) = graph(&["x1 label=x", "x2 <- x1", "y1 label=y", "y2 <- y1"]);
    let all = ["x1", "x2", "y1", "y2"];
    assert_eq!(down(&g, &all, "x@-2").unwrap(), ["x2", "x1"]);
    assert_eq!(down(&g, &all, "y@-1").unwrap(), ["y2"]);
    assert!(matches!(
        down(&g, &all, "x@-3").unwrap_err(),
        PlanError::Target(TargetError::TooFewSteps { .. })
    ));
}

#[test]
fn a_branch_scoped_downgrade_stays_on_its_branch() {
    let g = forked();
    assert_eq!(down(&g, ALL, "left@-1").unwrap(), ["q1"]);
    assert_eq!(down(&g, ALL, "left@-2").unwrap(), ["q1", "p1"]);
    assert_eq!(down(&g, ALL, "left@s").unwrap(), ["q1", "p1"]);
    assert_eq!(down(&g, ALL, "q2@s").unwrap(), ["q2", "p2"]);
    // Unscoped, the branch point's children all go.
    assert_eq!(down(&g, ALL, "s").unwrap(), ["q2", "q1", "p2", "p1"]);
    // Below the branch point, both branches stand on what is undone.
    assert_eq!(
        down(&g, ALL, "left@-3").unwrap(),
        ["q2", "q1", "p2", "p1", "s"]
    );
    // `label@base`: the branch back to where it forks, never the shared trunk.
    assert_eq!(down(&g, ALL, "left@base").unwrap(), ["q1", "p1"]);
    assert_eq!(down(&g, ALL, "q2@base").unwrap(), ["q2", "p2"]);
}

/// Issue point 8: `-1` with several current heads is refused, naming what works.
#[test]
fn downgrade_minus_one_with_several_heads_names_the_forms_that_work() {
    let err = down(&forked(), ALL, "-1").unwrap_err();
    assert!(matches!(
        err,
        PlanError::Target(TargetError::SeveralCurrent { .. })
    ));
    let text = err.to_string();
    assert!(
        text.contains("`left@-1`, `right@-1`, `q1-1`, `q2-1`"),
        "{text}"
    );
    assert_eq!(down(&forked(), ALL, "q1-1").unwrap(), ["q1"]);
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
    assert_eq!(down(&g, &["a1", "b1", "c1", "c2"], "-1").unwrap(), ["c2"]);
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

/// Issue point 3: stamp moves only the heads on the target's line.
#[test]
fn stamp_moves_only_the_heads_on_the_targets_line() {
    let (_, g) = graph(&[
        "a",
        "b1 <- a label=l1",
        "b2 <- a label=l2",
        "c1 <- b1",
        "c2 <- b2",
    ]);
    let at = stamp(&g, &[], &["c1", "b2"]).unwrap();
    assert_eq!(at, ["a", "b1", "b2", "c1"]);
    let at_refs: Vec<&str> = at.iter().map(String::as_str).collect();
    assert_eq!(
        stamp(&g, &at_refs, &["l2@head"]).unwrap(),
        ["a", "b1", "b2", "c1", "c2"]
    );
    let all = ["a", "b1", "b2", "c1", "c2"];
    assert_eq!(stamp(&g, &all, &["l1@base"]).unwrap(), ["a", "b2", "c2"]);
    assert_eq!(stamp(&g, &all, &["b1"]).unwrap(), ["a", "b1", "b2", "c2"]);
    assert_eq!(stamp(&g, &all, &["a"]).unwrap(), ["a"]);
    assert_eq!(stamp(&g, &all, &["base"]).unwrap(), Vec::<String>::new());
    assert_eq!(stamp(&g, &["a"], &["l1@head"]).unwrap(), ["a", "b1", "c1"]);
    assert_eq!(
        stamp(&g, &[], &["heads"]).unwrap(),
        ["a", "b1", "b2", "c1", "c2"]
    );
}

#[test]
fn stamp_on_a_branched_graph_with_dependencies() {
    let g = branched();
    // c2 is not on d2's line (d2 needs c1, not c2): its head stays.
    assert_eq!(
        stamp(&g, &["a1", "b1", "c1", "c2"], &["d2"]).unwrap(),
        ["a1", "b1", "c1", "c2", "d1", "d2"]
    );
    // d2 depends on c1: stamping c1 replaces the head d2 too, as Alembic does.
    assert_eq!(
        stamp(&g, &["a1", "b1", "c1", "c2", "d1", "d2"], &["c1"]).unwrap(),
        ["a1", "b1", "c1"]
    );
    assert_eq!(stamp(&g, &["a1"], &["base"]).unwrap(), Vec::<String>::new());
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

/// Issue point 5: history ranges as Alembic reads them.
#[test]
fn history_ranges() {
    let (_, g) = graph(&["r1", "r2 <- r1", "r3 <- r2"]);
    let h = |range: &str| history(&g, None, range).unwrap();
    assert_eq!(h("r1:r2"), ["r2", "r1"]);
    assert_eq!(h("r1:+2"), ["r3", "r2", "r1"]);
    assert_eq!(h("-2:r3"), ["r3", "r2", "r1"]);
    assert_eq!(h("-5:r3"), ["r3", "r2", "r1"]);
    assert_eq!(h("r2:+5"), ["r3", "r2"]);
    assert_eq!(h(":r2"), ["r2", "r1"]);
    assert_eq!(h("r1:"), ["r3", "r2", "r1"]);
    assert_eq!(h("base:head"), ["r3", "r2", "r1"]);
    assert_eq!(h("r2:r2"), ["r2"]);
    assert_eq!(
        history(&g, Some(&["r1", "r2"]), "current:").unwrap(),
        ["r3", "r2"]
    );
    assert_eq!(
        history(&g, Some(&["r1", "r2"]), ":current").unwrap(),
        ["r2", "r1"]
    );
    for (range, reason) in [
        ("current:", "database"),
        ("r3:r1", "not an ancestor"),
        ("r1", "A:B"),
        ("-1:+1", "one end"),
    ] {
        let err = history(&g, None, range).unwrap_err();
        assert!(
            matches!(&err, PlanError::Range { .. }) && err.to_string().contains(reason),
            "{range}: {err}"
        );
    }
}

#[test]
fn history_ranges_on_branches_and_merges() {
    let (_, g) = graph(&[
        "j <- m2 n2",
        "m1 <- r1 label=m",
        "m2 <- m1",
        "n1 <- r1 label=n",
        "n2 <- n1",
        "r1",
    ]);
    let h = |range: &str| history(&g, None, range).unwrap();
    // Only the revisions between the ends, not every ancestor of `j`.
    assert_eq!(h("m1:j"), ["j", "m2", "m1"]);
    assert_eq!(h("r1:j"), ["j", "n2", "n1", "m2", "m1", "r1"]);
    assert_eq!(h("m@base:m2"), ["m2", "m1", "r1"]);
    assert_eq!(h("n@base:n@head"), ["j", "n2", "n1", "m2", "m1", "r1"]);
    assert!(history(&g, None, "m2:n2").is_err());
}

#[test]
fn an_applied_set_of_another_graph_is_an_error_not_a_panic() {
    let g = branched();
    let (_, other) = graph(&["x", "y <- x"]);
    let short = RevSet::all(&other);
    for result in [
        plan::upgrade(&g, &short, &t("heads")).map(|_| ()),
        plan::downgrade(&g, &short, &t("base")).map(|_| ()),
        plan::stamp(&g, &short, &[t("heads")]).map(|_| ()),
        plan::history(&g, Some(&short), "current:").map(|_| ()),
    ] {
        assert!(
            matches!(
                result,
                Err(PlanError::Target(TargetError::AppliedSetMismatch {
                    expected: 6,
                    got: 2
                }))
            ),
            "{result:?}"
        );
    }
}
