//! Groups that expire and deleting one metric, against a real Pushgateway
//! 1.5.1: `push/run/watch --expires-in`, `prune --expired`, the expiry in
//! `groups`, and `delete --metric`. Every test asserts what the gateway
//! holds afterwards, read back through its `/api/v1/metrics` API.
//!
//! Deadlines are compared with the gateway's clock, from its `Date`
//! header in whole seconds (so it reads up to 1s young): a group that
//! expires in 2s is past its deadline on that clock 3s after its push.

use crate::common;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::Value;

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Run a command against `gw`: `--gateway` after the subcommand.
fn at(gw: &Gateway, args: &[&str]) -> Run {
    let mut all = vec![args[0], "--gateway", &gw.url];
    all.extend_from_slice(&args[1..]);
    run(&all)
}

/// Everything the gateway holds, by grouping key (its API's order of
/// groups varies), each family's push time (`time_stamp`) included.
fn held(gw: &Gateway) -> BTreeMap<BTreeMap<String, String>, BTreeMap<String, Value>> {
    gw.groups()
        .into_iter()
        .map(|g| (g.labels, g.families))
        .collect()
}

/// Push one inline gauge to `job`, with `extra` options.
fn push(gw: &Gateway, job: &str, extra: &[&str]) -> Run {
    let mut args = vec!["push", "--job", job, "--metric", "up_marker=1"];
    args.extend_from_slice(extra);
    at(gw, &args)
}

/// The jobs of the groups the gateway holds, sorted.
fn jobs(gw: &Gateway) -> Vec<String> {
    let mut j: Vec<String> = gw
        .groups()
        .into_iter()
        .map(|g| g.labels["job"].clone())
        .collect();
    j.sort();
    j
}

/// The deadline gauge's value in a group.
fn deadline(gw: &Gateway, job: &str) -> f64 {
    let g = gw
        .group(&[("job", job)])
        .unwrap_or_else(|| panic!("no group {job}"));
    g.value("simplepipe_expires_at_seconds").parse().unwrap()
}

