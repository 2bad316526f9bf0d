//! How `embed_migrations!` stores a folder in the binary: the files' text as one string
//! the compiler builds from them (`concat!` of an `include_str!` per file), one string of
//! what is in no file (file names, derived values), and one byte string, the table, that
//! says how many revisions there are and, for each, how long its file is, where each of
//! its fields lies (LEB128 numbers, mostly one byte each) and its checksum (32 bytes).
//! Three literals, whatever the number of revisions: cheap for the compiler to check and
//! to generate, where a struct literal per revision costs it time in proportion to their
//! number. Beyond the files this is about 67 bytes a revision: the checksum's 32, the
//! file name, about 20 of numbers. Decoded once, at run time, into [`Migration`]s that
//! borrow the static text; [`at_head`] and [`file_names`] read it in place.

use std::borrow::Cow;

use crate::file::{Migration, StaticParts};

/// Flags of a revision in the table.
const TRANSACTION: u32 = 1;
const RUST: u32 = 2;
const DOWNGRADE: u32 = 4;
/// The checksum is 32 bytes in the table (else a string, which only a checksum that is
/// not a SHA-256 in lowercase hex would need).
const RAW_CHECKSUM: u32 = 8;

/// Appends `n` as an unsigned LEB128 number: seven bits a byte, low bits first, the high
/// bit set on every byte but the last. Offsets and lengths are mostly small, so most take
/// one or two bytes.
fn put(mut n: u32, table: &mut Vec<u8>) {
    while n >= 0x80 {
        table.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    table.push(n as u8);
}

/// What [`encode`] makes of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Where each field of each revision is, and the checksums.
    pub table: Vec<u8>,
    /// The strings that are in no file, one after another in the order the table reads
    /// them.
    pub extra: String,
}

/// Flags of the whole folder, after the number of revisions.
const SINGLE_HEAD: u32 = 1;
const SQUASHES: u32 = 2;

/// The table and the extra string for `files`: each migration with the text of its file,
/// in the order their texts are concatenated. `single_head` says that the graph has one
/// head, which `upgrade head` at start-up can then be decided with (see [`at_head`]).
///
/// # Examples
///
/// ```
/// use migraph_core::{Migration, embedded};
///
/// let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n";
/// let m = Migration::parse("a1_t.sql", text)?;
/// let encoded = embedded::encode(&[(text, &m)], true);
/// let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
/// let table: &'static [u8] = Box::leak(encoded.table.into_boxed_slice());
/// let extra: &'static str = Box::leak(encoded.extra.into_boxed_str());
/// let back = embedded::decode(text, table, extra)?;
/// assert_eq!(back[0].upgrade_sql(), m.upgrade_sql());
/// assert_eq!(back[0].checksum(), m.checksum());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode(files: &[(&str, &Migration)], single_head: bool) -> Encoded {
    let mut table = Vec::new();
    let mut extra = String::new();
    // How many revisions (the decoder allocates for them at once), then the folder's flags.
    put(to_u32(files.len()), &mut table);
    let squashes = files.iter().any(|(_, m)| !m.replaces().is_empty());
    put(
        (u32::from(single_head) * SINGLE_HEAD) | (u32::from(squashes) * SQUASHES),
        &mut table,
    );
    for (text, m) in files {
        // A string of the file: its start in the file, shifted left, and its length; or
        // one of the extra string: its length, shifted left, with the low bit set (the
        // decoder reads the extra string in order, so it needs no start).
        let mut string = |s: &str, table: &mut Vec<u8>| match text.find(s) {
            Some(at) if !s.is_empty() => {
                put(to_u32(at) << 1, table);
                put(to_u32(s.len()), table);
            }
            _ => {
                extra.push_str(s);
                put(to_u32(s.len()) << 1 | 1, table);
            }
        };
        put(to_u32(text.len()), &mut table);
        let raw = raw_checksum(m.checksum());
        let flags = [
            (m.transactional(), TRANSACTION),
            (m.is_rust(), RUST),
            (m.downgrade_sql().is_some(), DOWNGRADE),
            (raw.is_some(), RAW_CHECKSUM),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |all, (_, flag)| all | flag);
        put(flags, &mut table);
        match raw {
            Some(bytes) => table.extend_from_slice(&bytes),
            None => string(m.checksum(), &mut table),
        }
        for field in [
            m.revision(),
            m.message(),
            m.created(),
            m.file_name(),
            m.upgrade_sql(),
        ] {
            string(field, &mut table);
        }
        if let Some(sql) = m.downgrade_sql() {
            string(sql, &mut table);
        }
        put(to_u32(m.upgrade_line()), &mut table);
        put(to_u32(m.downgrade_line()), &mut table);
        for list in [
            m.down_revisions(),
            m.branch_labels(),
            m.depends_on(),
            m.replaces(),
        ] {
            put(to_u32(list.len()), &mut table);
            for name in list.iter() {
                string(name, &mut table);
            }
        }
    }
    Encoded { table, extra }
}

