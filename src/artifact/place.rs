//! Where an entry was given in the artifact, kept as its number and turned
//! into a pointer (`/metrics/7`) only when a message needs one: a big
//! artifact's entries then cost no pointer string each, in the family set
//! or in its duplicate-series index.
//!
//! Its own module so that both can use it without importing each other.

/// Where an entry was given, turned into text only for a message: the
/// native format's 100,000 entries then cost no pointer string each.
#[derive(Debug, Clone, PartialEq)]
pub enum At {
    /// The `i`th entry of the list at pointer `list` (`/metrics/7`).
    Item { list: &'static str, i: u32 },
    /// Anything else, as shown: a pointer, or `--metric …`. Boxed, not a
    /// `String`: an `At` then takes 24 bytes, not 32, in each family's
    /// first sighting (75,000 one-gauge families: 1.8 MB).
    Shown(Box<str>),
}

// Kept at 24 bytes (see `Shown`).
const _: () = assert!(std::mem::size_of::<At>() == 24);

impl At {
    /// This place with an entry's number `by` more: a part of a list read
    /// on its own, numbered from 0, put back after `by` entries.
    pub fn shifted(self, by: u32) -> At {
        match self {
            At::Item { list, i } => At::Item { list, i: i + by },
            shown => shown,
        }
    }
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            At::Item { list, i } => write!(f, "{list}/{i}"),
            At::Shown(s) => f.write_str(s),
        }
    }
}

impl From<String> for At {
    fn from(s: String) -> At {
        At::Shown(s.into_boxed_str())
    }
}

impl From<&At> for String {
    fn from(at: &At) -> String {
        at.to_string()
    }
}
