//! What users read (issue 24, items 14 to 18): `validate --output json`'s
//! fields, standard parse errors in plain words, a remote-write URL that
//! isn't one, the v0 number message and `--help` options that mean
//! nothing for a command. Each test runs the real binary and asserts what
//! the user saw or what reached a real server.

use crate::common;
use crate::doc_examples;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

/// The keys docs/validation.md's table documents for `validate --output json`.
fn documented_validate_keys() -> BTreeSet<String> {
    let page = doc_examples::page("docs/validation.md");
    let section = page
        .text
        .split("## `validate --output json`")
        .nth(1)
        .expect("the section")
        .split("\n## ")
        .next()
        .unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let first = l.split('|').nth(1).unwrap();
            first
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn json_lines(r: &Run) -> Vec<serde_json::Map<String, Value>> {
    r.stdout
        .lines()
        .map(|l| match serde_json::from_str(l) {
            Ok(Value::Object(o)) => o,
            other => panic!("{l}: {other:?}"),
        })
        .collect()
}

/// Item 14: each key holds one thing (`"schema": "simple"`, not "schema
/// simple"), a file cut short is `truncated` and a stray character
/// `syntax` (not `invalid`), a message doesn't repeat the file's name, and
/// every line has exactly the keys the docs list (the shape is pinned).
#[test]
fn validate_json_fields_are_identifiers_with_a_pinned_shape() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, r#"{"loss": 0.5, "acc": [1, 2"#).unwrap();
    let stray = dir.path().join("stray.json");
    std::fs::write(&stray, r#"{"loss": 0.5} x"#).unwrap();
    let (cut, stray) = (cut.to_str().unwrap(), stray.to_str().unwrap());
    let r = run(&[
        "validate",
        "--output",
        "json",
        "examples/simple.json",
        "examples/admin/run-ok.json",
        "--schema",
        "examples/admin/team-standard.schema.json",
    ]);
    assert_eq!(r.code, 4, "simple.json lacks the standard's keys: {r:?}");
    let r2 = run(&[
        "validate",
        "--output",
        "json",
        "examples/simple.json",
        cut,
        stray,
        "/nonexistent.json",
    ]);
    assert_eq!(r2.code, 4, "{r2:?}");
    let (ok, mixed) = (json_lines(&r), json_lines(&r2));
    assert_eq!((ok.len(), mixed.len()), (2, 4), "{r:?}\n{r2:?}");

    let documented = documented_validate_keys();
    assert!(documented.contains("custom_schema"), "{documented:?}");
    for line in ok.iter().chain(&mixed) {
        let keys: BTreeSet<String> = line.keys().cloned().collect();
        assert_eq!(keys, documented, "{line:?}");
        for p in line["problems"].as_array().unwrap() {
            let keys: BTreeSet<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(["kind", "message", "pointer"]), "{p}");
        }
    }

    assert_eq!(mixed[0]["schema"], "simple");
    assert_eq!(mixed[0]["custom_schema"], Value::Null);
    assert_eq!(mixed[0]["exit"], 0);
    assert_eq!(ok[0]["problems"][0]["kind"], "required");
    assert_eq!(ok[1]["schema"], "metrics");
    assert_eq!(
        ok[1]["custom_schema"],
        "examples/admin/team-standard.schema.json"
    );

    for (line, path, kind) in [(&mixed[1], cut, "truncated"), (&mixed[2], stray, "syntax")] {
        assert_eq!(line["source"], path);
        assert_eq!(line["valid"], false);
        assert_eq!(line["exit"], 4);
        assert_eq!(line["schema"], Value::Null);
        let problem = &line["problems"][0];
        assert_eq!(problem["kind"], kind, "{line:?}");
        let message = problem["message"].as_str().unwrap();
        assert!(!message.contains(path), "{message}");
        assert!(!message.contains("cut.json"), "{message}");
        assert!(message.contains("line 1 column"), "{message}");
    }
    assert_eq!(mixed[3]["problems"][0]["kind"], "unreadable");
    assert_eq!(
        mixed[3]["problems"][0]["message"],
        "cannot open: no such file"
    );
}

const STANDARD_HEAD: &str = "apiVersion: simplepipe/v1
kind: Standard
metadata: {name: t}
spec:
  jobs: [training]
