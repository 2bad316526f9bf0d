//! The commands that write files: `init` (templates and `migraph.toml`), `revision`
//! and `merge`.

use std::io::Write;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use migraph_core::{Directory, LoadOptions};

use super::{CliError, Outcome};

/// The revision ids a target names (`heads` names several).
pub(super) fn resolve(loaded: &Directory, text: &str) -> Result<Vec<String>, CliError> {
    let graph = &loaded.graph;
    Ok(super::commands::revisions_of(graph, text)?
        .into_iter()
        .map(|i| graph.id(i).to_owned())
        .collect())
}

/// The parents of a new revision: the single head, or `--head`.
pub(super) fn revision_parents(
    loaded: &Directory,
    head: Option<&str>,
    splice: bool,
) -> Result<Vec<String>, CliError> {
    let graph = &loaded.graph;
    let heads: Vec<&str> = graph.heads().iter().map(|&h| graph.id(h)).collect();
    let Some(head) = head else {
        return match heads.as_slice() {
            [] => Ok(Vec::new()),
            [h] => Ok(vec![(*h).to_owned()]),
            many => Err(CliError(format!(
                "there are several heads ({}): pass --head to say which one the new revision follows, or join them first with `migraph merge -m \"merge heads\" heads`",
                many.join(", ")
            ))),
        };
    };
    if head == "base" {
        return Ok(Vec::new());
    }
    let ids = resolve(loaded, head)?;
    for id in &ids {
        if !splice && !heads.contains(&id.as_str()) {
            return Err(CliError(format!(
                "`{id}` is not a head; pass --splice to start a branch from it"
            )));
        }
    }
    Ok(ids)
}

/// A fresh 12-hex revision id, or the one given (checked).
pub(super) fn new_id(given: Option<&str>) -> Result<String, CliError> {
    if let Some(id) = given {
        if !migraph_core::is_valid_name(id) {
            return Err(CliError(format!(
                "invalid revision id `{id}`: use 1 to 64 letters, digits or `_`"
            )));
        }
        return Ok(id.to_owned());
    }
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seed = format!(
        "{nanos}/{}/{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    Ok(migraph_core::checksum(&seed)[..12].to_owned())
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub(super) fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub(super) struct Header<'a> {
    pub(super) id: String,
    pub(super) down: Vec<String>,
    pub(super) message: &'a str,
    pub(super) labels: &'a [String],
    pub(super) depends_on: &'a [String],
}

/// Writes `<id>_<slug>.sql`, then loads the directory again: a file that breaks the graph
/// is removed and the problem reported.
pub(super) fn write_revision(
    dir: &Path,
    h: &Header<'_>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let mut text = format!(
        "-- revision: {}\n-- down_revision: {}\n-- message: {}\n-- created: {}\n",
        h.id,
        if h.down.is_empty() {
            "none".to_owned()
        } else {
            h.down.join(", ")
        },
        h.message.replace('\n', " "),
        now_utc()
    );
    if !h.labels.is_empty() {
        text += &format!("-- branch_labels: {}\n", h.labels.join(", "));
    }
    if !h.depends_on.is_empty() {
        text += &format!("-- depends_on: {}\n", h.depends_on.join(", "));
    }
    text += "\n-- migrate:upgrade\n\n\n-- migrate:downgrade\n\n";
    let path = write_checked(dir, &h.id, h.message, &text, "the new revision")?;
    writeln!(out, "{}", path.display())?;
    Ok(Outcome::Done)
}

/// Writes revision `id`'s file `text` into `dir`, then loads the folder: when that fails,
/// the file is removed again and the error says that `what` would break the graph.
fn write_checked(
    dir: &Path,
    id: &str,
    message: &str,
    text: &str,
    what: &str,
) -> Result<PathBuf, CliError> {
    let path = dir.join(format!("{id}_{}.sql", migraph_core::import::slug(message)));
    if path.exists() {
        return Err(CliError(format!("{} exists already", path.display())));
    }
    std::fs::write(&path, text)
        .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))?;
    if let Err(e) = load(dir) {
        let _ = std::fs::remove_file(&path);
        return Err(CliError(format!(
            "{what} would break the graph, so it was not written: {e}"
        )));
    }
    Ok(path)
}

/// Writes template `name` into `dir`, which must not exist or be empty.
pub(super) fn init(dir: &Path, name: &str, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let Some(template) = TEMPLATES.get_dir(name) else {
        let names: Vec<String> = TEMPLATES
            .dirs()
            .map(|d| d.path().display().to_string())
            .collect();
        return Err(CliError(format!(
            "no template `{name}`: the templates are {}",
            names.join(", ")
        )));
    };
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(CliError(format!(
            "{} exists and is not empty; choose a new folder",
            dir.display()
        )));
    }
    let project = dir
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            n.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .filter(|n| n.starts_with(|c: char| c.is_ascii_alphabetic()))
        .unwrap_or_else(|| "app".to_owned());
    let revision = new_id(None)?;
    let created = now_utc();
    let mut written = 0;
    for file in all_files(template) {
        let relative = file.path().strip_prefix(name).unwrap_or(file.path());
        if relative == Path::new("ABOUT") {
            continue;
        }
        let relative = relative.to_string_lossy().replace("REVISION", &revision);
        let relative = relative
            .strip_suffix(".template")
            .unwrap_or(&relative)
            .to_owned();
        let target = dir.join(&relative);
        let contents = String::from_utf8_lossy(file.contents())
            .replace("{{revision}}", &revision)
            .replace("{{created}}", &created)
            .replace("{{name}}", &project)
            .replace("{{version}}", env!("CARGO_PKG_VERSION"));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&target, contents)
            .map_err(|e| CliError(format!("cannot write {}: {e}", target.display())))?;
        writeln!(out, "created {}", target.display())?;
        written += 1;
    }
    writeln!(out, "{written} files from template `{name}`")?;
    write_config(dir, name == "app", out)?;
    Ok(Outcome::Done)
}

