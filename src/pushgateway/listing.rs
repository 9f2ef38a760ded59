//! What a Pushgateway holds, group by group: the `GET /api/v1/metrics`
//! answer parsed into typed [`Group`]s, for `simplepipe groups` and
//! `simplepipe prune`. The requests themselves are [`super`]'s.
//!
//! No I/O here and no wall clock (callers pass `now`, the gateway's time),
//! so every rule is unit-tested against an answer captured from a real
//! Pushgateway 1.5.1 (`tests/data/`).
//!
//! Facts about that answer this module relies on (checked against 1.5.1):
//! - each group's `labels` object is exactly its grouping key. A group
//!   pushed without an `instance` grouping label has no `instance` there,
//!   even though the gateway adds `instance=""` to every series and to
//!   `push_time_seconds`; a group pushed *with* `instance@base64/=` is a
//!   different group, whose `labels` do hold `instance: ""`. So the key is
//!   taken from `labels`, never from the series, and `DELETE` on the URL of
//!   exactly that key removes exactly that group;
//! - `push_time_seconds` is the last successful change (`0` when there was
//!   none) and `push_failure_time_seconds` the last failed one;
//! - every other member holding a `metrics` array is a metric family;
//!   [`super::expiry::EXPIRES_AT`] among them is the group's deadline.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use serde_json::{Map, Value};

use crate::error::{fail, Exit};

/// The two bookkeeping families the gateway keeps for every group.
const PUSH_TIME: &str = "push_time_seconds";
const FAILURE_TIME: &str = "push_failure_time_seconds";

/// One group as the gateway holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The grouping key, exactly as the gateway stores it.
    pub labels: BTreeMap<String, String>,
    /// The last successful push (Unix seconds), if there was one.
    pub push_time: Option<f64>,
    /// The last failed push (Unix seconds), if there was one.
    pub failure_time: Option<f64>,
    /// The deadline `--expires-in` wrote (Unix seconds), if any.
    pub expires_at: Option<f64>,
    /// Metric families and series, without the two bookkeeping families.
    pub families: usize,
    pub series: usize,
}

impl Group {
    /// Whether the last push to this group failed.
    pub fn last_push_failed(&self) -> bool {
        self.failure_time.unwrap_or(0.0) > self.push_time.unwrap_or(0.0)
    }

    /// What the group's age counts from: its last successful push, or, for
    /// a group that only ever saw failed pushes (and so holds no metrics),
    /// its last failure.
    pub fn since(&self) -> Option<f64> {
        self.push_time.or(self.failure_time)
    }

    /// Seconds since [`Group::since`] (never negative).
    pub fn age(&self, now: f64) -> Option<f64> {
        self.since().map(|t| (now - t).max(0.0))
    }

