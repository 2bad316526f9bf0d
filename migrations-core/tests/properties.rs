//! Properties of plans on random revision graphs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use migraph_core::{Graph, Migration, RevIndex, RevSet, Target, plan};
use proptest::prelude::*;

/// A random DAG: revision `i` has up to two parents and at most one `depends_on` among the
/// revisions before it (file-name order is index order).
fn dag() -> impl Strategy<Value = Vec<(Vec<usize>, Option<usize>)>> {
    (1usize..40).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                let parents = if i == 0 {
                    Just(Vec::new()).boxed()
                } else {
                    proptest::collection::btree_set(0..i, 0..=2)
                        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
                        .boxed()
                };
                let dep = if i == 0 {
                    Just(None).boxed()
                } else {
                    proptest::option::weighted(0.2, 0..i).boxed()
                };
                (parents, dep)
            })
            .collect::<Vec<_>>()
    })
}

fn build(spec: &[(Vec<usize>, Option<usize>)]) -> Graph {
    let migrations: Vec<Migration> = spec
        .iter()
        .enumerate()
        .map(|(i, (parents, dep))| {
            let down = if parents.is_empty() {
                "none".to_owned()
            } else {
                parents
                    .iter()
                    .map(|p| format!("r{p:03}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let dep = dep
                .filter(|d| !parents.contains(d))
                .map(|d| format!("-- depends_on: r{d:03}\n"))
                .unwrap_or_default();
            let text = format!(
                "-- revision: r{i:03}\n-- down_revision: {down}\n{dep}-- migrate:upgrade\n"
            );
            Migration::parse(&format!("r{i:03}_m.sql"), &text).unwrap()
        })
        .collect();
    Graph::build(&migrations).unwrap()
}

/// Applies `steps` to `applied`, checking each is new and finds what it needs applied.
fn run_upgrade(g: &Graph, applied: &mut RevSet, steps: &[RevIndex]) -> Result<(), TestCaseError> {
    for &s in steps {
        prop_assert!(applied.insert(s), "{} applied twice", g.id(s));
        for &p in g.parents(s).iter().chain(g.depends(s)) {
            prop_assert!(
                applied.contains(p),
                "{} applied before {}, which it needs",
                g.id(s),
                g.id(p)
            );
        }
    }
    Ok(())
}

/// Undoes `steps`, checking each is applied and nothing applied still needs it.
fn run_downgrade(g: &Graph, applied: &mut RevSet, steps: &[RevIndex]) -> Result<(), TestCaseError> {
    for &s in steps {
        prop_assert!(applied.contains(s), "{} undone but not applied", g.id(s));
        for &c in g.children(s).iter().chain(g.dependents(s)) {
            prop_assert!(
                !applied.contains(c),
                "{} undone while {}, which needs it, is applied",
                g.id(s),
                g.id(c)
            );
        }
        applied.remove(s);
    }
    Ok(())
}

fn heads() -> Target {
    Target::heads()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn upgrade_heads_from_empty_applies_every_revision_once_parents_first(spec in dag()) {
        let g = build(&spec);
        let steps = plan::upgrade(&g, &RevSet::empty(&g), &heads()).unwrap();
        let mut applied = RevSet::empty(&g);
        run_upgrade(&g, &mut applied, &steps)?;
        prop_assert_eq!(applied.len(), g.len());
        prop_assert_eq!(steps.len(), g.len());
    }

    #[test]
    fn downgrade_base_undoes_everything_children_first(spec in dag()) {
        let g = build(&spec);
        let mut applied = RevSet::all(&g);
        let steps = plan::downgrade(&g, &applied, &Target::base()).unwrap();
        run_downgrade(&g, &mut applied, &steps)?;
        prop_assert!(applied.is_empty());
        prop_assert_eq!(steps.len(), g.len());
    }

    #[test]
    fn upgrade_then_downgrade_back_restores_the_applied_set(spec in dag(), r in any::<prop::sample::Index>(), t in any::<prop::sample::Index>()) {
        let g = build(&spec);
        let r = g.revision_at(r.index(g.len())).unwrap();
        let start = g.ancestors(&[r]);
        let mut applied = start.clone();
        let target = Target::revision(g.id(g.revision_at(t.index(g.len())).unwrap()));
        let steps = plan::upgrade(&g, &applied, &target).unwrap();
        run_upgrade(&g, &mut applied, &steps)?;
        let back = plan::downgrade(&g, &applied, &Target::revision(g.id(r))).unwrap();
        run_downgrade(&g, &mut applied, &back)?;
        // Everything the upgrade added that descends from r is gone again; what it added on
        // branches r does not lead to stays, as the target needed it.
        // Undone: what descends, along down_revision links, from r's children, and what
        // depends on that; a revision that only depends on r itself stays.
        let below_r = g.descendants(g.children(r));
        for i in g.revisions() {
            let expected = start.contains(i) || (steps.contains(&i) && !below_r.contains(i));
            prop_assert_eq!(applied.contains(i), expected, "{}", g.id(i));
        }
        // And from base, upgrade then downgrade base restores the empty set exactly.
        let mut applied = RevSet::empty(&g);
        let steps = plan::upgrade(&g, &applied, &target).unwrap();
        run_upgrade(&g, &mut applied, &steps)?;
        let steps = plan::downgrade(&g, &applied, &Target::base()).unwrap();
        run_downgrade(&g, &mut applied, &steps)?;
        prop_assert!(applied.is_empty());
    }

    #[test]
    fn stamp_records_what_upgrade_applies(spec in dag(), t in any::<prop::sample::Index>()) {
        let g = build(&spec);
        let target = Target::revision(g.id(g.revision_at(t.index(g.len())).unwrap()));
        let empty = RevSet::empty(&g);
        let upgrade = plan::upgrade(&g, &empty, &target).unwrap();
        let stamp = plan::stamp(&g, &empty, std::slice::from_ref(&target)).unwrap();
        prop_assert_eq!(&stamp.insert, &upgrade);
        prop_assert!(stamp.delete.is_empty());
    }
}
