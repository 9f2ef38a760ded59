//! The second thread's cut ([`super`]) found without a scan: the first `,`
//! at or past a byte offset that sits between a `}` and a `{`, from which
//! entries read cleanly. It is looked for in the bytes just past the
//! offset, so the second thread starts reading almost at once; the scan
//! ([`super::scan`](mod@super::scan)) first reads everything before the offset (the first
//! half of the file, about 15 ms of a 23 MB one, all of it before the
//! second thread's first entry).
//!
//! It is a guess: a `,` between a `}` and a `{` may be inside a string, or
//! between two buckets or quantiles of an entry. Only a `{` that opens
//! with one of an entry's keys, and has no key of a bucket's or a
//! quantile's before its first `}`, is tried ([`ENTRY_KEYS`],
//! [`NOT_ENTRY_KEYS`]), and at most [`TRIALS`] of them. Inside a string of
//! valid JSON such a `{` can't be: what follows it is an escaped `\"` or
//! the string's end, not a key. A trial reads entries with the readers
//! every entry goes through, which refuse a key no entry has and want a
//! name and a type. A wrong guess that passed its trial (only invalid
//! JSON could make one) would cost only the second thread's work: the
//! calling thread merges the second part only if it lands on the guessed
//! `,` between two entries of `"metrics"` itself, and reads on alone if it
//! passes it ([`super`]). Where no guess holds, the scan finds the cut.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};

use super::super::families::FamilySet;
use super::super::native::Labels;
use super::super::stop::is_space;
use super::super::window::Window;
use super::entry_after_comma;

/// How many bytes past the offset are searched for a guess. Where no
/// guess passes its trial in them (entries of more than [`TRIAL_BYTES`]),
/// the scan finds the cut.
const SEARCH: usize = 64 * 1024;

/// How many bytes from a guess its trial reads, at most.
const TRIAL_BYTES: usize = 16 * 1024;

/// How many entries a trial reads, at most.
const TRIAL_ENTRIES: usize = 64;

/// How many guesses are tried, at most, before the scan is left to find
/// the cut (a trial costs a small window and a family set).
const TRIALS: usize = 16;

/// The keys an entry may open with: a `{` followed by another (a bucket's
/// `"le"`, a quantile's `"quantile"`) is not tried. Read by the same
/// readers as every entry, so one opening with a key not listed here is
/// still read, and split where the scan finds the cut. A bucket or a
/// quantile may open with `"count"` or `"value"` too (`json.dump` with
/// `sort_keys`): [`NOT_ENTRY_KEYS`] tells them apart.
const ENTRY_KEYS: [&[u8]; 9] = [
    b"name",
    b"type",
    b"help",
    b"labels",
    b"value",
    b"buckets",
    b"quantiles",
    b"sum",
    b"count",
];

/// The keys of a bucket and of a quantile that no entry has: a `{` with
/// one of them before its first `}` is not tried. (A label can't be
/// called either, and a string holding one has its quotes escaped.)
const NOT_ENTRY_KEYS: [&[u8]; 2] = [b"\"le\"", b"\"quantile\""];

/// Where the second part starts: the offset of the `,` before its first
/// entry, and about how many bytes an entry takes (to make room for the
/// series to come).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Cut {
    pub at: u64,
    pub per_entry: f64,
}

/// The first `,` past byte `target` of `file` between a `}` and a `{`
/// that opens with an entry's key, from which entries read cleanly
/// ([`trial`]), within [`SEARCH`] bytes and [`TRIALS`] trials; `None` as
/// soon as `cancel` is set.
pub(super) fn guess(
    file: &mut File,
    target: u64,
    like: &FamilySet,
    labels: &Labels,
    cancel: &AtomicBool,
) -> Option<Cut> {
    file.seek(SeekFrom::Start(target)).ok()?;
    let mut bytes = Vec::with_capacity(SEARCH);
    file.take(SEARCH as u64).read_to_end(&mut bytes).ok()?;
    guess_in(&bytes, like, labels, cancel).map(|(at, per_entry)| Cut {
        at: target + at as u64,
        per_entry,
    })
}

