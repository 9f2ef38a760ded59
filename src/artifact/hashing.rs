//! The hashers of the family set's maps, chosen in this one place: the
//! maps keyed by artifact content (series, family names, label strings)
//! and the series index, whose keys are already hashes.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use foldhash::fast::{FoldHasher, RandomState, SeedableRandomState};
use foldhash::SharedSeed;

/// The hasher of the maps keyed by artifact content (series, family
/// names, label strings): the one place to choose it. foldhash (what
/// hashbrown itself uses by default) with a per-map seed from the
/// operating system, so that an artifact can't be crafted to make the maps
/// degrade. On 100,000 series std's SipHash cost about 250 M instructions
/// (callgrind), ~9% of a push.
#[derive(Clone)]
pub struct ContentHasher(SeedableRandomState);

impl Default for ContentHasher {
    fn default() -> Self {
        // `run()` made sure the system's randomness answers; should it stop
        // answering, foldhash's own seeding (address-space layout) remains.
        let seed = getrandom::u64().unwrap_or_else(|_| RandomState::default().hash_one(0));
        ContentHasher(SeedableRandomState::with_seed(
            seed,
            SharedSeed::global_random(),
        ))
    }
}

impl BuildHasher for ContentHasher {
    type Hasher = FoldHasher<'static>;
    fn build_hasher(&self) -> FoldHasher<'static> {
        self.0.build_hasher()
    }
}

/// The series index's keys are already [`ContentHasher`] hashes: used as
/// they are rather than hashed again (as unpredictable as that hasher is).
#[derive(Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; fold anything else in anyway.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub type ByHash<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;