#[test]
fn prune_expired_deletes_exactly_the_groups_past_their_deadline() {
    let gw = Gateway::start();
    let before = unix_now();
    for (job, extra) in [
        ("soon", &["--expires-in", "2s"][..]),
        ("never", &[][..]),
        ("later", &["--expires-in", "1h"][..]),
    ] {
        let r = push(&gw, job, extra);
        assert_eq!(r.code, 0, "{job}: {r:?}");
    }
    let after = unix_now();
    let soon = deadline(&gw, "soon");
    assert!(
        soon >= before + 2.0 && soon <= after + 2.0,
        "{soon} vs {before}..{after}"
    );
    assert!(!gw
        .group(&[("job", "never")])
        .unwrap()
        .families
        .contains_key("simplepipe_expires_at_seconds"));
    std::thread::sleep(Duration::from_secs(3));

    let before = held(&gw);
    let r = at(&gw, &["prune", "--expired", "--dry-run"]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{r:?}");
    assert!(
        lines[0].starts_with(r#"would delete {job="soon"} (expired "#),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("would delete 1 group of 3 listed, expired; nothing was deleted"),
        "{r:?}"
    );
    assert_eq!(held(&gw), before, "a dry run changes nothing");

    // --max-deletions and --match hold for --expired too.
    let r = at(&gw, &["prune", "--expired", "--max-deletions", "0"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = at(&gw, &["prune", "--expired", "--match", "job!=soon"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    assert_eq!(jobs(&gw), ["later", "never", "soon"]);

    let r = at(&gw, &["prune", "--expired"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.starts_with(r#"deleted {job="soon"} (expired "#),
        "{r:?}"
    );
    assert_eq!(r.stdout.lines().count(), 1, "{r:?}");
    assert_eq!(jobs(&gw), ["later", "never"]);
}

#[test]
fn groups_shows_the_deadline() {
    let gw = Gateway::start();
    assert_eq!(push(&gw, "later", &["--expires-in", "1h"]).code, 0);
    assert_eq!(push(&gw, "never", &[]).code, 0);
    let when = deadline(&gw, "later");
    let r = at(&gw, &["groups", "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let by = |job: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|g| g["labels"]["job"] == job)
            .unwrap()
            .clone()
    };
    let later = by("later");
    assert_eq!(later["expires_at_seconds"].as_f64(), Some(when));
    let expected = chrono::DateTime::from_timestamp_micros((when * 1e6) as i64).unwrap();
    assert_eq!(
        later["expires_at"],
        expected.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    );
    assert_eq!(later["expired"], false);
    let never = by("never");
    assert_eq!(
        (never["expires_at"].clone(), never["expired"].clone()),
        (Value::Null, Value::Bool(false))
    );

    let r = run(&["groups", "--gateway", &gw.url]);
    assert_eq!(r.code, 0, "{r:?}");
    let row = r
        .stdout
        .lines()
        .find(|l| l.ends_with(r#"{job="later"}"#))
        .unwrap();
    assert!(
        row.contains("  in 1h ") || row.contains("  in 59m "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.lines().next().unwrap().contains("EXPIRES"));
}

#[test]
fn the_env_variable_run_and_watch_set_the_deadline_too() {
    let gw = Gateway::start();
    let t0 = unix_now();
    let r = run_env(
        &[
            "push",
            "--gateway",
            &gw.url,
            "--job",
            "env",
            "--metric",
            "a=1",
        ],
        &[("SIMPLEPIPE_EXPIRES_IN", "1d12h")],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let d = deadline(&gw, "env") - t0;
    assert!((129_600.0..129_605.0).contains(&d), "{d}");

    let r = at(
        &gw,
        &[
            "run",
            "--job",
            "wrapped",
            "--expires-in",
            "90m",
            "--",
            "true",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let d = deadline(&gw, "wrapped") - t0;
    assert!((5_400.0..5_460.0).contains(&d), "{d}");

    let r = run_stdin(
        &[
            "watch",
            "--gateway",
            &gw.url,
            "--job",
            "watched",
            "--expires-in",
            "1.5h",
        ],
        b"a=1\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    let d = deadline(&gw, "watched") - t0;
    assert!((5_400.0..5_460.0).contains(&d), "{d}");
    assert_eq!(gw.group(&[("job", "watched")]).unwrap().value("a"), "1");
}

#[test]
fn bad_expires_in_values_push_nothing() {
    let gw = Gateway::start();
    for (value, says) in [
        ("0s", "must be more than zero"),
        ("-5m", "a duration can't be negative"),
        ("soon", "expected a duration"),
        ("10", "no unit after 10"),
    ] {
        let option = format!("--expires-in={value}");
        let r = push(&gw, "bad", &[&option]);
        assert_eq!(r.code, 2, "{value}: {r:?}");
        assert!(
            r.stderr.starts_with(&format!(
                "simplepipe: error: --expires-in {value:?}: {says}"
            )),
            "{value}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{r:?}");
        let r = run_env(
            &[
                "push",
                "--gateway",
                &gw.url,
                "--job",
                "bad",
                "--metric",
                "a=1",
            ],
            &[("SIMPLEPIPE_EXPIRES_IN", value)],
        );
        assert_eq!(r.code, 2, "{value} from the env: {r:?}");
    }
    let r = at(
        &gw,
        &["run", "--job", "bad", "--expires-in", "0s", "--", "true"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(gw.groups().is_empty(), "nothing was pushed");

    // Without the gateway among the destinations: a usage error.
    let closed = format!("http://127.0.0.1:{}/api/v1/write", free_port());
    let push_rw = |extra: &[&str]| {
        let mut args = vec!["push", "--remote-write", &closed, "--job", "j"];
        args.extend_from_slice(&["--metric", "a=1", "--expires-in", "1h"]);
        args.extend_from_slice(extra);
        run(&args)
    };
    let r = push_rw(&[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("--expires-in is for the Pushgateway, which is not among the destinations"),
        "{r:?}"
    );

    // With the gateway and another destination: the gauge goes into the
    // gateway's group only.
    let r = push_rw(&["--dry-run", "--gateway", &gw.url]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("\nsimplepipe_expires_at_seconds "),
        "{r:?}"
    );
    assert_eq!(
        r.stdout.matches("simplepipe_expires_at_seconds").count(),
        3,
        "HELP, TYPE and the sample, once: {r:?}"
    );
}

/// A group's families as the API shows them, without the time each was
/// pushed (`time_stamp`), which a PUT renews.
fn families(gw: &Gateway, key: &[(&str, &str)]) -> BTreeMap<String, Value> {
    let mut f = gw.group(key).unwrap().families;
    for fam in f.values_mut() {
        fam.as_object_mut().unwrap().remove("time_stamp");
    }
    f
}

fn assert_delete_keeps_the_rest(
    gw: &Gateway,
    key: &[(&str, &str)],
    grouping: &[&str],
    gone: &[&str],
) {
    let before = families(gw, key);
    let mut args = vec!["delete", "--gateway", &gw.url];
    args.extend_from_slice(grouping);
    for name in gone {
        args.extend(["--metric", name]);
    }
    let r = run(&args);
    assert_eq!(r.code, 0, "{r:?}");
    let mut want = before.clone();
    for name in gone {
        assert!(want.remove(*name).is_some(), "{name} was in the group");
    }
    assert_eq!(families(gw, key), want, "{r:?}");
}

/// Push examples/training-run.json to the group `grouping` names.
fn push_example(gw: &Gateway, grouping: &[&str]) {
    let mut args = vec!["push", "examples/training-run.json"];
    args.extend_from_slice(grouping);
    let r = at(gw, &args);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn delete_metric_keeps_every_other_family_as_it_was() {
    let gw = Gateway::start();
    push_example(&gw, &["--job", "train", "--user", "alice"]);
    let key = [("job", "train"), ("user", "alice")];
    let grouping = ["--job", "train", "--user", "alice"];
    assert_delete_keeps_the_rest(&gw, &key, &grouping, &["model_accuracy"]);
    assert_delete_keeps_the_rest(
        &gw,
        &key,
        &grouping,
        &["memory_peak_bytes", "images_processed_total"],
    );
    assert_eq!(
        families(&gw, &key).keys().collect::<Vec<_>>(),
        ["run_time_seconds"]
    );

    // The last family: the group goes.
    let r = at(
        &gw,
        &[
            "delete",
            "--job",
            "train",
            "--user",
            "alice",
            "--metric",
            "run_time_seconds",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(gw.groups().is_empty(), "{r:?}");
}

#[test]
fn delete_metric_keeps_histograms_summaries_nan_and_a_deadline() {
    let gw = Gateway::start();
    let base = [
        "--gateway",
        &gw.url,
        "--job",
        "prep",
        "--group",
        "pool=eval",
    ];
    let mut args = vec!["push", "examples/histogram.json", "--expires-in", "1d"];
    args.extend_from_slice(&base);
    let r = run(&args);
    assert_eq!(r.code, 0, "{r:?}");
    let mut args = vec!["push", "examples/summary.json", "--method", "post"];
    args.extend_from_slice(&base);
    let r = run(&args);
    assert_eq!(r.code, 0, "{r:?}");
    let key = [("job", "prep"), ("pool", "eval")];
    let held = families(&gw, &key);
    assert!(
        held.contains_key("image_decode_seconds") && held.contains_key("batch_latency_seconds"),
        "{held:?}"
    );
    assert!(held.contains_key("simplepipe_expires_at_seconds"));
    assert_delete_keeps_the_rest(
        &gw,
        &key,
        &["--job", "prep", "--group", "pool=eval"],
        &["loss"],
    );
    assert_delete_keeps_the_rest(
        &gw,
        &key,
        &["--job", "prep", "--group", "pool=eval"],
        &["epoch_duration_seconds"],
    );
}

#[test]
fn unknown_metric_names_change_nothing() {
    let gw = Gateway::start();
    push_example(&gw, &["--job", "train"]);
    let before = held(&gw);
    let r = at(
        &gw,
        &[
            "delete",
            "--job",
            "train",
            "--metric",
            "model_accuracy",
            "--metric",
            "nope",
        ],
    );
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.starts_with(&format!("simplepipe: error: the group at {}/metrics/job/train holds no metric nope; nothing was changed", gw.url)), "{r:?}");
    assert_eq!(held(&gw), before, "unchanged, push time included");

    let r = at(
        &gw,
        &["delete", "--job", "other", "--metric", "model_accuracy"],
    );
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.contains("holds no group at"), "{r:?}");
    let r = at(
        &gw,
        &["delete", "--job", "train", "--metric", "push_time_seconds"],
    );
    assert_eq!(r.code, 2, "{r:?}");

    // A dry run reads the group and shows the PUT, sending nothing.
    let r = at(
        &gw,
        &[
            "delete",
            "--job",
            "train",
            "--metric",
            "model_accuracy",
            "--dry-run",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .starts_with(&format!("PUT {}/metrics/job/train (dry run", gw.url)),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("model=\"resnet50\"} 3912.4\n") && !r.stdout.contains("model_accuracy"),
        "{r:?}"
    );
    assert_eq!(held(&gw), before);
}