/// [`guess`] in `bytes`: the guess's offset there, and its trial's bytes
/// per entry.
pub(super) fn guess_in(
    bytes: &[u8],
    like: &FamilySet,
    labels: &Labels,
    cancel: &AtomicBool,
) -> Option<(usize, f64)> {
    let go_on = |_: &usize| !cancel.load(Ordering::Relaxed);
    candidates(bytes)
        .take(TRIALS)
        .take_while(go_on)
        .find_map(|at| {
            let end = bytes.len().min(at + TRIAL_BYTES);
            trial(&bytes[at..end], like, labels).map(|per_entry| (at, per_entry))
        })
}

/// The offsets of every `,` in `bytes` with a `}` before it and after it
/// a `{` that opens with one of [`ENTRY_KEYS`] and has none of
/// [`NOT_ENTRY_KEYS`] before its first `}`, JSON whitespace between.
fn candidates(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let skip = move |from: usize| from + bytes[from..].iter().take_while(|b| is_space(**b)).count();
    memchr::memchr_iter(b',', bytes).filter(move |&at| {
        let before = bytes[..at].iter().rev().find(|b| !is_space(**b));
        let open = skip(at + 1);
        if before != Some(&b'}') || bytes.get(open) != Some(&b'{') {
            return false;
        }
        let key = &bytes[skip(open + 1)..];
        let opens = ENTRY_KEYS.iter().any(|k| {
            key.first() == Some(&b'"')
                && key[1..].starts_with(k)
                && key.get(k.len() + 1) == Some(&b'"')
        });
        let object = &key[..memchr::memchr(b'}', key).unwrap_or(key.len())];
        let inner = |k: &&[u8]| memchr::memmem::find(object, k).is_some();
        opens && !NOT_ENTRY_KEYS.iter().any(inner)
    })
}

/// Whether entries read cleanly from the `,` that `bytes` start with, into
/// a set of their own like `like`: at least one, each followed by `,` or
/// `]`, up to [`TRIAL_ENTRIES`] or the last that `bytes` hold whole. The
/// bytes those took per entry, if so.
fn trial(bytes: &[u8], like: &FamilySet, labels: &Labels) -> Option<f64> {
    let mut set = like.sibling();
    let mut w = Window::reading(bytes, bytes.len()).ok()?;
    let (mut read, mut took) = (0, 0);
    while read < TRIAL_ENTRIES {
        let Some(more) = entry_after_comma(&mut w, &mut set, labels, read) else {
            break;
        };
        read += 1;
        took = w.offset();
        if !more {
            break;
        }
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
        let never = AtomicBool::new(false);
        guess_in(text.as_bytes(), &set, &Labels::default(), &never).map(|(at, _)| at)
    }

    /// More bucket gaps than there are trials before the first entry, and
    /// CRLF between: the gaps are skipped without a trial.
    #[test]
    fn gaps_between_buckets_are_no_guesses() {
        let buckets: Vec<String> = (1..=3 * TRIALS)
            .map(|le| format!(r#"{{"le": {le}, "count": {le}}}"#))
            .collect();
        let text = format!(
            "{}]}},\r\n {{\r\n\"type\": \"gauge\", \"name\": \"a\", \"value\": 1}}]}}",
            buckets.join(", ")
        );
        assert_eq!(guessed(&text), Some(text.find(",\r\n {").unwrap()));
        // The same with the keys sorted, and quantiles.
        let sorted: Vec<String> = (1..=3 * TRIALS)
            .map(|le| format!(r#"{{"count": {le}, "le": {le}}}"#))
            .collect();
        let quantiles = r#"}, {"value": 1, "quantile": 0.5}"#.repeat(2 * TRIALS);
        let text = format!(
            r#"{}{quantiles}]}}, {{"count": 2, "help": "", "name": "s", "quantiles": [], "sum": 1, "type": "summary"}}]}}"#,
            sorted.join(", ")
        );
        assert_eq!(
            guessed(&text),
            Some(text.find(r#", {"count": 2, "help""#).unwrap())
        );
        // A `{` opening with another key, however many: the scan's turn.
        let others = r#"}, {"x": 1}"#.repeat(2 * TRIALS);
        assert_eq!(guessed(&format!("{others}]}}")), None);
    }

    #[test]
    fn a_cancelled_guess_tries_nothing() {
        let opts = BuildOptions::default();
        let set = FamilySet::new(&opts, usize::MAX);
        let text = r#"}, {"name": "a", "type": "gauge", "value": 1}]"#;
        let cancelled = AtomicBool::new(true);
        assert_eq!(
            guess_in(text.as_bytes(), &set, &Labels::default(), &cancelled),
            None
        );
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
