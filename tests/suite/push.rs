//! End to end: the real binary against a real Pushgateway on loopback.
//! Every test asserts what the gateway holds afterwards, read back through
//! its `/api/v1/metrics` API, not what simplepipe believes it sent.

use crate::common;

use common::*;

fn push(gw: &Gateway, args: &[&str]) -> Run {
    let mut all = vec!["push", "--gateway", &gw.url];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn native_format_every_type_lands() {
    let gw = Gateway::start();
    let r = push(
        &gw,
        &[
            "examples/training-run.json",
            "--job",
            "train",
            "--user",
            "alice",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("pushed 4 families (5 series)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("/metrics/job/train/user/alice"),
        "{}",
        r.stderr
    );
    let g = gw
        .group(&[("job", "train"), ("user", "alice")])
        .expect("group exists");
    assert_eq!(g.value("run_time_seconds"), "3912.4");
    assert_eq!(g.kind("run_time_seconds"), "GAUGE");
    assert_eq!(
        g.help("model_accuracy"),
        "Top-1 accuracy on the validation split (0..1)."
    );
    assert_eq!(g.value("memory_peak_bytes"), "1.7179869184e+10");
    let imgs = g.series("images_processed_total");
    assert_eq!(g.kind("images_processed_total"), "COUNTER");
    assert_eq!(imgs.len(), 2);
    for (labels, s) in imgs {
        assert_eq!(labels["model"], "resnet50");
        assert_eq!(labels["dataset"], "imagenet-subset");
        let want = if labels["split"] == "train" {
            "1.281167e+06"
        } else {
            "50000"
        };
        assert_eq!(s["value"], want, "{labels:?}");
    }

    assert_eq!(push(&gw, &["examples/histogram.json", "h"]).code, 0);
    let g = gw.group(&[("job", "h")]).unwrap();
    assert_eq!(g.kind("image_decode_seconds"), "HISTOGRAM");
    let (_, s) = &g.series("image_decode_seconds")[0];
    assert_eq!(s["buckets"]["0.005"], "120");
    assert_eq!(s["buckets"]["0.1"], "1199");
    assert_eq!(
        s["buckets"]["+Inf"], "1200",
        "the missing +Inf bucket is added as count"
    );
    assert_eq!(s["count"], "1200");
    assert_eq!(s["sum"], "9.87");

    assert_eq!(push(&gw, &["examples/summary.json", "s"]).code, 0);
    let g = gw.group(&[("job", "s")]).unwrap();
    assert_eq!(g.kind("batch_latency_seconds"), "SUMMARY");
    let (_, s) = &g.series("batch_latency_seconds")[0];
    assert_eq!(s["quantiles"]["0.99"], "0.93");
    assert_eq!(s["count"], "1875");
    assert_eq!(g.kind("gpu_temperature_celsius"), "UNTYPED");
    assert_eq!(g.value("gpu_temperature_celsius"), "NaN");
}

#[test]
fn simple_format_pushes_gauges() {
    let gw = Gateway::start();
    assert_eq!(push(&gw, &["examples/simple.json", "simple-run"]).code, 0);
    let g = gw.group(&[("job", "simple-run")]).unwrap();
    assert_eq!(g.families.len(), 4);
    assert_eq!(g.value("run_time_seconds"), "42.5");
    assert_eq!(g.value("images_processed"), "1200");
    assert_eq!(g.kind("model_accuracy"), "GAUGE");
}

#[test]
fn original_simplepipe_invocation_behaves_like_app_py() {
    // `app.py metric.json simple` with PUSH_GATEWAY_HOSTNAME=host:port (no scheme).
    let gw = Gateway::start();
    let host = gw.url.trim_start_matches("http://");
    let (_d, path) = artifact(
        r#"[{"name": "simple", "description": "generated random integer", "value": "6", "metric_type": "gauge"}]"#,
    );
    let r = run_env(
        &["push", &path, "simple"],
        &[("PUSH_GATEWAY_HOSTNAME", host)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw
        .group(&[("job", "simple")])
        .expect("grouped by job only, as prometheus_client did");
    assert_eq!(g.value("simple"), "6");
    assert_eq!(g.help("simple"), "generated random integer");

    assert_eq!(
        run_env(
            &["push", "examples/original-simplepipe.json", "v0"],
            &[("PUSH_GATEWAY_HOSTNAME", host)]
        )
        .code,
        0
    );
    let g = gw.group(&[("job", "v0")]).unwrap();
    let (_, s) = &g.series("training_time_seconds")[0];
    assert_eq!(
        (s["sum"].as_str(), s["count"].as_str()),
        (Some("73.2"), Some("1"))
    );
    assert_eq!(g.kind("training_time_seconds_created"), "GAUGE");
    let (_, h) = &g.series("preprocess_seconds")[0];
    assert_eq!(h["buckets"]["0.5"], "0");
    assert_eq!(h["buckets"]["0.75"], "1");
    assert_eq!(h["buckets"]["10"], "1");
    assert_eq!(
        h["buckets"].as_object().unwrap().len(),
        15,
        "python client default buckets + +Inf"
    );
    let (labels, info) = &g.series("build_info")[0];
    assert_eq!(info["value"], "1");
    assert_eq!(labels["version"], "1.4.2");
    assert_eq!(labels["framework"], "pytorch");
}

#[test]
fn put_replaces_group_post_replaces_families_delete_removes_group() {
    let gw = Gateway::start();
    let job = ["--job", "pp"];
    let r = run_stdin(
        &["push", "-", "--gateway", &gw.url, job[0], job[1]],
        br#"{"a": 1, "b": 2}"#,
    );
    assert_eq!(r.code, 0, "{r:?}");
    // POST replaces only `b`; `a` stays.
    let r = run_stdin(
        &[
            "push",
            "-",
            "--gateway",
            &gw.url,
            "--job",
            "pp",
            "--method",
            "post",
        ],
        br#"{"b": 20, "c": 30}"#,
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "pp")]).unwrap();
    assert_eq!(
        (g.value("a"), g.value("b"), g.value("c")),
        ("1".into(), "20".into(), "30".into())
    );
    // PUT replaces the whole group.
    let r = run_stdin(
        &[
            "push",
            "-",
            "--gateway",
            &gw.url,
            "--job",
            "pp",
            "--method",
            "put",
        ],
        br#"{"d": 4}"#,
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "pp")]).unwrap();
    assert_eq!(g.families.keys().collect::<Vec<_>>(), ["d"]);

    // Delete removes this group and no other.
    assert_eq!(
        run_stdin(
            &["push", "-", "--gateway", &gw.url, "--job", "other"],
            br#"{"x": 1}"#
        )
        .code,
        0
    );
    let r = run(&["delete", "--gateway", &gw.url, "--job", "pp"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("deleted group"), "{}", r.stderr);
    assert!(gw.group(&[("job", "pp")]).is_none());
    assert!(gw.group(&[("job", "other")]).is_some());
}

#[test]
fn delete_takes_user_and_groups() {
    let gw = Gateway::start();
    for user in ["alice", "bob"] {
        let r = push(
            &gw,
            &[
                "examples/simple.json",
                "--job",
                "t",
                "--user",
                user,
                "--group",
                "run=7",
            ],
        );
        assert_eq!(r.code, 0, "{r:?}");
    }
    let r = run(&[
        "delete",
        "--gateway",
        &gw.url,
        "--job",
        "t",
        "--user",
        "alice",
        "--group",
        "run=7",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(gw
        .group(&[("job", "t"), ("user", "alice"), ("run", "7")])
        .is_none());
    assert!(gw
        .group(&[("job", "t"), ("user", "bob"), ("run", "7")])
        .is_some());
}

#[test]
fn base64_grouping_values_round_trip() {
    let gw = Gateway::start();
    let r = run_env(
        &[
            "push",
            "examples/simple.json",
            "--gateway",
            &gw.url,
            "--group",
            "path=a/b",
            "--group",
            "empty=",
            "--group",
            "city=Zürich",
        ],
        &[
            ("SIMPLEPIPE_JOB", "team/etl"),
            ("SIMPLEPIPE_USER", "ünïcode user"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("job@base64/"), "{}", r.stderr);
    let g = gw.groups();
    assert_eq!(g.len(), 1);
    let labels = &g[0].labels;
    assert_eq!(labels["job"], "team/etl");
    assert_eq!(labels["user"], "ünïcode user");
    assert_eq!(labels["path"], "a/b");
    assert_eq!(labels["city"], "Zürich");
    // The gateway drops empty-valued labels from the key; the group exists
    // and the push did not fail on the empty value.
    assert!(!labels.contains_key("empty") || labels["empty"].is_empty());
}

#[test]
fn escaping_round_trips() {
    let gw = Gateway::start();
    let tricky = "back\\slash \"quoted\"\nnew line, ünïcødé ✓";
    let doc = serde_json::json!({"metrics": [
        {"name": "tricky", "type": "gauge", "help": tricky, "value": 1, "labels": {"v": tricky}}
    ]});
    let r = run_stdin(
        &["push", "-", "esc", "--gateway", &gw.url],
        doc.to_string().as_bytes(),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "esc")]).unwrap();
    assert_eq!(g.help("tricky"), tricky);
    assert_eq!(g.series("tricky")[0].0["v"], tricky);
}

#[test]
fn extra_labels_and_inline_metrics() {
    let gw = Gateway::start();
    let r = push(
        &gw,
        &[
            "examples/simple.json",
            "lab",
            "--label",
            "env=prod",
            "--label",
            "region=eu",
            "--metric",
            "exit_code=0",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "lab")]).unwrap();
    for name in ["run_time_seconds", "exit_code"] {
        let (labels, _) = &g.series(name)[0];
        assert_eq!(
            labels.get("env").map(String::as_str),
            Some("prod"),
            "{name}"
        );
        assert_eq!(
            labels.get("region").map(String::as_str),
            Some("eu"),
            "{name}"
        );
    }
    // Inline metrics alone, no source: what an Argo exit handler sends.
    let r = run_env(
        &[
            "push",
            "--metric",
            "workflow_duration_seconds=12.345678",
            "--metric",
            "workflow_succeeded=1",
        ],
        &[
            ("SIMPLEPIPE_GATEWAY", &gw.url),
            ("SIMPLEPIPE_JOB", "exit-handler"),
            ("SIMPLEPIPE_GROUPING", "workflow=wf-abc12,namespace=alice"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw
        .group(&[
            ("job", "exit-handler"),
            ("workflow", "wf-abc12"),
            ("namespace", "alice"),
        ])
        .unwrap();
    assert_eq!(g.value("workflow_duration_seconds"), "12.345678");
}

#[test]
fn path_prefix_on_gateway_url() {
    let gw = Gateway::start_with(&["--web.route-prefix=/pgw"]);
    let base = format!("{}/pgw", gw.url);
    let r = run(&[
        "push",
        "examples/simple.json",
        "prefixed",
        "--gateway",
        &base,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let body: serde_json::Value = reqwest::blocking::get(format!("{base}/api/v1/metrics"))
        .unwrap()
        .text()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(body["data"][0]["labels"]["job"], "prefixed");
}

#[test]
fn dry_run_sends_nothing_and_prints_the_body() {
    let port = free_port(); // nothing listens here
    let url = format!("http://127.0.0.1:{port}");
    let r = run(&[
        "push",
        "examples/training-run.json",
        "train",
        "--user",
        "al",
        "--gateway",
        &url,
        "--dry-run",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .starts_with(&format!("PUT {url}/metrics/job/train/user/al")),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("# TYPE images_processed_total counter\n"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("run_time_seconds{dataset=\"imagenet-subset\",model=\"resnet50\"} 3912.4\n"));
    // And against a live gateway, nothing arrives.
    let gw = Gateway::start();
    assert_eq!(
        push(&gw, &["examples/simple.json", "dry", "--dry-run"]).code,
        0
    );
    assert!(gw.groups().is_empty());
}

#[test]
fn unreachable_gateway_is_exit_6() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let r = run(&[
        "push",
        "examples/simple.json",
        "j",
        "--gateway",
        &url,
        "--retries",
        "0",
    ]);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr.contains("cannot connect to the gateway"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn gateway_rejection_is_exit_5_with_its_message() {
    // A real 4xx from the real gateway: the same metric name with a
    // different type than another group already holds.
    let gw = Gateway::start();
    assert_eq!(
        run_stdin(&["push", "-", "a", "--gateway", &gw.url], br#"{"m": 1}"#).code,
        0
    );
    let doc = br#"{"metrics": [{"name": "m", "type": "counter", "value": 1}]}"#;
    let r = run_stdin(&["push", "-", "b", "--gateway", &gw.url], doc);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(
        r.stderr.contains("rejected it (HTTP 400 Bad Request)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("inconsistent"),
        "the gateway's own words: {}",
        r.stderr
    );
    assert!(gw
        .group(&[("job", "b")])
        .is_none_or(|g| g.families.is_empty()));
}

/// Every invalid input: its exit code, its message, and an unchanged gateway.
#[test]
fn invalid_inputs_push_nothing() {
    let gw = Gateway::start();
    assert_eq!(
        push(&gw, &["examples/simple.json", "--job", "base"]).code,
        0
    );
    let before = format!(
        "{:?}",
        gw.groups()
            .iter()
            .map(|g| (&g.labels, &g.families))
            .collect::<Vec<_>>()
    );

    let cases: &[(&str, &[&str], i32, &str)] = &[
        (
            r#"{"metrics": [{"name": "a", "type": "gauge", "value": "abc"}]}"#,
            &[],
            4,
            "metrics/0/value: \"abc\" is not a number",
        ),
        (
            r#"{"metrics": [{"name": "a-b", "type": "gauge", "value": 1}]}"#,
            &[],
            4,
            "metrics/0/name: \"a-b\" is not a legal metric name",
        ),
        (
            r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1, "labels": {"__x": "1"}}]}"#,
            &[],
            4,
            "reserved by Prometheus",
        ),
        (
            r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1, "labels": {"le": "1"}}]}"#,
            &[],
            4,
            "\"le\" is reserved",
        ),
        (
            r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1}, {"name": "a", "type": "gauge", "value": 2}]}"#,
            &[],
            4,
            "/metrics/1: duplicate series a: /metrics/0 has the same name and labels",
        ),
        (
            r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1}, {"name": "a", "type": "counter", "value": 2, "labels": {"x": "1"}}]}"#,
            &[],
            4,
            "one name has one type",
        ),
        (
            r#"{"metrics": [{"name": "h", "type": "histogram", "buckets": [{"le": 1, "count": 5}, {"le": 0.5, "count": 6}], "sum": 1, "count": 6}]}"#,
            &[],
            4,
            "metrics/0/buckets/1/le: 0.5 is not above the previous bucket's 1",
        ),
        (
            r#"{"metrics": [{"name": "h", "type": "histogram", "buckets": [{"le": 1, "count": 5}, {"le": 2, "count": 4}], "sum": 1, "count": 6}]}"#,
            &[],
            4,
            "metrics/0/buckets/1/count: 4 is below the previous bucket's 5",
        ),
        (
            r#"{"metrics": [{"name": "h", "type": "histogram", "buckets": [{"le": "+Inf", "count": 5}], "sum": 1, "count": 6}]}"#,
            &[],
            4,
            "the \"+Inf\" bucket counts 5 but \"count\" is 6",
        ),
        (
            r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1, "labels": {"user": "x"}}]}"#,
            &["--user", "u"],
            4,
            "\"user\" is also a grouping label",
        ),
        (
            r#"{"metrics": [{"name": "a", "type": "gauge", "value": 1, "timestamp": 1}]}"#,
            &[],
            4,
            "timestamps are not accepted",
        ),
        (
            r#"{"metrics": [{"name": "a", "type": "counter", "value": -1}]}"#,
            &[],
            4,
            "a counter never goes below 0",
        ),
        (r#"{"a": 1, "b": "x"}"#, &[], 4, "b: \"x\" is not a number"),
        (
            r#"[{"name": "s", "description": "d", "value": "six", "metric_type": "gauge"}]"#,
            &[],
            4,
            "0/value",
        ),
        (
            r#"{"a": 1"#,
            &[],
            4,
            "not valid JSON: EOF while parsing an object at line 1 column 7",
        ),
        ("", &[], 4, "is empty"),
        (
            r#"{"a": 1}"#,
            &["--max-bytes", "3"],
            3,
            "larger than --max-bytes (3 bytes)",
        ),
        (
            r#"{"a": 1}"#,
            &["--group", "job=x"],
            2,
            "already in the grouping key",
        ),
        (
            r#"{"a": 1}"#,
            &["--label", "bad-name=1"],
            2,
            "not a legal Prometheus label name",
        ),
        (
            r#"{"a": 1}"#,
            &["--schema", "/nonexistent/s.json"],
            2,
            "cannot read schema /nonexistent/s.json",
        ),
    ];
    for (doc, extra, code, needle) in cases {
        let (_d, path) = artifact(doc);
        let mut args = vec!["push", path.as_str(), "bad", "--gateway", gw.url.as_str()];
        args.extend_from_slice(extra);
        let r = run(&args);
        assert_eq!(r.code, *code, "{doc} {extra:?}: {r:?}");
        assert!(
            r.stderr.contains(needle),
            "{doc}: want {needle:?} in:\n{}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{doc}: {}", r.stdout);
        for line in r.stderr.lines() {
            assert!(line.starts_with("simplepipe: error: "), "{line}");
        }
    }
    let missing = run(&[
        "push",
        "/nonexistent/metric.json",
        "bad",
        "--gateway",
        &gw.url,
    ]);
    assert_eq!(missing.code, 3, "{missing:?}");
    assert_eq!(
        missing.stderr,
        "simplepipe: error: cannot open /nonexistent/metric.json: no such file\n"
    );

    let after = format!(
        "{:?}",
        gw.groups()
            .iter()
            .map(|g| (&g.labels, &g.families))
            .collect::<Vec<_>>()
    );
    assert_eq!(before, after, "an invalid input changed the gateway");
}

