//! Build-script helper: make cargo rebuild when a migration file is added.
//!
//! `embed_migrations!` makes cargo rebuild when an embedded file is edited, but cargo
//! cannot know that a *new* file appeared in the folder. One line in `build.rs` fixes
//! that:
//!
//! ```text
//! // build.rs
//! fn main() {
//!     migraph::build::watch("migrations");
//! }
//! ```
//!
//! with, in `Cargo.toml` (no default features: the build script needs no database
//! driver):
//!
//! ```toml
//! [build-dependencies]
//! migrations = { version = "0.1", default-features = false }
//! ```

/// Tells cargo to rebuild the crate whenever anything in `dir` (relative to the crate's
/// `Cargo.toml`) is added, removed or changed. Call it from `build.rs`.
///
/// # Examples
///
/// ```no_run
/// migraph::build::watch("migrations");
/// ```
#[allow(clippy::print_stdout, reason = "build scripts talk to cargo on stdout")]
pub fn watch(dir: &str) {
    println!("cargo::rerun-if-changed={dir}");
}
