//! The one pass ([`super::onepass`]) on two cores, for a big file: a second
//! thread finds an entry boundary of the `"metrics"` array with a cheap
//! structural scan (strings and escapes honoured), reads the entries after
//! it with the same typed reader, and hands them over in batches; the
//! calling thread reads the entries before it, then adds the handed ones to
//! the one family set, each through the same `native::entry` at its own
//! place, in order. Being one set, added in the one order, the model and
//! every message (duplicate series, a family given two types, first-seen
//! order) are those of the one-thread pass by construction: there is no
//! merge of two sets to get wrong.
//!
//! Whatever the second thread can't vouch for (a refused entry, a read
//! error, keys after `"metrics"`) ends its batches there, and the calling
//! thread reads on itself from the first entry not handed over, exactly as
//! the one-thread pass would. The boundary is only taken if the calling
//! thread has not read that far yet.
//!
//! The cut is placed at [`CUT`] of the file, not the middle: the calling
//! thread also builds the family set for every entry (~1/3 of the one
//! pass's instructions), so the second thread takes the larger share of
//! the parsing.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use serde_json::Value;

use super::families::FamilySet;
use super::native::{self, Labels, MetricEntry};
use super::onepass::{self, EntryOf, Rest, Tail};
use super::window::{Window, CHUNK};

/// Below this, a second thread costs more than it saves.
pub const MIN_BYTES: u64 = 1024 * 1024;

/// Where the cut goes, as a fraction of the file.
pub const CUT: f64 = 0.3;

/// Entries per batch handed over.
const BATCH: usize = 512;

/// Batches in flight: what the second thread may hold ahead. It must run
/// ahead while the calling thread reads the first part, or the two take
/// turns (with 16, measured: no overlap at all); so in practice this is
/// no bound, and what it holds is the price in memory.
const IN_FLIGHT: usize = 1024;

/// A file to be read on two threads, and its length when that was decided.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub path: &'a Path,
    pub len: u64,
}

/// Whether `path`, once two threads are asked for (`SIMPLEPIPE_THREADS=2`,
/// off by default: it costs ~30% more CPU and ~25 MB more memory for 100k
/// series, and pays only where a second core is idle; see
/// docs/two-threads.md), is to be read on two: two cores, and a regular
/// file of at least [`MIN_BYTES`] and at most `max_bytes` (past it, the
/// one pass must meet the limit as it reads).
pub fn plan(path: &Path, max_bytes: u64) -> Option<Plan<'_>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let len = std::fs::metadata(path).map_or(0, |m| if m.is_file() { m.len() } else { 0 });
    (cores >= 2 && (MIN_BYTES..=max_bytes).contains(&len)).then_some(Plan { path, len })
}

/// [`onepass::read`] of `input`, which holds the bytes of the planned
/// file, with the entries past [`CUT`] of it read on a second thread.
pub fn read(input: impl Read, plan: Plan, set: &mut FamilySet) -> Option<Value> {
    read_cut_at(input, plan.path, (plan.len as f64 * CUT) as u64, set)
}

/// [`read`], cut at the first entry boundary at or past byte `target`.
/// Public for the property test that keeps it equal to the one pass.
pub fn read_cut_at(
    input: impl Read,
    path: &Path,
    target: u64,
    set: &mut FamilySet,
) -> Option<Value> {
    let shared = Shared {
        state: Mutex::new(State { next: 0, cut: None }),
        cancel: AtomicBool::new(false),
    };
    let (tx, rx) = sync_channel(IN_FLIGHT);
    std::thread::scope(|s| {
        s.spawn(|| second(path, target, &shared, tx));
        let mut tail = Handed {
            shared: &shared,
            rx,
            over: false,
        };
        let read = onepass::read_with(input, set, &mut tail);
        shared.cancel.store(true, Ordering::Relaxed);
        // Dropping the receiver ends a send the second thread waits on.
        drop(tail);
        read
    })
}

struct Shared {
    state: Mutex<State>,
    /// The calling thread is done: stop.
    cancel: AtomicBool,
}

struct State {
    /// The first entry the calling thread has not yet decided to read.
    next: usize,
    /// The entry from which the second thread reads.
    cut: Option<usize>,
}

enum Handover {
    Batch(Vec<MetricEntry<'static>>),
    /// No more entries; `true` when the input after them is `]`, `}`, end.
    End(bool),
}

/// The calling thread's side: at the cut, take the handed entries.
struct Handed<'s> {
    shared: &'s Shared,
    rx: Receiver<Handover>,
    over: bool,
}

impl Tail for Handed<'_> {
    fn entries(&mut self, i: usize, set: &mut FamilySet, labels: &Labels) -> Rest {
        if self.over {
            return Rest::Nothing;
        }
        {
            let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.cut != Some(i) {
                state.next = i + 1;
                return Rest::Nothing;
            }
        }
        self.over = true;
        let rest = self.take(i, set, labels);
        crate::report::debug(|| match rest {
            Rest::Whole(n) | Rest::Added(n) => {
                format!("entries {i} to {} read on a second thread", n.max(1) - 1)
            }
            Rest::Nothing => String::new(),
        });
        rest
    }
}

