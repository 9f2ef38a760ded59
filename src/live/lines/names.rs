//! The one rule that makes a name read from a line a legal metric name, and
//! the memory that notices two names the rule makes equal.
//!
//! Frameworks name metrics as they like: TensorBoard's `val/accuracy`,
//! XGBoost's `train-rmse`, LightGBM's `valid_0's l2`, `ndcg@5`. A user can't
//! change what the framework prints, so refusing those names (as `push`
//! refuses them in an artifact) would lose the run's metrics. The rule:
//!
//! - a name that is already legal (`[a-zA-Z_:][a-zA-Z0-9_:]*`) is kept;
//! - otherwise each run of characters other than ASCII letters, digits,
//!   `_` and `:` becomes one `_`, and a name that would start with a digit
//!   gets a `_` in front (`val/accuracy` → `val_accuracy`, `train-rmse` →
//!   `train_rmse`, `top-1 acc` → `top_1_acc`, `1cycle` → `_1cycle`).
//!
//! Two different spellings can become one name (`val/loss` and `val_loss`).
//! The first one read keeps the name; the other's values are ignored, with
//! one warning, so that one series never flips between two metrics.

use std::sync::{Arc, Mutex, MutexGuard};

use foldhash::HashMap;

use crate::model::is_metric_name;

/// Names are remembered up to this many (a script printing `step_1=…`,
/// `step_2=…` must not grow memory without end; the state refuses series
/// long before).
const REMEMBERED: usize = 100_000;

/// A legal name for `raw`, or `None` when it is legal already.
pub fn legal(raw: &str) -> Option<String> {
    if is_metric_name(raw) {
        return None;
    }
    let mut out = String::with_capacity(raw.len() + 1);
    if raw.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    let mut replaced = false;
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            out.push(c);
            replaced = false;
        } else if !replaced {
            out.push('_');
            replaced = true;
        }
    }
    Some(out)
}

/// The spelling each name was first read in, shared by the clones of one
/// parser (`run` reads stdout and stderr with the same one).
#[derive(Debug, Clone, Default)]
pub struct Spellings {
    first: Arc<Mutex<HashMap<Box<str>, Spelling>>>,
}

#[derive(Debug)]
struct Spelling {
    raw: Box<str>,
    warned: bool,
}

/// What to do with a reading under a name.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Keep,
    /// Another spelling has the name: ignore the value (warn with the
    /// message the first time).
    Ignore(Option<String>),
}

impl Spellings {
    /// Held for one line's readings: one lock per line, not per value.
    pub fn lock(&self) -> Checker<'_> {
        Checker(self.first.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

pub struct Checker<'a>(MutexGuard<'a, HashMap<Box<str>, Spelling>>);

impl Checker<'_> {
    /// Check the spelling `raw` (the name as printed) of `name` (legal).
    pub fn check(&mut self, name: &str, raw: &str) -> Verdict {
        let first = &mut self.0;
        match first.get_mut(name) {
            Some(s) if &*s.raw == raw => Verdict::Keep,
            Some(s) => {
                let warn = !s.warned;
                s.warned = true;
                Verdict::Ignore(warn.then(|| {
                    format!(
                        "{raw:?} would be the metric {name} (a name is made legal by turning other characters into _), which {:?} already is; its values are ignored (rename one of them)",
                        s.raw
                    )
                }))
            }
            None => {
                if first.len() < REMEMBERED {
                    let raw = raw.into();
                    first.insert(name.into(), Spelling { raw, warned: false });
                }
                Verdict::Keep
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        let cases = [
            ("val/accuracy", "val_accuracy"),
            ("train-rmse", "train_rmse"),
            ("acc.top1", "acc_top1"),
            ("top-1 acc", "top_1_acc"),
            ("valid_0 l2", "valid_0_l2"),
            ("eval-ndcg@5", "eval_ndcg_5"),
            ("val / loss", "val_loss"),
            ("1cycle", "_1cycle"),
            ("genauigkeit_ü", "genauigkeit__"),
            ("loss/", "loss_"),
        ];
        for (raw, want) in cases {
            assert_eq!(legal(raw).as_deref(), Some(want), "{raw}");
            assert!(is_metric_name(want), "{want}");
        }
        for kept in ["loss", "job:rate5m", "_x", "val_loss"] {
            assert_eq!(legal(kept), None, "{kept}");
        }
    }

    #[test]
    fn a_collision_is_one_warning_and_the_first_spelling_keeps_the_name() {
        let shared = Spellings::default();
        let mut s = shared.lock();
        assert_eq!(s.check("val_loss", "val_loss"), Verdict::Keep);
        assert_eq!(s.check("val_loss", "val_loss"), Verdict::Keep);
        let Verdict::Ignore(Some(w)) = s.check("val_loss", "val/loss") else {
            panic!("no warning")
        };
        assert_eq!(
            w,
            r#""val/loss" would be the metric val_loss (a name is made legal by turning other characters into _), which "val_loss" already is; its values are ignored (rename one of them)"#
        );
        assert_eq!(s.check("val_loss", "val/loss"), Verdict::Ignore(None));
        assert_eq!(s.check("val_loss", "val-loss"), Verdict::Ignore(None));
        drop(s);
        // Clones share what they saw (run's stdout and stderr readers).
        let clone = shared.clone();
        let mut c = clone.lock();
        assert_eq!(c.check("val_loss", "val/loss"), Verdict::Ignore(None));
        assert_eq!(c.check("val_loss", "val_loss"), Verdict::Keep);
    }
}
