//! Property tests (proptest), run in CI:
//! - no input, however malformed, makes the pipeline panic;
//! - every accepted artifact encodes to text the Prometheus parser accepts
//!   (a sample is checked with `promtool check metrics`);
//! - label values and help text round-trip through escaping;
//! - grouping values round-trip through the URL path;
//! - the fast path (typed readers standing in for the built-in schemas)
//!   accepts exactly what the schema path accepts, and builds the same model;
//! - the protobuf writer writes the bytes the `prometheus` crate writes;
//! - the committed fuzz corpus passes the `pipeline` target's checks;
//! - a time-bounded soak of both, run by hand.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use proptest::prelude::*;
use serde_json::{json, Value};
use simplepipe::artifact::BuildOptions as Extra;
use simplepipe::encode;
use simplepipe::pushgateway as gateway;
use simplepipe::source::Source;

fn extra() -> Extra {
    Extra {
        grouping: vec!["job".into()],
        now: 1.7e9,
        ..Extra::default()
    }
}

/// Run the whole pre-network pipeline; only `Err` or `Ok` may come out.
fn pipeline(bytes: &[u8]) -> Option<String> {
    simplepipe::check(bytes, &Source::Stdin, None, &extra())
        .ok()
        .map(|(m, _)| encode::text(&m.families))
}

/// Arbitrary JSON, biased toward the keys and shapes artifacts use.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("name".to_string()),
        Just("type".to_string()),
        Just("value".to_string()),
        Just("labels".to_string()),
        Just("metrics".to_string()),
        Just("buckets".to_string()),
        Just("quantiles".to_string()),
        Just("le".to_string()),
        Just("count".to_string()),
        Just("sum".to_string()),
        Just("quantile".to_string()),
        Just("metric_type".to_string()),
        Just("description".to_string()),
        Just("$schema".to_string()),
        "[a-z_]{1,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            Just("gauge"),
            Just("counter"),
            Just("histogram"),
            Just("summary"),
            Just("untyped"),
            Just("info"),
            Just("NaN"),
            Just("+Inf"),
            Just("-Inf"),
            Just("6"),
            Just("metrics"),
            Just("simple"),
            Just("simplepipe-v0")
        ]
        .prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![".{0,12}", "[\\\\\"\n a-z]{0,12}", any::<String>()]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<u32>().prop_map(Value::from),
        prop_oneof![Just("NaN"), Just("+Inf"), Just("-Inf")].prop_map(Value::from),
    ]
}

/// Artifacts in the native format that are valid by construction: every
/// type, unicode label values and help text, special values.
fn valid_artifact() -> impl Strategy<Value = Value> {
    let metric = (
        0usize..5,
        "[a-z_][a-z0-9_]{0,8}",
        label_value(),
        label_value(),
        number(),
        prop::collection::vec(0u64..100, 0..5),
    );
    prop::collection::vec(metric, 1..8).prop_map(|ms| {
        let metrics: Vec<Value> = ms
            .into_iter()
            .enumerate()
            .map(|(i, (kind, name, help, lv, v, counts))| {
                // Unique names per entry: the generator tests encoding, not duplicates.
                let name = format!("{name}_{i}");
                match kind {
                    0 => json!({"name": name, "type": "gauge", "help": help, "value": v, "labels": {"l": lv}}),
                    1 => json!({"name": name, "type": "untyped", "value": v, "labels": {"l": lv}}),
                    2 => json!({"name": name, "type": "counter", "help": help, "value": 5, "labels": {"l": lv}}),
                    3 => {
                        let mut c = counts.clone();
                        c.sort_unstable();
                        let total = c.last().copied().unwrap_or(0) + 1;
                        let buckets: Vec<Value> = c.iter().enumerate().map(|(j, n)| json!({"le": j as f64 * 0.5 + 0.25, "count": n})).collect();
                        json!({"name": name, "type": "histogram", "help": help, "buckets": buckets, "sum": v, "count": total, "labels": {"l": lv}})
                    }
                    _ => {
                        let qs: Vec<Value> = counts.iter().enumerate().map(|(j, n)| json!({"quantile": j as f64 / 10.0, "value": n})).collect();
                        json!({"name": name, "type": "summary", "help": help, "quantiles": qs, "sum": v, "count": 3, "labels": {"l": lv}})
                    }
                }
            })
            .collect();
        json!({"labels": {"run": "p"}, "metrics": metrics})
    })
}