impl Handed<'_> {
    /// The entries handed over from `i` on, added in order.
    fn take(&mut self, i: usize, set: &mut FamilySet, labels: &Labels) -> Rest {
        let mut n = i;
        loop {
            match self.rx.recv() {
                Ok(Handover::Batch(batch)) => {
                    for m in batch {
                        native::entry(set, labels, n, Ok(m));
                        n += 1;
                        if set.limit.passed() {
                            return Rest::Whole(n);
                        }
                    }
                }
                Ok(Handover::End(true)) => return Rest::Whole(n),
                Ok(Handover::End(false)) | Err(_) => return Rest::Added(n),
            }
        }
    }
}

/// The second thread: find the cut, claim it, read from it.
fn second(path: &Path, target: u64, shared: &Shared, tx: SyncSender<Handover>) {
    let Ok(file) = File::open(path) else { return };
    let Some((cut, at)) = scan(file, target, &shared.cancel) else {
        return;
    };
    {
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if cut < state.next {
            return;
        }
        state.cut = Some(cut);
    }
    let whole = rest(path, at, shared, &tx);
    let _ = tx.send(Handover::End(whole));
}

/// The entries from the `,` at byte `at` on, handed over in batches;
/// whether the input after them is `]`, `}` and its end.
fn rest(path: &Path, at: u64, shared: &Shared, tx: &SyncSender<Handover>) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    if file.seek(SeekFrom::Start(at)).is_err() {
        return false;
    }
    // Starting at the `,`: a byte-order mark here is not skipped.
    let Ok(mut w) = Window::new(file) else {
        return false;
    };
    let mut batch = Vec::with_capacity(BATCH);
    let ended = loop {
        if shared.cancel.load(Ordering::Relaxed) || w.eat(b',') != Ok(true) {
            break false;
        }
        match w.lend::<EntryOf, _>(|m| native::owned(m.0)) {
            Ok(m) => batch.push(m),
            Err(_) => break false,
        }
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if tx.send(Handover::Batch(full)).is_err() {
                return false;
            }
        }
        match w.peek() {
            Ok(Some(b',')) => {}
            Ok(Some(b']')) => break true,
            _ => break false,
        }
    };
    if !batch.is_empty() && tx.send(Handover::Batch(batch)).is_err() {
        return false;
    }
    ended && w.eat(b']') == Ok(true) && w.eat(b'}') == Ok(true) && w.peek() == Ok(None)
}

/// Where the structure is, for [`scan`].
#[derive(Default)]
struct Scan {
    depth: u32,
    in_string: bool,
    /// A `\` ended the last read: the next byte is escaped.
    escaped: bool,
    /// The last string at depth 1 (a key, when a value follows), its first
    /// bytes only.
    key: Vec<u8>,
    in_metrics: bool,
    /// The `,` between entries seen so far.
    commas: usize,
}

/// The first `,` between two entries of the top-level `"metrics"` array
/// at or past byte `target`: the index of the entry after it, and its
/// offset. `None` if there is none (or the scan was cancelled). Only the
/// structure is looked at: what is not JSON is left for the readers.
fn scan(mut input: impl Read, target: u64, cancel: &AtomicBool) -> Option<(usize, u64)> {
    let mut buf = vec![0; CHUNK];
    let mut s = Scan::default();
    let mut offset = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        let n = match input.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        if let Some(at) = s.chunk(&buf[..n], offset, target)? {
            return Some((s.commas, at));
        }
        offset += n as u64;
    }
}