/// The 32 bytes of a checksum in lowercase hex, as [`crate::checksum`] writes it.
fn raw_checksum(hex: &str) -> Option<[u8; 32]> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// The checksum's text back from its 32 bytes.
fn hex(bytes: &[u8]) -> String {
    hex_digits(bytes).iter().map(|&d| char::from(d)).collect()
}

/// The lowercase hex digits of a checksum's 32 bytes (or of fewer, followed by zeros).
fn hex_digits(bytes: &[u8]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
    out
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Reads the table, field by field.
struct Reader {
    table: &'static [u8],
    at: usize,
    extra: &'static str,
    /// Where the next string of `extra` starts.
    extra_at: usize,
}

/// The unsigned LEB128 number (see [`put`]) at `at` in `table`; `at` moves past it.
fn number(table: &[u8], at: &mut usize) -> Result<u32, String> {
    let mut n: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *table
            .get(*at)
            .ok_or("the embedded migrations' table ends early")?;
        *at += 1;
        n |= u32::from(byte & 0x7f)
            .checked_shl(shift)
            .ok_or("a number too large in the embedded table")?;
        if byte & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err("a number too large in the embedded table".to_owned())
}

/// One revision as the table has it, borrowing the text.
struct Entry {
    checksum: Checksum,
    revision: &'static str,
    message: &'static str,
    created: &'static str,
    file_name: &'static str,
    upgrade: &'static str,
    downgrade: Option<&'static str>,
    upgrade_line: u32,
    downgrade_line: u32,
    flags: u32,
}

/// A checksum as the table keeps it.
enum Checksum {
    Raw(&'static [u8]),
    Text(&'static str),
}

impl Checksum {
    /// Whether it is the checksum written as `hex`, as the version table records it.
    fn is(&self, hex: &str) -> bool {
        match self {
            // Compared as text: a start at head compares every row's, and this is a table
            // lookup and one comparison where decoding the row's hex branches on each digit.
            Checksum::Raw(bytes) => hex.as_bytes() == hex_digits(bytes),
            Checksum::Text(text) => *text == hex,
        }
    }
}

impl Reader {
    /// The table's start: the number of revisions and the folder's flags.
    fn start(table: &'static [u8], extra: &'static str) -> Result<(Self, usize, u32), String> {
        let mut r = Reader {
            table,
            at: 0,
            extra,
            extra_at: 0,
        };
        let count = r.number()? as usize;
        let flags = r.number()?;
        Ok((r, count, flags))
    }

    /// An unsigned LEB128 number (see [`put`]).
    fn number(&mut self) -> Result<u32, String> {
        number(self.table, &mut self.at)
    }

    /// `n` bytes as they are.
    fn bytes(&mut self, n: usize) -> Result<&'static [u8], String> {
        let out = self
            .table
            .get(self.at..self.at + n)
            .ok_or("the embedded migrations' table ends early")?;
        self.at += n;
        Ok(out)
    }

    /// A string of `file` (the revision's file) or the next one of the extra string.
    fn string(&mut self, file: &'static str) -> Result<&'static str, String> {
        let n = self.number()? as usize;
        let (from, start, len) = if n & 1 == 1 {
            let start = self.extra_at;
            self.extra_at += n >> 1;
            (self.extra, start, n >> 1)
        } else {
            (file, n >> 1, self.number()? as usize)
        };
        from.get(start..start + len)
            .ok_or_else(|| "a field outside its text in the embedded table".to_owned())
    }

    /// The next revision of `file`; its lists go to `lists`, or are skipped without one.
    fn entry(
        &mut self,
        file: &'static str,
        mut lists: Option<&mut [Vec<Cow<'static, str>>; 4]>,
    ) -> Result<Entry, String> {
        let flags = self.number()?;
        let checksum = if flags & RAW_CHECKSUM != 0 {
            Checksum::Raw(self.bytes(32)?)
        } else {
            Checksum::Text(self.string(file)?)
        };
        let entry = Entry {
            checksum,
            revision: self.string(file)?,
            message: self.string(file)?,
            created: self.string(file)?,
            file_name: self.string(file)?,
            upgrade: self.string(file)?,
            downgrade: if flags & DOWNGRADE != 0 {
                Some(self.string(file)?)
            } else {
                None
            },
            upgrade_line: self.number()?,
            downgrade_line: self.number()?,
            flags,
        };
        for k in 0..4 {
            for _ in 0..self.number()? {
                let name = self.string(file)?;
                if let Some(lists) = lists.as_deref_mut() {
                    lists[k].push(Cow::Borrowed(name));
                }
            }
        }
        Ok(entry)
    }

    /// The file of the next revision, from `text` at `*at`.
    fn file(&mut self, text: &'static str, at: &mut usize) -> Result<&'static str, String> {
        let len = self.number()? as usize;
        let file = text
            .get(*at..*at + len)
            .ok_or("a file outside the embedded text")?;
        *at += len;
        Ok(file)
    }

    /// Checks that the table, the text and the extra string were all read.
    fn finish(&self, text: &str, file_at: usize) -> Result<(), String> {
        if self.at != self.table.len() {
            return Err("the embedded migrations' table is longer than its revisions".to_owned());
        }
        if file_at != text.len() {
            return Err("the embedded text is longer than its table says".to_owned());
        }
        if self.extra_at != self.extra.len() {
            return Err("the embedded extra text is longer than its table says".to_owned());
        }
        Ok(())
    }
}

/// Whether `applied` (revision and checksum of each row of a version table, all applied)
/// are exactly the stored revisions, each with its checksum, and the folder has no squash,
/// and, unless `any_head`, a single head: then `upgrade head` (or `heads`) has nothing to
/// do. Read without decoding anything or allocating: what a service's start-up at head
/// needs. `applied` must be sorted by revision.
///
/// # Errors
///
/// As [`decode`].
///
/// # Examples
///
/// ```
/// use migraph_core::{Migration, embedded};
///
/// let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n";
/// let m = Migration::parse("a1_t.sql", text)?;
/// let encoded = embedded::encode(&[(text, &m)], true);
/// let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
/// let table: &'static [u8] = Box::leak(encoded.table.into_boxed_slice());
/// let extra: &'static str = Box::leak(encoded.extra.into_boxed_str());
/// assert!(embedded::at_head(text, table, extra, &[("a1", m.checksum())], false)?);
/// assert!(!embedded::at_head(text, table, extra, &[("a1", "0")], false)?);
/// assert!(!embedded::at_head(text, table, extra, &[], false)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn at_head(
    text: &'static str,
    table: &'static [u8],
    extra: &'static str,
    applied: &[(&str, &str)],
    any_head: bool,
) -> Result<bool, String> {
    let (mut r, count, flags) = Reader::start(table, extra)?;
    if count != applied.len() || flags & SQUASHES != 0 || !(any_head || flags & SINGLE_HEAD != 0) {
        return Ok(false);
    }
    let mut file_at = 0;
    // Where the last revision was found, plus one: files are usually named in the order of
    // their revisions, so the next one is usually there, and found with one comparison.
    let mut next = 0;
    for _ in 0..count {
        let file = r.file(text, &mut file_at)?;
        let entry = r.entry(file, None)?;
        let at = match applied.get(next) {
            Some((revision, _)) if *revision == entry.revision => Ok(next),
            _ => applied.binary_search_by(|(revision, _)| (*revision).cmp(entry.revision)),
        };
        let Ok(at) = at else {
            return Ok(false);
        };
        if !entry.checksum.is(applied[at].1) {
            return Ok(false);
        }
        next = at + 1;
    }
    r.finish(text, file_at)?;
    Ok(true)
}

/// How many revisions `table` stores, squashed ones included, read without decoding
/// them; 0 for a table that cannot be read.
///
/// # Examples
///
/// ```
/// use migraph_core::{Migration, embedded};
///
/// let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n";
/// let m = Migration::parse("a1_t.sql", text)?;
/// let stored = embedded::encode(&[(text, &m)], true);
/// assert_eq!(embedded::count(&stored.table), 1);
/// assert_eq!(embedded::count(&[]), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn count(table: &[u8]) -> usize {
    number(table, &mut 0).map_or(0, |n| n as usize)
}

/// The file names of every stored revision, squashed ones included, without decoding
/// them.
///
/// # Errors
///
/// As [`decode`].
pub fn file_names(
    text: &'static str,
    table: &'static [u8],
    extra: &'static str,
) -> Result<Vec<&'static str>, String> {
    let (mut r, count, _) = Reader::start(table, extra)?;
    let mut names = Vec::with_capacity(count.min(table.len()));
    let mut file_at = 0;
    for _ in 0..count {
        let file = r.file(text, &mut file_at)?;
        names.push(r.entry(file, None)?.file_name);
    }
    r.finish(text, file_at)?;
    Ok(names)
}

/// The migrations [`encode`] stored: `text` is the files' texts one after another.
///
/// # Errors
///
/// A table that does not match the text (not one `embed_migrations!` wrote, or a file
/// that changed between the macro's reading and the compiler's).
pub fn decode(
    text: &'static str,
    table: &'static [u8],
    extra: &'static str,
) -> Result<Vec<Migration>, String> {
    let (mut r, count, _) = Reader::start(table, extra)?;
    // At most a revision per byte of the table: a damaged count cannot ask for more.
    let mut out = Vec::with_capacity(count.min(table.len()));
    let mut file_at = 0;
    for _ in 0..count {
        let file = r.file(text, &mut file_at)?;
        let mut lists: [Vec<Cow<'static, str>>; 4] = Default::default();
        let e = r.entry(file, Some(&mut lists))?;
        let [down_revisions, branch_labels, depends_on, replaces] = lists;
        let parts = StaticParts {
            revision: e.revision,
            down_revisions: &[],
            branch_labels: &[],
            depends_on: &[],
            message: e.message,
            created: e.created,
            file_name: e.file_name,
            upgrade: e.upgrade,
            downgrade: e.downgrade,
            upgrade_line: e.upgrade_line as usize,
            downgrade_line: e.downgrade_line as usize,
            transaction: e.flags & TRANSACTION != 0,
            checksum: "",
            rust: e.flags & RUST != 0,
        };
        let checksum = match e.checksum {
            Checksum::Raw(bytes) => Cow::Owned(hex(bytes)),
            Checksum::Text(text) => Cow::Borrowed(text),
        };
        out.push(
            Migration::from_static(parts)
                .with_names(down_revisions, branch_labels, depends_on)
                .with_replaces(replaces)
                .with_checksum(checksum),
        );
    }
    r.finish(text, file_at)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn leak<T: ?Sized>(b: Box<T>) -> &'static T {
        Box::leak(b)
    }

    /// What [`encode`] makes of `files`, as static as the macro's literals.
    fn stored(files: &[(&str, &Migration)], single_head: bool) -> (&'static [u8], &'static str) {
        let Encoded { table, extra } = encode(files, single_head);
        (leak(table.into_boxed_slice()), leak(extra.into_boxed_str()))
    }

    #[test]
    fn numbers_of_every_size_read_back() {
        let mut table = Vec::new();
        let numbers = [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 21, u32::MAX];
        for n in numbers {
            put(n, &mut table);
        }
        let mut r = Reader {
            table: leak(table.into_boxed_slice()),
            at: 0,
            extra: "",
            extra_at: 0,
        };
        for n in numbers {
            assert_eq!(r.number().unwrap(), n);
        }
        assert!(r.number().is_err());
    }

    #[test]
    fn at_head_only_with_the_exact_set_and_its_checksums() {
        let texts = [
            "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
            "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nCREATE TABLE u (id INT);\n",
        ];
        let parsed: Vec<Migration> = texts
            .iter()
            .zip(["a1_t.sql", "b2_u.sql"])
            .map(|(t, n)| Migration::parse(n, t).unwrap())
            .collect();
        let pairs: Vec<(&str, &Migration)> = texts.iter().copied().zip(&parsed).collect();
        let text: &'static str = leak(texts.concat().into_boxed_str());
        let (a, b) = (parsed[0].checksum(), parsed[1].checksum());
        for single_head in [true, false] {
            let (table, extra) = stored(&pairs, single_head);
            let check = |rows: &[(&str, &str)], any_head| {
                at_head(text, table, extra, rows, any_head).unwrap()
            };
            assert!(check(&[("a1", a), ("b2", b)], true));
            assert_eq!(check(&[("a1", a), ("b2", b)], false), single_head);
            // A changed file, a missing row, an unknown row: the full check decides.
            assert!(!check(&[("a1", a), ("b2", a)], true));
            assert!(!check(&[("a1", a)], true));
            assert!(!check(&[("a1", a), ("b2", b), ("c3", b)], true));
            assert!(!check(&[("a1", a), ("c3", b)], true));
        }
        // Files stored in another order than their revisions sort in (`a10_x.sql` comes
        // before `a1_y.sql`): each is found all the same.
        let reversed: Vec<(&str, &Migration)> = pairs.iter().rev().copied().collect();
        let text: &'static str = leak(
            texts
                .iter()
                .rev()
                .copied()
                .collect::<String>()
                .into_boxed_str(),
        );
        let (table, extra) = stored(&reversed, true);
        assert!(at_head(text, table, extra, &[("a1", a), ("b2", b)], false).unwrap());
        assert!(!at_head(text, table, extra, &[("a1", b), ("b2", b)], false).unwrap());
        // A folder with a squash is never decided this way.
        let squash = Migration::parse(
            "s1_t.sql",
            "-- revision: s1\n-- down_revision: none\n-- replaces: a1\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n",
        )
        .unwrap();
        let s1 = "-- revision: s1\n-- down_revision: none\n-- replaces: a1\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n";
        let (table, extra) = stored(&[(s1, &squash)], true);
        assert!(!at_head(s1, table, extra, &[("s1", squash.checksum())], true).unwrap());
        assert_eq!(file_names(s1, table, extra).unwrap(), ["s1_t.sql"]);
    }

    #[test]
    fn checksums_travel_as_their_bytes() {
        let sum = crate::checksum("SELECT 1;");
        let raw = raw_checksum(&sum).unwrap();
        assert_eq!(hex(&raw), sum);
        assert_eq!(raw_checksum("abc"), None);
        assert_eq!(raw_checksum(&sum.to_uppercase()), None);
    }

    #[test]
    fn every_field_reads_back_and_a_bad_table_is_an_error() {
        let texts = [
            "-- revision: a1\n-- down_revision: none\n-- message: first\n-- created: 2024-01-05T10:15:00Z\n-- branch_labels: main\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n-- migrate:downgrade\nDROP TABLE t;\n",
            "-- revision: b2\n-- down_revision: a1\n-- depends_on: a1\n-- transaction: false\n-- migrate:upgrade\n\nCREATE INDEX i ON t (id);\r\n",
        ];
        let parsed: Vec<Migration> = texts
            .iter()
            .zip(["a1_first.sql", "b2_index.sql"])
            .map(|(t, n)| Migration::parse(n, t).unwrap())
            .collect();
        let pairs: Vec<(&str, &Migration)> = texts.iter().copied().zip(&parsed).collect();
        let (table, extra) = stored(&pairs, false);
        let text: &'static str = leak(texts.concat().into_boxed_str());
        let back = decode(text, table, extra).unwrap();
        assert_eq!(back, parsed);
        // Nothing is left owned but the checksums.
        assert!(std::ptr::eq(
            back[0].upgrade_sql().as_ptr(),
            &text.as_bytes()[text.find("CREATE TABLE").unwrap()]
        ));
        assert!(decode(text, &table[..table.len() - 1], extra).is_err());
        assert!(decode(&text[..text.len() - 1], table, extra).is_err());
        assert!(decode(text, table, &extra[1..]).is_err());
    }
}
