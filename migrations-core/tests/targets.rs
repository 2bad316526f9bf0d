//! The whole target grammar, table-driven: every form on and off branches, with and
//! without dependencies, each row asserting the revisions it resolves to or the kind of
//! error it gives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ALL, applied, branched, forked, graph, ids};
use migraph_core::{Anchor, Graph, Target, TargetError};

/// What a row expects: the ids resolved (`base of X` for `X@base`), or an error kind.
#[derive(Debug, PartialEq)]
enum Want {
    Ok(Vec<&'static str>),
    Err(&'static str),
}

use Want::{Err as E, Ok as R};

fn kind(e: &TargetError) -> &'static str {
    match e {
        TargetError::Syntax { .. } => "syntax",
        TargetError::Unknown { .. } => "unknown",
        TargetError::Ambiguous { .. } => "ambiguous",
        TargetError::MultipleHeads { .. } => "multiple heads",
        TargetError::NotOnBranch { .. } => "not on branch",
        TargetError::WalkedTooFar { .. } => "walked too far",
        TargetError::TooFewSteps { .. } => "too few steps",
        TargetError::Fork { .. } => "fork",
        TargetError::SeveralCurrent { .. } => "several current",
        _ => "other",
    }
}

fn resolve(g: &Graph, target: &str, current: &[&str]) -> Result<Vec<String>, TargetError> {
    let t: Target = target.parse()?;
    let r = t.resolve(g, &applied(g, current))?;
    if r.branch_base {
        return Ok(vec![format!("base of {}", g.id(r.branch.unwrap()))]);
    }
    Ok(ids(g, &r.revisions))
}

fn check(g: &Graph, current: &[&str], rows: &[(&str, Want)]) {
    for (target, want) in rows {
        let got = match resolve(g, target, current) {
            Ok(revs) => format!("{revs:?}"),
            Err(e) => format!("error: {}", kind(&e)),
        };
        let expected = match want {
            Want::Ok(revs) => format!("{revs:?}"),
            Want::Err(k) => format!("error: {k}"),
        };
        assert_eq!(got, expected, "`{target}` with {current:?} applied");
    }
}

#[test]
fn absolute_forms_on_a_forked_graph() {
    check(
        &forked(),
        ALL,
        &[
            ("base", R(vec![])),
            ("heads", R(vec!["q1", "q2"])),
            ("head", E("multiple heads")),
            ("s", R(vec!["s"])),
            ("left", R(vec!["p1"])),
            ("left@head", R(vec!["q1"])),
            ("right@head", R(vec!["q2"])),
            ("left@heads", R(vec!["q1"])),
            ("left@base", R(vec!["base of p1"])),
            // Any ancestor or descendant of the labelled revision is on its branch,
            // the branch point and the root below the label included.
            ("left@s", R(vec!["s"])),
            ("left@r", R(vec!["r"])),
            ("left@q1", R(vec!["q1"])),
            ("left@p2", E("not on branch")),
            ("right@q1", E("not on branch")),
            // A revision before `@` names its own branch.
            ("q1@s", R(vec!["s"])),
            ("p1@head", R(vec!["q1"])),
            ("q2@base", R(vec!["base of q2"])),
            ("q2@p1", E("not on branch")),
            ("nope@head", E("unknown")),
            ("left@nope", E("unknown")),
        ],
    );
}

#[test]
fn relative_forms_from_an_anchor() {
    check(
        &forked(),
        ALL,
        &[
            ("left@head-1", R(vec!["p1"])),
            ("left@head-2", R(vec!["s"])),
            ("right@base+1", R(vec!["r"])),
            ("right@base+2", R(vec!["s"])),
            // Up through the fork, a branch-scoped walk takes its own branch.
            ("right@base+3", R(vec!["p2"])),
            ("left@base+4", R(vec!["q1"])),
            ("left@base+5", E("walked too far")),
            ("base+3", E("fork")),
            ("base-1", E("walked too far")),
            ("left@s+1", R(vec!["p1"])),
            ("s+1", E("fork")),
            ("p1-1", R(vec!["s"])),
            ("q1-3", R(vec!["r"])),
            ("q1-4", R(vec![])),
            ("q1-5", E("walked too far")),
            ("q1+1", E("walked too far")),
            ("head-1", E("multiple heads")),
        ],
    );
}

#[test]
fn relative_forms_from_the_current_revision() {
    let g = forked();
    check(
        &g,
        ALL,
        &[
            ("-1", E("several current")),
            ("+1", E("several current")),
            ("left@-1", R(vec!["p1"])),
            ("right@-2", R(vec!["s"])),
            ("right@-4", R(vec![])),
            ("right@-5", E("too few steps")),
            ("left@+1", E("too few steps")),
        ],
    );
    check(
        &g,
        &["r", "s"],
        &[
            ("+1", E("fork")),
            ("left@+1", R(vec!["p1"])),
            ("left@+2", R(vec!["q1"])),
            ("left@+3", E("too few steps")),
            ("-1", R(vec!["r"])),
            ("-2", R(vec![])),
            ("-3", E("too few steps")),
        ],
    );
    // Nothing of `left` applied, `right` applied: `left@+1` starts from the trunk.
    check(
        &g,
        &["r", "s", "p2", "q2"],
        &[("left@+1", R(vec!["p1"])), ("left@-1", R(vec!["r"]))],
    );
    check(
        &g,
        &[],
        &[
            ("+1", R(vec!["r"])),
            ("+2", R(vec!["s"])),
            ("-1", E("too few steps")),
            ("left@+3", R(vec!["p1"])),
        ],
    );
}

#[test]
fn single_head_forms() {
    let (_, g) = graph(&["r1", "r2 <- r1", "r3 <- r2"]);
    check(
        &g,
        &["r1", "r2"],
        &[
            ("head", R(vec!["r3"])),
            ("head-1", R(vec!["r2"])),
            ("head-2", R(vec!["r1"])),
            ("head-3", R(vec![])),
            ("head-4", E("walked too far")),
            ("head+1", E("walked too far")),
            ("base+1", R(vec!["r1"])),
            ("base+2", R(vec!["r2"])),
            ("base+4", E("walked too far")),
            ("+1", R(vec!["r3"])),
            ("+2", E("too few steps")),
            ("-1", R(vec!["r1"])),
            ("-2", R(vec![])),
            ("-3", E("too few steps")),
            ("r1+2", R(vec!["r3"])),
        ],
    );
}

/// Ids and labels longer than 3 characters match by a unique prefix; shorter ones only in
/// full; a branch scope narrows the candidates to that branch.
#[test]
fn prefixes() {
    let (_, g) = graph(&[
        "abc <- feat1aaa",
        "feat1aaa <- root0000 label=leftside",
        "feat1bbb <- root0000 label=rightside",
        "root0000",
    ]);
    check(
        &g,
        &[],
        &[
            ("abc", R(vec!["abc"])),
            ("ab", E("unknown")),
            ("a", E("unknown")),
            ("root", R(vec!["root0000"])),
            ("feat1", E("ambiguous")),
            ("feat1a", R(vec!["feat1aaa"])),
            ("leftside@feat1", R(vec!["feat1aaa"])),
            ("rightside@feat1", R(vec!["feat1bbb"])),
            ("rightside@feat1a", E("unknown")),
            // A unique prefix of a label resolves like the label.
            ("leftsi", R(vec!["feat1aaa"])),
            ("rights@head", R(vec!["feat1bbb"])),
            ("lef", R(vec!["feat1aaa"])),
            // A revision prefix names a branch too.
            ("feat1a@head", R(vec!["abc"])),
        ],
    );
}

#[test]
fn dependencies() {
    // y1000 is a root that depends on x1000: x1000 is a head only as y1000's dependency.
    let (_, g) = graph(&["x1000", "y1000 dep=x1000", "z1000 <- x1000 dep=y1000"]);
    // `head` counts heads along down_revision links, as Alembic does.
    check(
        &g,
        &[],
        &[("heads", R(vec!["z1000"])), ("head", E("multiple heads"))],
    );
    let (_, g) = graph(&["x1000", "y1000 dep=x1000"]);
    check(
        &g,
        &[],
        &[
            ("heads", R(vec!["y1000"])),
            ("head", E("multiple heads")),
            // Lineage follows down_revision links only: x1000 is not on y1000's line.
            ("y1000@x1000", E("not on branch")),
        ],
    );
}

#[test]
fn dependencies_do_not_put_a_revision_on_a_branch() {
    // d2 (right) depends on c1 (left).
    check(
        &branched(),
        &["a1", "b1", "c1", "c2", "d1", "d2"],
        &[
            ("right@head", R(vec!["d2"])),
            ("left@d2", E("not on branch")),
            ("right@c1", E("not on branch")),
            ("right@b1", R(vec!["b1"])),
            ("heads", R(vec!["c2", "d2"])),
            ("left@-2", R(vec!["b1"])),
        ],
    );
}

#[test]
fn a_step_down_from_a_merge_lands_on_all_its_parents() {
    let (_, g) = graph(&["a", "b <- a", "c <- a", "d <- b c"]);
    check(
        &g,
        &["a", "b", "c", "d"],
        &[
            ("-1", R(vec!["b", "c"])),
            ("d-1", R(vec!["b", "c"])),
            ("d-2", E("fork")),
        ],
    );
}

#[test]
fn several_current_revisions_name_the_forms_that_work() {
    let err = resolve(&forked(), "-1", ALL).unwrap_err();
    let text = err.to_string();
    for form in ["q1, q2", "`left@-1`", "`right@-1`", "`q1-1`", "`q2-1`"] {
        assert!(text.contains(form), "{text} lacks {form}");
    }
}

#[test]
fn unknown_names_suggest_and_explain_short_prefixes() {
    let (_, g) = graph(&["abc", "abcd1234 <- abc label=billing"]);
    let err = resolve(&g, "billin", &[]).unwrap();
    assert_eq!(err, ["abcd1234"]);
    let err = resolve(&g, "bilingg", &[]).unwrap_err();
    assert!(err.to_string().contains("did you mean `billing`"), "{err}");
    let (_, g) = graph(&["abc"]);
    let err = resolve(&g, "ab", &[]).unwrap_err();
    assert!(
        err.to_string().contains("longer than 3 characters"),
        "{err}"
    );
}

#[test]
fn syntax_and_round_trips() {
    for bad in [
        "a b",
        "@head",
        "x@",
        "a+",
        "a+b",
        "+",
        "a-1x",
        "",
        "+0",
        "heads-1",
        "l@heads+1",
    ] {
        assert!(
            matches!(bad.parse::<Target>(), Err(TargetError::Syntax { .. })),
            "{bad:?} parsed"
        );
    }
    for good in [
        "head", "heads", "base", "+3", "-1", "ab+2", "ab-10", "l@head", "l@heads", "l@base",
        "l@ab", "l@+1", "l@-1", "head-1", "base+2", "l@head-1", "l@base+2", "l@ab-1",
    ] {
        let t: Target = good.parse().unwrap();
        assert_eq!(t.to_string(), good);
    }
    let t: Target = "l@-1".parse().unwrap();
    assert_eq!(t.anchor, Anchor::Current);
    assert!(t.is_current_relative());
}
