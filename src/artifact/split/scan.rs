//! The second thread's cut ([`super`]) where no guess holds
//! ([`super::guess`](mod@super::guess); entries too big for its trial): the first `,`
//! between two entries of the top-level `"metrics"` array at or past a
//! byte offset, found by looking at the structure of everything before it
//! (strings and escapes honoured, a string's bytes skipped eight at a time
//! by [`stop_byte`]).

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};

use super::CHUNK;
use crate::artifact::stop::stop_byte;

/// Where the structure is, for [`scan`].
#[derive(Default)]
struct Scan {
    depth: u32,
    in_string: bool,
    /// A `\` ended the last read: the next byte is escaped.
    escaped: bool,
    /// The last string at depth 1 (a key, when a value follows), its start.
    key: Vec<u8>,
    in_metrics: bool,
    /// The `,` between entries seen so far.
    commas: usize,
}

/// The first `,` between two entries of the top-level `"metrics"` array
/// at or past byte `target`: the index of the entry after it, and its
/// offset. `None` if there is none (or the scan was cancelled). Only the
/// structure is looked at: what is not JSON is left for the readers.
pub(super) fn scan(mut input: impl Read, target: u64, cancel: &AtomicBool) -> Option<(usize, u64)> {
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
                let found = stop_byte(&bytes[j..]);
                let end = found.map_or(bytes.len(), |p| j + p);
                // A control byte (not JSON, left for the readers) is one
                // of the string's bytes.
                let through = match found.map(|_| bytes[end]) {
                    Some(b'"') => {
                        self.in_string = false;
                        end
                    }
                    Some(b'\\') => {
                        self.escaped = true;
                        end
                    }
                    Some(_) => end + 1,
                    None => end,
                };
                if self.depth == 1 && self.key.len() < 16 {
                    self.key.extend_from_slice(&bytes[j..through.min(j + 16)]);
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
