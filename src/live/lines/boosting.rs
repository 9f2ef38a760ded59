//! Gradient boosting's evaluation lines: `[iteration]` then tab-separated
//! results, one per evaluation set and metric.
//!
//! ```text
//! [4]\ttrain-rmse:0.40101\teval-rmse:0.51770          XGBoost (evals=…, verbose_eval)
//! [5]\ttraining's l2: 1.81737\tvalid_1's l2: 2.3008    LightGBM (log_evaluation)
//! ```
//! (`\t`: a tab.)
//!
//! Each result is a gauge named `set-metric` (XGBoost, which the name rule
//! makes `train_rmse`) or `set_metric` (LightGBM: `valid_1_l2`, and
//! `valid_0_ndcg@5`, which the rule makes `valid_0_ndcg_5`); the bracketed
//! number is the gauge `iteration`. Cross-validation's
//! `mean+std` (XGBoost) and `mean + std` (LightGBM) give the mean.

use memchr::{memchr_iter, memrchr};

use super::{Format, Parsed, Reading};
use crate::model::parse_number;

/// The iteration and what follows its tab, when the line has `[N]<TAB>`
/// (at its start or after a logger's prefix).
pub(super) fn split(line: &str) -> Option<(f64, &str)> {
    let b = line.as_bytes();
    let close = memchr_iter(b'\t', b).find(|&i| i > 0 && b[i - 1] == b']')? - 1;
    let open = line[..close].rfind('[')?;
    let digits = &line[open + 1..close];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let at_start = open == 0 || line.as_bytes()[open - 1].is_ascii_whitespace();
    let after_prefix = line[..open].ends_with(':');
    let iteration: f64 = digits.parse().ok()?;
    (at_start || after_prefix).then_some((iteration, &line[close + 2..]))
}

pub(super) fn read<'a>(iteration: f64, fields: &'a str, out: &mut Parsed<'a>) {
    let before = out.readings.len();
    out.push("iteration", iteration);
    for field in fields.split('\t') {
        // `set-metric:value` or `set's metric: value`; a metric's name may
        // hold `:` (`ndcg@5`), a value never does.
        let Some(colon) = memrchr(b':', field.as_bytes()) else {
            continue;
        };
        let Some(v) = mean(&field[colon + 1..]) else {
            continue;
        };
        let head = field[..colon].trim();
        let (name, format) = match lightgbm(head) {
            Some((set, metric)) => {
                let mut name = String::with_capacity(head.len());
                name.push_str(set);
                name.push('_');
                name.push_str(metric);
                (name.into(), Format::LightGBM)
            }
            None => (head.into(), Format::XGBoost),
        };
        out.readings.push(Reading {
            name,
            ..Reading::new("", v)
        });
        out.format = Some(format);
    }
    if out.format.is_none() {
        // `[3]\tsomething else`: not an evaluation line after all.
        out.readings.truncate(before);
    }
}

/// LightGBM's `set's metric`: the set and the metric.
fn lightgbm(head: &str) -> Option<(&str, &str)> {
    let b = head.as_bytes();
    let quote = memchr_iter(b'\'', b).find(|&i| b[i + 1..].starts_with(b"s "))?;
    Some((&head[..quote], &head[quote + 3..]))
}

/// `0.5`, or the mean of `0.5+0.01` / `0.5 + 0.01`.
fn mean(value: &str) -> Option<f64> {
    let value = value.trim();
    parse_number(value).or_else(|| {
        let b = value.as_bytes();
        let plus = (1..b.len()).find(|&i| b[i] == b'+' && !matches!(b[i - 1], b'e' | b'E'))?;
        parse_number(value[plus + 1..].trim())?;
        parse_number(&value[..plus])
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{v, values};
    use super::super::{Format, LineParser};

    #[test]
    fn xgboost() {
        let p = LineParser::new().parse("[4]\ttrain-rmse:0.40101\teval-rmse:0.51770");
        assert_eq!(p.format, Some(Format::XGBoost));
        assert_eq!(
            values("[4]\ttrain-rmse:0.40101\teval-rmse:0.51770"),
            v(&[
                ("iteration", 4.0),
                ("train_rmse", 0.40101),
                ("eval_rmse", 0.5177)
            ])
        );
        assert_eq!(
            values("[0]\tvalidation_0-ndcg@5:0.9\tvalidation_0-error@0.7:1e-05"),
            v(&[
                ("iteration", 0.0),
                ("validation_0_ndcg_5", 0.9),
                ("validation_0_error_0_7", 1e-5)
            ])
        );
        // xgb.cv: mean+std.
        assert_eq!(
            values("[9]\ttrain-rmse:0.12000+0.00500\ttest-rmse:1.5e+00+0.1"),
            v(&[("iteration", 9.0), ("train_rmse", 0.12), ("test_rmse", 1.5)])
        );
    }

    #[test]
    fn lightgbm() {
        let line = "[5]\ttraining's l2: 1.34325\ttraining's l1: 0.881385\tvalid_1's l2: 1.10444";
        assert_eq!(LineParser::new().parse(line).format, Some(Format::LightGBM));
        assert_eq!(
            values(line),
            v(&[
                ("iteration", 5.0),
                ("training_l2", 1.34325),
                ("training_l1", 0.881385),
                ("valid_1_l2", 1.10444)
            ])
        );
        // lgb.cv, and a logger's prefix.
        assert_eq!(
            values("INFO:lightgbm:[12]\tcv_agg's valid ndcg@3: 0.812 + 0.0213"),
            v(&[("iteration", 12.0), ("cv_agg_valid_ndcg_3", 0.812)])
        );
    }

    #[test]
    fn other_bracketed_lines() {
        for line in [
            "[3]\tdone",
            "[x]\ta-b:1",
            "a[3]\tloss:1",
            "[]\ta:1",
            "[LightGBM] [Warning] no\tmore",
        ] {
            assert_eq!(values(line), v(&[]), "{line:?}");
        }
    }
}
