//! The sample values of the promtool tests: a value just outside a bound
//! (alice's), one inside every bound (bob's), both within the `valid`
//! range, and Prometheus's rendering of durations, so the expected
//! annotations match what promtool renders.

use super::Bounds;

/// Which side of an `expect` range a bound is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Min,
    Max,
}

/// A promtool series: a start value and an increment per step.
#[derive(Debug, Clone, Copy)]
pub(super) struct Values(pub f64, pub f64);

impl Values {
    pub(super) fn render(self, steps: u64) -> String {
        let Values(v, inc) = self;
        if inc == 0.0 {
            format!("{v}x{steps}")
        } else {
            format!("{v}+{inc}x{steps}")
        }
    }
}

/// A value outside a bound but still valid: what promtool feeds alice.
pub(super) fn outside(side: Side, bound: f64, valid: Bounds) -> f64 {
    match side {
        Side::Max => {
            let v = bound + bound.abs().max(1.0);
            valid
                .max
                .map_or(v, |hi| if v > hi { (bound + hi) / 2.0 } else { v })
        }
        Side::Min => {
            let v = if bound > 0.0 {
                bound / 2.0
            } else {
                bound - 1.0
            };
            valid
                .min
                .map_or(v, |lo| if v < lo { (bound + lo) / 2.0 } else { v })
        }
    }
}

/// A value inside the expected (and valid) bounds: what promtool feeds bob.
pub(super) fn inside(expect: Bounds, valid: Bounds) -> f64 {
    let b = Bounds {
        min: expect.min.or(valid.min),
        max: expect.max.or(valid.max),
    };
    match (b.min, b.max) {
        (Some(lo), Some(hi)) => (lo + hi) / 2.0,
        (None, Some(hi)) if hi > 0.0 => hi / 2.0,
        (None, Some(hi)) => hi - 1.0,
        (Some(lo), None) if lo > 0.0 => lo * 2.0,
        (Some(lo), None) => lo + 1.0,
        (None, None) => 0.0,
    }
}

/// Prometheus's `humanizeDuration` for whole seconds of a minute or more.
pub(super) fn humanize_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h {m}m {s}s")
    } else if h > 0 {
        format!("{h}h {m}m {s}s")
    } else {
        format!("{m}m {s}s")
    }
}
