//! The one rule that makes a name read from a line a legal metric name.
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
//! The readers give names as printed; `State::record` (in `live::state`)
//! applies the rule as it records a value, and remembers each name's first
//! spelling: when two spellings become one name (`val/loss` and
//! `val_loss`), the first one read keeps it and the other's values are
//! ignored, with one warning, so that one series never flips between two
//! metrics. (The state looks every name up anyway; a table of spellings in
//! the parser cost a lock and a hash per value.)

use crate::model::is_metric_name;

/// A legal name for `raw`, or `None` when it is legal already.
pub fn legal(raw: &str) -> Option<String> {
    let mut out = String::new();
    legal_into(raw, &mut out).then_some(out)
}

/// [`legal`] into `out` (cleared first), for a caller that reuses one
/// buffer; false (and `out` untouched) when `raw` is legal already.
pub fn legal_into(raw: &str, out: &mut String) -> bool {
    if is_metric_name(raw) {
        return false;
    }
    out.clear();
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
    true
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
}
