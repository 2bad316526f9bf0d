//! Switching from another tool: its migrations folder written out as migraph files, one
//! revision per migration, the SQL unchanged. The command line's `migraph import`; the
//! database side is [`crate::Migrator::adopt`] (`migraph adopt`).

use std::path::{Path, PathBuf};

use migraph_core::{Diagnostic, Diagnostics, Directory, LoadOptions};

pub use migraph_core::import::{AlembicSql, Import, NewFile, Tool, import as read, slug};

/// What [`write()`] did.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Written {
    /// The files written.
    pub written: Vec<PathBuf>,
    /// The files that were there already with the same text (an import run again).
    pub unchanged: Vec<PathBuf>,
}

/// Writes `imported`'s files into `dest` (created if missing), then checks the folder as
/// `embed_migrations!` would. A file already there with other text is an error unless
/// `force`; one with the same text is left alone, so importing again is harmless. When
/// the folder fails the checks, the files this call wrote are removed again.
///
/// # Errors
///
/// Files that exist with other text (nothing is written then); a file that cannot be
/// written; the folder's problems after writing, each naming its file and line.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use migraph::import::{Tool, read, write};
///
/// let src = tempfile::tempdir()?;
/// std::fs::create_dir(src.path().join("2024-01-01-000000_create_users"))?;
/// std::fs::write(src.path().join("2024-01-01-000000_create_users/up.sql"), "CREATE TABLE users (id INT);\n")?;
/// std::fs::write(src.path().join("2024-01-01-000000_create_users/down.sql"), "DROP TABLE users;\n")?;
/// let dest = tempfile::tempdir()?;
/// let imported = read(Tool::Diesel, src.path(), None)?;
/// let done = write(&imported, dest.path(), false)?;
/// assert_eq!(done.written.len(), 1);
/// assert!(dest.path().join("20240101000000_create_users.sql").exists());
/// # Ok(()) }
/// ```
pub fn write(imported: &Import, dest: &Path, force: bool) -> Result<Written, Diagnostics> {
    let at = |path: &Path| path.display().to_string();
    let mut conflicts = Vec::new();
    let mut done = Written::default();
    let mut todo = Vec::new();
    for file in &imported.files {
        let path = dest.join(&file.name);
        match std::fs::read_to_string(&path) {
            Ok(text) if text == file.text => done.unchanged.push(path),
            Ok(_) if !force => conflicts.push(
                Diagnostic::new(format!(
                    "exists already with other text (imported from {})",
                    file.source.display()
                ))
                .at(at(&path), 0)
                .with_help("move it away, or pass --force to overwrite it"),
            ),
            _ => todo.push((path, file)),
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts.into());
    }
    std::fs::create_dir_all(dest).map_err(|e| {
        Diagnostics::from(vec![
            Diagnostic::new(format!("cannot create the folder: {e}")).at(at(dest), 0),
        ])
    })?;
    for (path, file) in todo {
        if let Err(e) = std::fs::write(&path, &file.text) {
            undo(&done.written);
            return Err(
                vec![Diagnostic::new(format!("cannot write: {e}")).at(at(&path), 0)].into(),
            );
        }
        done.written.push(path);
    }
    if let Err(problems) = Directory::load(dest, &at(dest), LoadOptions::default()) {
        undo(&done.written);
        return Err(problems);
    }
    Ok(done)
}

fn undo(written: &[PathBuf]) {
    for path in written {
        let _ = std::fs::remove_file(path);
    }
}
