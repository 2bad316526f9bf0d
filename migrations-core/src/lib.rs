//! The pure core of `migraph`: the migration file format, the revision graph and its
//! rules, target expressions, and upgrade/downgrade/stamp plans.
//!
//! Nothing here is async or talks to a database. The `embed_migrations!` macro uses it at
//! build time, the runtime and the CLI at run time, so a directory is judged the same way
//! everywhere.
//!
//! # Examples
//!
//! ```
//! use migraph_core::{Graph, Migration, RevSet, plan};
//!
//! let a = Migration::parse(
//!     "a1_init.sql",
//!     "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
//! )?;
//! let b = Migration::parse(
//!     "b2_more.sql",
//!     "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nALTER TABLE t ADD x INT;\n",
//! )?;
//! let graph = Graph::build(&[a, b]).expect("a valid graph");
//! let steps = plan::upgrade(&graph, &RevSet::empty(&graph), &"head".parse()?)?;
//! assert_eq!(steps.iter().map(|&i| graph.id(i)).collect::<Vec<_>>(), ["a1", "b2"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod diagnostic;
mod dir;
pub mod embedded;
mod file;
mod graph;
pub mod import;
pub mod lint;
pub mod plan;
mod split;
pub mod squash;
mod target;

pub use diagnostic::{Diagnostic, DiagnosticKind, Diagnostics, did_you_mean};
pub use dir::{Directory, LoadOptions, SourceFile};
pub use file::{
    HEADER_KEYS, HeaderLines, Migration, Names, RESERVED_NAMES, StaticParts, checksum,
    is_valid_name,
};
pub use graph::{Graph, GraphProblem, RevIndex, RevSet};
pub use plan::{PlanError, StampPlan};
pub use split::{
    Dialect, Statement, contains_semicolon, ends_closed, split_statements, with_database,
};
pub use target::{Anchor, Resolved, Target, TargetError, current_heads};
