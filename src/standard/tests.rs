//! The loader's checks, each with the pointer it reports.

use super::*;

pub(crate) fn example() -> Standard {
    from_text(
        include_str!("../../examples/standard/ml-training.yaml"),
        "ml-training.yaml",
    )
    .unwrap()
}

/// The error text for a broken standard (and that it is exit 2).
fn broken(text: &str) -> String {
    let e = from_text(text, "s.yaml").unwrap_err();
    assert_eq!(crate::error::exit_code(&e), Exit::Usage, "{e:#}");
    format!("{e:#}")
}

const HEAD: &str = "apiVersion: simplepipe/v1\nkind: Standard\nmetadata: {name: t}\n";

fn spec(body: &str) -> String {
    format!("{HEAD}spec:\n  jobs: [training]\n{body}")
}

#[test]
fn the_example_loads() {
    let s = example();
    assert_eq!(s.name(), "ml-training");
    assert_eq!(s.spec.freshness.as_ref().unwrap().secs, 26 * 3600);
    assert_eq!(s.spec.metrics.len(), 3);
    assert_eq!(s.spec.metrics[1].severity, Severity::Critical);
    assert_eq!(s.spec.outcome_job, "workflow-outcome");
    assert_eq!(s.expected().count(), 2);
}

#[test]
fn json_is_yaml_too() {
    let s = from_text(
        r#"{"apiVersion": "simplepipe/v1", "kind": "Standard", "metadata": {"name": "j"},
            "spec": {"jobs": ["a"], "metrics": [{"name": "m", "type": "gauge"}]}}"#,
        "s.json",
    )
    .unwrap();
    assert_eq!(s.spec.metrics[0].name, "m");
    assert!(is_standard(
        &serde_json::json!({"apiVersion": "simplepipe/v1", "kind": "Standard"})
    ));
    assert!(!is_standard(&serde_json::json!({"type": "object"})));
}

#[test]
fn unknown_field_names_its_pointer_and_line() {
    let e = broken(&spec(
        "  metrics:\n    - name: m\n      type: gauge\n      expcet: {max: 1}\n",
    ));
    assert!(
        e.contains(
            "standard s.yaml: /spec/metrics/0/expcet: unknown field `expcet`, expected one of"
        ),
        "{e}"
    );
    assert!(e.contains("(line 9)"), "{e}");
}

#[test]
fn unknown_type_and_severity() {
    let e = broken(&spec("  metrics:\n    - name: m\n      type: gauges\n"));
    assert!(
        e.contains("spec/metrics/0/type: unknown value `gauges`"),
        "{e}"
    );
    let e = broken(&spec(
        "  metrics:\n    - {name: m, type: gauge, expect: {max: 1}, severity: page}\n",
    ));
    assert!(
        e.contains("spec/metrics/0/severity: unknown value `page`"),
        "{e}"
    );
}

#[test]
fn semantic_problems_all_at_once() {
    let e = broken(&format!(
        "{HEAD}spec:\n  jobs: []\n  labels: {{required: [model, 'bad-label'], allowed: [model]}}\n  metrics:\n    - {{name: 'bad-name', type: gauge}}\n    - {{name: m, type: gauge, expect: {{min: 2, max: 1}}, valid: {{min: 5, max: 0}}}}\n    - {{name: m, type: histogram, valid: {{max: 3}}}}\n    - {{name: n, type: gauge, valid: {{min: 0, max: 1}}, expect: {{max: 2}}}}\n"
    ));
    for want in [
        "spec/jobs: must name at least one job",
        "spec/labels/required/1: \"bad-label\" is not a legal label name",
        "spec/labels/required/1: \"bad-label\" is required but not in spec.labels.allowed",
        "spec/metrics/0/name: \"bad-name\" is not a legal Prometheus metric name",
        "spec/metrics/1/valid: min 5 is above max 0",
        "spec/metrics/1/expect: min 2 is above max 1",
        "spec/metrics/2/name: duplicate metric \"m\" (also /spec/metrics/1)",
        "spec/metrics/2/valid: bounds apply to a single value; a histogram has none",
        "spec/metrics/3/expect/max: 2 is outside the valid range, so the alert could never fire",
    ] {
        assert!(e.contains(want), "missing {want:?} in\n{e}");
    }
    assert!(
        e.ends_with("not a usable standard (see docs/standards.md)"),
        "{e}"
    );
}