    /// Whether the group has a deadline and it has passed at `now`.
    pub fn expired(&self, now: f64) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// The grouping key in URL order (`job` first, the rest by name), or
    /// `None` when the group has no `job`: the Pushgateway's API can't
    /// address such a group, so it can be listed but never deleted.
    pub fn key(&self) -> Option<Vec<(String, String)>> {
        let job = self.labels.get("job").filter(|j| !j.is_empty())?;
        let mut key = vec![("job".to_string(), job.clone())];
        key.extend(
            self.labels
                .iter()
                .filter(|(k, _)| *k != "job")
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        Some(key)
    }

    /// The grouping key as a PromQL-style selector, `job` first:
    /// `{job="train", user="team/etl"}`.
    pub fn selector(&self) -> String {
        let job = self.labels.get_key_value("job");
        let rest = self.labels.iter().filter(|(k, _)| *k != "job");
        let parts: Vec<String> = job
            .into_iter()
            .chain(rest)
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        format!("{{{}}}", parts.join(", "))
    }
}

/// A label value as a PromQL string body: quotes, backslashes and control
/// characters escaped, so that one group is always one line.
fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Parse the gateway's `GET /api/v1/metrics` answer. Errors name the JSON
/// pointer at fault; `from` names the URL for the message.
pub fn parse(body: &[u8], from: &str) -> Result<Vec<Group>> {
    let bad = |what: String| {
        fail(
            Exit::Rejected,
            anyhow!("{from}: {what}; is --gateway a Pushgateway (1.x)?"),
        )
    };
    let doc: Value = serde_json::from_slice(body).map_err(|e| bad(format!("not JSON ({e})")))?;
    if doc["status"] != "success" {
        let said = doc["error"].as_str().unwrap_or("no error message");
        return Err(bad(format!("status is {} ({said})", doc["status"])));
    }
    let data = doc["data"]
        .as_array()
        .ok_or_else(|| bad("data: expected an array of groups".into()))?;
    data.iter()
        .enumerate()
        .map(|(i, g)| group(g).map_err(|e| bad(format!("data/{i}/{e}"))))
        .collect()
}

fn group(g: &Value) -> Result<Group, String> {
    let obj = g.as_object().ok_or(": expected an object")?;
    let labels = obj
        .get("labels")
        .and_then(Value::as_object)
        .ok_or("labels: expected an object")?
        .iter()
        .map(|(k, v)| match v.as_str() {
            Some(v) => Ok((k.clone(), v.to_string())),
            None => Err(format!("labels/{k}: expected a string")),
        })
        .collect::<Result<_, _>>()?;
    let (mut families, mut series) = (0, 0);
    for (name, fam) in obj {
        if name == PUSH_TIME || name == FAILURE_TIME {
            continue;
        }
        if let Some(metrics) = fam.get("metrics").and_then(Value::as_array) {
            families += 1;
            series += metrics.len();
        }
    }
    Ok(Group {
        labels,
        push_time: time(obj, PUSH_TIME)?,
        failure_time: time(obj, FAILURE_TIME)?,
        expires_at: deadline(obj),
        families,
        series,
    })
}

/// A bookkeeping time: absent or `0` mean "never".
fn time(obj: &Map<String, Value>, family: &str) -> Result<Option<f64>, String> {
    let Some(fam) = obj.get(family) else {
        return Ok(None);
    };
    let raw = fam["metrics"][0]["value"]
        .as_str()
        .ok_or_else(|| format!("{family}/metrics/0/value: expected a number as a string"))?;
    match raw.parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 => Ok(Some(t)),
        Ok(0.0) => Ok(None),
        _ => Err(format!(
            "{family}/metrics/0/value: {raw:?} is not a Unix time"
        )),
    }
}

/// The deadline gauge's value. One that is not a finite number (a gauge
/// of that name pushed by hand) counts as no deadline: `--expired` never
/// touches a group it can't read a deadline from.
fn deadline(obj: &Map<String, Value>) -> Option<f64> {
    let metrics = obj.get(super::expiry::EXPIRES_AT)?["metrics"].as_array()?;
    match metrics.as_slice() {
        [one] => one["value"]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|t| t.is_finite()),
        _ => None,
    }
}