impl Scan {
    /// One read's bytes from `offset`: `Some(Some(at))` at the cut,
    /// `None` when there can be none.
    fn chunk(&mut self, bytes: &[u8], offset: u64, target: u64) -> Option<Option<u64>> {
        let mut j = 0;
        while j < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    j += 1;
                    continue;
                }
                let found = memchr::memchr2(b'"', b'\\', &bytes[j..]);
                let end = found.map_or(bytes.len(), |p| j + p);
                if self.depth == 1 && self.key.len() < 16 {
                    self.key.extend_from_slice(&bytes[j..end.min(j + 16)]);
                }
                match found.map(|_| bytes[end]) {
                    Some(b'"') => self.in_string = false,
                    Some(_) => self.escaped = true,
                    None => {}
                }
                j = end + 1;
                continue;
            }
            match bytes[j] {
                b'"' => {
                    self.in_string = true;
                    self.key.clear();
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth == 2 && bytes[j] == b'[' && self.key == b"metrics" {
                        self.in_metrics = true;
                    }
                }
                b'}' | b']' => {
                    if self.depth == 2 && self.in_metrics {
                        return None;
                    }
                    self.depth = self.depth.checked_sub(1)?;
                }
                b',' if self.depth == 2 && self.in_metrics => {
                    self.commas += 1;
                    let at = offset + j as u64;
                    if at >= target {
                        return Some(Some(at));
                    }
                }
                _ => {}
            }
            j += 1;
        }
        Some(None)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;
    use serde_json::{json, Map};

    use super::*;
    use crate::artifact::BuildOptions;

    /// The skeleton, whether the set holds a mismatch, and the families
    /// and warnings or the error, as text.
    fn outcome(max: usize, read: impl FnOnce(&mut FamilySet) -> Option<Value>) -> String {
        let opts = BuildOptions::default();
        let mut set = FamilySet::new(&opts, max);
        let skeleton = read(&mut set);
        let mismatched = set.mismatched();
        let done = set
            .finish("a.json")
            .map(|m| format!("{:?} {:?}", m.families, m.warnings))
            .map_err(|e| format!("{e:#}"));
        format!("{skeleton:?} {mismatched} {done:?}")
    }

    /// A reader handing out `n` bytes at a time.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A label value: short ones repeat (duplicate series), long ones
    /// hold what a scan must not take for structure.
    fn label_value() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0..3u8).prop_map(|n| n.to_string()),
            1 => (50..2000usize, any::<u8>()).prop_map(|(n, seed)| {
                let tricky = ["\"", "\\", ",", "]", "}", "[", "{", "\u{e9}", "\u{2028}", "\n", "x"];
                (0..n).map(|i| tricky[(i * 7 + seed as usize) % tricky.len()]).collect()
            }),
        ]
    }

    fn entry() -> impl Strategy<Value = Value> {
        let name = prop_oneof![
            Just("a"),
            Just("b"),
            Just("c"),
            Just("a_total"),
            Just("1bad")
        ];
        let kind = prop_oneof![Just("gauge"), Just("counter"), Just("untyped")];
        let label = prop_oneof![Just("k"), Just("env"), Just("k2")];
        let value = prop_oneof![
            20 => (0..100i32).prop_map(|v| json!(v)),
            1 => Just(Value::Null),
            1 => Just(json!("NaN")),
        ];
        (
            name,
            kind,
            prop::collection::vec((label, label_value()), 0..3),
            value,
        )
            .prop_map(|(name, kind, labels, value)| {
                let labels: Map<String, Value> = labels
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.into()))
                    .collect();
                json!({"name": name, "type": kind, "labels": labels, "value": value})
            })
    }

    /// An artifact as text: entries from a few names, labels, types.
    fn artifact() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(entry(), 1..60),
            any::<bool>(),
            any::<bool>(),
            0..20u8,
        )
            .prop_map(|(entries, top_labels, pretty, odd)| {
                let mut top = Map::new();
                if top_labels {
                    top.insert("labels".into(), json!({"env": "ci"}));
                }
                top.insert("metrics".into(), Value::Array(entries));
                if odd == 0 {
                    top.insert("x_after".into(), json!(1));
                }
                let v = Value::Object(top);
                let mut text = if pretty {
                    serde_json::to_string_pretty(&v).unwrap()
                } else {
                    v.to_string()
                };
                if odd == 1 {
                    text.push_str(" 1");
                }
                text
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Cut anywhere, with or without a --max-series limit, the two
        /// threads give what one gives: skeleton, families, every message.
        #[test]
        fn the_split_pass_answers_as_the_one_pass(
            text in artifact(),
            at in 0.0..1.0f64,
            limit in prop_oneof![Just(usize::MAX), 1..80usize],
        ) {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(text.as_bytes()).unwrap();
            let path = file.path();
            let target = (text.len() as f64 * at) as u64;
            let one = outcome(limit, |set| onepass::read(File::open(path).unwrap(), set));
            let two = outcome(limit, |set| read_cut_at(File::open(path).unwrap(), path, target, set));
            prop_assert_eq!(&one, &two, "cut at {} of {}", target, text.len());
            // The scan finds the same cut however the input is read.
            let never = AtomicBool::new(false);
            let whole = scan(text.as_bytes(), target, &never);
            let trickled = scan(Trickle(text.as_bytes(), 1 + text.len() % 5), target, &never);
            prop_assert_eq!(whole, trickled);
        }
    }

    #[test]
    fn the_cut_falls_between_entries_of_metrics_only() {
        let never = AtomicBool::new(false);
        let text =
            br#"{"labels": {"a": "[,]"}, "x": [1, 2], "metrics": [{"name": "a\",\\"}, {}, {}]}"#;
        let first = text.windows(4).position(|w| w == b"}, {").unwrap() as u64 + 1;
        assert_eq!(scan(&text[..], 0, &never), Some((1, first)));
        assert_eq!(scan(&text[..], first + 1, &never), Some((2, first + 4)));
        assert_eq!(scan(&text[..], first + 5, &never), None);
        assert_eq!(scan(&br#"{"metricsx": [{}, {}]}"#[..], 0, &never), None);
    }
}
