//! How `embed_migrations!` stores a folder in the binary: each file's text as the
//! compiler includes it (`include_str!`), one string of everything that is not in a file
//! (checksums, derived values), and one byte string that says where each field of each
//! revision is (as LEB128 numbers: a source, an offset and a length per string). Two literals and the included files, whatever the number of revisions:
//! cheap for the compiler to check and to generate, where a struct literal per revision
//! costs it time in proportion to their number. Decoded once, at run time, into
//! [`Migration`]s that borrow the static text.

use std::borrow::Cow;

use crate::file::{Migration, StaticParts};

/// Where a string is: in the revision's own file (`FILE`) or in the extra string.
const FILE: u32 = 0;
const EXTRA: u32 = 1;
/// A missing downgrade section.
const NONE: u32 = 2;

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

/// The table and the extra string for `files`: each migration with the text of its file.
///
/// # Examples
///
/// ```
/// use migraph_core::{Migration, embedded};
///
/// let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n";
/// let m = Migration::parse("a1_t.sql", text)?;
/// let (table, extra) = embedded::encode(&[(text, &m)]);
/// let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
/// let table: &'static [u8] = Box::leak(table.into_boxed_slice());
/// let extra: &'static str = Box::leak(extra.into_boxed_str());
/// let files: &'static [&'static str] = Box::leak(vec![text].into_boxed_slice());
/// let back = embedded::decode(files, table, extra)?;
/// assert_eq!(back[0].upgrade_sql(), m.upgrade_sql());
/// assert_eq!(back[0].checksum(), m.checksum());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode(files: &[(&str, &Migration)]) -> (Vec<u8>, String) {
    let mut table = Vec::new();
    let mut extra = String::new();
    for (text, m) in files {
        let mut string = |s: &str, table: &mut Vec<u8>| {
            let (source, start) = match text.find(s) {
                Some(at) if !s.is_empty() => (FILE, at),
                _ => {
                    extra.push_str(s);
                    (EXTRA, extra.len() - s.len())
                }
            };
            for n in [source, to_u32(start), to_u32(s.len())] {
                put(n, table);
            }
        };
        string(m.revision(), &mut table);
        string(m.message(), &mut table);
        string(m.created(), &mut table);
        string(m.file_name(), &mut table);
        string(m.upgrade_sql(), &mut table);
        match m.downgrade_sql() {
            Some(sql) => string(sql, &mut table),
            None => {
                for n in [NONE, 0, 0] {
                    put(n, &mut table);
                }
            }
        }
        string(m.checksum(), &mut table);
        put(to_u32(m.upgrade_line()), &mut table);
        put(to_u32(m.downgrade_line()), &mut table);
        put(
            u32::from(m.transactional()) | u32::from(m.is_rust()) << 1,
            &mut table,
        );
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
    (table, extra)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Reads the table, field by field.
struct Reader {
    table: &'static [u8],
    at: usize,
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

    /// A string of `text` (the revision's file) or of `extra`; `None` for a missing one.
    fn string(
        &mut self,
        text: &'static str,
        extra: &'static str,
    ) -> Result<Option<&'static str>, String> {
        let (source, start, len) = (self.number()?, self.number()?, self.number()?);
        let (start, len) = (start as usize, len as usize);
        let from = match source {
            NONE => return Ok(None),
            FILE => text,
            EXTRA => extra,
            other => return Err(format!("unknown source {other} in the embedded table")),
        };
        from.get(start..start + len)
            .map(Some)
            .ok_or_else(|| "a field outside its text in the embedded table".to_owned())
    }

    fn required(
        &mut self,
        text: &'static str,
        extra: &'static str,
    ) -> Result<&'static str, String> {
        self.string(text, extra)?
            .ok_or_else(|| "a missing field in the embedded table".to_owned())
    }
}

/// The migrations [`encode`] stored: `files[i]` is the text of the `i`th.
///
/// # Errors
///
/// A table that does not match the files (not one `embed_migrations!` wrote).
pub fn decode(
    files: &'static [&'static str],
    table: &'static [u8],
    extra: &'static str,
) -> Result<Vec<Migration>, String> {
    let mut r = Reader { table, at: 0 };
    let mut out = Vec::with_capacity(files.len());
    for &text in files {
        let revision = r.required(text, extra)?;
        let message = r.required(text, extra)?;
        let created = r.required(text, extra)?;
        let file_name = r.required(text, extra)?;
        let upgrade = r.required(text, extra)?;
        let downgrade = r.string(text, extra)?;
        let checksum = r.required(text, extra)?;
        let (upgrade_line, downgrade_line) = (r.number()?, r.number()?);
        let flags = r.number()?;
        let (transaction, rust) = (flags & 1 != 0, flags & 2 != 0);
        let mut lists: [Vec<Cow<'static, str>>; 4] = Default::default();
        for list in &mut lists {
            for _ in 0..r.number()? {
                list.push(Cow::Borrowed(r.required(text, extra)?));
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
            transaction,
            checksum,
            rust,
        };
        out.push(
            Migration::from_static(parts)
                .with_names(down_revisions, branch_labels, depends_on)
                .with_replaces(replaces),
        );
    }
    if r.at != table.len() {
        return Err("the embedded migrations' table is longer than its files".to_owned());
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
        };
        for n in numbers {
            assert_eq!(r.number().unwrap(), n);
        }
        assert!(r.number().is_err());
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
        let (table, extra) = encode(&pairs);
        let files: &'static [&'static str] = leak(texts.to_vec().into_boxed_slice());
        let table: &'static [u8] = leak(table.into_boxed_slice());
        let back = decode(files, table, leak(extra.into_boxed_str())).unwrap();
        assert_eq!(back, parsed);
        assert!(decode(files, &table[..table.len() - 1], "").is_err());
        assert!(decode(&files[..1], table, "").is_err());
    }
}