/// Oldest first (by [`Group::since`]), then by grouping key, so that the
/// order is stable.
pub fn sort_oldest_first(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        let (ta, tb) = (a.since().unwrap_or(0.0), b.since().unwrap_or(0.0));
        ta.partial_cmp(&tb)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.labels.cmp(&b.labels))
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `GET /api/v1/metrics` from a real Pushgateway 1.5.1, after pushes to
    /// plain, `team/etl`, empty, `Zürich` and `.` values, a histogram and a
    /// summary under extra grouping labels, a push that failed after a
    /// success (`nightly`), and one with an explicit empty `instance`,
    /// which failed and left a group that never held metrics.
    pub(crate) const CAPTURED: &str =
        include_str!("../../tests/data/pushgateway-1.5.1-api-v1-metrics.json");
    /// Just after the last push of the capture, plus one hour.
    pub(crate) const NOW: f64 = 1_795_272_320.7 + 3600.0;

    pub(crate) fn captured() -> Vec<Group> {
        let mut g = parse(CAPTURED.as_bytes(), "GET http://gw/api/v1/metrics").unwrap();
        sort_oldest_first(&mut g);
        g
    }

    pub(crate) fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub(crate) fn find<'a>(groups: &'a [Group], pairs: &[(&str, &str)]) -> &'a Group {
        let want = labels(pairs);
        groups
            .iter()
            .find(|g| g.labels == want)
            .unwrap_or_else(|| panic!("no group {want:?}"))
    }

    #[test]
    fn the_captured_answer_parses_into_every_group() {
        let groups = captured();
        assert_eq!(groups.len(), 8);
        let alice = find(&groups, &[("job", "train"), ("user", "alice")]);
        assert_eq!(alice.push_time, Some(1_795_272_319.447_600_1));
        assert_eq!(alice.failure_time, None);
        assert!(!alice.last_push_failed());
        assert_eq!((alice.families, alice.series), (2, 2));
        let etl = find(&groups, &[("job", "etl"), ("user", "team/etl")]);
        assert_eq!((etl.families, etl.series), (1, 2));
        let serve = find(
            &groups,
            &[("instance", "host-1"), ("job", "serve"), ("region", "eu")],
        );
        assert_eq!(
            (serve.families, serve.series),
            (2, 2),
            "histogram and summary"
        );
        for plain in [
            [("job", "train"), ("user", "")],
            [("job", "train"), ("user", "Zürich")],
        ] {
            assert_eq!(find(&groups, &plain).families, 1);
        }
        assert_eq!(find(&groups, &[("job", ".")]).series, 1);
    }

    #[test]
    fn a_failed_push_after_a_success_is_reported() {
        let groups = captured();
        let nightly = find(&groups, &[("job", "nightly")]);
        assert!(nightly.last_push_failed());
        assert_eq!(nightly.push_time, Some(1_795_272_319.618_205_8));
        assert_eq!(
            nightly.since(),
            nightly.push_time,
            "age counts from the last success"
        );
        assert_eq!(
            nightly.families, 1,
            "the metrics of the successful push stay"
        );
    }

    #[test]
    fn the_empty_instance_is_part_of_the_key_only_when_pushed_so() {
        let groups = captured();
        // Pushed without instance: the series carry instance="", the key doesn't.
        let alice = find(&groups, &[("job", "train"), ("user", "alice")]);
        assert!(!alice.labels.contains_key("instance"));
        // Pushed with instance@base64/= : a distinct group, never successful.
        let empty = find(
            &groups,
            &[("instance", ""), ("job", "train"), ("user", "alice")],
        );
        assert_eq!(empty.push_time, None);
        assert!(empty.last_push_failed());
        assert_eq!(
            empty.since(),
            empty.failure_time,
            "never held metrics: age from the failure"
        );
        assert_eq!((empty.families, empty.series), (0, 0));
    }

    pub(crate) fn synthetic(
        pairs: &[(&str, &str)],
        push: Option<f64>,
        failure: Option<f64>,
    ) -> Group {
        Group {
            labels: labels(pairs),
            push_time: push,
            failure_time: failure,
            expires_at: None,
            families: 3,
            series: 12,
        }
    }

    #[test]
    fn a_group_without_job_has_no_address() {
        let body = r#"{"status":"success","data":[{"labels":{"user":"x"},"last_push_successful":true,
            "push_time_seconds":{"metrics":[{"labels":{},"value":"1.5e9"}]},
            "a":{"type":"GAUGE","metrics":[{"labels":{},"value":"1"}]}}]}"#;
        let g = &parse(body.as_bytes(), "x").unwrap()[0];
        assert_eq!(g.key(), None);
        assert_eq!(g.failure_time, None, "an absent family means never");
        assert_eq!(synthetic(&[("job", "")], None, None).key(), None);
    }

    #[test]
    fn what_is_not_the_api_answer_is_refused_with_where() {
        let e = |body: &str| format!("{:#}", parse(body.as_bytes(), "GET u").unwrap_err());
        assert_eq!(
            e("<html>"),
            "GET u: not JSON (expected value at line 1 column 1); is --gateway a Pushgateway (1.x)?"
        );
        assert!(e(r#"{"status":"error","error":"boom"}"#).contains(r#"status is "error" (boom)"#));
        assert!(e(r#"{"status":"success","data":[{"labels":{"job":1}}]}"#)
            .contains("data/0/labels/job: expected a string"));
        assert!(e(r#"{"status":"success","data":[{"labels":{},
            "push_time_seconds":{"metrics":[{"value":"soon"}]}}]}"#)
        .contains(r#"data/0/push_time_seconds/metrics/0/value: "soon" is not a Unix time"#));
        let err = parse(b"{}", "u").unwrap_err();
        assert_eq!(crate::error::exit_code(&err), Exit::Rejected);
    }

    #[test]
    fn selectors_escape_and_put_job_first() {
        let g = synthetic(
            &[("a", "x\"y\\z\nw"), ("job", "train"), ("user", "Zürich")],
            None,
            None,
        );
        assert_eq!(
            g.selector(),
            r#"{job="train", a="x\"y\\z\nw", user="Zürich"}"#
        );
        assert_eq!(
            synthetic(&[("user", "")], None, None).selector(),
            r#"{user=""}"#
        );
    }
}