/// Unescape a label value or help text as the exposition format defines.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The value of label `l` on a sample line, read as the format's grammar says.
fn label_l(line: &str) -> Option<String> {
    let start = line.find("l=\"")? + 3;
    let mut end = start;
    let bytes = line.as_bytes();
    while end < bytes.len() && bytes[end] != b'"' {
        end += if bytes[end] == b'\\' { 2 } else { 1 };
    }
    Some(unescape(&line[start..end]))
}

fn promtool_accepts(text: &str) -> Result<(), String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (bash .ci/run installs the prometheus package)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    // Exit 3 with lint findings (e.g. no help text) still means it parsed.
    if out.status.success() || (out.status.code() == Some(3) && !said.contains("error")) {
        Ok(())
    } else {
        Err(said)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = pipeline(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        let _ = pipeline(v.to_string().as_bytes());
    }

    #[test]
    fn label_values_and_help_round_trip(v in label_value(), help in label_value()) {
        let doc = json!({"metrics": [{"name": "m", "type": "gauge", "help": help, "value": 1, "labels": {"l": v}}]});
        let text = pipeline(doc.to_string().as_bytes()).expect("valid by construction");
        // The format ends lines at \n only (`str::lines` would also eat a \r).
        let sample = text.split('\n').find(|l| l.starts_with("m{")).unwrap();
        prop_assert_eq!(label_l(sample), Some(v));
        let help_line = text.split('\n').find(|l| l.starts_with("# HELP m "));
        if help.is_empty() {
            prop_assert!(help_line.is_none());
        } else {
            prop_assert_eq!(unescape(&help_line.unwrap()["# HELP m ".len()..]), help);
        }
    }

    #[test]
    fn grouping_values_round_trip_through_the_path(values in prop::collection::vec(any::<String>(), 1..4)) {
        let grouping: Vec<(String, String)> = values.iter().enumerate().map(|(i, v)| (format!("k{i}"), v.clone())).collect();
        let base = reqwest::Url::parse("http://gw:9091/prefix").unwrap();
        let url = gateway::group_url(&base, &grouping);
        let segs: Vec<String> = url.path_segments().unwrap().map(percent_decode).collect();
        prop_assert_eq!(&segs[..2], &["prefix".to_string(), "metrics".to_string()]);
        for (i, pair) in segs[2..].chunks(2).enumerate() {
            let value = match pair[0].strip_suffix("@base64") {
                Some(name) => {
                    prop_assert_eq!(name, format!("k{i}"));
                    let enc = pair[1].trim_end_matches('=');
                    String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(enc).unwrap()).unwrap()
                }
                None => {
                    prop_assert_eq!(&pair[0], &format!("k{i}"));
                    pair[1].clone()
                }
            };
            prop_assert_eq!(&value, &values[i]);
        }
    }
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

proptest! {
    // Each case runs promtool (a Go process): a sample, not thousands.
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn accepted_artifacts_parse_in_promtool(doc in valid_artifact()) {
        let text = pipeline(doc.to_string().as_bytes());
        let text = text.expect("valid by construction");
        prop_assert!(promtool_accepts(&text).is_ok(), "{}\n{:?}", text, promtool_accepts(&text));
    }
}

// ---------------------------------------------------------------------------
// The fast path (typed readers standing in for the built-in schemas) accepts
// exactly the documents the schema path accepts, and builds the same model.

