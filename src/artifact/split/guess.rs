//! The second thread's cut ([`super`]) found without a scan: the first `,`
//! at or past a byte offset that sits between a `}` and a `{`, from which
//! entries read cleanly. It is looked for in the bytes just past the
//! offset, so the second thread starts reading almost at once; the scan
//! ([`super::scan`]) first reads everything before the offset (the first
//! half of the file, about 15 ms of a 23 MB one, all of it before the
//! second thread's first entry).
//!
//! It is a guess: a `,` between a `}` and a `{` may be inside a string, or
//! between two buckets of a histogram. A guess inside a string fails its
//! trial (a key would start with `\"`), as does one between buckets (a
//! bucket is not an entry), and the next is tried. A wrong guess that
//! passed its trial costs only the second thread's work: the calling
//! thread merges the second part only if it lands on the guessed `,`
//! between two entries of `"metrics"` itself, and reads on alone if it
//! passes it ([`super`]).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use super::super::families::FamilySet;
use super::super::native::Labels;
use super::super::onepass;
use super::super::window::Window;

/// How many bytes past the offset are searched for a guess. Where no
/// guess passes its trial in them (entries of more than [`TRIAL_BYTES`]),
/// the scan finds the cut.
const SEARCH: usize = 64 * 1024;

/// How many bytes from a guess its trial reads, at most.
const TRIAL_BYTES: usize = 16 * 1024;

/// How many entries a trial reads, at most.
const TRIAL_ENTRIES: usize = 64;

/// Where the second part starts: the offset of the `,` before its first
/// entry, and about how many bytes an entry takes there (to make room for
/// the series to come).
#[derive(Debug, PartialEq)]
pub(super) struct Cut {
    pub at: u64,
    pub per_entry: f64,
}

/// The first `,` past byte `target` of `file` between a `}` and a `{`
/// from which entries read cleanly ([`trial`]), within [`SEARCH`] bytes.
pub(super) fn guess(
    file: &mut File,
    target: u64,
    like: &FamilySet,
    labels: &Labels,
) -> Option<Cut> {
    file.seek(SeekFrom::Start(target)).ok()?;
    let mut bytes = Vec::with_capacity(SEARCH);
    file.take(SEARCH as u64).read_to_end(&mut bytes).ok()?;
    guess_in(&bytes, like, labels).map(|(at, per_entry)| Cut {
        at: target + at as u64,
        per_entry,
    })
}

/// [`guess`] in `bytes`: the guess's offset there, and its trial's bytes
/// per entry.
fn guess_in(bytes: &[u8], like: &FamilySet, labels: &Labels) -> Option<(usize, f64)> {
    candidates(bytes).find_map(|at| {
        let end = bytes.len().min(at + TRIAL_BYTES);
        trial(&bytes[at..end], like, labels).map(|per_entry| (at, per_entry))
    })
}

/// The offsets of every `,` in `bytes` with a `}` before it and a `{`
/// after it, JSON whitespace between.
fn candidates(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let space = |b: &&u8| matches!(**b, b' ' | b'\n' | b'\r' | b'\t');
    memchr::memchr_iter(b',', bytes).filter(move |&at| {
        let before = bytes[..at].iter().rev().find(|b| !space(b));
        let after = bytes[at + 1..].iter().find(|b| !space(b));
        before == Some(&b'}') && after == Some(&b'{')
    })
}

/// Whether entries read cleanly from the `,` that `bytes` start with, into
/// a set of their own like `like`: at least one, each followed by `,` or
/// `]`, up to [`TRIAL_ENTRIES`] or the last that `bytes` hold whole. The
/// bytes those took per entry, if so.
fn trial(bytes: &[u8], like: &FamilySet, labels: &Labels) -> Option<f64> {
    let mut set = like.sibling();
    let mut w = Window::new(bytes).ok()?;
    let (mut read, mut took) = (0, 0);
    while read < TRIAL_ENTRIES && w.eat(b',') == Ok(true) {
        let entry = onepass::next_entry(&mut w, &mut set, labels, read);
        if entry.is_err() || !set.is_clean() || !matches!(w.peek(), Ok(Some(b',' | b']'))) {
            break;
        }
        read += 1;
        took = w.offset();
    }
    (read > 0).then(|| took as f64 / read as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::BuildOptions;

    fn guessed(text: &str) -> Option<usize> {
        let opts = BuildOptions::default();
        let set = FamilySet::new(&opts, usize::MAX);
        guess_in(text.as_bytes(), &set, &Labels::default()).map(|(at, _)| at)
    }

    #[test]
    fn a_guess_is_the_first_comma_between_two_entries_past_strings_and_buckets() {
        let text = r#""a}, {b", "buckets": [{"le": 1, "count": 2}, {"le": 2, "count": 3}]}, {"name": "a", "type": "gauge", "value": 1}]}"#;
        let entry = text.find(r#", {"name""#).unwrap();
        assert_eq!(guessed(text), Some(entry));
        // Pretty-printed.
        let text = "1},\n    {\n      \"name\": \"a\",\n      \"type\": \"gauge\",\n      \"value\": 1\n    }\n  ]\n}";
        assert_eq!(guessed(text), Some(2));
    }

    #[test]
    fn no_guess_is_made_where_no_entry_reads_whole_after_a_comma() {
        // A bucket is no entry; an entry cut by the bytes' end is not tried.
        assert_eq!(guessed(r#"}, {"le": 1, "count": 2}]"#), None);
        assert_eq!(
            guessed(r#"}, {"name": "a", "type": "gauge", "value": 1"#),
            None
        );
        assert_eq!(
            guessed(r#"}, {"name": "a", "type": "gauge", "value": 1}"#),
            None
        );
        // A refused entry, and what follows an entry that is not `,` or `]`.
        assert_eq!(
            guessed(r#"}, {"name": "1a", "type": "gauge", "value": 1}]"#),
            None
        );
        assert_eq!(
            guessed(r#"}, {"name": "a", "type": "gauge", "value": 1}}"#),
            None
        );
        assert_eq!(
            guessed(r#"}, {"name": "a", "type": "gauge", "value": 1}]"#),
            Some(1)
        );
    }

    #[test]
    fn a_trial_gives_the_bytes_an_entry_takes() {
        let entry = |i| {
            format!(
                r#", {{"name": "a", "type": "gauge", "value": 1, "labels": {{"i": "{i:02}"}}}}"#
            )
        };
        let text = (0..100).map(entry).collect::<String>() + "]}";
        let opts = BuildOptions::default();
        let set = FamilySet::new(&opts, usize::MAX);
        let per_entry = trial(text.as_bytes(), &set, &Labels::default());
        assert_eq!(per_entry, Some(entry(0).len() as f64));
    }
}