#[test]
fn durations() {
    assert_eq!(parse_duration("26h"), Ok(93600));
    assert_eq!(parse_duration("0s"), Ok(0));
    assert_eq!(parse_duration("90s"), Ok(90));
    assert_eq!(parse_duration("7d"), Ok(7 * 86400));
    assert_eq!(parse_duration("1h30m"), Ok(5400));
    assert_eq!(parse_duration("1.5h"), Ok(5400));
    // A fraction goes to the rule file in whole units, which Prometheus takes.
    let d: super::Duration = serde_json::from_str("\"1.5h\"").unwrap();
    assert_eq!((d.text.as_str(), d.secs), ("1h30m", 5400));
    let d: super::Duration = serde_json::from_str("\"26h\"").unwrap();
    assert_eq!(d.text, "26h");
    for bad in [
        "",
        "26",
        "h",
        "1x",
        "30m1h",
        "1h1h",
        "-1h",
        "99999999999999999999y",
    ] {
        assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
    }
    let e = broken(&spec(
        "  freshness: 0s\n  metrics: [{name: m, type: gauge}]\n",
    ));
    assert!(e.contains("spec/freshness: 0s would alert at once"), "{e}");
    let e = broken(&spec(
        "  freshness: 26\n  metrics: [{name: m, type: gauge}]\n",
    ));
    assert!(
        e.contains("spec/freshness: \"26\" is not a duration"),
        "{e}"
    );
    let e = broken(&spec(
        "  metrics: [{name: m, type: gauge, expect: {max: 1}, for: 5 minutes}]\n",
    ));
    assert!(
        e.contains("spec/metrics/0/for: \"5 minutes\" is not a duration"),
        "{e}"
    );
}

#[test]
fn wrong_api_version_kind_and_name() {
    let e = broken("apiVersion: simplepipe/v2\nkind: Standrd\nmetadata: {name: ML_Training}\nspec: {jobs: [a], metrics: [{name: m, type: gauge}]}\n");
    assert!(
        e.contains("apiVersion: \"simplepipe/v2\" is not supported"),
        "{e}"
    );
    assert!(e.contains("kind: \"Standrd\" is not \"Standard\""), "{e}");
    assert!(
        e.contains("metadata/name: \"ML_Training\" must be lower-case"),
        "{e}"
    );
}

#[test]
fn not_yaml_at_all() {
    let e = broken("apiVersion: [\n");
    assert!(e.starts_with("standard s.yaml: "), "{e}");
    assert!(e.contains("(line "), "{e}");
}

#[test]
fn promql_regex_escapes() {
    assert_eq!(promql_any_of(&["training".into()]), "\"training\"");
    assert_eq!(promql_any_of(&["a.b".into(), "c".into()]), "\"a\\\\.b|c\"");
}