/// Leaves that sit on the schemas' edges.
fn edge_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!(10.0)),
        Just(json!(-0.0)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!(2)),
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(18_446_744_073_709_551_615u64)),
        Just(json!(1e300)),
        Just(json!({})),
        Just(json!([])),
        Just(json!({"a": "b"})),
        Just(json!({"a": 1})),
        Just(json!([{"le": 1, "count": 1}])),
        Just(json!([{"quantile": 0.5, "value": 1}])),
        // Arrays of an object's fields in order, and an enum as a map: what
        // serde's derived readers take and the schemas refuse.
        Just(json!(["a", "gauge", "", {}, 1])),
        Just(json!([1, 1])),
        Just(json!([[0.5, 1]])),
        Just(json!(["a", "d", 1, "gauge"])),
        Just(json!({"gauge": null})),
        prop_oneof![
            Just("gauge"),
            Just("counter"),
            Just("histogram"),
            Just("summary"),
            Just("untyped"),
            Just("info"),
            Just("NaN"),
            Just("+Inf"),
            Just("-Inf"),
            Just("inf"),
            Just("nan"),
            Just(" 6 "),
            Just("1e5"),
            Just(".5"),
            Just("5."),
            Just("+ 5"),
            Just("\u{a0}6"),
            Just("-Infinity"),
            Just("\u{b}7\t"),
            Just("1e"),
            Just("."),
            Just("+.5E-3"),
            Just("metrics"),
            Just("simple"),
            Just("simplepipe-v0"),
            Just(""),
            Just("x"),
        ]
        .prop_map(Value::from),
    ]
}

/// A key an object may gain: one the formats know, or not.
fn edge_key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name"),
        Just("type"),
        Just("help"),
        Just("value"),
        Just("labels"),
        Just("metrics"),
        Just("buckets"),
        Just("quantiles"),
        Just("le"),
        Just("count"),
        Just("sum"),
        Just("quantile"),
        Just("metric_type"),
        Just("description"),
        Just("$schema"),
        Just("timestamp"),
        Just("zz"),
    ]
    .prop_map(String::from)
}

/// One edit somewhere in `v`: replace a node, drop a key or item, add one.
fn mutate(node: &mut Value, path: &[usize], op: usize, leaf: Value, key: String) {
    if let Some((&step, rest)) = path.split_first() {
        match node {
            Value::Array(a) if !a.is_empty() => {
                let n = a.len();
                return mutate(&mut a[step % n], rest, op, leaf, key);
            }
            Value::Object(m) if !m.is_empty() => {
                let n = m.len();
                return mutate(m.values_mut().nth(step % n).unwrap(), rest, op, leaf, key);
            }
            _ => {}
        }
    }
    match (op % 3, node) {
        (1, Value::Object(m)) if !m.is_empty() => {
            let k = m.keys().nth(op % m.len()).unwrap().clone();
            m.remove(&k);
        }
        (1, Value::Array(a)) if !a.is_empty() => {
            a.remove(op % a.len());
        }
        (2, Value::Object(m)) => {
            m.insert(key, leaf);
        }
        (2, Value::Array(a)) => a.push(leaf),
        (_, node) => *node = leaf,
    }
}

fn simple_artifact() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-z_]{1,6}", number(), 1..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn v0_artifact() -> impl Strategy<Value = Value> {
    let item = (0usize..4, "[a-z_]{1,6}", number(), label_value());
    prop::collection::vec(item, 1..5).prop_map(|items| {
        let items: Vec<Value> = items
            .into_iter()
            .enumerate()
            .map(|(i, (kind, name, v, lv))| {
                let name = format!("{name}_{i}");
                let (t, v) = match (kind, v) {
                    (0, _) => ("info", json!({"version": lv})),
                    (1, Value::String(_)) => ("gauge", json!("6")),
                    (1, v) => ("gauge", v),
                    (2, v) if v.is_number() => ("summary", v),
                    (_, _) => ("histogram", json!(" 2.5e1 ")),
                };
                json!({"name": name, "description": "d", "value": v, "metric_type": t})
            })
            .collect();
        Value::Array(items)
    })
}

