//! `simplepipe run` and `simplepipe watch` against a real Pushgateway, with
//! real child processes (python3 and sh scripts).
//!
//! Nothing here depends on timing: a child that must be seen "while it
//! runs" waits for a file the test creates once it has seen the
//! intermediate value in the gateway; waits poll the gateway (the deadline
//! in `eventually` only keeps a broken build from hanging CI).

use crate::common;

use std::path::Path;

use common::live::{eventually, Live};
use common::*;

/// `simplepipe run --gateway GATEWAY --job JOB OPTS… -- CMD…`, in the background.
fn run_live(gateway: &str, job: &str, opts: &[&str], cmd: &[&str]) -> Live {
    let mut args = vec!["run", "--gateway", gateway, "--job", job];
    args.extend_from_slice(opts);
    args.push("--");
    args.extend_from_slice(cmd);
    Live::spawn(&args, &[])
}

fn value(gw: &Gateway, group: &[(&str, &str)], name: &str) -> Option<String> {
    let g = gw.group(group)?;
    g.families.contains_key(name).then(|| g.value(name))
}

fn num(gw: &Gateway, group: &[(&str, &str)], name: &str) -> f64 {
    value(gw, group, name)
        .unwrap_or_else(|| panic!("{name} not in the gateway"))
        .parse()
        .unwrap()
}

const TRAIN: &str = r#"
import os, sys, time
go = sys.argv[1]
for epoch in (1, 2):
    print(f"[train] epoch={epoch} loss={1/epoch:.2f} accuracy={0.8 + epoch/10:.2f} lr=1e-5 images_total={epoch*1000}")
    # Wait for the test to have seen this epoch in the gateway.
    while not os.path.exists(f"{go}/{epoch}"):
        time.sleep(0.02)
print("training done")
"#;

#[test]
fn run_pushes_while_the_child_runs_then_the_final_values_and_run_metrics() {
    let gw = Gateway::start();
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().to_str().unwrap();
    let group = [("job", "train"), ("user", "alice")];
    let live = run_live(
        &gw.url,
        "train",
        &["--user", "alice", "--interval", "100ms"],
        &["python3", "-c", TRAIN, go],
    );
    for epoch in [1.0, 2.0] {
        // The child is blocked until we create its file: this is a value
        // pushed while it runs.
        eventually("the epoch in the gateway", || {
            value(&gw, &group, "epoch").filter(|v| v.parse::<f64>().unwrap() == epoch)
        });
        assert_eq!(
            num(&gw, &group, "loss"),
            (1.0 / epoch * 100.0).round() / 100.0
        );
        assert_eq!(num(&gw, &group, "images_total"), epoch * 1000.0);
        assert!(
            value(&gw, &group, "run_exit_code").is_none(),
            "run_* only come at the end"
        );
        std::fs::write(dir.path().join(format!("{epoch}")), "").unwrap();
    }
    let r = live.wait();
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "[train] epoch=1 loss=1.00 accuracy=0.90 lr=1e-5 images_total=1000\n[train] epoch=2 loss=0.50 accuracy=1.00 lr=1e-5 images_total=2000\ntraining done\n"
    );
    assert!(
        r.stderr.starts_with(&format!("simplepipe: pushed 10 families (10 series) to {}/metrics/job/train/user/alice (PUT) every 0.1s, ", gw.url)),
        "{}",
        r.stderr
    );
    let g = gw.group(&group).unwrap();
    assert_eq!(g.value("loss"), "0.5");
    assert_eq!(g.value("lr"), "1e-05");
    assert_eq!(g.kind("images_total"), "COUNTER");
    assert_eq!(g.kind("loss"), "GAUGE");
    assert_eq!(g.value("run_exit_code"), "0");
    assert_eq!(g.value("run_succeeded"), "1");
    assert_eq!(g.kind("run_cpu_seconds_total"), "COUNTER");
    assert!(num(&gw, &group, "run_cpu_seconds_total") > 0.0);
    assert!(num(&gw, &group, "run_duration_seconds") > 0.0);
    // A Python interpreter is at least a few MB.
    assert!(num(&gw, &group, "run_peak_rss_bytes") > 4e6);
}

