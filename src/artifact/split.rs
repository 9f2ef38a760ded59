//! The one pass ([`super::onepass`]) on two cores, for a big file: a second
//! thread finds an entry boundary of the `"metrics"` array near [`CUT`] of
//! the file, reads the entries after it into a family set of its own
//! (borrowing from its own window, as the one pass does, and numbering
//! them from 0), and hands that set over; the calling thread reads the
//! entries before the boundary into its set, then merges the second set
//! into it ([`FamilySet::merge`]): its new families after the first's, a
//! family's series in input order, the second part's entries numbered on
//! from the first's.
//!
//! The boundary is guessed from the bytes just past the cut
//! (`split/guess.rs`), so the second thread reads from the start; where no guess
//! holds, a structural scan of everything before the cut finds it
//! (`split/scan.rs`). Either way it is only taken as the `,` at a byte offset,
//! and the calling thread merges only if it lands on that very `,`
//! between two of its entries: past it, the guess was wrong, and it reads
//! on alone.
//!
//! Only a clean read is merged. Should either part find anything wrong
//! (a refused entry, a problem, `--max-series` passed, keys after
//! `"metrics"`), or the merge (a duplicate series, a family's type or help
//! text differing across the parts, more than `--max-series` in all), the
//! second set is dropped and the calling thread reads on from the
//! boundary itself: its set is then exactly the one-thread pass's at that
//! entry, and so is every message and exit code. The boundary is only
//! taken if the calling thread has not read that far yet.

use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Condvar, Mutex};

use serde_json::Value;

use super::families::FamilySet;
use super::native::Labels;
use super::onepass::{self, Rest, Tail};
use super::window::{Window, CHUNK};

mod guess;
mod scan;
mod second;
use guess::Cut;
#[cfg(test)]
use scan::scan;
use second::second;

/// Below this, a second thread costs more than it saves.
pub const MIN_BYTES: u64 = 1024 * 1024;

/// Where the cut goes, as a fraction of the file.
pub const CUT: f64 = 0.5;

/// The fewest bytes of an entry the sets take (`{"name":"a","type":"gauge","value":1},`):
/// series counts guessed from byte offsets reserve no more than that.
const MIN_ENTRY: f64 = 38.0;

/// How many of its entries the calling thread must have read for their
/// rate to say how many are left before the cut (fewer: the cut's rate).
const RATE_ENTRIES: usize = 64;

/// A file to be read on two threads: its path, and the identity of the
/// file the calling thread has open there.
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    pub path: &'a Path,
    file: Identity,
}

impl Plan<'_> {
    /// The file's length when the read began.
    pub fn bytes(&self) -> u64 {
        self.file.len
    }
}

/// Whether `path`, whose open file (the one the calling thread reads) has
/// `metadata`, is to be read on two threads once two are asked for: two
/// cores, and a regular file of at least [`MIN_BYTES`] and at most
/// `max_bytes` (past it, the one pass must meet the limit as it reads).
pub fn plan<'a>(path: &'a Path, metadata: &std::fs::Metadata, max_bytes: u64) -> Option<Plan<'a>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let file = Identity::of(metadata);
    let sized = metadata.is_file() && (MIN_BYTES..=max_bytes).contains(&file.len);
    (cores >= 2 && sized).then_some(Plan { path, file })
}

/// [`onepass::read`] of `input`, which holds the bytes of the planned
/// file, with the entries past [`CUT`] of it read on a second thread.
pub fn read(input: impl Read, plan: Plan, set: &mut FamilySet) -> Option<Value> {
    let target = (plan.bytes() as f64 * CUT) as u64;
    read_cut(input, plan.path, Some(plan.file), target, set, false).0
}

/// [`read`] cut where the second thread finds a cut past byte `target`
/// (guessed, or scanned for), the calling thread waiting for it to take
/// its cut (or give up), so a small input is cut too; also the entries
/// merged from the second set.
/// Public for the property test that keeps it equal to the one pass.
pub fn read_cut_at(
    input: impl Read,
    path: &Path,
    target: u64,
    set: &mut FamilySet,
) -> (Option<Value>, Option<Range<usize>>) {
    let file = std::fs::metadata(path).ok().map(|m| Identity::of(&m));
    read_cut(input, path, file, target, set, true)
}

