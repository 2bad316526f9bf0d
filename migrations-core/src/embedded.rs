//! How `embed_migrations!` stores a folder in the binary: the files' text as one string
//! the compiler builds from them (`concat!` of an `include_str!` per file), one string of
//! what is in no file (file names, derived values), and one byte string, the table, that
//! says how many revisions there are and for each how long its file is, where each of its fields lies (LEB128
//! numbers, mostly one byte each) and its checksum (32 bytes). Three literals, whatever
//! the number of revisions: cheap for the compiler to check and to generate, where a
//! struct literal per revision costs it time in proportion to their number, and about
//! 30 bytes per revision beyond the files themselves, half of it the checksum. Decoded
//! once, at run time, into [`Migration`]s that borrow the static text.

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

/// The table and the extra string for `files`: each migration with the text of its file,
/// in the order their texts are concatenated.
///
/// # Examples
///
/// ```
/// use migraph_core::{Migration, embedded};
///
/// let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n";
/// let m = Migration::parse("a1_t.sql", text)?;
/// let encoded = embedded::encode(&[(text, &m)]);
/// let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
/// let table: &'static [u8] = Box::leak(encoded.table.into_boxed_slice());
/// let extra: &'static str = Box::leak(encoded.extra.into_boxed_str());
/// let back = embedded::decode(text, table, extra)?;
/// assert_eq!(back[0].upgrade_sql(), m.upgrade_sql());
/// assert_eq!(back[0].checksum(), m.checksum());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode(files: &[(&str, &Migration)]) -> Encoded {
    let mut table = Vec::new();
    let mut extra = String::new();
    // How many revisions: the decoder allocates for them at once.
    put(to_u32(files.len()), &mut table);
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
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
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

impl Reader {
    /// An unsigned LEB128 number (see [`put`]).
    fn number(&mut self) -> Result<u32, String> {
        let mut n: u32 = 0;
        for shift in (0..35).step_by(7) {
            let byte = *self
                .table
                .get(self.at)
                .ok_or("the embedded migrations' table ends early")?;
            self.at += 1;
            n |= u32::from(byte & 0x7f)
                .checked_shl(shift)
                .ok_or("a number too large in the embedded table")?;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("a number too large in the embedded table".to_owned())
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
    let mut r = Reader {
        table,
        at: 0,
        extra,
        extra_at: 0,
    };
    let count = r.number()? as usize;
    // At most a revision per byte of the table: a damaged count cannot ask for more.
    let mut out = Vec::with_capacity(count.min(table.len()));
    let mut file_at = 0;
    for _ in 0..count {
        let len = r.number()? as usize;
        let file = text
            .get(file_at..file_at + len)
            .ok_or("a file outside the embedded text")?;
        file_at += len;
        let flags = r.number()?;
        let checksum = if flags & RAW_CHECKSUM != 0 {
            Cow::Owned(hex(r.bytes(32)?))
        } else {
            Cow::Borrowed(r.string(file)?)
        };
        let revision = r.string(file)?;
        let message = r.string(file)?;
        let created = r.string(file)?;
        let file_name = r.string(file)?;
        let upgrade = r.string(file)?;
        let downgrade = if flags & DOWNGRADE != 0 {
            Some(r.string(file)?)
        } else {
            None
        };
        let (upgrade_line, downgrade_line) = (r.number()?, r.number()?);
        let mut lists: [Vec<Cow<'static, str>>; 4] = Default::default();
        for list in &mut lists {
            for _ in 0..r.number()? {
                list.push(Cow::Borrowed(r.string(file)?));
            }
        }
        let [down_revisions, branch_labels, depends_on, replaces] = lists;
        let parts = StaticParts {
            revision,
            down_revisions: &[],
            branch_labels: &[],
            depends_on: &[],
            message,
            created,
            file_name,
            upgrade,
            downgrade,
            upgrade_line: upgrade_line as usize,
            downgrade_line: downgrade_line as usize,
            transaction: flags & TRANSACTION != 0,
            checksum: "",
            rust: flags & RUST != 0,
        };
        out.push(
            Migration::from_static(parts)
                .with_names(down_revisions, branch_labels, depends_on)
                .with_replaces(replaces)
                .with_checksum(checksum),
        );
    }
    if r.at != table.len() {
        return Err("the embedded migrations' table is longer than its revisions".to_owned());
    }
    if file_at != text.len() {
        return Err("the embedded text is longer than its table says".to_owned());
    }
    if r.extra_at != extra.len() {
        return Err("the embedded extra text is longer than its table says".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn leak<T: ?Sized>(b: Box<T>) -> &'static T {
        Box::leak(b)
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
        let Encoded { table, extra } = encode(&pairs);
        let text: &'static str = leak(texts.concat().into_boxed_str());
        let table: &'static [u8] = leak(table.into_boxed_slice());
        let extra: &'static str = leak(extra.into_boxed_str());
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
