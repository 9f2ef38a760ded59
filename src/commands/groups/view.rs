//! What `simplepipe groups` prints (the presentation of
//! [`crate::pushgateway::listing`]): an aligned table (oldest first, the
//! variable-width grouping key last) for people, and JSON with the
//! gateway's own numbers for scripts.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::duration::approx as format_age;
use crate::pushgateway::listing::Group;

/// A Unix time as `2026-11-21 14:45:19` (UTC).
fn format_time(t: f64) -> String {
    chrono::DateTime::from_timestamp_micros((t * 1e6) as i64).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// A Unix time as RFC 3339 (UTC, microseconds), for JSON.
fn rfc3339(t: f64) -> Option<String> {
    chrono::DateTime::from_timestamp_micros((t * 1e6) as i64)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// When a group may go (`--expires-in`): `-` without a deadline, `in 59m
/// 58s`, or `expired 3s ago`.
fn expiry(g: &Group, now: f64) -> String {
    match g.expires_at {
        None => "-".into(),
        Some(t) if t <= now => format!("expired {} ago", format_age(now - t)),
        Some(t) => format!("in {}", format_age(t - now)),
    }
}

/// The aligned table `simplepipe groups` prints, in the order given.
pub fn table(groups: &[Group], now: f64) -> String {
    let header = [
        "AGE",
        "LAST SUCCESS (UTC)",
        "STATUS",
        "EXPIRES",
        "FAMILIES",
        "SERIES",
        "GROUP",
    ];
    let rows: Vec<[String; 7]> = groups
        .iter()
        .map(|g| {
            let status = match (g.key(), g.last_push_failed()) {
                (None, _) => "no job",
                (Some(_), true) => "failed",
                (Some(_), false) => "ok",
            };
            [
                g.age(now).map_or_else(|| "-".into(), format_age),
                g.push_time.map_or_else(|| "never".into(), format_time),
                status.to_string(),
                expiry(g, now),
                g.families.to_string(),
                g.series.to_string(),
                g.selector(),
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Numbers align right; the last column is not padded.
    let line = |cells: [&str; 7]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = width[i].saturating_sub(cell.chars().count());
            match i {
                4 | 5 => write!(out, "{}{cell}  ", " ".repeat(pad)),
                6 => write!(out, "{cell}"),
                _ => write!(out, "{cell}{}  ", " ".repeat(pad)),
            }
            .expect("writing to a String");
        }
        out.push('\n');
        out
    };
    let mut out = line(header);
    for row in &rows {
        out += &line(row.each_ref().map(String::as_str));
    }
    out
}

/// The JSON `simplepipe groups --output json` prints: an array, in the
/// order given, with the gateway's own numbers so scripts can compare.
pub fn json(groups: &[Group], now: f64) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|g| {
                json!({
                    "labels": g.labels,
                    "last_success": g.push_time.and_then(rfc3339),
                    "push_time_seconds": g.push_time.unwrap_or(0.0),
                    "push_failure_time_seconds": g.failure_time.unwrap_or(0.0),
                    "last_push_failed": g.last_push_failed(),
                    // Milliseconds: the digits beyond are float noise.
                    "age_seconds": g.age(now).map(|a| (a * 1000.0).round() / 1000.0),
                    "families": g.families,
                    "series": g.series,
                    "deletable": g.key().is_some(),
                    // The deadline `--expires-in` pushed, if any.
                    "expires_at": g.expires_at.and_then(rfc3339),
                    "expires_at_seconds": g.expires_at,
                    "expired": g.expired(now),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pushgateway::listing::sort_oldest_first;
    use crate::pushgateway::listing::tests::{captured, synthetic, NOW};

    #[test]
    fn ages_read_as_the_two_largest_units() {
        let f = |s: f64| format_age(s);
        assert_eq!(f(0.4), "0s");
        assert_eq!(f(42.9), "42s");
        assert_eq!(f(125.0), "2m 5s");
        assert_eq!(f(3600.0), "1h");
        assert_eq!(f(3661.0), "1h 1m");
        assert_eq!(f(14.0 * 86_400.0 + 3.0 * 3600.0 + 59.0), "14d 3h");
        assert_eq!(f(86_400.0 + 30.0), "1d");
        assert_eq!(f(3601.0), "1h");
        assert_eq!(f(-5.0), "0s");
    }

    #[test]
    fn the_captured_gateway_as_a_table() {
        insta::assert_snapshot!(table(&captured(), NOW), @r#"
        AGE  LAST SUCCESS (UTC)   STATUS  EXPIRES  FAMILIES  SERIES  GROUP
        1h   2026-11-21 14:45:19  ok      -               2       2  {job="train", user="alice"}
        1h   2026-11-21 14:45:19  ok      -               1       2  {job="etl", user="team/etl"}
        1h   2026-11-21 14:45:19  ok      -               1       1  {job="train", user=""}
        1h   2026-11-21 14:45:19  ok      -               1       1  {job="train", user="Zürich"}
        1h   2026-11-21 14:45:19  ok      -               1       1  {job="."}
        1h   2026-11-21 14:45:19  ok      -               2       2  {job="serve", instance="host-1", region="eu"}
        1h   2026-11-21 14:45:19  failed  -               1       1  {job="nightly"}
        1h   never                failed  -               0       0  {job="train", instance="", user="alice"}
        "#);
    }

    #[test]
    fn a_table_of_ages_and_states() {
        let now = 1_795_272_320.0;
        let day = 86_400.0;
        let mut groups = vec![
            synthetic(
                &[("job", "train"), ("user", "alice")],
                Some(now - 20.0 * day),
                None,
            ),
            synthetic(
                &[("job", "etl"), ("user", "team/etl")],
                Some(now - 90.0),
                Some(now - 30.0),
            ),
            synthetic(&[("user", "orphan")], Some(now - 400.0 * day), None),
            synthetic(
                &[("job", "train"), ("instance", "")],
                None,
                Some(now - 3600.0),
            ),
            synthetic(&[("job", "nightly")], Some(now - 36.0 * 3600.0), None),
        ];
        groups[0].expires_at = Some(now - 13.0 * day);
        groups[4].expires_at = Some(now + 2.5 * 3600.0);
        sort_oldest_first(&mut groups);
        insta::assert_snapshot!(table(&groups, now), @r#"
        AGE     LAST SUCCESS (UTC)   STATUS  EXPIRES          FAMILIES  SERIES  GROUP
        400d    2025-10-17 14:45:20  no job  -                       3      12  {user="orphan"}
        20d     2026-11-01 14:45:20  ok      expired 13d ago         3      12  {job="train", user="alice"}
        1d 12h  2026-11-20 02:45:20  ok      in 2h 30m               3      12  {job="nightly"}
        1h      never                failed  -                       3      12  {job="train", instance=""}
        1m 30s  2026-11-21 14:43:50  failed  -                       3      12  {job="etl", user="team/etl"}
        "#);
        insta::assert_snapshot!(table(&[], now), @r#"
        AGE  LAST SUCCESS (UTC)  STATUS  EXPIRES  FAMILIES  SERIES  GROUP
        "#);
    }

    #[test]
    fn json_carries_the_gateways_numbers() {
        let groups = captured();
        let v = json(&groups, NOW);
        let by = |labels: Value| {
            v.as_array()
                .unwrap()
                .iter()
                .find(|g| g["labels"] == labels)
                .unwrap()
                .clone()
        };
        let nightly = by(json!({"job": "nightly"}));
        insta::assert_snapshot!(serde_json::to_string_pretty(&nightly).unwrap(), @r#"
        {
          "age_seconds": 3601.082,
          "deletable": true,
          "expired": false,
          "expires_at": null,
          "expires_at_seconds": null,
          "families": 1,
          "labels": {
            "job": "nightly"
          },
          "last_push_failed": true,
          "last_success": "2026-11-21T14:45:19.618205Z",
          "push_failure_time_seconds": 1795272320.6625714,
          "push_time_seconds": 1795272319.6182058,
          "series": 1
        }
        "#);
        let mut soon = groups[0].clone();
        soon.expires_at = Some(NOW + 3600.0);
        let v2 = json(
            &[
                soon.clone(),
                Group {
                    expires_at: Some(NOW - 1.0),
                    ..soon
                },
            ],
            NOW,
        );
        assert_eq!(v2[0]["expires_at"], "2026-11-21T16:45:20.700000Z");
        assert_eq!(v2[0]["expires_at_seconds"], json!(NOW + 3600.0));
        assert_eq!(v2[0]["expired"], false);
        assert_eq!(v2[1]["expired"], true);
        let empty = by(json!({"instance": "", "job": "train", "user": "alice"}));
        assert_eq!(empty["last_success"], Value::Null);
        assert_eq!(empty["push_time_seconds"], json!(0.0));
    }
}
