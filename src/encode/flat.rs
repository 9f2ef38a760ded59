//! One sample as the series a Prometheus scrape would have stored: a
//! histogram's `_bucket{le=…}` series (with the `+Inf` bucket equal to the
//! count), then `_sum` and `_count`; a summary's `{quantile=…}` series,
//! then `_sum` and `_count`; a scalar as itself. Written once for every
//! encoder whose store has no histogram type (remote write, InfluxDB line
//! protocol, MLflow), so they all flatten alike.

use crate::model::Sample;

/// Call `emit(suffix, extra label, value)` for every flattened series of
/// `sample`, in the order above; the extra label is `("le", bound)` or
/// `("quantile", q)`.
pub fn flatten(
    sample: &Sample,
    mut emit: impl FnMut(&'static str, Option<(&'static str, f64)>, f64),
) {
    match sample {
        Sample::Scalar(v) => emit("", None, *v),
        Sample::Histogram {
            buckets,
            sum,
            count,
        } => {
            let all = buckets.iter().copied().chain([(f64::INFINITY, *count)]);
            for (le, c) in all {
                emit("_bucket", Some(("le", le)), c as f64);
            }
            emit("_sum", None, *sum);
            emit("_count", None, *count as f64);
        }
        Sample::Summary {
            quantiles,
            sum,
            count,
        } => {
            for (q, v) in quantiles {
                emit("", Some(("quantile", *q)), *v);
            }
            emit("_sum", None, *sum);
            emit("_count", None, *count as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_a_scrape_stores_them() {
        let mut out = Vec::new();
        let h = Sample::Histogram {
            buckets: vec![(0.5, 3)],
            sum: 6.5,
            count: 10,
        };
        let s = Sample::Summary {
            quantiles: vec![(0.9, 1.5)],
            sum: 2.0,
            count: 4,
        };
        for sample in [&Sample::Scalar(1.0), &h, &s] {
            flatten(sample, |suffix, extra, v| out.push((suffix, extra, v)));
        }
        assert_eq!(
            out,
            [
                ("", None, 1.0),
                ("_bucket", Some(("le", 0.5)), 3.0),
                ("_bucket", Some(("le", f64::INFINITY)), 10.0),
                ("_sum", None, 6.5),
                ("_count", None, 10.0),
                ("", Some(("quantile", 0.9)), 1.5),
                ("_sum", None, 2.0),
                ("_count", None, 4.0),
            ]
        );
    }
}