";

/// Item 15: a broken standard says what is wrong in plain words, where
/// (file, pointer, line) and what to write instead; a tab in the
/// indentation is named as such, with its line. None of serde's type
/// words (`f64`, "a sequence", "struct", "variant") reach the admin.
#[test]
fn standard_parse_errors_are_in_plain_words() {
    let cases = [
        (
            "  metrics:\n    - {name: a, type: gauge, valid: {max: one}}\n",
            "/spec/metrics/0/valid/max: must be a number (e.g. 100 or 0.95), not the text \"one\" (line 7)",
        ),
        (
            "  metrics:\n\t- {name: a, type: gauge}\n",
            "not valid YAML: line 7 is indented with a tab, and YAML indentation can't use tabs; indent with spaces",
        ),
        (
            "  metrics:\n    - name: a\n\t  type: gauge\n",
            "line 8 is indented with a tab",
        ),
        (
            "  metrics: {name: a}\n",
            "/spec/metrics: must be a list ([a, b], or one `- item` per line), not a mapping (line 6)",
        ),
        (
            "  metrics:\n    - hello\n",
            "/spec/metrics/0: must be a mapping (`key: value` lines, or {key: value}), not the text \"hello\" (line 7)",
        ),
        (
            "  metrics:\n    - {name: a, type: gauge, required: maybe}\n",
            "/spec/metrics/0/required: must be true or false, not the text \"maybe\" (line 7)",
        ),
        (
            "  metrics:\n    - {name: [a], type: gauge}\n",
            "/spec/metrics/0/name: must be text, not a list (line 7)",
        ),
        (
            "  metrics:\n    - {name: a, type: gauge, expect: {min: [0]}}\n",
            "/spec/metrics/0/expect/min: must be a number (e.g. 100 or 0.95), not a list (line 7)",
        ),
        (
            "  metrics:\n    - {name: a, type: gage}\n",
            "/spec/metrics/0/type: unknown value `gage`; use `gauge`, `counter`, `histogram`, `summary`, `untyped` (line 7)",
        ),
        (
            "  metrics: []\n  notify:\n    receivers: [{name: x, send_resolved: often}]\n    routes: [{match: [a], receiver: x}]\n",
            "/spec/notify/receivers/0/send_resolved: must be true or false, not the text \"often\" (line 8)",
        ),
        (
            "  metrics: []\n  notify:\n    receivers: [{name: x}]\n    routes: [{match: [a], receiver: x}]\n",
            "/spec/notify/routes/0/match: must be a mapping (`key: value` lines, or {key: value}), not a list (line 9)",
        ),
    ];
    let rust_words = [
        "f64",
        "u64",
        "i64",
        "sequence",
        "a map,",
        "expected a map",
        "struct",
        "variant",
        "expected a string",
        "expected a boolean",
        "invalid type",
        "cannot start any token",
    ];
    for (spec, said) in cases {
        let (_dir, path) = artifact(&format!("{STANDARD_HEAD}{spec}"));
        for args in [
            vec!["rules", path.as_str()],
            vec![
                "validate",
                "examples/simple.json",
                "--schema",
                path.as_str(),
            ],
        ] {
            let r = run(&args);
            assert_eq!(r.code, 2, "{spec}: {r:?}");
            let first = r.stderr.lines().next().unwrap();
            assert!(
                first.starts_with(&format!("simplepipe: error: standard {path}: ")),
                "{first}"
            );
            assert!(
                first.contains(said),
                "{spec}\nwanted: {said}\nsaw:    {first}"
            );
            for word in rust_words {
                assert!(!r.stderr.contains(word), "{word:?} in {}", r.stderr);
            }
        }
    }
}