proptest::proptest! {
    /// No text makes the loader panic: it loads or it is a usage error.
    #[test]
    fn any_text_loads_or_is_a_usage_error(text in "\\PC{0,200}") {
        if let Err(e) = from_text(&text, "s.yaml") {
            proptest::prop_assert_eq!(crate::error::exit_code(&e), Exit::Usage);
        }
    }

    /// The example with one byte changed: the same, and when it still
    /// loads, every generator runs on it.
    #[test]
    fn mutated_example_never_panics(at in 0usize..4000, byte in 0u8..128) {
        let mut text = include_str!("../../examples/standard/ml-training.yaml").as_bytes().to_vec();
        let at = at % text.len();
        text[at] = byte;
        let text = String::from_utf8_lossy(&text);
        match from_text(&text, "s.yaml") {
            Ok(std) => {
                let _ = schema::compile(&std);
                let _ = rules::rules_yaml(&std);
                let _ = promtool::tests_yaml(&std, "r.yaml");
                let _ = dashboard::configmap_yaml(&std, dashboard::Storage::RemoteWrite);
                let _ = alertmanager::alertmanager_config_yaml(&std, &[]);
                let _ = alertmanager::alertmanager_yaml(&std, &alertmanager::Secrets::new());
            }
            Err(e) => proptest::prop_assert_eq!(crate::error::exit_code(&e), Exit::Usage),
        }
    }
}

/// A JSON standard is read by serde_json (issue 23: the YAML reader held
/// every event of it), but means what it meant as YAML, and its problems
/// have the words, pointer and line the YAML reader gives.
#[test]
fn json_standard_problems_read_as_yaml_ones() {
    let json = |metric: &str| {
        format!(
            "{{\"apiVersion\": \"simplepipe/v1\", \"kind\": \"Standard\", \"metadata\": {{\"name\": \"j\"}},\n\
             \"spec\": {{\"jobs\": [\"a\"],\n\"metrics\": [{metric}]}}}}"
        )
    };
    let yaml = |metric: &str| spec(&format!("  metrics:\n  - {metric}\n"));
    for (metric, words) in [
        (
            r#"{"name": "m", "type": "gage"}"#,
            "/spec/metrics/0/type: unknown value `gage`; use `gauge`",
        ),
        (
            r#"{"name": "m", "type": "gauge", "valid": {"max": "one"}}"#,
            "/spec/metrics/0/valid/max: must be a number (e.g. 100 or 0.95), not the text \"one\"",
        ),
        (
            r#"{"name": "m", "type": "gauge", "expcet": {}}"#,
            "/spec/metrics/0/expcet: unknown field `expcet`, expected one of",
        ),
    ] {
        let (j, y) = (broken(&json(metric)), broken(&yaml(metric)));
        assert!(j.contains(words), "{j}");
        assert!(j.contains(" (line 3)"), "{j}");
        assert!(y.contains(words), "{y}");
    }
    // YAML takes a number where text is meant as that text, so JSON does.
    let s = from_text(
        &json(r#"{"name": "m", "type": "gauge", "help": 5}"#),
        "s.json",
    );
    assert_eq!(s.unwrap().spec.metrics[0].help.as_deref(), Some("5"));
    // Not JSON but YAML's flow style: still read, by the YAML reader.
    let flow = "{apiVersion: simplepipe/v1, kind: Standard, metadata: {name: f},\n\
                spec: {jobs: [a], metrics: [{name: m, type: gauge}]}}";
    assert_eq!(from_text(flow, "f.yaml").unwrap().spec.metrics[0].name, "m");
    let e = broken(&json(r#"{"name": "m", "type": "gauge""#));
    assert!(e.contains("not valid YAML"), "{e}");
}

/// serde-saphyr, which reads a standard as it comes, takes only what
/// yaml_serde takes: a `<<` merge key stays an unknown field.
#[test]
fn yaml_read_as_it_comes_means_what_it_did() {
    let e = broken(&spec(
        "  metrics:\n  - &m {name: a, type: gauge}\n  - <<: *m\n    name: b\n",
    ));
    assert!(
        e.contains("/spec/metrics/1/<<: unknown field `<<`, expected one of"),
        "{e}"
    );
    let e = broken(&spec(
        "  metrics:\n  - {name: a, type: gauge, valid: {min: 1_000}}\n  - {name: b, type: gauge, required: yes}\n",
    ));
    assert!(e.contains("not the text \"1_000\" (line 7)"), "{e}");
}