#[test]
fn every_problem_is_reported_at_once() {
    let (_d, path) = artifact(
        r#"{"metrics": [
            {"name": "a", "type": "gauge", "value": "x"},
            {"name": "b", "type": "gauge"},
            {"name": "c", "type": "gauge", "value": 1, "extra": true}
        ]}"#,
    );
    let r = run(&["validate", &path]);
    assert_eq!(r.code, 4);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stderr);
    // validate says nothing about pushing (issue 10, item 7).
    assert!(lines[3].ends_with("3 problems found"), "{}", r.stderr);
    let r = run(&["push", &path, "j", "--dry-run"]);
    assert!(r.stderr.ends_with(
        "3 problems found; nothing was pushed (fix them and check with `simplepipe validate`)\n"
    ));
}

#[test]
fn dry_run_output_passes_promtool() {
    // Every example's exact body parses; the lint-clean ones pass the linter too.
    let mut paths: Vec<_> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.push(repo().join("examples/admin/run-ok.json"));
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let r = run(&["push", p.to_str().unwrap(), "j", "--dry-run"]);
        assert_eq!(r.code, 0, "{p:?}: {r:?}");
        let out = std::process::Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(r.stdout.as_bytes())?;
                c.wait_with_output()
            })
            .expect("promtool runs (bash .ci/run installs the prometheus package)");
        let said = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if p.ends_with("simple.json") {
            // The simple format has no place for help text: only that lint.
            assert!(
                said.lines().all(|l| l.ends_with("no help text")),
                "{p:?}: {said}"
            );
            assert!(!said.is_empty(), "the lint check is live");
        } else {
            assert!(out.status.success(), "{p:?}: {said}");
        }
    }
}