fn read_cut(
    input: impl Read,
    path: &Path,
    file: Option<Identity>,
    target: u64,
    set: &mut FamilySet,
    patient: bool,
) -> (Option<Value>, Option<Range<usize>>) {
    let shared = Shared {
        state: Mutex::new(State::default()),
        decided: Condvar::new(),
        patient,
        file,
        cancel: AtomicBool::new(false),
    };
    map_whole_blocks();
    let (labels_tx, labels_rx) = sync_channel(1);
    let (half_tx, half_rx) = sync_channel(1);
    let later = set.sibling();
    std::thread::scope(|s| {
        s.spawn(|| second(path, target, &shared, later, labels_rx, half_tx));
        let mut tail = Merged {
            shared: &shared,
            labels: Some(labels_tx),
            half: half_rx,
            over: false,
            cut: None,
            merged: None,
        };
        let read = onepass::read_with(input, set, &mut tail);
        shared.cancel.store(true, Ordering::Relaxed);
        // Dropping the senders ends a wait the second thread is in.
        (read, tail.merged)
    })
}

/// Blocks of 16 KiB and more are mapped one by one (glibc's malloc), so
/// that one freed is given back at once. The merge moves a family's series
/// into a block of both parts' size and frees the parts' blocks (the
/// second's in the second thread's malloc arena, which the first can't
/// reuse): kept in the heap, those freed blocks made the peak 3.7 MB
/// higher (100k series, `validate`: 38.2 MB against 34.4 MB, for about
/// 480 more mmap, munmap and mremap calls). Set once, for the rest of the
/// process; it also stops glibc raising the threshold as mapped blocks
/// are freed.
fn map_whole_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is thread-safe.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 16 * 1024);
    }
}

/// A file's device, inode and length.
#[derive(Clone, Copy, PartialEq)]
struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
}

impl Identity {
    fn of(m: &std::fs::Metadata) -> Identity {
        use std::os::unix::fs::MetadataExt;
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
        }
    }
}

/// `path` opened again for the second thread, if it is still the file the
/// read began on: one renamed over it, or grown, since then would mix two
/// files' entries in one set (the first thread reads on alone instead).
fn reopen(path: &Path, shared: &Shared) -> Option<File> {
    let file = File::open(path).ok()?;
    let now = file.metadata().ok().map(|m| Identity::of(&m));
    (now.is_some() && now == shared.file).then_some(file)
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when the second thread took its cut or gave up.
    decided: Condvar,
    /// Whether the calling thread waits for that before its first entry.
    patient: bool,
    /// The identity and length of the file the calling thread reads.
    file: Option<Identity>,
    /// The calling thread is done, or will not merge: stop.
    cancel: AtomicBool,
}

#[derive(Default)]
struct State {
    /// Where the entry the calling thread reads now starts (its bytes
    /// before that are read); kept up to date only until the cut is
    /// decided, the only time the second thread looks at it.
    read_to: u64,
    /// The `,` after which the second thread reads.
    cut: Option<Cut>,
    /// The second thread took its cut, or gave up.
    decided: bool,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Marks the second thread's decision taken when dropped (on every return).
struct Decided<'s>(&'s Shared);

impl Drop for Decided<'_> {
    fn drop(&mut self) {
        self.0.state().decided = true;
        self.0.decided.notify_all();
    }
}

/// The second thread's part, read cleanly to the end: its set, and how
/// many entries it holds.
struct Half<'a> {
    set: FamilySet<'a>,
    entries: usize,
}

/// The calling thread's side: hand the top-level labels over; at the cut,
/// merge the second thread's set.
struct Merged<'s, 'a> {
    shared: &'s Shared,
    labels: Option<SyncSender<Labels<'static>>>,
    half: Receiver<Half<'a>>,
    over: bool,
    /// The second thread's cut, once it is decided (`None` inside: it
    /// took none).
    cut: Option<Option<Cut>>,
    merged: Option<Range<usize>>,
}

