//! Issue 10, "what a new user hit": one regression test per item, each run
//! against the real binary (and a real Pushgateway where something is sent).
//! Every test here failed on e816088, the commit the fixes started from.

use crate::common;
use crate::doc_examples;

use std::process::Stdio;

use clap::CommandFactory;
use common::*;
use serde_json::Value;

/// Every subcommand path with every env-backed argument it has (clap's
/// tree, so options added later are covered without editing this file).
fn env_args() -> Vec<(Vec<String>, clap::Arg)> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<(Vec<String>, clap::Arg)>) {
        for a in cmd.get_arguments() {
            if a.get_env().is_some() {
                out.push((path.clone(), a.clone()));
            }
        }
        for sub in cmd.get_subcommands() {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
    }
    let mut cmd = simplepipe::cli::Cli::command();
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, Vec::new(), &mut out);
    out
}

/// An option that can carry a credential: URLs (userinfo), endpoints,
/// tokens, passwords, user names, keys and certificate paths.
fn can_carry_a_secret(a: &clap::Arg) -> bool {
    let words = [
        "url",
        "gateway",
        "endpoint",
        "token",
        "password",
        "secret",
        "key",
        "cert",
        "username",
        "auth",
        "header",
        "credential",
    ];
    let id = a.get_id().as_str().to_lowercase();
    let env = a.get_env().unwrap().to_string_lossy().to_lowercase();
    let value_names: Vec<String> = a
        .get_value_names()
        .unwrap_or_default()
        .iter()
        .map(|v| v.to_lowercase())
        .collect();
    words
        .iter()
        .any(|w| id.contains(w) || env.contains(w) || value_names.iter().any(|v| v == w))
        || value_names.iter().any(|v| v == "pem")
}

// ---- Security ------------------------------------------------------------

#[test]
fn no_credential_env_value_is_shown_in_any_help() {
    let args = env_args();
    let secret: Vec<_> = args.iter().filter(|(_, a)| can_carry_a_secret(a)).collect();
    assert!(secret.len() >= 8, "the audit found too few: {secret:?}");
    for (path, a) in &secret {
        assert!(
            a.is_hide_env_values_set(),
            "{} --{}: env {:?} can carry a credential but shows its value in --help",
            path.join(" "),
            a.get_long().unwrap_or_default(),
            a.get_env().unwrap()
        );
    }
    // End to end: every subcommand's help, with secret values set in every
    // such variable (and in the credential variables clap doesn't own).
    let mut env: Vec<(String, String)> = secret
        .iter()
        .map(|(_, a)| {
            let name = a.get_env().unwrap().to_string_lossy().into_owned();
            (name, "http://bob:hunter2@host:9091".to_string())
        })
        .collect();
    for extra in [
        "PUSH_GATEWAY_HOSTNAME",
        "SIMPLEPIPE_PASSWORD",
        "SIMPLEPIPE_BEARER_TOKEN",
    ] {
        env.push((
            extra.to_string(),
            "http://bob:hunter2@host:9091".to_string(),
        ));
    }
    let mut paths: Vec<Vec<String>> = args.iter().map(|(p, _)| p.clone()).collect();
    paths.push(Vec::new());
    paths.dedup();
    for path in paths {
        for help in ["--help", "-h"] {
            let mut cmd = simplepipe();
            cmd.args(&path).arg(help);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            let out = cmd.output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{path:?} {help}");
            assert!(!text.contains("hunter2"), "{path:?} {help}:\n{text}");
        }
    }
}

// ---- Errors that mislead -------------------------------------------------

