//! One group as the gateway's API shows it, read back into the model, so
//! that `delete --metric NAME` can PUT the group again without NAME.
//!
//! The Pushgateway can only delete a whole group (a single-metric delete
//! is prometheus/pushgateway#256 and #225, unresolved). So `delete
//! --metric` reads `GET /api/v1/metrics`, takes the group whose `labels`
//! are exactly the grouping key, rebuilds every family from its JSON
//! (help, type, labels, values; histograms' buckets, summaries'
//! quantiles) and PUTs back all but the named ones. The rebuild is pure
//! and snapshot-tested against an answer captured from a real 1.5.1.
//!
//! What the rebuild drops, because the gateway adds it again: the two
//! bookkeeping families, the grouping labels on each series, and the
//! empty `instance` the gateway adds to series of a group without one.
//! Timestamps: the Pushgateway 1.x refuses pushed samples that carry one,
//! so a group never holds any; a `timestamp_ms` in the answer is refused
//! rather than silently dropped.
//!
//! The race: the gateway has no conditional PUT, so a push to the same
//! group between the read and the PUT is overwritten by the group as it
//! was read (docs/gateway-expiry.md).

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use serde_json::{Map, Value};

use crate::error::{fail, Exit};
use crate::model::{non_finite, Family, Kind, Label, Sample, Series};

/// The families the gateway keeps for every group itself.
pub const BOOKKEEPING: [&str; 2] = ["push_time_seconds", "push_failure_time_seconds"];

/// The group with exactly this grouping key in the API answer's `data`.
pub fn find<'a>(data: &'a [Value], key: &[(String, String)]) -> Option<&'a Value> {
    let want: BTreeMap<&str, &str> = key.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    data.iter().find(|g| {
        g["labels"].as_object().is_some_and(|labels| {
            labels.len() == want.len()
                && labels
                    .iter()
                    .all(|(k, v)| want.get(k.as_str()).copied() == v.as_str())
        })
    })
}

/// Every family of one group (its API JSON), without the bookkeeping
/// ones, by name. Errors name the JSON pointer below the group.
pub fn families(group: &Value, key: &[(String, String)]) -> Result<Vec<Family>> {
    let obj = group
        .as_object()
        .ok_or_else(|| anyhow!("the group is not a JSON object"))?;
    let mut out = Vec::new();
    for (name, fam) in obj {
        if BOOKKEEPING.contains(&name.as_str()) || fam.get("metrics").is_none() {
            continue;
        }
        let family = family(name, fam, key)
            .map_err(|why| fail(Exit::Rejected, anyhow!("the gateway's group, /{name}{why}")))?;
        out.push(family);
    }
    Ok(out)
}

fn family(name: &str, fam: &Value, key: &[(String, String)]) -> Result<Family, String> {
    let kind = fam["type"]
        .as_str()
        .and_then(|t| Kind::from_name(&t.to_ascii_lowercase()))
        .ok_or_else(|| {
            format!(
                "/type: {} is not a type simplepipe can push again",
                fam["type"]
            )
        })?;
    let metrics = fam["metrics"]
        .as_array()
        .ok_or("/metrics: expected an array")?;
    let series = metrics
        .iter()
        .enumerate()
        .map(|(i, m)| series(m, kind, key).map_err(|why| format!("/metrics/{i}{why}")))
        .collect::<Result<_, _>>()?;
    Ok(Family {
        name: name.to_string(),
        help: fam["help"].as_str().unwrap_or_default().to_string(),
        kind,
        series,
    })
}

fn series(m: &Value, kind: Kind, key: &[(String, String)]) -> Result<Series, String> {
    let obj = m.as_object().ok_or(": expected an object")?;
    if obj.contains_key("timestamp_ms") {
        return Err("/timestamp_ms: a sample with a timestamp, which a push can't restore".into());
    }
    let in_key = |k: &str| key.iter().any(|(g, _)| g == k);
    let mut labels = crate::model::Labels::new();
    for (k, v) in obj
        .get("labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let v = v
            .as_str()
            .ok_or(format!("/labels/{k}: expected a string"))?;
        // The gateway adds the grouping labels and an empty instance.
        if in_key(k) || (k == "instance" && v.is_empty()) {
            continue;
        }
        labels.push((Label::from(k.as_str()), Label::from(v)));
    }
    labels.sort();
    let sample = match kind {
        Kind::Histogram => Sample::Histogram {
            buckets: pairs(obj, "buckets", count)?,
            sum: number(&obj["sum"]).ok_or("/sum: expected a number as a string")?,
            count: count(&obj["count"]).ok_or("/count: expected a count as a string")?,
        },
        Kind::Summary => Sample::Summary {
            quantiles: pairs(obj, "quantiles", number)?,
            sum: number(&obj["sum"]).ok_or("/sum: expected a number as a string")?,
            count: count(&obj["count"]).ok_or("/count: expected a count as a string")?,
        },
        _ => Sample::Scalar(number(&obj["value"]).ok_or("/value: expected a number as a string")?),
    };
    Ok(Series { labels, sample })
}