/// A valid artifact of any built-in format, perhaps edited once or twice.
fn near_valid() -> impl Strategy<Value = Value> {
    let base = prop_oneof![valid_artifact(), simple_artifact(), v0_artifact()];
    let edit = (
        prop::collection::vec(0usize..16, 0..6),
        0usize..64,
        edge_leaf(),
        edge_key(),
    );
    (base, prop::collection::vec(edit, 0..3)).prop_map(|(mut doc, edits)| {
        for (path, op, leaf, key) in edits {
            mutate(&mut doc, &path, op, leaf, key);
        }
        doc
    })
}

/// The outcome of a model build, comparable across paths.
fn outcome(r: anyhow::Result<simplepipe::artifact::Model>) -> Result<String, String> {
    r.map(|m| format!("{:?} {:?}", m.families, m.warnings))
        .map_err(|e| format!("{e:#}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_accepts_exactly_what_the_schema_accepts(doc in near_valid()) {
        if let Err(e) = paths_agree(doc.to_string().as_bytes()) {
            prop_assert!(false, "{}", e);
        }
    }
}

// ---------------------------------------------------------------------------
// The `pipeline` fuzz target's check, on the committed corpus (every CI run)
// and in a time-bounded randomized soak (by hand, where cargo-fuzz can't be
// installed):
//   SIMPLEPIPE_SOAK_SECS=600 cargo test --release --test properties soak -- --ignored --nocapture

/// What `fuzz/fuzz_targets/pipeline.rs` checks: no panic, and whatever is
/// accepted encodes to well-formed lines (and to protobuf).
fn fuzz_one(data: &[u8]) {
    let extra = Extra {
        grouping: vec!["job".into(), "user".into()],
        labels: vec![("env".into(), "fuzz".into())],
        now: 1.7e9,
        ..Extra::default()
    };
    if let Ok((model, _)) = simplepipe::check(data, &Source::Stdin, None, &extra) {
        let text = encode::text(&model.families);
        for line in text
            .split('\n')
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let value = line.rsplit(' ').next().unwrap();
            assert!(
                matches!(value, "NaN" | "+Inf" | "-Inf") || value.parse::<f64>().is_ok(),
                "bad value in {line:?}"
            );
        }
        let _ = encode::protobuf(&model.families);
    }
}

/// Whether the fast path and the schema path agree on `data`: the fast
/// path accepts only what the schema accepts, and builds the same model.
/// The one allowed difference: documents the schema accepts but the typed
/// model can't hold (a key given twice in an entry, a count of 2^64 or
/// more) go the schema path, which reports them as it did before the fast
/// path existed ("cannot be read although it matches its schema").
fn paths_agree(data: &[u8]) -> Result<(), String> {
    use simplepipe::artifact::{self, parse, validate, Origin};
    let origin = Origin::named("a.json");
    let shown = || String::from_utf8_lossy(data).into_owned();
    let opts = extra();
    // The one-pass reader, when it answers, answers as the two-pass one;
    // and as it does when its input comes a few bytes at a time, so that
    // values are cut by its window everywhere.
    let one = artifact::one_pass(data, &origin, None, &opts).map(|r| outcome(r.map(|(m, _)| m)));
    let trickle = Trickle(data, 1 + data.len() % 7);
    let cut = artifact::one_pass(trickle, &origin, None, &opts).map(|r| outcome(r.map(|(m, _)| m)));
    if cut != one {
        return Err(format!(
            "one pass {one:?}, cut in pieces {cut:?}: {}",
            shown()
        ));
    }
    let Ok(doc) = parse::parse(data, &origin) else {
        return match one {
            Some(one) => Err(format!(
                "one pass took what parse refuses ({one:?}): {}",
                shown()
            )),
            None => Ok(()),
        };
    };
    let Ok(plan) = validate::plan(&doc, None) else {
        return Ok(());
    };
    if plan.custom.is_some() {
        return Ok(()); // a custom schema always takes the schema path
    }
    let fast = artifact::fast(&doc, plan.format, &opts).map(outcome);
    if let Some(one) = one {
        if fast.as_ref() != Some(&one) {
            return Err(format!(
                "one pass {one:?}, two passes {fast:?}: {}",
                shown()
            ));
        }
    }
    let schema = validate::against_schemas(&doc, &plan, false);
    match (fast, schema) {
        (None, Err(_)) => Ok(()),
        (Some(_), Err(e)) => Err(format!(
            "the fast path accepted what the schema refuses ({e:#}): {}",
            shown()
        )),
        (Some(fast), Ok(())) => {
            let built = outcome(artifact::build(Some((&doc, plan.format)), &opts));
            if fast == built {
                Ok(())
            } else {
                Err(format!(
                    "different models: fast {fast:?}, schema path {built:?}: {}",
                    shown()
                ))
            }
        }
        (None, Ok(())) => match outcome(artifact::build(Some((&doc, plan.format)), &opts)) {
            Err(e) if e.contains("please report this") => Ok(()),
            other => Err(format!(
                "the fast path refused what the schema accepts ({other:?}): {}",
                shown()
            )),
        },
    }
}

