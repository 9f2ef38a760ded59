//! The second thread's side of the read on two threads ([`super`]): find
//! the cut (guessed, or scanned for), claim it if the calling thread has
//! not read that far, read the entries after it into a set of their own,
//! numbered from 0, and hand the set over if the part was read cleanly to
//! the end. Its own module so that [`super`] reads as the protocol: the
//! shared state, and what the calling thread does at each entry.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender};

use super::guess::{guess, Cut};
use super::scan::scan;
use super::{entry_after_comma, reopen, Decided, Half, Shared, MIN_ENTRY};
use crate::artifact::families::FamilySet;
use crate::artifact::native::Labels;
use crate::artifact::window::Window;

/// The second thread: find the cut, claim it, read from it into `set`, and
/// hand the set over if all is well.
pub(super) fn second<'a>(
    path: &Path,
    target: u64,
    shared: &Shared,
    mut set: FamilySet<'a>,
    labels: Receiver<Labels<'static>>,
    tx: SyncSender<Half<'a>>,
) {
    let decided = Decided(shared);
    let Some(mut file) = reopen(path, shared) else {
        return;
    };
    // The guess's trial reads entries, which take the top-level labels.
    let Ok(labels) = labels.recv() else { return };
    let cut = guess(&mut file, target, &set, &labels, &shared.cancel)
        .or_else(|| scanned(&mut file, target, shared));
    let Some(cut) = cut else {
        return;
    };
    {
        let mut state = shared.state();
        if cut.at < state.read_to {
            return;
        }
        // Decided under the same lock: a calling thread that looks now
        // lands on the cut, rather than read past it.
        state.cut = Some(cut);
        state.decided = true;
    }
    drop(decided);
    // Room for the series expected after the cut: the index does not
    // regrow (measured: 0.2 MB less at the peak, 100k series).
    let len = shared.file.map_or(0, |f| f.len);
    let per_entry = cut.per_entry.max(MIN_ENTRY);
    set.reserve((len.saturating_sub(cut.at) as f64 / per_entry) as usize);
    if let Some(entries) = rest(file, cut.at, shared, &mut set, &labels) {
        let _ = tx.send(Half { set, entries });
    }
}

/// The cut found by [`scan()`]ning `file` from its start.
fn scanned(file: &mut File, target: u64, shared: &Shared) -> Option<Cut> {
    file.seek(SeekFrom::Start(0)).ok()?;
    let (entries, at) = scan(&mut *file, target, &shared.cancel)?;
    let per_entry = at as f64 / entries as f64;
    Some(Cut { at, per_entry })
}

/// The entries from the `,` at byte `at` of `file` on, added to `set`
/// numbered from 0; how many, if the input after them is `]`, `}` and its
/// end, and `set` is clean.
fn rest(
    mut file: File,
    at: u64,
    shared: &Shared,
    set: &mut FamilySet,
    labels: &Labels,
) -> Option<usize> {
    file.seek(SeekFrom::Start(at)).ok()?;
    // Starting at the `,`: a byte-order mark here is not skipped.
    let mut w = Window::new(file).ok()?;
    let mut i = 0;
    loop {
        if shared.cancel.load(Ordering::Relaxed) {
            return None;
        }
        let more = entry_after_comma(&mut w, set, labels, i)?;
        i += 1;
        if !more {
            break;
        }
    }
    let ended = w.eat(b']') == Ok(true) && w.eat(b'}') == Ok(true) && w.peek() == Ok(None);
    ended.then_some(i)
}