#[test]
fn peak_rss_reflects_what_the_child_allocated() {
    let gw = Gateway::start();
    let mib = 1024.0 * 1024.0;
    // 200 MiB, filled (so resident), held until exit.
    let script = "b = b'x' * (200 * 1024 * 1024); print(f'allocated={len(b)}')";
    let r = run_live(&gw.url, "rss", &[], &["python3", "-c", script]).wait();
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "allocated=209715200\n");
    let peak = num(&gw, &[("job", "rss")], "run_peak_rss_bytes");
    // The allocation plus an interpreter (~10 MB): within 10% of 200 MiB.
    assert!(
        peak >= 200.0 * mib && peak <= 220.0 * mib,
        "peak RSS {:.1} MiB",
        peak / mib
    );
}

#[test]
fn exit_codes_pass_through_with_their_run_metrics() {
    let gw = Gateway::start();
    for (script, code, job) in [
        ("echo x=1", 0, "ok"),
        ("echo x=1; exit 3", 3, "three"),
        ("echo x=1; kill -KILL $$", 137, "killed"),
    ] {
        let r = run_live(&gw.url, job, &[], &["sh", "-c", script]).wait();
        assert_eq!(r.code, code, "{script}: {r:?}");
        assert_eq!(r.stdout, "x=1\n");
        let group = [("job", job)];
        assert_eq!(num(&gw, &group, "run_exit_code"), f64::from(code));
        assert_eq!(
            num(&gw, &group, "run_succeeded"),
            f64::from(u8::from(code == 0))
        );
        assert_eq!(num(&gw, &group, "x"), 1.0);
    }
}

