//! The readers together: the exact lines of issue 25's table, the name
//! rule across readers, `--print-metrics` and the note of a run that found
//! nothing. Each reader's own cases are beside it.

use super::*;

/// (name, value) of each reading of a line, read with the defaults, with
/// the name the state records it under (after the name rule).
pub(super) fn values(line: &str) -> Vec<(String, f64)> {
    named(&LineParser::new().parse(line))
}

fn named(p: &Parsed<'_>) -> Vec<(String, f64)> {
    p.readings
        .iter()
        .map(|r| (legal_name(&r.name).unwrap_or(r.name.to_string()), r.value))
        .collect()
}

pub(super) fn v(pairs: &[(&str, f64)]) -> Vec<(String, f64)> {
    pairs.iter().map(|(n, x)| (n.to_string(), *x)).collect()
}

/// Every row of the table in issue 25: what each framework prints, exactly,
/// and what it must become, with no warning.
#[test]
fn the_frameworks_lines() {
    type Row<'a> = (&'a str, &'a [(&'a str, f64)], Format);
    let rows: [Row; 8] = [
        (
            "5/5 - 0s - 544us/step - accuracy: 0.3800 - loss: 0.8891 - val_accuracy: 0.3400 - val_loss: 0.8404",
            &[("accuracy", 0.38), ("loss", 0.8891), ("val_accuracy", 0.34), ("val_loss", 0.8404)],
            Format::Keras,
        ),
        ("val_loss: 0.7908", &[("val_loss", 0.7908)], Format::Keras),
        (
            "[4]\ttrain-rmse:0.40101\teval-rmse:0.51770",
            &[("iteration", 4.0), ("train_rmse", 0.40101), ("eval_rmse", 0.5177)],
            Format::XGBoost,
        ),
        (
            "[5]\tvalid_0's l2: 1.81737",
            &[("iteration", 5.0), ("valid_0_l2", 1.81737)],
            Format::LightGBM,
        ),
        (
            "{'loss': 0.41, 'grad_norm': 1.2, 'learning_rate': 4.5e-05, 'epoch': 0.5}",
            &[("loss", 0.41), ("grad_norm", 1.2), ("learning_rate", 4.5e-05), ("epoch", 0.5)],
            Format::PythonDict,
        ),
        (
            "Epoch 0: 100%|██| 20/20 [00:00<00:00, 48.1it/s, train_loss=0.05, lr=0.0001]",
            &[("train_loss", 0.05), ("lr", 0.0001)],
            Format::Tqdm,
        ),
        ("val/accuracy=0.63", &[("val_accuracy", 0.63)], Format::Pairs),
        ("loss{split=\"val\"}=0.31", &[("loss", 0.31)], Format::Pairs),
    ];
    for (line, want, format) in rows {
        let p = LineParser::new().parse(line);
        assert_eq!(p.warnings, Vec::<String>::new(), "{line}");
        assert_eq!(p.format, Some(format), "{line}");
        assert_eq!(named(&p), v(want), "{line}");
    }
    let p = LineParser::new().parse("loss{split=\"val\"}=0.31");
    assert_eq!(
        p.readings[0].labels,
        [("split".to_string(), "val".to_string())]
    );
}

#[test]
fn keras_epoch_lines() {
    assert_eq!(values("Epoch 3/10"), v(&[("epoch", 3.0)]));
}

#[test]
fn what_a_line_became() {
    let p = LineParser::new().parse("[4]\ttrain-rmse:0.40101\teval-rmse:0.51770");
    assert_eq!(
        p.describe(),
        "iteration=4 train_rmse=0.40101 (train-rmse) eval_rmse=0.5177 (eval-rmse)"
    );
    let p = LineParser::new().parse("loss{split=\"val\",model=\"a\"}=0.31 val/acc=1e-3");
    assert_eq!(
        p.describe(),
        "loss{split=\"val\",model=\"a\"}=0.31 val_acc=0.001 (val/acc)"
    );
}

