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
}
