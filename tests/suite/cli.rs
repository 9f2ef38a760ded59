//! The command-line contract without a network: validate, schemas, usage
//! errors and their exit codes.

use crate::common;

use common::*;

#[test]
fn validate_prints_a_one_line_summary() {
    let r = run(&["validate", "examples/training-run.json"]);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(
        r.stdout,
        "examples/training-run.json: valid (schema metrics): 4 families (5 series)\n"
    );

    let r = run_stdin(
        &["validate", "-"],
        br#"[{"name": "x", "description": "d", "value": 1, "metric_type": "gauge", "job": "j"}]"#,
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "<stdin>: valid (schema simplepipe-v0): 1 family (1 series)\n"
    );
    // Keys the original ignored are still ignored, but the user is told.
    assert_eq!(r.stderr, "simplepipe: warning: <stdin>: /0/job: unknown key ignored (the original Simplepipe ignored it too)\n");
}

#[test]
fn custom_schema_from_flag_and_from_dollar_schema() {
    let r = run(&["validate", "examples/admin/run-ok.json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("valid (schemas metrics and examples/admin/team-standard.schema.json)"),
        "{}",
        r.stdout
    );

    let r = run(&["validate", "examples/admin/run-violates-standard.json"]);
    assert_eq!(r.code, 4, "{r:?}");
    for want in [
        ": /labels: missing required key \"dataset\" (schema examples/admin/team-standard.schema.json)",
        ": /metrics/0/value: 81.2 is greater than the maximum of 1",
        ": /metrics: no metric named \"run_time_seconds\"; the schema requires one",
        "4 problems found\n",
    ] {
        assert!(r.stderr.contains(want), "want {want:?} in\n{}", r.stderr);
    }
    // validate never talks about pushing (issue 10, item 7).
    assert!(!r.stderr.contains("pushed"), "{}", r.stderr);

    // --schema applies the admin schema to an artifact that doesn't declare it.
    let r = run(&[
        "validate",
        "examples/simple.json",
        "--schema",
        "examples/admin/team-standard.schema.json",
    ]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr.contains("/: missing required key \"labels\""),
        "{}",
        r.stderr
    );

    // --schema with a built-in name forces that format.
    let r = run(&["validate", "examples/simple.json", "--schema", "metrics"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr.contains("/: missing required key \"metrics\""),
        "{}",
        r.stderr
    );
}

#[test]
fn schemas_lists_and_prints_the_embedded_files() {
    let r = run(&["schemas"]);
    assert_eq!(r.code, 0);
    let names: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["metrics", "simple", "simplepipe-v0", "argo-workflow"]
    );
    for name in names {
        let r = run(&["schemas", name]);
        assert_eq!(r.code, 0);
        let file = std::fs::read_to_string(repo().join(format!("schemas/{name}.json"))).unwrap();
        assert_eq!(r.stdout, file);
    }
    let r = run(&["schemas", "nope"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "simplepipe: error: no built-in schema \"nope\"; the built-in schemas are metrics, simple, simplepipe-v0, argo-workflow\n");
}

#[test]
fn usage_errors_are_exit_2_and_say_what_to_do() {
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            &["push", "examples/simple.json"],
            &[("SIMPLEPIPE_GATEWAY", "http://127.0.0.1:1")],
            "no job given: pass JOB, --job JOB or set SIMPLEPIPE_JOB",
        ),
        (
            &["push", "examples/simple.json", "j"],
            &[],
            "no Pushgateway given: pass --gateway URL or set SIMPLEPIPE_GATEWAY",
        ),
        (
            &[
                "push",
                "examples/simple.json",
                "a",
                "--job",
                "b",
                "--dry-run",
            ],
            &[],
            "the job is given twice",
        ),
        (&["push", "--job", "j", "--dry-run"], &[], "nothing to push"),
        (
            &["push", "examples/simple.json", "j", "--gateway", "ftp://h"],
            &[],
            "expected an http:// or https:// URL",
        ),
        (
            &[
                "push",
                "examples/simple.json",
                "j",
                "--dry-run",
                "--metric",
                "x=abc",
            ],
            &[],
            "--metric \"x=abc\": \"abc\" is not a number",
        ),
        (
            &[
                "push",
                "examples/simple.json",
                "j",
                "--dry-run",
                "--group",
                "novalue",
            ],
            &[],
            "--group \"novalue\": expected NAME=VALUE",
        ),
        (
            &[
                "push",
                "examples/simple.json",
                "j",
                "--dry-run",
                "--user",
                "u",
                "--group",
                "user=v",
            ],
            &[],
            "use --user",
        ),
        (
            &["push", "examples/simple.json", "j", "--method", "patch"],
            &[],
            "invalid value 'patch'",
        ),
        (&["frobnicate"], &[], "unrecognized subcommand"),
    ];
    for (args, env, needle) in cases {
        let r = run_env(args, env);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(
            r.stderr.contains(needle),
            "{args:?}: want {needle:?} in {}",
            r.stderr
        );
    }
}

#[test]
fn gateway_credentials_never_show() {
    let r = run(&[
        "push",
        "examples/simple.json",
        "j",
        "--gateway",
        "http://bob:hunter2-secret@127.0.0.1:1",
        "--dry-run",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("http://***@127.0.0.1:1/metrics/job/j"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "push",
        "examples/simple.json",
        "j",
        "--gateway",
        "http://bob:hunter2-secret@127.0.0.1:1",
        "--retries",
        "1",
        "--retry-max-wait",
        "0.1",
        "-v",
    ]);
    assert_eq!(r.code, 6, "{r:?}");
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains("hunter2-secret"), "{out}");
    }
}

#[test]
fn help_documents_env_and_exit_codes() {
    let r = run(&["push", "--help"]);
    assert_eq!(r.code, 0);
    for want in [
        "SIMPLEPIPE_GATEWAY",
        "SIMPLEPIPE_JOB",
        "SIMPLEPIPE_USER",
        "SIMPLEPIPE_GROUPING",
        "SIMPLEPIPE_SCHEMA",
        "SIMPLEPIPE_METHOD",
        "PUSH_GATEWAY_HOSTNAME",
    ] {
        assert!(r.stdout.contains(want), "{want} missing from push --help");
    }
    let r = run(&["--help"]);
    assert!(r.stdout.contains("4 artifact invalid"), "{}", r.stdout);
}
