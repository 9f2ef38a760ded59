//! A `promtool test rules` file for the rules of a standard: for every
//! alert, alice's series cross the bound and bob's stay inside, and the
//! test expects exactly alice's alert, with its labels and its rendered
//! annotations; a last test feeds bob's good series to every alert and
//! expects silence. The values are chosen inside the `valid` range, so
//! they are values an artifact could really carry.

use super::rules::{cases, header, to_yaml};
use super::Standard;

/// A `promtool test rules` file for the rules saved as `rule_file_path`
/// (relative to the test file's directory).
pub fn tests_yaml(std: &Standard, rule_file_path: &str) -> String {
    let cases = cases(std);
    let mut tests = Vec::new();
    for c in &cases {
        let steps = c.eval_secs / 60 + 5;
        let mut input = Vec::new();
        for (series, alice, bob) in &c.series {
            input.push(serde_json::json!({"series": with_user(series, "alice"), "values": alice.render(steps)}));
            input.push(serde_json::json!({"series": with_user(series, "bob"), "values": bob.render(steps)}));
        }
        let mut labels = c.rule.labels.clone();
        labels.extend(c.alert_labels.clone());
        tests.push(serde_json::json!({
            "name": format!("{} fires for alice only", c.rule.alert),
            "interval": "1m",
            "input_series": input,
            "alert_rule_test": [{
                "eval_time": secs(c.eval_secs),
                "alertname": c.rule.alert,
                "exp_alerts": [{"exp_labels": labels, "exp_annotations": c.annotations}],
            }],
        }));
    }
    // Every series of every case with bob's (good) values: nothing fires.
    // Every series lasts until the last check, so "nothing fires" is never
    // the mere absence of data.
    let mut input: Vec<serde_json::Value> = Vec::new();
    let mut checks = Vec::new();
    let quiet_at = cases.iter().map(|c| c.eval_secs).max().unwrap_or(60);
    for c in &cases {
        for (series, _, bob) in &c.series {
            let series = with_user(series, "bob");
            if !input.iter().any(|i| i["series"] == series.as_str()) {
                let values = bob.render(quiet_at / 60 + 1);
                input.push(serde_json::json!({"series": series, "values": values}));
            }
        }
        checks.push(serde_json::json!({"eval_time": secs(quiet_at), "alertname": c.rule.alert, "exp_alerts": []}));
    }
    tests.push(serde_json::json!({
        "name": "a run inside every bound fires nothing",
        "interval": "1m",
        "input_series": input,
        "alert_rule_test": checks,
    }));
    let doc = serde_json::json!({
        "rule_files": [rule_file_path],
        "evaluation_interval": "1m",
        "tests": tests,
    });
    header(std, "simplepipe rules --tests")
        + "# Run: promtool test rules THIS_FILE\n"
        + &to_yaml(&doc)
}

fn secs(s: u64) -> String {
    if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// `name{a="b"}` with `user="U"` added.
fn with_user(series: &str, user: &str) -> String {
    let open = series.find('{').expect("series have labels");
    format!(
        "{}{{{},user=\"{user}\"}}",
        &series[..open],
        series[open + 1..].trim_end_matches('}')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_of_the_example() {
        let std = super::super::tests::example();
        insta::assert_snapshot!("tests", tests_yaml(&std, "ml-training.rules.yaml"));
    }

    #[test]
    fn helpers() {
        assert_eq!(humanize_duration(97320.0), "1d 3h 2m 0s");
        assert_eq!(humanize_duration(90.0), "1m 30s");
        assert_eq!(
            with_user("a{job=\"t\"}", "bob"),
            "a{job=\"t\",user=\"bob\"}"
        );
        use super::super::values::*;
        use super::super::Bounds;
        let valid = Bounds {
            min: Some(0.0),
            max: Some(1.0),
        };
        assert_eq!(outside(Side::Min, 0.7, valid), 0.35);
        assert_eq!(outside(Side::Max, 0.9, valid), 0.95);
        assert_eq!(
            inside(
                Bounds {
                    min: Some(0.7),
                    max: None
                },
                valid
            ),
            0.85
        );
    }
}