impl Tail for Merged<'_, '_> {
    fn entries(&mut self, i: usize, at: u64, set: &mut FamilySet, labels: &Labels) -> Rest {
        if let Some(tx) = self.labels.take() {
            // Known once the entries start (before `"metrics"` or never).
            let _ = tx.send(labels.clone().into_owned());
        }
        if self.over {
            return Rest::Nothing;
        }
        // Decided, the cut can no longer move, so no lock is taken.
        let Some(cut) = self.cut.or_else(|| self.decided(i, at, set)) else {
            return Rest::Nothing;
        };
        let Some(cut) = cut else {
            self.over = true;
            return Rest::Nothing;
        };
        if at <= cut.at {
            return Rest::Nothing;
        }
        self.over = true;
        if at > cut.at + 1 {
            // Passed without landing on it: inside a string or an entry.
            self.shared.cancel.store(true, Ordering::Relaxed);
            return alone(i, "the second thread's cut was not between two entries");
        }
        self.merge(i, set)
    }
}

impl Merged<'_, '_> {
    /// The second thread's cut, if it is decided (then, once, room in
    /// `set` for the entries before it: see [`reserve`]); if not, note
    /// that the calling thread reads entry `i`, at `at` (a cut before it
    /// is refused).
    fn decided(&mut self, i: usize, at: u64, set: &mut FamilySet) -> Option<Option<Cut>> {
        let mut state = self.shared.state();
        while self.shared.patient && !state.decided {
            state = self
                .shared
                .decided
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
        if !state.decided {
            state.read_to = at;
            return None;
        }
        let cut = state.cut;
        drop(state);
        self.cut = Some(cut);
        if let Some(cut) = cut.filter(|cut| at <= cut.at) {
            reserve(i, at, cut, set);
        }
        self.cut
    }

    /// At the cut, entry `i`: merge the second set, whose entries are
    /// numbered on from `i`, if both parts are clean and agree.
    fn merge(&mut self, i: usize, set: &mut FamilySet) -> Rest {
        if !set.is_clean() {
            self.shared.cancel.store(true, Ordering::Relaxed);
            return alone(i, "a problem before them");
        }
        let Ok(Half {
            set: later,
            entries,
        }) = self.half.recv()
        else {
            return alone(i, "the second thread's part was not clean");
        };
        if !set.merge(later, i) {
            return alone(i, "the two parts do not merge");
        }
        let n = i + entries;
        crate::report::debug(|| format!("entries {i} to {} read on a second thread", n - 1));
        self.merged = Some(i..n);
        Rest::Whole(n)
    }
}

/// Room in `set`'s index for the series before `cut` (entry `i` starts
/// at `at`), at the rate of this part's entries so far once there are
/// [`RATE_ENTRIES`]: the index does not regrow (the second set's index is
/// kept beside this one, not taken in).
fn reserve(i: usize, at: u64, cut: Cut, set: &mut FamilySet) {
    let own = at as f64 / i.max(1) as f64;
    // Below RATE_ENTRIES the larger of the two rates: fewer slots, should
    // the middle's entries be smaller than this part's.
    let per_entry = if i >= RATE_ENTRIES {
        own
    } else {
        own.max(cut.per_entry)
    };
    set.reserve(((cut.at - at) as f64 / per_entry.max(MIN_ENTRY)) as usize);
}

/// The entry after the `,` the window is at, added to `set` as entry `i`
/// (for the second part, and for a guess's trial): `Some(true)` if a `,`
/// follows it, `Some(false)` if a `]` does; `None` if no `,` came first,
/// the entry was refused or left `set` unclean, or anything else follows.
fn entry_after_comma<R: Read>(
    w: &mut Window<R>,
    set: &mut FamilySet,
    labels: &Labels,
    i: usize,
) -> Option<bool> {
    if w.eat(b',') != Ok(true) {
        return None;
    }
    onepass::next_entry(w, set, labels, i).ok()?;
    if !set.is_clean() {
        return None;
    }
    match w.peek() {
        Ok(Some(b',')) => Some(true),
        Ok(Some(b']')) => Some(false),
        _ => None,
    }
}

/// The calling thread reads on from entry `i` itself, because of `why`.
fn alone(i: usize, why: &str) -> Rest {
    crate::report::debug(|| format!("entries from {i} read on one thread: {why}"));
    Rest::Nothing
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;
    use serde_json::{json, Map};

    use super::*;
    use crate::artifact::families::Entry;
    use crate::artifact::place::At;
    use crate::artifact::BuildOptions;
    use crate::model::Kind;

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
                // `}, {` inside a string is no guess: what follows its
                // `{` is no key (`\"k\"` or the string's end).
                let tricky = ["\"", "\\", ",", "]", "}", "[", "{", "\u{e9}", "\u{2028}", "\n", "x", "}, {", "}, {\"k\": 1}, {"];
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
        let help = prop_oneof![Just(""), Just("h"), Just("g")];
        (
            name,
            kind,
            prop::collection::vec((label, label_value()), 0..3),
            value,
            help,
        )
            .prop_map(|(name, kind, labels, value, help)| {
                let labels: Map<String, Value> = labels
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.into()))
                    .collect();
                let mut e = json!({"name": name, "type": kind, "labels": labels, "value": value});
                if !help.is_empty() {
                    e["help"] = json!(help);
                }
                e
            })
    }

    /// An entry the two-set path takes, mostly: its series is told apart
    /// by `i` (which [`sound_artifact`] sets), its type and help text
    /// follow its name, but for the odd planted clash or repeat.
    fn sound_entry() -> impl Strategy<Value = Value> {
        let plant = prop_oneof![
            30 => Just(None),
            1 => Just(Some("kind")),
            1 => Just(Some("help")),
            1 => Just(Some("repeat")),
        ];
        (0..5usize, any::<bool>(), label_value(), plant).prop_map(|(n, help, v, plant)| {
            let names = ["a", "b_total", "c", "d", "e_total"];
            let kinds = ["gauge", "counter", "untyped", "gauge", "counter"];
            let kind = if plant == Some("kind") {
                "untyped"
            } else {
                kinds[n]
            };
            let mut e = json!({"name": names[n], "type": kind, "labels": {"v": v}, "value": n});
            if help || plant == Some("help") {
                e["help"] = json!(if plant == Some("help") {
                    "other"
                } else {
                    names[n]
                });
            }
            if plant == Some("repeat") {
                e["repeat"] = json!(true);
            }
            e
        })
    }

    /// [`sound_entry`]s numbered by an `i` label (a repeat takes an
    /// earlier entry's number), as an artifact.
    fn sound_artifact() -> impl Strategy<Value = String> {
        prop::collection::vec(sound_entry(), 1..80).prop_map(|mut entries| {
            for (i, e) in entries.iter_mut().enumerate() {
                let repeat = e.as_object_mut().unwrap().remove("repeat").is_some();
                let n = if repeat { i / 2 } else { i };
                e["labels"]["i"] = json!(n.to_string());
            }
            json!({"labels": {"env": "ci"}, "metrics": entries}).to_string()
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
            let target = (text.len() as f64 * at) as u64;
            let (one, two, _) = both(&text, target, limit);
            prop_assert_eq!(&one, &two, "cut at {} of {}", target, text.len());
            // The scan finds the same cut however the input is read.
            let never = AtomicBool::new(false);
            let whole = scan(text.as_bytes(), target, &never);
            let trickled = scan(Trickle(text.as_bytes(), 1 + text.len() % 5), target, &never);
            prop_assert_eq!(whole, trickled);
        }
    }

    /// The outcome of the one pass and of the split one, cut at byte
    /// `target`; whether the second set was merged.
    fn both(text: &str, target: u64, limit: usize) -> (String, String, bool) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let path = file.path();
        let one = outcome(limit, |set| onepass::read(File::open(path).unwrap(), set));
        let mut merged = false;
        let two = outcome(limit, |set| {
            let (read, range) = read_cut_at(File::open(path).unwrap(), path, target, set);
            merged = range.is_some();
            read
        });
        (one, two, merged)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Valid artifacts (but for the odd clash or repeat on either side
        /// of the cut), cut anywhere, with or without a --max-series limit
        /// that either half may pass alone: the merged sets answer as the
        /// one set, and a clean input is merged.
        #[test]
        fn the_merged_sets_answer_as_the_one_set(
            text in sound_artifact(),
            at in 0.0..1.0f64,
            limit in prop_oneof![3 => Just(usize::MAX), 1 => 1..80usize],
        ) {
            let target = (text.len() as f64 * at) as u64;
            let (one, two, merged) = both(&text, target, limit);
            prop_assert_eq!(&one, &two, "cut at {} of {}", target, text.len());
            let cut = scan(text.as_bytes(), target, &AtomicBool::new(false));
            let clean = one.starts_with("Some(") && one.contains(" false Ok(");
            prop_assert_eq!(merged, clean && cut.is_some(), "{}", one);
        }
    }

    /// Both parts' numbers in the messages of a merged read: a family of
    /// the second part is pointed at by its number in the whole array.
    #[test]
    fn a_merged_part_is_pointed_at_by_its_numbers_in_the_whole_array() {
        let gauge = |name: &str, i: usize| {
            format!(
                r#"{{"name": "{name}", "type": "gauge", "value": 1, "labels": {{"i": "{i}"}}}}"#
            )
        };
        let histogram = r#"{"name": "h", "type": "histogram", "buckets": [{"le": 1, "count": 1}, {"le": 2, "count": 2}], "sum": 1, "count": 2}"#;
        let mut entries = vec![histogram.to_string()];
        entries.extend((1..40).map(|i| gauge("g", i)));
        entries.push(gauge("h_count", 40));
        let text = format!(r#"{{"metrics": [{}]}}"#, entries.join(", "));
        let target = text.len() as u64 / 2;
        let (one, two, merged) = both(&text, target, usize::MAX);
        assert_eq!(one, two);
        assert!(merged, "{two}");
        assert!(
            one.contains(r#"/metrics/40: metric \"h_count\" collides"#),
            "{one}"
        );
        assert!(one.contains("histogram \\\"h\\\" at /metrics/0"), "{one}");
    }

    /// Entries too big for a guess's trial: the scan finds the cut, and
    /// the parts merge as they do from a guess.
    #[test]
    fn where_no_guess_holds_the_scan_finds_the_cut() {
        let help = "h".repeat(20 * 1024);
        let entries: Vec<String> = (0..6)
            .map(|i| format!(r#"{{"name": "a", "type": "gauge", "help": "{help}", "value": {i}, "labels": {{"i": "{i}"}}}}"#))
            .collect();
        let text = format!(r#"{{"metrics": [{}]}}"#, entries.join(", "));
        let target = text.len() as u64 / 2;
        let opts = BuildOptions::default();
        let set = FamilySet::new(&opts, usize::MAX);
        let never = AtomicBool::new(false);
        let after = &text.as_bytes()[target as usize..];
        assert_eq!(
            guess::guess_in(after, &set, &Labels::default(), &never),
            None
        );
        let (one, two, merged) = both(&text, target, usize::MAX);
        assert_eq!(one, two);
        assert!(merged, "{two}");
    }

    /// After a merge, an entry added to the set (an inline `--metric`)
    /// that repeats a second-part series, or gives a second-part family
    /// another type, is pointed at the second part's entry by its number
    /// in the whole array.
    #[test]
    fn an_entry_added_after_a_merge_points_into_the_second_part() {
        let gauge = |name: &str, i: usize| {
            format!(
                r#"{{"name": "{name}", "type": "gauge", "value": 1, "labels": {{"i": "{i}"}}}}"#
            )
        };
        let mut entries: Vec<String> = (0..40).map(|i| gauge("g", i)).collect();
        entries.push(gauge("late", 40));
        let text = format!(r#"{{"metrics": [{}]}}"#, entries.join(", "));
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let path = file.path();
        let said = outcome(usize::MAX, |set| {
            let target = text.len() as u64 / 2;
            let (read, merged) = read_cut_at(File::open(path).unwrap(), path, target, set);
            assert!(merged.is_some());
            let mut repeat = Entry::scalar("g", Kind::Gauge, 2.0);
            repeat.labels.push(("i".into(), "39".into()));
            set.add(At::Shown("--metric g".into()), repeat);
            let mut clash = Entry::scalar("late", Kind::Counter, 2.0);
            clash.labels.push(("i".into(), "x".into()));
            set.add(At::Shown("--metric late".into()), clash);
            read
        });
        assert!(
            said.contains("--metric g: duplicate series g{i=\\\"39\\\"}: /metrics/39 has"),
            "{said}"
        );
        assert!(said.contains("--metric late: \\\"late\\\" is declared as a counter here but as a gauge at /metrics/40"), "{said}");
    }

    /// A cut the calling thread passes without landing on it (a guess that
    /// was inside an entry) is not taken, however clean the second part.
    #[test]
    fn a_cut_the_calling_thread_passes_is_not_taken() {
        let text = r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1, "help": "}, {"}, {"name": "b", "type": "gauge", "value": 2}]}"#;
        let inside = text.find("}, {\"}").unwrap() as u64 + 1;
        let one = outcome(usize::MAX, |set| onepass::read(text.as_bytes(), set));
        let mut merged = None;
        let shared = Shared {
            state: Mutex::new(State {
                read_to: 0,
                cut: Some(Cut {
                    at: inside,
                    per_entry: 50.0,
                }),
                decided: true,
            }),
            decided: Condvar::new(),
            patient: false,
            file: None,
            cancel: AtomicBool::new(false),
        };
        let two = outcome(usize::MAX, |set| {
            // A clean part that would merge, were the cut taken.
            let mut later = set.sibling();
            let b = br#", {"name": "b", "type": "gauge", "value": 2}]}"#;
            let labels = Labels::default();
            let mut w = Window::new(&b[..]).unwrap();
            assert_eq!(w.eat(b','), Ok(true));
            onepass::next_entry(&mut w, &mut later, &labels, 0).unwrap();
            let (half_tx, half) = sync_channel(1);
            half_tx
                .send(Half {
                    set: later,
                    entries: 1,
                })
                .ok()
                .unwrap();
            let mut tail = Merged {
                shared: &shared,
                labels: None,
                half,
                over: false,
                cut: None,
                merged: None,
            };
            let read = onepass::read_with(text.as_bytes(), set, &mut tail);
            merged = tail.merged;
            read
        });
        assert_eq!(one, two);
        assert!(one.contains("Ok("), "{one}");
        assert_eq!(merged, None);
        assert!(shared.cancel.load(Ordering::Relaxed));
    }

    #[test]
    fn the_second_thread_reads_only_the_file_the_read_began_on() {
        let dir = tempfile::tempdir().unwrap();
        let (path, other) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(&path, "[1]").unwrap();
        let shared = |path: &Path| Shared {
            state: Mutex::new(State::default()),
            decided: Condvar::new(),
            patient: false,
            file: std::fs::metadata(path).ok().map(|m| Identity::of(&m)),
            cancel: AtomicBool::new(false),
        };
        let began = shared(&path);
        assert!(reopen(&path, &began).is_some());
        // Grown, or another file renamed over it: read on alone.
        std::fs::write(&path, "[1, 2]").unwrap();
        assert!(reopen(&path, &began).is_none());
        let began = shared(&path);
        std::fs::write(&other, "[3, 4]").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert!(reopen(&path, &began).is_none());
        assert!(reopen(&dir.path().join("gone.json"), &began).is_none());
        // The plan names the file the calling thread has open, not what
        // the path names by the time the plan is made.
        let open = File::open(&path).unwrap();
        std::fs::write(&other, "[5, 6]").unwrap();
        std::fs::rename(&other, &path).unwrap();
        let file = Identity::of(&open.metadata().unwrap());
        assert!(reopen(&path, &shared(&path)).is_some());
        let planned = Shared {
            file: Some(file),
            ..shared(&path)
        };
        assert!(reopen(&path, &planned).is_none());
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