/// Writes a commented `migraph.toml`: inside an application's folder, or next to a
/// migrations folder (in the folder that holds it). An existing one is kept.
pub(super) fn write_config(dir: &Path, app: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let (path, directory) = if app {
        (dir.join(super::CONFIG_FILE), "migrations".to_owned())
    } else {
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty());
        let name = dir
            .file_name()
            .map_or_else(|| "migrations".into(), |n| n.to_string_lossy().into_owned());
        (
            parent.map_or_else(
                || PathBuf::from(super::CONFIG_FILE),
                |p| p.join(super::CONFIG_FILE),
            ),
            name,
        )
    };
    if path.exists() {
        writeln!(out, "kept the existing {}", path.display())?;
        return Ok(());
    }
    let text = super::config::TEMPLATE.replace("{{directory}}", &directory);
    std::fs::write(&path, text)
        .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))?;
    writeln!(
        out,
        "created {} (settings; flags override them)",
        path.display()
    )?;
    Ok(())
}

pub(super) fn all_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<&include_dir::File<'a>> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(all_files(sub));
    }
    files.sort_by_key(|f| f.path());
    files
}

/// The project templates `init` writes, one folder each.
pub(super) static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Loads the folder, every head allowed (the graph rules apply, not the build's).
pub(super) fn load(dir: &Path) -> Result<Directory, CliError> {
    Directory::load(
        dir,
        &dir.display().to_string(),
        LoadOptions::multiple_heads(),
    )
    .map_err(one_line)
}

/// Every problem of a directory, one line each.
pub(super) fn one_line(problems: migraph_core::Diagnostics) -> CliError {
    CliError(
        problems
            .into_vec()
            .iter()
            .map(migraph_core::Diagnostic::one_line)
            .collect::<Vec<_>>()
            .join("\nerror: "),
    )
}

/// `squash FROM:TO`: one revision standing for the linear run from FROM to TO, their
/// upgrades in order and (when all have one) their downgrades in reverse, written next to
/// them with `replaces:`; checked by loading the folder, and removed again if that fails.
pub(super) fn write_squash(
    dir: &Path,
    range: &str,
    message: &str,
    rev_id: Option<&str>,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let loaded = load(dir)?;
    let graph = &loaded.graph;
    let (from, to) = range.split_once(':').ok_or_else(|| {
        CliError(format!(
            "`{range}`: give the run to squash as FROM:TO, e.g. a1:c3"
        ))
    })?;
    let one = |text: &str| -> Result<migraph_core::RevIndex, CliError> {
        match super::commands::revisions_of(graph, text)?.as_slice() {
            [i] => Ok(*i),
            _ => Err(CliError(format!("`{text}` is not one revision"))),
        }
    };
    let (first, last) = (one(from)?, one(to)?);
    // From TO down to FROM, one parent at a time.
    let mut run = vec![last];
    let mut at = last;
    while at != first {
        match graph.parents(at) {
            [parent] => {
                at = *parent;
                run.push(at);
            }
            _ => {
                return Err(CliError(format!(
                    "`{}` is not reached from `{}` by single parents: squash a linear run (no merge inside it)",
                    graph.id(first),
                    graph.id(last)
                )));
            }
        }
    }
    run.reverse();
    if run.len() < 2 {
        return Err(CliError(
            "a squash replaces two or more revisions".to_owned(),
        ));
    }
    let files: Vec<&migraph_core::SourceFile> =
        run.iter().map(|&i| &loaded.files[i.index()]).collect();
    if let Some(f) = files.iter().find(|f| f.migration.is_rust()) {
        return Err(CliError(format!(
            "{} is written in Rust; a squash is one SQL file",
            f.display
        )));
    }
    let id = new_id(rev_id)?;
    let ids: Vec<&str> = files.iter().map(|f| f.migration.revision()).collect();
    let parents = files[0].migration.down_revisions();
    let mut text = format!(
        "-- revision: {id}\n-- down_revision: {}\n-- message: {}\n-- created: {}\n-- replaces: {}\n",
        if parents.is_empty() {
            "none".to_owned()
        } else {
            parents.join(", ")
        },
        message.replace('\n', " "),
        now_utc(),
        ids.join(", ")
    );
    if files.iter().any(|f| !f.migration.transactional()) {
        text += "-- transaction: false\n";
    }
    // Each section ends with `;`, so that the next one's first statement starts anew.
    let section = |m: &migraph_core::Migration, sql: &str| {
        let mut part = format!("\n-- from {}: {}\n{}", m.revision(), m.message(), sql);
        if !sql.trim_end().ends_with(';') {
            part += "\n;";
        }
        part + "\n"
    };
    text += "\n-- migrate:upgrade\n";
    for f in &files {
        text += &section(&f.migration, f.migration.upgrade_sql());
    }
    if files.iter().all(|f| f.migration.downgrade_sql().is_some()) {
        text += "\n-- migrate:downgrade\n";
        for f in files.iter().rev() {
            text += &section(
                &f.migration,
                f.migration.downgrade_sql().unwrap_or_default(),
            );
        }
    }
    let path = write_checked(dir, &id, message, &text, "the squash")?;
    writeln!(
        out,
        "{}\nreplaces {}; databases where they are applied record the squash at their next upgrade, those part-way through finish them first. Their files may be deleted once every database has upgraded past them.",
        path.display(),
        ids.join(", ")
    )?;
    Ok(Outcome::Done)
}