/// A reader that hands out at most `n` bytes per read.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Found by the soak: serde's derived readers take an array of a struct's
/// fields, and an enum written as `{"gauge": null}`; the schemas refuse
/// both, and so must the fast path.
#[test]
fn arrays_of_fields_and_enum_maps_are_refused_as_the_schema_refuses_them() {
    let docs = [
        r#"{"metrics": [["a", "gauge", "", {}, 1]]}"#,
        r#"{"metrics": [{"name": "h", "type": "histogram", "buckets": [[1, 1]], "sum": 1, "count": 1}]}"#,
        r#"{"metrics": [{"name": "s", "type": "summary", "quantiles": [[0.5, 1]], "sum": 1, "count": 1}]}"#,
        r#"{"metrics": [{"name": "a", "type": {"gauge": null}, "value": 1}]}"#,
        r#"[["a", "d", 1, "gauge"]]"#,
    ];
    for doc in docs {
        paths_agree(doc.as_bytes()).unwrap();
        let e = simplepipe::check(doc.as_bytes(), &Source::Stdin, None, &extra()).unwrap_err();
        assert!(format!("{e:#}").contains("is not"), "{doc}: {e:#}");
    }
}

/// The committed corpus through the fuzz target's checks, on every CI run:
/// the fuzzer needs nightly and cargo-fuzz, its finds stay guarded here.
#[test]
fn fuzz_corpus_runs_clean() {
    let corpus = corpus();
    assert!(corpus.len() > 300, "the committed corpus is there");
    for input in &corpus {
        fuzz_one(input);
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/pipeline");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
#[ignore = "a soak: minutes long, run by hand (see above)"]
fn soak() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let secs: u64 = std::env::var("SIMPLEPIPE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let corpus = corpus();
    let mut runner = TestRunner::default();
    let docs = prop_oneof![near_valid(), json_value()];
    let flips = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8);
    let (mut runs, mut disagreements) = (0u64, Vec::new());
    while std::time::Instant::now() < deadline {
        // Half generated documents, half corpus inputs with bytes changed.
        let input = if runs % 2 == 0 {
            docs.new_tree(&mut runner)
                .unwrap()
                .current()
                .to_string()
                .into_bytes()
        } else {
            let mut input = corpus[runs as usize / 2 % corpus.len()].clone();
            for (at, byte) in flips.new_tree(&mut runner).unwrap().current() {
                if !input.is_empty() {
                    let i = at.index(input.len());
                    input[i] = byte;
                }
            }
            input
        };
        fuzz_one(&input);
        if let Err(e) = paths_agree(&input) {
            disagreements.push(e);
        }
        runs += 1;
    }
    eprintln!(
        "soak: {runs} inputs in {secs} s, {} disagreements",
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

// ---------------------------------------------------------------------------
// The protobuf writer produces the bytes the `prometheus` crate's encoder
// produced (the reference below is the conversion it replaced), for every
// accepted artifact.

fn reference_protobuf(families: &[simplepipe::model::Family]) -> Vec<u8> {
    use prometheus::proto;
    use prometheus::Encoder as _;
    use simplepipe::model::{Kind, Sample};
    let encoder = prometheus::ProtobufEncoder::new();
    let mut out = Vec::new();
    for f in families {
        let mut mf = proto::MetricFamily::default();
        mf.set_name(f.name.clone());
        if !f.help.is_empty() {
            mf.set_help(f.help.clone());
        }
        mf.set_field_type(match f.kind {
            Kind::Gauge => proto::MetricType::GAUGE,
            Kind::Counter => proto::MetricType::COUNTER,
            Kind::Histogram => proto::MetricType::HISTOGRAM,
            Kind::Summary => proto::MetricType::SUMMARY,
            Kind::Untyped => proto::MetricType::UNTYPED,
        });
        let metrics = f
            .series
            .iter()
            .map(|s| {
                let mut m = proto::Metric::default();
                m.set_label(
                    s.labels
                        .iter()
                        .map(|(k, v)| {
                            let mut lp = proto::LabelPair::default();
                            lp.set_name(k.to_string());
                            lp.set_value(v.to_string());
                            lp
                        })
                        .collect(),
                );
                match (&s.sample, f.kind) {
                    (Sample::Scalar(v), Kind::Gauge) => {
                        let mut g = proto::Gauge::default();
                        g.set_value(*v);
                        m.set_gauge(g);
                    }
                    (Sample::Scalar(v), Kind::Counter) => {
                        let mut c = proto::Counter::default();
                        c.set_value(*v);
                        m.set_counter(c);
                    }
                    (Sample::Scalar(v), _) => m.untyped.mut_or_insert_default().set_value(*v),
                    (
                        Sample::Histogram {
                            buckets,
                            sum,
                            count,
                        },
                        _,
                    ) => {
                        let mut h = proto::Histogram::default();
                        h.set_sample_count(*count);
                        h.set_sample_sum(*sum);
                        h.set_bucket(
                            buckets
                                .iter()
                                .copied()
                                .chain([(f64::INFINITY, *count)])
                                .map(|(le, c)| {
                                    let mut b = proto::Bucket::default();
                                    b.set_upper_bound(le);
                                    b.set_cumulative_count(c);
                                    b
                                })
                                .collect(),
                        );
                        m.set_histogram(h);
                    }
                    (
                        Sample::Summary {
                            quantiles,
                            sum,
                            count,
                        },
                        _,
                    ) => {
                        let mut sm = proto::Summary::default();
                        sm.set_sample_count(*count);
                        sm.set_sample_sum(*sum);
                        sm.set_quantile(
                            quantiles
                                .iter()
                                .map(|(q, v)| {
                                    let mut pq = proto::Quantile::default();
                                    pq.set_quantile(*q);
                                    pq.set_value(*v);
                                    pq
                                })
                                .collect(),
                        );
                        m.set_summary(sm);
                    }
                }
                m
            })
            .collect();
        mf.set_metric(metrics);
        encoder.encode(&[mf], &mut out).unwrap();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn protobuf_writer_matches_the_prometheus_crate(doc in prop_oneof![valid_artifact(), simple_artifact(), v0_artifact()]) {
        let (m, _) = simplepipe::check(doc.to_string().as_bytes(), &Source::Stdin, None, &extra())
            .expect("valid by construction");
        prop_assert_eq!(encode::protobuf(&m.families), reference_protobuf(&m.families));
    }
}