/// Item 17: a v0 value that isn't a number says what v0 takes (numbers as
/// text too, as Python's `float()` reads them), not the native formats'
/// "NaN", "+Inf" or "-Inf"; and what it says it takes is taken: the
/// numeric strings it names reach the Pushgateway as numbers.
#[test]
fn v0_number_message_says_what_v0_takes() {
    let gw = Gateway::start();
    let entry = |value: &str| {
        format!(r#"{{"name": "s", "description": "d", "value": {value}, "metric_type": "gauge"}}"#)
    };
    let (_d, bad) = artifact(&format!("[{}]", entry("\"six\"")));
    let r = run(&["push", &bad, "v0", "--gateway", &gw.url]);
    assert_eq!(r.code, 4, "{r:?}");
    assert_eq!(
        r.stderr.lines().next().unwrap(),
        format!("simplepipe: error: {bad}: /0/value: \"six\" is not a number (the simplepipe-v0 format takes a number, or a string Python's float() reads, such as \"6\", \"2.5e3\", \"nan\", \"inf\" or \"-inf\")")
    );
    assert!(gw.groups().is_empty(), "nothing pushed");

    let (_d, native) = artifact(r#"{"s": "six"}"#);
    let r = run(&["validate", &native]);
    assert!(
        r.stderr
            .contains(r#""six" is not a number (a string must be "NaN", "+Inf" or "-Inf")"#),
        "the native formats keep theirs: {r:?}"
    );

    let named = ["\"6\"", "\"2.5e3\"", "\"nan\"", "\"inf\"", "\"-inf\""];
    let entries: Vec<String> = named
        .iter()
        .enumerate()
        .map(|(i, v)| entry(v).replace("\"s\"", &format!("\"s{i}\"")))
        .collect();
    let (_d, good) = artifact(&format!("[{}]", entries.join(",")));
    let r = run(&["push", &good, "v0", "--gateway", &gw.url]);
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "v0")]).unwrap();
    let values: Vec<String> = (0..named.len())
        .map(|i| g.value(&format!("s{i}")))
        .collect();
    assert_eq!(values, ["6", "2500", "NaN", "+Inf", "-Inf"]);
}

/// The long options a command's `--help` lists.
fn help_options(command: &str) -> BTreeSet<String> {
    let r = run(&[command, "--help"]);
    assert_eq!(r.code, 0, "{r:?}");
    r.stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace().skip_while(|w| {
                w.len() == 3 && w.starts_with('-') && w.ends_with(',') // `-v,`
            });
            let option = words.next()?.strip_prefix("--")?;
            let name = option.split(['[', '=']).next().unwrap();
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                .then(|| name.to_string())
        })
        .collect()
}