#[test]
fn pushed_series_are_scraped_with_job_and_user() {
    let gw = Gateway::start();
    assert_eq!(
        push(
            &gw,
            &["examples/training-run.json", "train", "--user", "bob"]
        )
        .code,
        0
    );
    let scraped = gw.scrape();
    assert!(
        scraped.contains(r#"model_accuracy{dataset="imagenet-subset",instance="",job="train",model="resnet50",user="bob"} 0.7613"#),
        "{scraped}"
    );
}

#[test]
fn gzip_bodies_are_accepted_by_the_real_gateway() {
    let gw = Gateway::start();
    let r = push(
        &gw,
        &["examples/histogram.json", "gz", "--compress", "gzip"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "gz")]).unwrap();
    assert_eq!(
        g.series("epoch_duration_seconds")[0].1["buckets"]["120"],
        "9"
    );
}

#[test]
fn protobuf_and_text_bodies_land_identically() {
    let gw = Gateway::start();
    for example in [
        "training-run",
        "histogram",
        "summary",
        "original-simplepipe",
    ] {
        let path = format!("examples/{example}.json");
        let pb = format!("{example}-pb");
        let txt = format!("{example}-txt");
        assert_eq!(push(&gw, &[&path, &pb]).code, 0, "default (protobuf)");
        assert_eq!(push(&gw, &[&path, &txt, "--format", "text"]).code, 0);
        let strip = |g: Group| {
            let mut fams = g.families;
            for fam in fams.values_mut() {
                fam.as_object_mut().unwrap().remove("time_stamp");
                for m in fam["metrics"].as_array_mut().unwrap() {
                    m["labels"].as_object_mut().unwrap().remove("job");
                }
            }
            // The v0 format's _created gauges carry the push time.
            fams.retain(|k, _| !k.ends_with("_created"));
            fams
        };
        let a = strip(gw.group(&[("job", &pb)]).unwrap());
        let b = strip(gw.group(&[("job", &txt)]).unwrap());
        assert_eq!(a, b, "{example}");
    }
}
