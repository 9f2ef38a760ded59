//! How `simplepipe run` reads its command's lines (issue 25), with the real
//! binary, sh children and a real Pushgateway: stderr read by default,
//! `--metrics-regex` adding to the built-in readers and `--metrics-format
//! none` turning them off, `--print-metrics` and `-v`, the note of a run
//! that found no metric, the name rule's one collision warning.
//! (tests/suite/frameworks.rs runs the real frameworks.)

use crate::common;

use common::live::Live;
use common::*;

fn run_sh(gw: &Gateway, job: &str, opts: &[&str], script: &str) -> Run {
    let mut args = vec!["run", "--gateway", &gw.url, "--job", job];
    args.extend_from_slice(opts);
    args.extend_from_slice(&["--", "sh", "-c", script]);
    Live::spawn(&args, &[]).wait()
}

fn pushed(gw: &Gateway, job: &str) -> Vec<(String, String)> {
    let g = gw.group(&[("job", job)]).expect("pushed");
    g.families
        .keys()
        .filter(|n| !n.starts_with("run_"))
        .map(|n| (n.clone(), g.value(n)))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Our own lines, in order (the child's stderr is interleaved by the scheduler).
fn ours(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("simplepipe: "))
        .collect()
}

#[test]
fn stderr_is_read_by_default_and_passes_through() {
    let gw = Gateway::start();
    let bar = r"printf 'Epoch 0:  50%%|#    | 1/2 [00:00<00:00, 9.1it/s, train_loss=0.5]\rEpoch 0: 100%%|#####| 2/2 [00:00<00:00, 9.3it/s, train_loss=0.25]\n' >&2";
    let r = run_sh(
        &gw,
        "err",
        &["-q"],
        &format!("echo 'val/accuracy=0.63'; {bar}"),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "val/accuracy=0.63\n");
    assert_eq!(
        r.stderr,
        "Epoch 0:  50%|#    | 1/2 [00:00<00:00, 9.1it/s, train_loss=0.5]\rEpoch 0: 100%|#####| 2/2 [00:00<00:00, 9.3it/s, train_loss=0.25]\n"
    );
    assert_eq!(
        pushed(&gw, "err"),
        pairs(&[("train_loss", "0.25"), ("val_accuracy", "0.63")])
    );
}

#[test]
fn a_regex_adds_to_the_built_in_readers_and_format_none_turns_them_off() {
    let gw = Gateway::start();
    let script = "echo 'loss=0.5 and accuracy is 0.9'; echo '[3]\ttrain-rmse:0.4'";
    let re = r"(\w+) is ([0-9.]+)";
    let r = run_sh(&gw, "add", &["--metrics-regex", re, "-q"], script);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{r:?}");
    assert_eq!(
        pushed(&gw, "add"),
        pairs(&[
            ("accuracy", "0.9"),
            ("iteration", "3"),
            ("loss", "0.5"),
            ("train_rmse", "0.4")
        ])
    );
    let r = run_sh(
        &gw,
        "only",
        &["--metrics-regex", re, "--metrics-format", "none", "-q"],
        script,
    );
    assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{r:?}");
    assert_eq!(pushed(&gw, "only"), pairs(&[("accuracy", "0.9")]));
    // With nothing left to read it is a usage error, before anything starts.
    let r = run(&[
        "run",
        "--gateway",
        &gw.url,
        "--job",
        "j",
        "--metrics-format",
        "none",
        "--",
        "touch",
        "/tmp/never",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "simplepipe: error: --metrics-format none turns the built-in line readers off, so nothing would be read: give --metrics-regex too\n"
    );
}

#[test]
fn print_metrics_shows_what_each_line_became() {
    let gw = Gateway::start();
    let script = "echo 'starting'; echo '[4]\ttrain-rmse:0.40101\teval-rmse:0.51770'; echo \"{'loss': 0.41, 'model': 'bert'}\" >&2";
    for flag in ["--print-metrics", "-v"] {
        let r = run_sh(&gw, "show", &[flag, "-q"], script);
        assert_eq!(r.code, 0, "{r:?}");
        let mut shown: Vec<&str> = ours(&r.stderr)
            .into_iter()
            .filter(|l| l.contains(" line "))
            .collect();
        shown.sort();
        assert_eq!(
            shown,
            [
                "simplepipe: stderr line 1 (python dict): loss=0.41",
                "simplepipe: stdout line 2 (xgboost): iteration=4 train_rmse=0.40101 (train-rmse) eval_rmse=0.5177 (eval-rmse)",
            ],
            "{flag}"
        );
    }
    let r = run_sh(&gw, "quiet", &["-q"], script);
    assert!(ours(&r.stderr).is_empty(), "{}", r.stderr);
}

#[test]
fn a_run_that_found_no_metric_says_so_and_what_it_saw() {
    let gw = Gateway::start();
    let r = run_sh(
        &gw,
        "none",
        &[],
        "echo '100%|#####| 3/3 [00:00<00:00, 9.3it/s]' >&2; echo hello",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        ours(&r.stderr)[0],
        "simplepipe: no metric found in the command's stdout and stderr; it printed tqdm progress bars (their numbers are read from the bar's postfix: bar.set_postfix(loss=…)), with no number to read"
    );
    assert!(ours(&r.stderr)[1].starts_with("simplepipe: pushed 5 families"));
    let r = run_sh(
        &gw,
        "none",
        &["--metrics-from", "stdout"],
        "echo loss=1 >&2",
    );
    assert_eq!(
        ours(&r.stderr)[0],
        "simplepipe: no metric found in the command's stdout (stderr was not read: --metrics-from both reads it); read are name=value pairs, JSON objects, Python dicts, and the lines of Keras, XGBoost, LightGBM and tqdm (docs/frameworks.md); --metrics-regex reads others"
    );
    let r = run_sh(&gw, "none", &["-q"], "echo hello");
    assert_eq!(r.stderr, "");
    let r = run_sh(&gw, "some", &[], "echo loss=1");
    assert_eq!(ours(&r.stderr).len(), 1, "{}", r.stderr);
}

#[test]
fn two_spellings_of_one_name_are_one_warning() {
    let gw = Gateway::start();
    let script = "echo 'val_loss=0.5'; echo 'val/loss=0.7'; echo 'val_loss=0.4 val-loss=0.8'";
    let r = run_sh(&gw, "twice", &[], script);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        ours(&r.stderr)[..2].iter().map(|l| l.to_string()).collect::<Vec<_>>(),
        [
            r#"simplepipe: warning: stdout line 2: "val/loss" would be the metric val_loss (a name is made legal by turning other characters into _), which "val_loss" already is; its values are ignored (rename one of them)"#,
            "simplepipe: pushed 6 families (6 series) to http://127.0.0.1:PORT/metrics/job/twice (PUT) every 15s, 1 push; 1 bad metric line ignored",
        ]
        .map(|l| l.replace("http://127.0.0.1:PORT", &gw.url))
    );
    assert_eq!(pushed(&gw, "twice"), pairs(&[("val_loss", "0.4")]));
}
