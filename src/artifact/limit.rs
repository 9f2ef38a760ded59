//! `--max-series` as the family set enforces it: series are counted as
//! they are stored, and the one past the limit stops the set, so that a
//! big artifact is refused after reading that many series, not after its
//! whole model is built (326 MB before the refusal on 1M series).

use anyhow::Result;

use super::place::At;
use crate::error::{bail_with, Exit};

/// The limit, the series stored so far, and where the one past it was
/// given (once it came).
#[derive(Debug)]
pub struct Limit {
    max: usize,
    stored: usize,
    passed_at: Option<String>,
}

impl Limit {
    pub fn new(max: usize) -> Limit {
        Limit {
            max,
            stored: 0,
            passed_at: None,
        }
    }

    /// Whether a series came past the limit.
    pub fn passed(&self) -> bool {
        self.passed_at.is_some()
    }

    /// Count one more series; `false` (remembering where it was given)
    /// when it is one too many.
    pub fn admit(&mut self, at: &At) -> bool {
        if self.stored == self.max {
            self.passed_at = Some(at.to_string());
            return false;
        }
        self.stored += 1;
        true
    }

    /// The same limit, nothing stored yet.
    pub fn sibling(&self) -> Limit {
        Limit::new(self.max)
    }

    /// Whether the series stored in both fit the limit together.
    pub fn fits_with(&self, other: &Limit) -> bool {
        !self.passed() && !other.passed() && self.stored.saturating_add(other.stored) <= self.max
    }

    /// Count `other`'s series as stored here ([`Self::fits_with`] first).
    pub fn absorb(&mut self, other: &Limit) {
        self.stored += other.stored;
    }

    /// The refusal (exit 4), once a series came past the limit.
    pub fn check(&self, origin: &str) -> Result<()> {
        if let Some(at) = &self.passed_at {
            bail_with!(
                Exit::Invalid,
                "{origin}: more than --max-series ({}) series (series {} is at {at}); raise --max-series or split the artifact",
                self.max,
                self.max.saturating_add(1)
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_past_the_limit_is_refused_with_its_place() {
        let at = |i| At::Item {
            list: "/metrics",
            i,
        };
        let mut limit = Limit::new(2);
        assert!(limit.admit(&at(0)) && limit.admit(&at(3)));
        assert!(!limit.passed() && limit.check("a.json").is_ok());
        assert!(!limit.admit(&at(7)));
        assert!(limit.passed());
        let err = limit.check("a.json").unwrap_err();
        assert_eq!(crate::error::exit_code(&err), Exit::Invalid);
        assert_eq!(
            err.to_string(),
            "a.json: more than --max-series (2) series (series 3 is at /metrics/7); raise --max-series or split the artifact"
        );
    }
}