/// A histogram's buckets or a summary's quantiles: bound -> value, by
/// bound, without the `+Inf` bucket (the count, which the encoder writes).
fn pairs<T>(
    obj: &Map<String, Value>,
    field: &str,
    value: fn(&Value) -> Option<T>,
) -> Result<Vec<(f64, T)>, String> {
    let mut out = Vec::new();
    for (bound, v) in obj
        .get(field)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let at = |what: &str| format!("/{field}/{bound}: {what}");
        let b = number(&Value::String(bound.clone())).ok_or_else(|| at("not a number"))?;
        if b == f64::INFINITY {
            continue;
        }
        out.push((
            b,
            value(v).ok_or_else(|| at("expected a number as a string"))?,
        ));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(out)
}

/// A value as the gateway writes it: Go's shortest float (`0.9`,
/// `1.7952723195894651e+09`), `NaN`, `+Inf`, `-Inf`. Parsed back to the
/// very same float.
fn number(v: &Value) -> Option<f64> {
    let s = v.as_str()?;
    non_finite(s).or_else(|| s.parse().ok())
}

fn count(v: &Value) -> Option<u64> {
    v.as_str()?.parse().ok()
}

/// `families` without the named ones. A name the group doesn't hold is
/// exit 4, naming every such name, before anything is sent.
pub fn without(families: Vec<Family>, names: &[String], group: &str) -> Result<Vec<Family>> {
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !families.iter().any(|f| &f.name == *n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let held: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
        return Err(fail(
            Exit::Invalid,
            anyhow!(
                "{group} holds no metric {}; nothing was changed (it holds: {})",
                missing.join(", "),
                held.join(", ")
            ),
        ));
    }
    Ok(families
        .into_iter()
        .filter(|f| !names.contains(&f.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pushgateway::listing::tests::CAPTURED;

    fn key(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn captured_group(pairs: &[(&str, &str)]) -> Vec<Family> {
        let doc: Value = serde_json::from_str(CAPTURED).unwrap();
        let data = doc["data"].as_array().unwrap();
        let k = key(pairs);
        families(find(data, &k).unwrap(), &k).unwrap()
    }

    /// A histogram and a summary under extra grouping labels, rebuilt:
    /// no grouping label on the series, no `+Inf` bucket (the count).
    #[test]
    fn a_histogram_and_a_summary_are_rebuilt_exactly() {
        let f = captured_group(&[("instance", "host-1"), ("job", "serve"), ("region", "eu")]);
        insta::assert_snapshot!(crate::encode::text(&f), @r#"
        # TYPE lat histogram
        lat_bucket{le="0.1"} 1
        lat_bucket{le="+Inf"} 3
        lat_sum 0.9
        lat_count 3
        # TYPE q summary
        q{quantile="0.5"} 1
        q_sum 2
        q_count 2
        "#);
    }

    #[test]
    fn plain_families_keep_help_labels_and_values() {
        let f = captured_group(&[("job", "etl"), ("user", "team/etl")]);
        insta::assert_snapshot!(crate::encode::text(&f), @r#"
        # TYPE rows gauge
        rows{table="a"} 1
        rows{table="b"} 2
        "#);
    }

    #[test]
    fn the_key_must_match_exactly() {
        let doc: Value = serde_json::from_str(CAPTURED).unwrap();
        let data = doc["data"].as_array().unwrap();
        assert!(find(data, &key(&[("job", "train")])).is_none());
        let alice = find(data, &key(&[("job", "train"), ("user", "alice")])).unwrap();
        assert!(
            alice["labels"].get("instance").is_none(),
            "not the group with an empty instance"
        );
    }

    #[test]
    fn unknown_names_are_refused_naming_them() {
        let f = captured_group(&[("instance", "host-1"), ("job", "serve"), ("region", "eu")]);
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let e = without(f.clone(), &names(&["lat", "nope", "zip"]), "G").unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Invalid);
        assert_eq!(
            format!("{e:#}"),
            "G holds no metric nope, zip; nothing was changed (it holds: lat, q)"
        );
        let kept = without(f, &names(&["lat"]), "G").unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name, "q");
    }

    #[test]
    fn a_timestamp_is_refused_not_dropped() {
        let g: Value = serde_json::from_str(
            r#"{"labels":{"job":"j"},"a":{"type":"GAUGE","metrics":[{"labels":{"job":"j"},"value":"1","timestamp_ms":"5"}]}}"#,
        )
        .unwrap();
        let e = families(&g, &key(&[("job", "j")])).unwrap_err();
        assert!(
            format!("{e:#}").contains("/a/metrics/0/timestamp_ms"),
            "{e:#}"
        );
    }
}