/// Item 18: `--all-errors` (every problem of an invalid artifact) is an
/// option of the commands that read an artifact, push and validate, and
/// no longer of run and watch (or delete, prune, rules…), where it meant
/// nothing; it still works where it belongs, and `run` refuses it as
/// unknown instead of taking it silently.
#[test]
fn all_errors_is_offered_only_where_there_is_an_artifact() {
    for command in ["push", "validate"] {
        assert!(help_options(command).contains("all-errors"), "{command}");
    }
    for command in [
        "run",
        "watch",
        "delete",
        "groups",
        "prune",
        "rules",
        "dashboard",
        "alertmanager",
        "schemas",
        "install",
    ] {
        let options = help_options(command);
        assert!(options.contains("verbose"), "{command}: {options:?}");
        assert!(!options.contains("all-errors"), "{command}: {options:?}");
    }

    let many = format!(
        "{{{}}}",
        (0..25)
            .map(|i| format!("\"m{i}\": \"x\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (_d, path) = artifact(&many);
    let gw = Gateway::start();
    let r = run(&["push", &path, "j", "--gateway", &gw.url, "--all-errors"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert_eq!(r.stderr.matches("is not a number").count(), 25, "{r:?}");
    let r = run(&["validate", &path]);
    assert_eq!(r.stderr.matches("is not a number").count(), 20, "{r:?}");
    assert!(gw.groups().is_empty());

    // run takes an option it doesn't know as the start of the command
    // (with --job after it): it names the option instead of running it.
    let r = run(&[
        "run",
        "--all-errors",
        "--gateway",
        &gw.url,
        "--job",
        "j",
        "--",
        "true",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "simplepipe: error: \"--all-errors\" is not an option of run (`simplepipe run --help` lists them); the command to run goes last, after --: simplepipe run [OPTIONS] -- CMD [ARGS...]\n"
    );
    let r = run(&["watch", "--all-errors", "--gateway", &gw.url, "--job", "j"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("'--all-errors'"), "{r:?}");
    assert!(gw.groups().is_empty(), "nothing pushed");
}

/// Item 16: `--remote-write` to a path no receiver takes remote write at
/// warns, once, and goes on. The real VictoriaMetrics shows why: at
/// `/write` (its InfluxDB endpoint) it answers 204 to a remote-write body
/// and keeps nothing, while at `/api/v1/write`, with or without a proxy's
/// prefix, the same push lands without a warning.
#[test]
fn remote_write_to_an_unknown_path_warns_once_and_goes_on() {
    let vm = common::victoria::Victoria::start();
    let warning = "is not a remote-write path";
    let push = |path: &str, job: &str| {
        run(&[
            "push",
            "examples/simple.json",
            "--job",
            job,
            "--remote-write",
            &format!("{}{path}", vm.url),
        ])
    };
    let r = push("/write", "influx_path");
    assert_eq!(r.code, 0, "it goes on: {r:?}");
    assert_eq!(r.stderr.matches(warning).count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!("simplepipe: warning: --remote-write {}/write: \"/write\" is not a remote-write path (…/api/v1/write for Prometheus and VictoriaMetrics, …/api/v1/push for Mimir and Cortex, …/api/v1/receive for Thanos)", vm.url)),
        "{}",
        r.stderr
    );
    for (path, job) in [
        ("/api/v1/write", "known_path"),
        ("/prometheus/api/v1/write", "prefixed_path"),
    ] {
        let r = push(path, job);
        assert_eq!(r.code, 0, "{r:?}");
        assert!(!r.stderr.contains(warning), "{path}: {}", r.stderr);
    }
    // Polled until both good pushes are searchable; the /write push, sent
    // before them, never is.
    let jobs = || -> Vec<String> {
        let held = vm.query("count by (job) (run_time_seconds)");
        let mut jobs: Vec<String> = held
            .iter()
            .map(|s| s["metric"]["job"].as_str().unwrap().to_string())
            .collect();
        jobs.sort_unstable();
        jobs
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut held = jobs();
    while held.len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        held = jobs();
    }
    assert_eq!(
        held,
        ["known_path", "prefixed_path"],
        "the /write push was dropped"
    );

    // A run pushes every interval and at the end: still one warning.
    let r = run(&[
        "run",
        "--remote-write",
        &format!("{}/write", vm.url),
        "--job",
        "live",
        "--interval",
        "0.2s",
        "--",
        "sh",
        "-c",
        "echo loss=1; sleep 1; echo loss=2",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stderr.matches(warning).count(), 1, "{}", r.stderr);
}

/// Item 15, the other reader serde's type words reached: a ModelOp line
/// that is JSON but not an object says so in words ("an array"), not
/// "invalid type: sequence, expected a map"; the messages around it still
/// reach the Pushgateway.
#[test]
fn modelop_line_of_another_json_kind_is_named_in_words() {
    let gw = Gateway::start();
    let recorded = std::fs::read_to_string(repo().join("tests/data/modelop-stream.jsonl")).unwrap();
    let first: Vec<&str> = recorded.lines().take(5).collect();
    let stream = format!("[1, 2]\n\"done\"\n{}\n", first.join("\n"));
    let (_dir, path) = artifact(&stream);
    let r = watch_modelop(&path, &gw.url);
    assert_eq!(r.code, 0, "{r:?}");
    let said: Vec<&str> = r.stderr.lines().take(2).collect();
    assert_eq!(
        said,
        [
            format!("simplepipe: warning: {path} line 1: not a ModelOp message: JSON, but an array, not an object (one JSON object per line)"),
            format!("simplepipe: warning: {path} line 2: not a ModelOp message: JSON, but a string, not an object (one JSON object per line)"),
        ]
    );
    for word in ["invalid type", "sequence", "expected a map"] {
        assert!(!r.stderr.contains(word), "{word:?} in {}", r.stderr);
    }
    let g = gw.group(&[("job", "scoring")]).unwrap();
    let records: Vec<String> = g
        .series("modelop_records_total")
        .into_iter()
        .map(|(labels, s)| format!("{labels:?}={}", s["value"].as_str().unwrap()))
        .collect();
    assert_eq!(records, [r#"{"engine": "engine-1", "slot": "0"}=100"#],);
}