#[test]
fn names_come_as_printed() {
    let p = LineParser::new().parse("val/accuracy=0.63 [x]");
    assert_eq!(p.readings[0].name, "val/accuracy");
    assert_eq!(legal_name(&p.readings[0].name).unwrap(), "val_accuracy");
}

#[test]
fn the_note_of_a_run_that_found_nothing() {
    let p = LineParser::new();
    p.parse("starting");
    assert_eq!(
        p.no_metric_note(MetricsFrom::Both).unwrap(),
        "no metric found in the command's stdout and stderr; read are name=value pairs, JSON objects, Python dicts, and the lines of Keras, XGBoost, LightGBM and tqdm (docs/frameworks.md); --metrics-regex reads others"
    );
    p.parse("100%|██████████| 3/3 [00:00<00:00, 12.88it/s]");
    p.parse(r#"{"level": "info", "msg": "done"}"#);
    assert_eq!(
        p.no_metric_note(MetricsFrom::Stdout).unwrap(),
        "no metric found in the command's stdout (stderr was not read: --metrics-from both reads it); it printed JSON log lines (an object with a value that is not a number is a log line, not metrics), tqdm progress bars (their numbers are read from the bar's postfix: bar.set_postfix(loss=…)), with no number to read"
    );
    p.clone().parse("loss=1");
    assert_eq!(p.no_metric_note(MetricsFrom::Both), None);

    let p = LineParser::configured(false, Some(r"(\w+) is (\d+)"), false).unwrap();
    p.parse("5/5 - 0s - 544us/step - loss: 0.8891");
    p.parse("[4]\ttrain-rmse:0.40101");
    assert_eq!(
        p.no_metric_note(MetricsFrom::Both).unwrap(),
        "no metric found in the command's stdout and stderr; --metrics-format none turned off the built-in readers, which would read its Keras lines (name: value between ' - ', Epoch N/M), XGBoost evaluation lines ([i]<TAB>set-metric:value)"
    );
    assert_eq!(p.parse("x is 3").readings.len(), 1);
    assert_eq!(p.no_metric_note(MetricsFrom::Both), None);
}

#[test]
fn overlong_lines_are_not_parsed() {
    let line = format!("loss=1 {}", "x".repeat(MAX_LINE));
    assert!(values(&line).is_empty());
}

proptest::proptest! {
    /// No line makes the parser panic, and every name it gives becomes legal.
    #[test]
    fn any_line_is_safe(line in "\\PC{0,200}") {
        for (name, _) in values(&line) {
            proptest::prop_assert!(crate::model::is_metric_name(&name), "{:?}", name);
        }
    }

    /// The same for lines made of the characters the readers look for.
    #[test]
    fn metric_like_lines_are_safe(line in "[a-z0-9 _.:/'\"{}\\[\\]()=,+\\-\t|<>?]{0,80}") {
        for (name, _) in values(&line) {
            proptest::prop_assert!(crate::model::is_metric_name(&name), "{:?}", name);
        }
    }

    /// Every legal name with any finite value, in Rust's or Python's
    /// spelling, comes back exactly, several to a line.
    #[test]
    fn pairs_round_trip(
        names in proptest::collection::vec("[a-zA-Z_][a-zA-Z0-9_:]{0,20}", 1..5),
        nums in proptest::collection::vec(proptest::num::f64::NORMAL | proptest::num::f64::ZERO, 5),
        exp in proptest::bool::ANY,
    ) {
        let line: Vec<String> = names.iter().zip(&nums).map(|(n, v)| {
            if exp { format!("{n}={v:e}") } else { format!("{n}={v}") }
        }).collect();
        let got = values(&line.join(" "));
        let want: Vec<(String, f64)> = names.iter().cloned().zip(nums.iter().copied()).collect();
        proptest::prop_assert_eq!(got, want);
    }
}