#[test]
fn a_command_that_cannot_start_exits_127_and_is_still_reported() {
    let gw = Gateway::start();
    let r = run_live(&gw.url, "typo", &[], &["/no/such/trainer"]).wait();
    assert_eq!(r.code, 127, "{r:?}");
    assert!(
        r.stderr.starts_with(
            "simplepipe: error: cannot run \"/no/such/trainer\": No such file or directory"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(num(&gw, &[("job", "typo")], "run_exit_code"), 127.0);
}

const GRACEFUL: &str = r#"
import signal, sys, time
def stop(sig, frame):
    open(sys.argv[1], "w").write(signal.Signals(sig).name)
    print("checkpoint_saved=1", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready=1", flush=True)
while True:
    time.sleep(0.05)
"#;

#[test]
fn sigterm_reaches_the_child_and_the_final_push_still_happens() {
    let gw = Gateway::start();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("got");
    let live = run_live(
        &gw.url,
        "term",
        &["--interval", "100ms"],
        &["python3", "-c", GRACEFUL, marker.to_str().unwrap()],
    );
    // Its handler is installed once it has printed ready=1.
    eventually("ready=1 in the gateway", || {
        value(&gw, &[("job", "term")], "ready")
    });
    live.signal(libc::SIGTERM);
    let r = live.wait();
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "SIGTERM");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "ready=1\ncheckpoint_saved=1\n");
    let group = [("job", "term")];
    assert_eq!(num(&gw, &group, "checkpoint_saved"), 1.0);
    assert_eq!(num(&gw, &group, "run_exit_code"), 0.0);

    // A child that does not handle it dies of it: 128 + 15.
    let live = run_live(
        &gw.url,
        "term2",
        &["--interval", "100ms"],
        &["sh", "-c", "echo ready=1; exec sleep 600"],
    );
    eventually("ready=1 in the gateway", || {
        value(&gw, &[("job", "term2")], "ready")
    });
    live.signal(libc::SIGTERM);
    let r = live.wait();
    assert_eq!(r.code, 143, "{r:?}");
    assert_eq!(num(&gw, &[("job", "term2")], "run_exit_code"), 143.0);
}

#[test]
fn a_dead_gateway_never_holds_back_the_childs_output() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let script = "for i in range(100000): print(f'step={i} loss={1/(i+1):.6f} some log text {i}')";
    let opts = [
        "--interval",
        "10ms",
        "--retries",
        "1",
        "--retry-max-wait",
        "0.05",
    ];
    let cmd = ["python3", "-c", script];
    let r = run_live(&closed, "dead", &opts, &cmd).wait();
    let expected: String = (0..100_000)
        .map(|i| {
            format!(
                "step={i} loss={:.6} some log text {i}\n",
                1.0 / (i as f64 + 1.0)
            )
        })
        .collect();
    assert!(
        r.stdout == expected,
        "stdout differs from the child's ({} vs {} bytes)",
        r.stdout.len(),
        expected.len()
    );
    // The child succeeded, the final push failed: exit 6, and the failing
    // periodic pushes were reported once, not every 10 ms.
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert_eq!(
        r.stderr
            .matches("pushing is tried again every 0.01s")
            .count(),
        1,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("simplepipe: error: the command exited 0, but the final push failed: PUT http://127.0.0.1:"),
        "{}",
        r.stderr
    );

    // --best-effort: the run's success is what counts.
    let r = run_live(
        &closed,
        "dead",
        &[&opts[..], &["--best-effort"]].concat(),
        &cmd,
    )
    .wait();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout == expected);
    // A failed child's code wins over the failed push.
    let r = run_live(
        &closed,
        "dead",
        &["--retries", "0"],
        &["sh", "-c", "exit 4"],
    )
    .wait();
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "simplepipe: warning: the final push failed; exiting with the command's code 4"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_metric_lines_are_warnings_with_their_line_numbers() {
    let gw = Gateway::start();
    let script = "echo 'starting'; echo 'loss{le=\"1\"}=0.3 acc=0.9'; echo 'images_total=10'; echo 'images_total=5'; echo '{\"name\":\"x\",\"value\":1,\"labels\":{\"job\":\"y\"}}' ; echo oops >&2";
    let r = run_live(&gw.url, "bad", &[], &["sh", "-c", script]).wait();
    assert_eq!(r.code, 0, "{r:?}");
    // The child's own stderr passes through as it is (its order relative
    // to our warnings is the scheduler's).
    assert!(
        r.stderr.contains("\noops\n") || r.stderr.starts_with("oops\n"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.lines().filter(|l| l.starts_with("simplepipe: warning")).collect::<Vec<_>>(),
        [
            "simplepipe: warning: stdout line 2: \"le\" is reserved for histogram buckets and summary quantiles",
            "simplepipe: warning: stdout line 4: images_total: counter went down from 10 to 5; a counter never decreases (ignored; use a name without _total for a gauge)",
            "simplepipe: warning: stdout line 5: \"job\" is also a grouping label; the Pushgateway would silently overwrite this value with the group's (rename the label)",
        ]
    );
    let group = [("job", "bad")];
    assert_eq!(num(&gw, &group, "acc"), 0.9);
    assert_eq!(num(&gw, &group, "images_total"), 10.0);
    assert!(
        r.stderr.ends_with("; 3 bad metric lines ignored\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn metrics_from_stderr_and_a_custom_regex() {
    let gw = Gateway::start();
    let script = "echo 'loss: 0.25' >&2; echo 'loss: 9'";
    let r = run_live(
        &gw.url,
        "re",
        &[
            "--metrics-from",
            "stderr",
            "--metrics-regex",
            r"(\w+): ([0-9.eE+-]+)",
            "-q",
        ],
        &["sh", "-c", script],
    )
    .wait();
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "loss: 9\n", "loss: 0.25\n")
    );
    assert_eq!(num(&gw, &[("job", "re")], "loss"), 0.25);
}

#[test]
fn usage_errors_start_nothing() {
    let cases: [(&[&str], &str); 3] = [
        (&["run", "--gateway", "http://x", "--job", "j"], "simplepipe: error: the following required arguments were not provided"),
        (&["run", "--gateway", "http://x", "--job", "j", "--metrics-regex", "(a)", "--", "true"], "simplepipe: error: --metrics-regex \"(a)\" has 1 groups; it needs two"),
        (&["run", "--gateway", "http://x", "--job", "j", "--interval", "soon", "--", "true"], "simplepipe: error: invalid value 'soon' for '--interval <DURATION>': expected a duration such as 90s, 1m30s, 1.5h or 1d12h"),
    ];
    for (args, want) in cases {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.starts_with(want), "{args:?}: {}", r.stderr);
    }
    let r = run(&[
        "watch",
        "/no/such/file",
        "--gateway",
        "http://x",
        "--job",
        "j",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr
            .starts_with("simplepipe: error: cannot read /no/such/file: No such file or directory"),
        "{}",
        r.stderr
    );
}

fn modelop_series(gw: &Gateway, name: &str) -> Vec<(String, String)> {
    let g = gw.group(&[("job", "scoring")]).unwrap();
    let mut out: Vec<(String, String)> = g
        .series(name)
        .into_iter()
        .map(|(labels, s)| {
            let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (l.join(","), s["value"].as_str().unwrap().to_string())
        })
        .collect();
    out.sort();
    out
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn watch_modelop_recorded_stream_gives_exact_values() {
    let gw = Gateway::start();
    let (_dir, names) = artifact(r#"{"engine-1": "churn-v3"}"#);
    let stream = repo().join("tests/data/modelop-stream.jsonl");
    let r = run(&[
        "watch",
        stream.to_str().unwrap(),
        "--format",
        "modelop",
        "--engine-names",
        &names,
        "--gateway",
        &gw.url,
        "--job",
        "scoring",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.starts_with(&format!("simplepipe: warning: {} line 21: not a ModelOp message (one JSON object per line): EOF while parsing a string at line 1 column 70\n", stream.display())),
        "{}",
        r.stderr
    );
    let e1 = "engine=engine-1,model=churn-v3";
    let e2 = "engine=engine-2";
    assert_eq!(
        modelop_series(&gw, "modelop_records_total"),
        pairs(&[
            (&format!("{e1},slot=0"), "200"),
            (&format!("{e1},slot=1"), "16"),
            (&format!("{e2},slot=0"), "15"),
            (&format!("{e2},slot=1"), "55")
        ])
    );
    assert_eq!(
        modelop_series(&gw, "modelop_records_per_second"),
        pairs(&[
            (&format!("{e1},slot=0"), "25"),
            (&format!("{e1},slot=1"), "10"),
            (&format!("{e2},slot=0"), "30"),
            (&format!("{e2},slot=1"), "5")
        ])
    );
    assert_eq!(
        modelop_series(&gw, "modelop_records_rejected_total"),
        pairs(&[
            (&format!("{e1},reason=schema,slot=0"), "3"),
            (&format!("{e2},reason=encoding,slot=1"), "2")
        ])
    );
    assert_eq!(
        modelop_series(&gw, "modelop_engine_status"),
        pairs(&[(e1, "1"), (e2, "2")])
    );
    assert_eq!(
        modelop_series(&gw, "modelop_cpu_utilization"),
        pairs(&[(e1, "0.42"), (e2, "0.9")])
    );
    assert_eq!(
        modelop_series(&gw, "modelop_memory_bytes"),
        pairs(&[(e1, "2.68435456e+08"), (e2, "3.01989888e+08")])
    );
    assert_eq!(
        modelop_series(&gw, "simplepipe_records_ignored_total"),
        pairs(&[("", "4")])
    );
    let g = gw.group(&[("job", "scoring")]).unwrap();
    assert_eq!(g.kind("modelop_records_total"), "COUNTER");
    assert_eq!(g.kind("modelop_records_per_second"), "GAUGE");
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn watch_follow_survives_appends_and_rotation_and_stops_on_sigterm() {
    let gw = Gateway::start();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("train.log");
    append(&log, "step=1 loss=0.9\n");
    let live = Live::spawn(
        &[
            "watch",
            log.to_str().unwrap(),
            "--follow",
            "--gateway",
            &gw.url,
            "--job",
            "follow",
            "--interval",
            "100ms",
        ],
        &[],
    );
    let group = [("job", "follow")];
    let step = |want: &'static str| {
        eventually(&format!("step={want} in the gateway"), || {
            value(&gw, &group, "step").filter(|v| v == want)
        })
    };
    step("1");
    append(&log, "INFO step=2 loss=0.5\n");
    step("2");
    // Rotation: rename, a last line into the old file, then a new file.
    std::fs::rename(&log, dir.path().join("train.log.1")).unwrap();
    append(&dir.path().join("train.log.1"), "step=3 loss=0.4\n");
    append(&log, "step=4 loss=0.3\n");
    step("4");
    assert_eq!(num(&gw, &group, "loss"), 0.3);
    live.signal(libc::SIGTERM);
    let r = live.wait();
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "");
    let rotated = format!(
        "simplepipe: {} was replaced (rotated); following the new file\n",
        log.display()
    );
    assert!(r.stderr.starts_with(&rotated), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("simplepipe: pushed 2 families (2 series)"),
        "{}",
        r.stderr
    );
}

#[test]
fn watch_stdin_pushes_once_at_eof() {
    let gw = Gateway::start();
    let r = run_stdin(
        &[
            "watch",
            "--gateway",
            &gw.url,
            "--job",
            "stdin",
            "--label",
            "run=r7",
        ],
        b"a=1\n{\"b_total\": 5}\nnoise\na=2",
    );
    assert_eq!(r.code, 0, "{r:?}");
    let g = gw.group(&[("job", "stdin")]).unwrap();
    assert_eq!(
        g.series("a")[0].0.get("run").map(String::as_str),
        Some("r7")
    );
    assert_eq!(g.value("a"), "2");
    assert_eq!(g.value("b_total"), "5");
    assert_eq!(g.kind("b_total"), "COUNTER");
    assert_eq!(
        r.stderr,
        format!("simplepipe: pushed 2 families (2 series) to {}/metrics/job/stdin (PUT) every 15s, 1 push\n", gw.url)
    );
}

/// argo/workflows/live-training.yaml as Argo runs it: the init container's
/// args install the binary into the shared directory, and the training
/// container's own command and args (Argo's variables substituted, the
/// image's `python` being our `python3`) run through it against a real
/// Pushgateway.
#[test]
fn the_argo_live_training_example_runs_as_argo_runs_it() {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(repo().join("argo/workflows/live-training.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wf: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &wf["spec"]["templates"][0];
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let shared = tempfile::tempdir().unwrap();
    let mount = t["volumes"][0]["name"].as_str().unwrap();
    let init = &t["initContainers"][0];
    assert_eq!(init["volumeMounts"][0]["name"], mount);
    let at = init["volumeMounts"][0]["mountPath"].as_str().unwrap();
    // The mount path, as a path prefix, is the shared temp dir here.
    let local = |s: &str| match s.strip_prefix(at) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            format!("{}{rest}", shared.path().display())
        }
        _ => s.to_string(),
    };
    let init_args: Vec<String> = strings(&init["args"]).iter().map(|a| local(a)).collect();
    let init_args: Vec<&str> = init_args.iter().map(String::as_str).collect();
    let r = run(&init_args);
    assert_eq!(r.code, 0, "{r:?}");

    let gw = Gateway::start();
    let c = &t["container"];
    assert_eq!(c["volumeMounts"][0]["mountPath"], at);
    let vars = |s: &str| {
        s.replace("{{workflow.namespace}}", "alice")
            .replace("{{workflow.name}}", "train-live-x7k2p")
    };
    let mut argv: Vec<String> = strings(&c["command"])
        .iter()
        .map(|a| local(&vars(a)))
        .collect();
    argv.extend(strings(&c["args"]).iter().map(|a| {
        if a == "python" {
            "python3".to_string()
        } else {
            vars(a)
        }
    }));
    let out = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("SIMPLEPIPE_GATEWAY", &gw.url)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("epoch=1 loss=0.6065 accuracy=0.6967 images_total=1200\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("training finished\n"), "{stdout}");
    let group = [("job", "training"), ("user", "alice")];
    let g = gw.group(&group).unwrap();
    assert_eq!(g.value("epoch"), "5");
    assert_eq!(g.value("images_total"), "6000");
    assert_eq!(g.value("run_succeeded"), "1");
    assert_eq!(
        g.series("loss")[0].0.get("workflow").map(String::as_str),
        Some("train-live-x7k2p")
    );
}

#[test]
fn install_copies_a_working_binary() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&["install", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stderr,
        format!(
            "simplepipe: installed {}/simplepipe\n",
            dir.path().display()
        )
    );
    let out = std::process::Command::new(dir.path().join("simplepipe"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "simplepipe 0.1.0\n");
    let r = run(&["install", "/no/such/dir"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.starts_with("simplepipe: error: cannot install simplepipe into /no/such/dir: No such file or directory"), "{}", r.stderr);
}

/// The final push keeps `push`'s retries, but all of them within
/// `--timeout`: a gateway that hangs costs one attempt, not six.
#[test]
fn the_final_push_retries_within_the_timeout_and_no_longer() {
    use common::scripted::{Reply, Scripted};
    let flaky = Scripted::start(vec![
        Reply::Status(503, &[], "busy"),
        Reply::Status(200, &[], ""),
    ]);
    let opts = [
        "--interval",
        "1h",
        "--timeout",
        "2",
        "--retries",
        "5",
        "--retry-max-wait",
        "0.1",
    ];
    let cmd = ["sh", "-c", "echo x=1"];
    let r = run_live(&flaky.url, "j", &opts, &cmd).wait();
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(flaky.requests().len(), 2, "one 503, then the retry");
    assert!(
        r.stderr
            .contains("the gateway failed (HTTP 503 Service Unavailable): busy; retry 1/5 in "),
        "{}",
        r.stderr
    );

    let hung = Scripted::start(vec![Reply::Hang]);
    let r = run_live(&hung.url, "j", &opts, &cmd).wait();
    assert_eq!(r.code, 6, "{r:?}");
    assert_eq!(hung.requests().len(), 1, "{}", r.stderr);
    // The first attempt gets what is left of the 2 s once the push starts.
    assert!(r.stderr.contains("timed out after 1."), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("; no time left to retry within --timeout (2s)"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "x=1\n");
}
