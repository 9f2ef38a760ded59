//! `simplepipe run -- python train.py` with the real training frameworks
//! (issue 25): small real trainings of XGBoost, LightGBM and Keras (on
//! JAX), and a real tqdm bar with Hugging Face Trainer-style log lines,
//! each under the real binary with default options, against a real
//! Pushgateway.
//!
//! Each script (tests/frameworks/*.py) writes what its last printed lines
//! say, as the framework formats them, computed from the framework's own
//! record of the run (evals_result, record_evaluation, History); the
//! gateway must hold exactly those values, and nothing else besides the
//! `run_*` metrics. The child's stdout and stderr are teed to files inside
//! the child, and what simplepipe passed on must be those bytes exactly.
//!
//! The frameworks live in a virtualenv outside the clone, which
//! `bash .ci/run` makes (and keeps between runs): `$SIMPLEPIPE_VENV_DIR`,
//! by default `~/.cache/simplepipe/frameworks-venv`.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::live::Live;
use common::*;

fn venv_python() -> String {
    let dir = std::env::var_os("SIMPLEPIPE_VENV_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").expect("HOME or SIMPLEPIPE_VENV_DIR");
            PathBuf::from(home).join(".cache/simplepipe/frameworks-venv")
        });
    let python = dir.join("bin/python");
    assert!(
        python.exists(),
        "no {} (`bash .ci/run` makes the frameworks' venv)",
        python.display()
    );
    python.to_str().unwrap().to_string()
}

/// Tees the command's stdout and stderr into files as they go, so the test
/// knows exactly what the child printed.
const TEE: &str =
    r#"out=$1 err=$2; shift 2; set -o pipefail; "$@" 2> >(tee "$err" >&2) | tee "$out""#;

/// What one training run left.
struct Trained {
    run: Run,
    printed: (String, String),
    /// The last printed value of each metric, as the script saw it.
    expected: BTreeMap<String, f64>,
    /// What the gateway holds, `run_*` left out.
    pushed: BTreeMap<String, f64>,
}

/// `simplepipe run --gateway … --job JOB -- python tests/frameworks/SCRIPT.py`, teed.
fn train(gw: &Gateway, job: &str, script: &str) -> Trained {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (out, err, expected) = (file("out"), file("err"), file("expected.json"));
    let python = venv_python();
    let script = format!("tests/frameworks/{script}.py");
    let keras_home = file("keras");
    let run = Live::spawn(
        &[
            "run",
            "--gateway",
            &gw.url,
            "--job",
            job,
            "--",
            "bash",
            "-c",
            TEE,
            "tee",
            &out,
            &err,
            &python,
            &script,
            &expected,
        ],
        &[
            ("KERAS_BACKEND", "jax"),
            ("KERAS_HOME", &keras_home),
            ("JAX_PLATFORMS", "cpu"),
        ],
    )
    .wait();
    assert_eq!(run.code, 0, "{job}: {}", run.stderr);
    let read = |p: &str| std::fs::read_to_string(p).unwrap();
    let expected: BTreeMap<String, f64> = serde_json::from_str(&read(&expected)).unwrap();
    let group = gw.group(&[("job", job)]).expect("the group was pushed");
    let pushed = group
        .families
        .keys()
        .filter(|n| !n.starts_with("run_"))
        .map(|n| (n.clone(), group.value(n).parse().unwrap()))
        .collect();
    Trained {
        run,
        printed: (read(&out), read(&err)),
        expected,
        pushed,
    }
}

/// No warning; the gateway holds the last printed value of every metric
/// and nothing else but `run_*`; the output passed through as printed.
fn check(t: &Trained) {
    let stderr = &t.run.stderr;
    assert!(!stderr.contains("simplepipe: warning"), "{stderr}");
    assert_eq!(t.pushed, t.expected, "stdout:\n{}", t.printed.0);
    assert_eq!(t.run.stdout, t.printed.0);
    // The summary is our only line, after all of the child's stderr.
    let summary = stderr.rfind("simplepipe: pushed ").expect("a summary");
    assert_eq!(&stderr[..summary], t.printed.1);
    assert!(!stderr[summary..].trim_end().contains('\n'), "{stderr}");
}

#[test]
fn xgboost_with_evals_and_verbose_eval() {
    let gw = Gateway::start();
    let t = train(&gw, "xgboost", "xgboost_train");
    assert!(t.printed.0.contains("[19]\ttrain-rmse:"), "{}", t.printed.0);
    assert_eq!(t.pushed["iteration"], 19.0);
    assert!(t.pushed.contains_key("eval_mae"), "{:?}", t.pushed);
    check(&t);
}

#[test]
fn lightgbm_with_log_evaluation() {
    let gw = Gateway::start();
    let t = train(&gw, "lightgbm", "lightgbm_train");
    assert!(
        t.printed.0.contains("[20]\ttraining's l2: "),
        "{}",
        t.printed.0
    );
    assert_eq!(t.pushed["iteration"], 20.0);
    assert!(t.pushed.contains_key("valid_1_l1"), "{:?}", t.pushed);
    check(&t);
}

#[test]
fn keras_fit_with_validation_split_verbose_2() {
    let gw = Gateway::start();
    let t = train(&gw, "keras", "keras_train");
    assert!(t.printed.0.contains("Epoch 3/3\n"), "{}", t.printed.0);
    assert_eq!(t.pushed["epoch"], 3.0);
    let names: Vec<&str> = t.pushed.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["accuracy", "epoch", "loss", "val_accuracy", "val_loss"]
    );
    check(&t);
}

#[test]
fn tqdm_postfix_on_stderr_and_trainer_dict_lines() {
    let gw = Gateway::start();
    let t = train(&gw, "tqdm", "tqdm_trainer");
    // The bar is redrawn with \r on stderr; the dicts are on stdout.
    assert!(t.printed.1.contains("\rEpoch 0: 100%"), "{}", t.printed.1);
    assert!(t.printed.0.starts_with("{'loss': 0.2, "), "{}", t.printed.0);
    assert_eq!(t.pushed["batch_loss"], 0.05);
    assert!(!t.pushed.contains_key("mode"));
    check(&t);
}