/// Item 1: every jsonschema error kind keeps its reason; the value is cut.
#[test]
fn custom_schema_errors_keep_their_reason_and_cut_the_value() {
    let long_help = "h".repeat(400);
    let metrics: Vec<String> = (0..3)
        .map(|i| {
            format!(r#"{{"name": "m{i}", "type": "gauge", "help": "{long_help}", "value": 1}}"#)
        })
        .collect();
    let (_d, art) = artifact(&format!(
        r#"{{"labels": {{"team": "{long_help}"}}, "metrics": [{}]}}"#,
        metrics.join(", ")
    ));
    let cases = [
        (r#"{"maxItems": 1}"#, "has more than 1 item"),
        (r#"{"minItems": 5}"#, "has less than 5 items"),
        (
            r#"{"maxItems": 10, "items": {"maxProperties": 2}}"#,
            "has more than 2 properties",
        ),
        (
            r#"{"contains": {"properties": {"value": {"const": 9}}}}"#,
            "no item matches",
        ),
        (
            r#"{"items": {"properties": {"help": {"maxLength": 10}}}}"#,
            "longer than 10 characters",
        ),
        (
            r#"{"items": {"properties": {"help": {"pattern": "^x"}}}}"#,
            "does not match",
        ),
        (r#"{"not": {"type": "array"}}"#, "not allowed"),
        (
            r#"{"items": {"properties": {"help": {"const": "a"}}}}"#,
            "is not \"a\"",
        ),
    ];
    for (metrics_schema, reason) in cases {
        let schema = format!(r#"{{"properties": {{"metrics": {metrics_schema}}}}}"#);
        let (_s, schema_path) = artifact(&schema);
        let r = run(&["validate", &art, "--schema", &schema_path]);
        assert_eq!(r.code, 4, "{metrics_schema}: {r:?}");
        assert!(
            r.stderr.contains(reason),
            "{metrics_schema}: want {reason:?} in\n{}",
            r.stderr
        );
        for line in r.stderr.lines() {
            assert!(
                line.chars().count() < 500,
                "{metrics_schema}: too long: {line}"
            );
        }
    }
    let (_s, schema_path) = artifact(
        r#"{"properties": {"labels": {"uniqueItems": true, "type": "array"}, "metrics": {"uniqueItems": true}}}"#,
    );
    let (_d, dup) = artifact(&format!(
        r#"{{"metrics": [{m}, {m}, {{"name": "z", "type": "gauge", "value": 2}}]}}"#,
        m = format!(r#"{{"name": "a", "type": "gauge", "help": "{long_help}", "value": 1}}"#)
    ));
    let r = run(&["validate", &dup, "--schema", &schema_path]);
    assert!(r.stderr.contains("has non-unique elements"), "{}", r.stderr);
}

/// Item 2: the parse skeleton (`[null,null,…]`) never reaches a message.
#[test]
fn native_artifact_checked_as_another_format_shows_its_real_values() {
    let r = run(&[
        "validate",
        "examples/training-run.json",
        "--schema",
        "simple",
    ]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(!r.stderr.contains("null"), "{}", r.stderr);
    assert!(r.stderr.contains("/metrics: [{"), "{}", r.stderr);
}

/// Item 3: duplicate keys are exit 4 everywhere, with pointer and lines,
/// and nothing is pushed.
#[test]
fn duplicate_keys_are_invalid_with_pointer_and_both_lines() {
    let gw = Gateway::start();
    let cases = [
        ("{\"a\": 1,\n \"a\": 2}", "/a: duplicate key \"a\" (lines 1 and 2)"),
        (
            "{\"metrics\": [\n{\"name\": \"x\", \"type\": \"gauge\",\n \"value\": 1,\n \"value\": 2}]}",
            "/metrics/0/value: duplicate key \"value\" (lines 3 and 4)",
        ),
        (
            "{\"labels\": {\"k\": \"a\", \"k\": \"b\"}, \"metrics\": [{\"name\": \"x\", \"type\": \"gauge\", \"value\": 1}]}",
            "/labels/k: duplicate key \"k\" (twice on line 1)",
        ),
        (
            "[{\"name\": \"s\", \"description\": \"d\", \"value\": 1,\n\"metric_type\": \"gauge\", \"name\": \"t\"}]",
            "/0/name: duplicate key \"name\" (lines 1 and 2)",
        ),
    ];
    for (doc, want) in cases {
        let (_d, path) = artifact(doc);
        let r = run(&["push", &path, "dup", "--gateway", &gw.url]);
        assert_eq!(r.code, 4, "{doc}: {r:?}");
        assert!(
            r.stderr.contains(want),
            "{doc}: want {want:?} in\n{}",
            r.stderr
        );
        assert!(!r.stderr.contains("please report"), "{}", r.stderr);
    }
    assert!(gw.groups().is_empty(), "something was pushed");
}

/// Item 4: an artifact's own `$schema` that can't be read is exit 4, names
/// the path tried (relative to the artifact) and not --schema.
#[test]
fn unreadable_dollar_schema_is_invalid_artifact_with_resolved_path() {
    let (dir, path) = artifact(r#"{"$schema": "standards/team.json", "a": 1}"#);
    let r = run(&["validate", &path]);
    assert_eq!(r.code, 4, "{r:?}");
    let tried = dir.path().join("standards/team.json");
    assert!(
        r.stderr
            .contains(&format!("cannot read schema {}", tried.display())),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("--schema"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

/// Item 5: RFC 6901 pointers with a leading `/`; a simple-format key is
/// escaped and pointed at itself.
#[test]
fn pointers_are_rfc_6901() {
    let (_d, path) = artifact(
        r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1}, {"name": "b", "type": "gauge", "value": "x"}]}"#,
    );
    let r = run(&["validate", &path]);
    assert!(
        r.stderr
            .contains(": /metrics/1/value: \"x\" is not a number"),
        "{}",
        r.stderr
    );
    let (_d, path) = artifact(r#"{"metrics": []}"#);
    assert!(run(&["validate", &path])
        .stderr
        .contains(": /metrics: must hold"));
    let (_d, path) = artifact(r#"{"a/b~c": 1}"#);
    let r = run(&["validate", &path]);
    assert_eq!(r.code, 4);
    assert!(
        r.stderr
            .contains(": /a~1b~0c: \"a/b~c\" is not a legal metric name"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("/name"), "{}", r.stderr);
    let r = run(&["validate", "examples/simple.json", "--schema", "metrics"]);
    assert!(
        r.stderr.contains(": /: missing required key \"metrics\""),
        "{}",
        r.stderr
    );
}

/// Item 6: 100,000 problems print 20, then a count; --all-errors prints
/// the first 100 of a kind in one object (issue 23), then a count.
#[test]
fn error_volume_is_capped_at_20_with_a_count_by_kind() {
    let body: Vec<String> = (0..100_000).map(|i| format!("\"m{i}\": \"x\"")).collect();
    // One `type` problem (first) among 100,000 `anyOf` ones.
    let (_d, path) = artifact(&format!("{{{}, \"$schema\": 5}}", body.join(",")));
    let r = run(&["validate", &path]);
    assert_eq!(r.code, 4);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 22, "{}", r.stderr);
    assert!(
        lines[20]
            .ends_with("… and 99981 more problems (1 kind: anyOf); --all-errors shows them all"),
        "{}",
        lines[20]
    );
    assert!(
        lines[21].ends_with("100001 problems found"),
        "{}",
        lines[21]
    );
    let r = run(&["validate", &path, "--all-errors"]);
    assert_eq!(r.code, 4);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 103, "{}", r.stderr);
    assert!(
        lines[101].ends_with(
            "… and 99900 more problems (1 kind: anyOf); past the first 100 of one kind in one array, not listed"
        ),
        "{}",
        lines[101]
    );
    let r = run_env(&["validate", &path], &[("SIMPLEPIPE_ALL_ERRORS", "1")]);
    assert_eq!(r.stderr.lines().count(), 103);
}

/// Item 7: wording.
#[test]
fn messages_say_the_right_thing() {
    let (_d, path) = artifact(r#"{"a": "x"}"#);
    let r = run(&["validate", &path]);
    assert_eq!(r.code, 4);
    assert!(
        !r.stderr.contains("push"),
        "validate talks about pushing: {}",
        r.stderr
    );

    let r = run(&[
        "push",
        "--job",
        "j",
        "--dry-run",
        "--metric",
        "foo=1",
        "--metric",
        "foo=2",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "simplepipe: error: --metric \"foo=1\" and --metric \"foo=2\" name the same series; give it once\n"
    );

    let r = run(&["push", "examples/simple.json", "j"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("PUSH_GATEWAY_HOSTNAME"), "{}", r.stderr);

    let r = run(&["push"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nothing to push: give a SOURCE"),
        "{}",
        r.stderr
    );
    let r = run(&["push", "examples/simple.json"]);
    assert!(r.stderr.contains("no job given"), "{}", r.stderr);
}

/// Item 8: a closed stdin can't be read: exit 3.
#[test]
fn closed_stdin_is_unreadable() {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" push - j --dry-run <&-")
        .arg(env!("CARGO_BIN_EXE_simplepipe"))
        .env_clear()
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot read <stdin>"), "{stderr}");
}

// ---- Command line and environment -----------------------------------------

fn one_line_error(r: &Run) -> &str {
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "not one line:\n{}", r.stderr);
    r.stderr
        .strip_prefix("simplepipe: error: ")
        .expect("prefix")
}

#[test]
fn clap_errors_are_one_line_with_prefix_and_exit_2() {
    for args in [
        &["push", "--timeout", "abc"][..],
        &["push", "--nope"],
        &["validate"],
        &["push", "--method", "patch", "x", "j"],
        &["frobnicate"],
        &["push", "--cert", "c.pem", "x", "j"],
        &[],
    ] {
        let r = run(args);
        if args.is_empty() {
            assert_eq!(r.code, 2, "{r:?}");
            continue; // bare `simplepipe` shows the help
        }
        let line = one_line_error(&r);
        assert!(line.contains("--help"), "{args:?}: {line}");
    }
}

/// Every env-backed option whose value clap checks: a bad value in the
/// variable gives one line naming the variable.
#[test]
fn bad_env_values_name_the_variable() {
    let r = run_env(
        &["push", "examples/simple.json", "j", "--dry-run"],
        &[("SIMPLEPIPE_QUIET", "maybe")],
    );
    let line = one_line_error(&r);
    assert!(
        line.starts_with("SIMPLEPIPE_QUIET=maybe: expected true/false"),
        "{line}"
    );
    let mut checked = 0;
    for (path, a) in env_args() {
        let env = a.get_env().unwrap().to_string_lossy().into_owned();
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        match args.first().copied() {
            Some("push") => args.extend(["examples/simple.json", "j", "--dry-run"]),
            Some("validate") => args.push("examples/simple.json"),
            Some("delete") => args.extend(["--job", "j", "--dry-run"]),
            _ => continue,
        }
        let r = run_env(&args, &[(&env, "@bad@")]);
        if r.stderr
            .starts_with(&format!("simplepipe: error: {env}=@bad@: "))
        {
            one_line_error(&r);
            checked += 1;
        } else if matches!(a.get_action(), clap::ArgAction::SetTrue)
            || !a.get_possible_values().is_empty()
        {
            panic!("{env}=@bad@ was accepted: {r:?}");
        }
    }
    assert!(checked >= 15, "only {checked} checked");
}

#[test]
fn env_booleans_accept_what_configmaps_write() {
    for (v, on) in [
        ("1", true),
        ("true", true),
        ("TRUE", true),
        ("yes", true),
        ("Yes", true),
        ("0", false),
        ("false", false),
        ("no", false),
        ("NO", false),
    ] {
        let r = run_env(
            &["validate", "examples/simple.json"],
            &[("SIMPLEPIPE_VERBOSE", v)],
        );
        assert_eq!(r.code, 0, "{v}: {r:?}");
        assert_eq!(r.stderr.contains("debug:"), on, "{v}: {}", r.stderr);
    }
}

#[test]
fn list_variables_carry_commas_escaped_or_as_json() {
    let gw = Gateway::start();
    let r = run_env(
        &["push", "examples/simple.json", "j", "--gateway", &gw.url],
        &[
            ("SIMPLEPIPE_LABELS", r"note=a\,b,team=ml"),
            ("SIMPLEPIPE_GROUPING", r#"{"run": "7,8"}"#),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw
        .group(&[("job", "j"), ("run", "7,8")])
        .expect("group with a comma");
    let series = g.series("run_time_seconds");
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0].0["note"], "a,b");
    assert_eq!(series[0].0["team"], "ml");
}

#[test]
fn original_invocation_works_as_push() {
    let gw = Gateway::start();
    let host = gw.url.trim_start_matches("http://");
    let r = run_env(
        &["examples/original-simplepipe.json", "simple"],
        &[("PUSH_GATEWAY_HOSTNAME", host)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        gw.group(&[("job", "simple")]).is_some(),
        "{:?}",
        gw.groups()
    );
}

#[test]
fn verbose_logs_every_step_and_no_secret() {
    let gw = Gateway::start();
    let url = gw.url.replace("http://", "http://bob:hunter2@");
    // A gzipped tar holding two files, as Argo archives outputs.
    let mut tar = tar::Builder::new(Vec::new());
    for (name, body) in [
        ("out/metric.json", &b"{\"run_seconds\": 4}"[..]),
        ("out/log.txt", b"x"),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, body).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metric.tgz");
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let r = run(&[
        "push",
        path.to_str().unwrap(),
        "j",
        "--gateway",
        &url,
        "--member",
        "out/metric.json",
        "-v",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    for step in [
        "debug: read ", // where from and how many bytes
        "bytes",
        "gunzip:", // unpacking
        "tar member out/metric.json: 18 bytes",
        "schema simple (detected by shape)", // which schema and why
        "1 family (1 series)",               // the counts
        "wire format: protobuf",             // the wire format
        "PUT http://***@127.0.0.1",          // the request
        "HTTP 200",                          // the answer
    ] {
        assert!(r.stderr.contains(step), "want {step:?} in\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    let r = run(&["validate", "examples/admin/run-ok.json", "-v"]);
    assert!(r.stderr.contains("custom schema examples/admin/team-standard.schema.json (from the artifact's \"$schema\")"), "{}", r.stderr);
}

// ---- Conveniences ----------------------------------------------------------

#[test]
fn completions_for_four_shells_and_a_man_page() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef simplepipe"),
        ("fish", "complete -c simplepipe"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {r:?}");
        assert!(r.stdout.contains(marker), "{shell}");
        assert!(r.stdout.contains("validate"), "{shell}");
    }
    // The bash script is valid bash.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("simplepipe.bash");
    std::fs::write(&script, run(&["completions", "bash"]).stdout).unwrap();
    assert!(std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap()
        .success());

    let r = run(&["man"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.starts_with(".ie") || r.stdout.contains(".TH simplepipe"),
        "{}",
        &r.stdout[..200]
    );
    for sub in ["simplepipe push", "simplepipe validate", "\\-\\-gateway"] {
        assert!(r.stdout.contains(sub), "{sub} missing from the man page");
    }
}

#[test]
fn validate_takes_several_sources_and_reports_each() {
    let (_d, bad) = artifact(r#"{"a": "x"}"#);
    let r = run(&[
        "validate",
        "examples/simple.json",
        &bad,
        "examples/histogram.json",
    ]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stdout.contains("examples/simple.json: valid"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("examples/histogram.json: valid"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains(&format!("{bad}: /a: \"x\" is not a number")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("1 of 3 sources failed validation: {bad}")),
        "{}",
        r.stderr
    );
    let r = run(&[
        "validate",
        "examples/simple.json",
        "examples/histogram.json",
    ]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.lines().count(), 2);
}

#[test]
fn output_json_for_validate_and_push() {
    let (_d, bad) = artifact("{\"a\": \"x\",\n \"a\": 1}");
    let r = run(&[
        "validate",
        "--output",
        "json",
        "examples/training-run.json",
        &bad,
        "/nonexistent.json",
    ]);
    assert_eq!(r.code, 4, "{r:?}");
    let objs: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objs.len(), 3, "{}", r.stdout);
    assert_eq!(objs[0]["source"], "examples/training-run.json");
    assert_eq!(objs[0]["valid"], true);
    assert_eq!(objs[0]["schema"], "metrics");
    assert_eq!(
        (objs[0]["families"].as_u64(), objs[0]["series"].as_u64()),
        (Some(4), Some(5))
    );
    assert_eq!(objs[1]["valid"], false);
    assert_eq!(objs[1]["problems"][0]["pointer"], "/a");
    assert_eq!(objs[1]["problems"][0]["kind"], "duplicate-key");
    assert!(objs[1]["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("lines 1 and 2"));
    assert_eq!(objs[2]["problems"][0]["kind"], "unreadable");

    let gw = Gateway::start();
    let r = run(&[
        "push",
        "examples/simple.json",
        "j",
        "--gateway",
        &gw.url,
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["pushed"], true);
    assert_eq!(
        (v["families"].as_u64(), v["series"].as_u64()),
        (Some(4), Some(4))
    );
    assert!(v["destination"]
        .as_str()
        .unwrap()
        .contains("/metrics/job/j"));
}

#[test]
fn inline_metrics_take_labels_and_a_type() {
    let gw = Gateway::start();
    let r = run(&[
        "push",
        "--job",
        "j",
        "--gateway",
        &gw.url,
        "--metric",
        r#"loss{split="eval",note="a,b"}=1.5"#,
        "--metric",
        "counter:runs_total=3",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "j")]).expect("pushed");
    let loss = g.series("loss");
    assert_eq!(loss.len(), 1);
    assert_eq!(
        (loss[0].0["split"].as_str(), loss[0].0["note"].as_str()),
        ("eval", "a,b")
    );
    assert_eq!(g.kind("runs_total"), "COUNTER");
    assert_eq!(g.value("runs_total"), "3");
    let r = run(&[
        "push",
        "--job",
        "j",
        "--dry-run",
        "--metric",
        "histogram:h=1",
    ]);
    assert_eq!(r.code, 2);
}

// ---- The documentation ----------------------------------------------------
// README.md, CONTRIBUTING.md, BENCHMARKS.md and docs/: the conventions are in
// tests/suite/doc_examples.rs and CONTRIBUTING.md ("Examples in the docs are
// run"). Pages added to docs/ later are covered without editing these tests.

/// Pages other branches are writing, linked before they land: a link to one
/// of them may dangle until it is merged (then it resolves like any other;
/// take it off this list).
const PENDING_PAGES: [&str; 0] = [];

#[test]
fn readme_examples_run_as_written() {
    let mut servers = doc_examples::Servers::default();
    let dir = doc_examples::scratch();
    let mut ran: Vec<(String, usize)> = Vec::new();
    for page in doc_examples::pages() {
        for block in doc_examples::blocks(&page) {
            // A block that is not run is checked by the parser test only.
            if !block.is_sh() || block.not_run.is_some() {
                continue;
            }
            let r = doc_examples::run_block(&block, &mut servers, dir.path());
            // What is not run must at least name repository files that exist.
            let missing = doc_examples::missing_files(&r.skipped);
            assert!(
                missing.is_empty(),
                "{}:{}: {missing:?}",
                block.page,
                block.line
            );
            let run = r.run.len();
            if run > 0 {
                ran.push((block.page.clone(), run));
            }
        }
    }
    // The test can't pass by running nothing: the README's examples ran, and
    // every page with an example.
    let readme: usize = ran
        .iter()
        .filter(|(p, _)| p == "README.md")
        .map(|(_, n)| n)
        .sum();
    assert!(readme >= 12, "only {readme} README lines ran: {ran:?}");
    for page in [
        "docs/destinations.md",
        "docs/live-metrics.md",
        "docs/validation.md",
    ] {
        assert!(
            ran.iter().any(|(p, _)| p == page),
            "nothing ran from {page}: {ran:?}"
        );
    }
}

#[test]
fn every_simplepipe_command_in_the_docs_parses() {
    let mut checked = 0;
    for page in doc_examples::pages() {
        for block in doc_examples::blocks(&page) {
            for line in doc_examples::command_lines(&block) {
                for cmd in doc_examples::simple_commands(&line.text) {
                    if cmd.words.first().map(String::as_str) != Some("simplepipe") {
                        continue;
                    }
                    if let Err(e) = doc_examples::parses(&cmd.words) {
                        panic!(
                            "{}:{}: `{}` is refused: {e}",
                            block.page,
                            block.line + 1 + line.offset,
                            line.text
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 40, "only {checked} commands found");
}

/// Every relative link resolves (and its anchor to a heading), and every
/// repository path a page names in inline code exists.
#[test]
fn docs_links_resolve() {
    let pages = doc_examples::pages();
    for page in &pages {
        for (line, path) in doc_examples::named_paths(page) {
            assert!(
                repo().join(&path).exists(),
                "{}:{line}: names {path}, which doesn't exist",
                page.path
            );
        }
        let base = repo().join(&page.path).parent().unwrap().to_path_buf();
        for (line, link) in doc_examples::links(page) {
            let (file, anchor) = match link.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                repo().join(&page.path)
            } else {
                base.join(file)
            };
            let target = doc_examples::normalize(&target);
            let shown = target
                .strip_prefix(repo())
                .unwrap_or(&target)
                .display()
                .to_string();
            if !target.exists() {
                assert!(
                    PENDING_PAGES.contains(&shown.as_str()),
                    "{}:{line}: ({link}) points at {shown}, which doesn't exist",
                    page.path
                );
                continue;
            }
            if let Some(anchor) = anchor {
                let text = std::fs::read_to_string(&target).unwrap();
                let anchors = doc_examples::anchors(&text);
                assert!(
                    anchors.contains(anchor),
                    "{}:{line}: ({link}): {shown} has no heading #{anchor}; it has {anchors:?}",
                    page.path
                );
            }
        }
    }
}

/// Every option and variable the docs name exists, and every option of
/// every command is named somewhere in the docs.
#[test]
fn docs_and_options_agree() {
    let (longs, envs) = doc_examples::options_and_variables();
    let var = regex::Regex::new(r"SIMPLEPIPE_[A-Z0-9][A-Z0-9_]*").unwrap();
    let option = regex::Regex::new(r"--[a-z0-9][a-z0-9-]*").unwrap();
    let mut all = String::new();
    for page in doc_examples::pages() {
        for (n, line) in page.text.lines().enumerate() {
            for v in var.find_iter(line) {
                let v = v.as_str();
                assert!(
                    envs.contains(v),
                    "{}:{}: {v} is no variable simplepipe or its tests read",
                    page.path,
                    n + 1
                );
            }
            // The first cell of an options table names options that exist.
            if line.starts_with("| `--") {
                let cell = line.split(" | ").next().unwrap();
                for o in option.find_iter(cell).map(|o| o.as_str()) {
                    assert!(
                        longs.contains_key(o),
                        "{}:{}: {o} is no option of any command",
                        page.path,
                        n + 1
                    );
                }
            }
        }
        all.push_str(&page.text);
    }
    let named: std::collections::BTreeSet<&str> =
        option.find_iter(&all).map(|m| m.as_str()).collect();
    let missing: Vec<String> = longs
        .iter()
        .filter(|(long, _)| !named.contains(long.as_str()))
        .filter(|(long, _)| !["--help", "--version"].contains(&long.as_str()))
        .map(|(long, command)| format!("{command} {long}"))
        .collect();
    assert!(missing.is_empty(), "options no page names: {missing:?}");
}

/// The native format's example is an artifact simplepipe accepts, and its
/// text body is lint-clean for promtool.
#[test]
fn native_format_example_is_promtool_clean() {
    let page = doc_examples::page("docs/sources-and-formats.md");
    let heading = page
        .text
        .lines()
        .position(|l| l == "### `metrics` (native)")
        .expect("the native format's section");
    let native = doc_examples::blocks(&page)
        .into_iter()
        .find(|b| b.info == "json" && b.line > heading)
        .expect("its example");
    let r = run_stdin(
        &["push", "-", "j", "--dry-run", "--format", "text"],
        native.body.as_bytes(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (bash .ci/run installs it)");
    std::io::Write::write_all(&mut promtool.stdin.take().unwrap(), r.stdout.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}"
    );
}

/// `run --help` states the metric-line grammar, and its examples are read
/// as it says: fed to `run` as a child's output, they reach a real gateway.
#[test]
fn run_help_states_the_metric_line_grammar_truly() {
    let help = run(&["run", "--help"]).stdout;
    let grammar = &help[help
        .find("Metric lines")
        .expect("the grammar in run --help")..];
    let examples: Vec<&str> = grammar
        .lines()
        .filter(|l| l.starts_with("      "))
        .map(str::trim)
        .collect();
    assert_eq!(examples.len(), 6, "{grammar}");
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("out.txt");
    std::fs::write(&lines, examples.join("\n") + "\n").unwrap();
    let gw = Gateway::start();
    let r = run(&[
        "run",
        "--job",
        "help",
        "--gateway",
        &gw.url,
        "--",
        "cat",
        lines.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    let g = gw.group(&[("job", "help")]).expect("pushed");
    // Each form is seen: lr only in the pairs, epoch and loss last in the
    // JSON object (the latest value wins), images_total only in the entry,
    // the dict's numbers but not its string, Keras's and the bar's values.
    assert_eq!(g.value("epoch"), "4");
    assert_eq!(g.value("loss"), "0.38");
    assert_eq!(g.value("lr"), "1e-05");
    assert_eq!(g.series("acc")[0].0["split"], "val");
    assert_eq!(g.value("learning_rate"), "4.5e-05");
    assert_eq!(g.value("grad_norm"), "1.2");
    assert!(!g.families.contains_key("note"));
    assert_eq!(g.value("images_total"), "1200");
    assert_eq!(g.kind("images_total"), "COUNTER");
    assert_eq!(g.kind("loss"), "GAUGE");
    assert_eq!(g.value("accuracy"), "0.91");
    assert_eq!(g.value("val_loss"), "0.25");
    assert_eq!(g.value("train_loss"), "0.05");
}

/// The standard docs/standards.md shows is the example one, as it is.
#[test]
fn standards_page_shows_the_example_standard() {
    let page = doc_examples::page("docs/standards.md");
    let shown = doc_examples::blocks(&page)
        .into_iter()
        .find(|b| b.info == "yaml")
        .expect("the standard, shown")
        .body;
    let file = std::fs::read_to_string(repo().join("examples/standard/ml-training.yaml")).unwrap();
    let from = file.find("apiVersion:").unwrap();
    assert_eq!(
        shown,
        file[from..],
        "docs/standards.md shows another standard"
    );
}

/// The project's rule: every dependency (and dev-dependency) in Cargo.toml
/// has its reason in the README's design notes, so one added later without
/// a reason fails here.
#[test]
fn every_dependency_has_its_reason_in_the_readme() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let notes = &readme[readme.find("## Design notes").expect("the design notes")..];
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let name = regex::Regex::new(r"^([A-Za-z0-9_-]+)\s*=").unwrap();
    let mut section = "";
    let mut checked = 0;
    for line in manifest.lines() {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if !matches!(section, "[dependencies]" | "[dev-dependencies]") {
            continue;
        }
        if let Some(c) = name.captures(line) {
            let dep = &c[1];
            assert!(
                notes.contains(&format!("`{dep}`")),
                "{dep} ({section}) has no reason in the README's design notes"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} dependencies found");
}
