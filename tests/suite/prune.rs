//! `simplepipe groups` and `simplepipe prune` against a real Pushgateway.
//! Every test asserts the exact set of groups the gateway holds afterwards,
//! read back through its `/api/v1/metrics` API.
//!
//! Staleness needs real time to pass: a test pushes, sleeps past a short
//! `--older-than`, pushes some groups again and prunes. Ages are measured
//! on the gateway's clock, from its `Date` header, whole seconds, so they
//! read up to 1s young: the sleeps are `--older-than` plus 1.5s. Where a
//! group pushed again right before the prune must survive, `--older-than`
//! is 5s: that is its slack before it would count as stale, which even a
//! loaded CI machine keeps (1s did not, once, at a load average of 19).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::secure::{password_file, Pki, SecureGateway, PASSWORD};
use common::*;
use serde_json::Value;

type Key = BTreeMap<String, String>;

fn key(pairs: &[(&str, &str)]) -> Key {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Push one inline gauge to the group `key` (which must hold `job`).
fn push(gw: &str, key: &Key) {
    let r = try_push(gw, key);
    assert_eq!(r.code, 0, "push {key:?}: {r:?}");
}

fn try_push(gw: &str, key: &Key) -> Run {
    let mut args = vec![
        "push".to_string(),
        "--gateway".into(),
        gw.into(),
        "--metric".into(),
        "up_marker=1".into(),
    ];
    for (k, v) in key {
        match k.as_str() {
            "job" => args.extend(["--job".into(), v.clone()]),
            "user" => args.extend(["--user".into(), v.clone()]),
            _ => args.extend(["--group".into(), format!("{k}={v}")]),
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

/// The gateway's own `/api/v1/metrics` answer.
fn api(base: &str) -> Value {
    let text = reqwest::blocking::get(format!("{base}/api/v1/metrics"))
        .unwrap()
        .text()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn held(gw: &Gateway) -> BTreeSet<Key> {
    gw.groups().into_iter().map(|g| g.labels).collect()
}

/// Let `secs` of `--older-than` pass, with the gateway clock's 1s
/// resolution on top.
fn wait_past(secs: u64) {
    std::thread::sleep(Duration::from_millis(secs * 1000 + 1500));
}

fn prune(gw: &str, args: &[&str]) -> Run {
    let mut all = vec!["prune", "--gateway", gw];
    all.extend_from_slice(args);
    run(&all)
}

/// The selectors of the lines starting with `verb`, in order.
fn named(out: &str, verb: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.strip_prefix(verb))
        .map(|rest| rest.split(" (").next().unwrap().to_string())
        .collect()
}

#[test]
fn prune_deletes_exactly_the_stale_groups_whatever_their_values() {
    let gw = Gateway::start();
    let stale = [
        key(&[("job", "train"), ("user", "alice")]),
        key(&[("job", "etl"), ("user", "team/etl")]),
        key(&[("job", "train"), ("user", "")]),
        key(&[("job", ".")]),
        key(&[
            ("job", "serve"),
            ("user", "bob"),
            ("instance", "host-1"),
            ("region", "eu"),
        ]),
    ];
    let refreshed = [
        key(&[("job", "train"), ("user", "Zürich")]),
        key(&[("job", "train"), ("user", "keep")]),
    ];
    for k in stale.iter().chain(&refreshed) {
        push(&gw.url, k);
    }
    assert_eq!(held(&gw).len(), 7);
    // 5s: the groups pushed again below must still be younger than that
    // when prune lists, however slow a loaded CI machine starts processes.
    wait_past(5);
    for k in &refreshed {
        push(&gw.url, k);
    }
    let new = key(&[("job", "fresh"), ("region", "ü/.")]);
    push(&gw.url, &new);

    let r = prune(&gw.url, &["--older-than", "5s"]);
    assert_eq!(r.code, 0, "{r:?}");
    let want: BTreeSet<Key> = refreshed.iter().cloned().chain([new]).collect();
    assert_eq!(held(&gw), want);
    // One line per deleted group, oldest first, then the summary.
    assert_eq!(
        named(&r.stdout, "deleted "),
        [
            r#"{job="train", user="alice"}"#,
            r#"{job="etl", user="team/etl"}"#,
            r#"{job="train", user=""}"#,
            r#"{job="."}"#,
            r#"{job="serve", instance="host-1", region="eu", user="bob"}"#,
        ],
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().all(|l| l.contains("(last success ")),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stderr,
        "simplepipe: deleted 5 groups of 8 listed, older than 5s\n"
    );
}

#[test]
fn dry_run_and_max_deletions_delete_nothing() {
    let gw = Gateway::start();
    let keys: Vec<Key> = ["a", "b", "c"].iter().map(|j| key(&[("job", j)])).collect();
    for k in &keys {
        push(&gw.url, k);
    }
    let all: BTreeSet<Key> = keys.iter().cloned().collect();
    wait_past(1);

    let r = prune(&gw.url, &["--older-than", "1s", "--dry-run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        named(&r.stdout, "would delete "),
        [r#"{job="a"}"#, r#"{job="b"}"#, r#"{job="c"}"#]
    );
    assert!(
        r.stderr.contains(
            "dry run: would delete 3 groups of 3 listed, older than 1s; nothing was deleted"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(held(&gw), all);

    let r = prune(&gw.url, &["--older-than", "1s", "--max-deletions", "1"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "simplepipe: error: 3 groups would be deleted, more than --max-deletions 1; nothing was deleted. See them with --dry-run, narrow --older-than or --match, or raise --max-deletions\n"
    );
    assert_eq!(held(&gw), all);

    // A dry run shows what a real run would refuse, and says so.
    let r = prune(
        &gw.url,
        &["--older-than", "1s", "--max-deletions", "1", "--dry-run"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(named(&r.stdout, "would delete ").len(), 3);
    assert!(
        r.stderr.contains("more than --max-deletions 1"),
        "{}",
        r.stderr
    );
    assert_eq!(held(&gw), all);

    let r = prune(&gw.url, &["--older-than", "1s", "--max-deletions", "3"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(held(&gw), BTreeSet::new());
}

#[test]
fn match_picks_groups_exactly_or_by_anchored_regex() {
    let gw = Gateway::start();
    let groups = [
        key(&[("job", "train"), ("user", "a")]),
        key(&[("job", "train"), ("user", "ab")]),
        key(&[("job", "etl"), ("user", "a")]),
        key(&[("job", "serve"), ("user", "x")]),
        key(&[("job", "serve")]),
    ];
    for k in &groups {
        push(&gw.url, k);
    }
    wait_past(1);
    let left = |drop: &[usize]| -> BTreeSet<Key> {
        groups
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, k)| k.clone())
            .collect()
    };

    // Exact: only job=train, only user=a.
    let r = prune(
        &gw.url,
        &[
            "--older-than",
            "1s",
            "--match",
            "job=train",
            "--match",
            "user=a",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(held(&gw), left(&[0]));

    // Regex, anchored at both ends: `a|x` takes "a" and "x", not "ab".
    let r = prune(&gw.url, &["--older-than", "1s", "--match", "user=~a|x"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(held(&gw), left(&[0, 2, 3]));

    // A missing label matches the empty string, as in PromQL.
    let r = prune(
        &gw.url,
        &[
            "--older-than",
            "1s",
            "--match",
            "user=",
            "--match",
            "job!~train|etl",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(held(&gw), left(&[0, 2, 3, 4]));

    // Nothing left that matches: nothing happens, exit 0, and the
    // matcher that selects nothing is named.
    let r = prune(
        &gw.url,
        &[
            "--older-than",
            "1s",
            "--match",
            "job=train",
            "--match",
            "user=zz",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "simplepipe: warning: --match user=zz selects none of the 1 listed groups\nsimplepipe: deleted 0 groups of 1 listed, older than 1s\n"
    );
}

#[test]
fn groups_json_matches_what_the_gateway_reports() {
    let gw = Gateway::start();
    for k in [
        key(&[("job", "train"), ("user", "team/etl")]),
        key(&[("job", "."), ("user", "")]),
        key(&[("job", "serve"), ("instance", "h1"), ("region", "Zürich")]),
    ] {
        push(&gw.url, &k);
    }
    let r = run(&["groups", "--gateway", &gw.url, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let ours: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();

    let api = api(&gw.url);
    let theirs = api["data"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len());
    for g in theirs {
        let mine = ours
            .iter()
            .find(|o| o["labels"] == g["labels"])
            .unwrap_or_else(|| panic!("{} missing from {ours:?}", g["labels"]));
        let time = |fam: &str| -> f64 {
            g[fam]["metrics"][0]["value"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        };
        assert_eq!(
            mine["push_time_seconds"].as_f64().unwrap(),
            time("push_time_seconds")
        );
        assert_eq!(
            mine["push_failure_time_seconds"].as_f64().unwrap(),
            time("push_failure_time_seconds")
        );
        assert_eq!(
            mine["last_push_failed"],
            !g["last_push_successful"].as_bool().unwrap()
        );
        assert_eq!(mine["families"], 1);
        assert_eq!(mine["series"], 1);
        assert_eq!(mine["deletable"], true);
    }
    // Oldest first.
    let times: Vec<f64> = ours
        .iter()
        .map(|o| o["push_time_seconds"].as_f64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(ours[0]["labels"]["user"], "team/etl");

    // The table: a header, one aligned row per group, in the same order.
    let r = run(&["groups", "--gateway", &gw.url]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    assert!(lines[0].starts_with("AGE "), "{}", r.stdout);
    assert!(
        lines[1].ends_with(r#"{job="train", user="team/etl"}"#),
        "{}",
        r.stdout
    );
    assert!(lines[2].ends_with(r#"{job=".", user=""}"#), "{}", r.stdout);
    assert!(
        lines[3].ends_with(r#"{job="serve", instance="h1", region="Zürich"}"#),
        "{}",
        r.stdout
    );
    let col = lines[0].find("GROUP").unwrap();
    assert!(
        lines[1..].iter().all(|l| l[..col].ends_with("  ")),
        "{}",
        r.stdout
    );

    // --match filters the listing too.
    let r = run(&[
        "groups",
        "--gateway",
        &gw.url,
        "--match",
        "job=~s.*",
        "--output",
        "json",
    ]);
    let only: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["labels"]["region"], "Zürich");
}

#[test]
fn an_explicit_empty_instance_is_a_group_of_its_own_and_prune_repairs_it() {
    // Pushgateway 1.5.1: a group pushed with instance="" beside the same
    // group without instance collides with it. The push fails, and the
    // gateway keeps the failed group, which makes every later push to any
    // group fail too. Deleting it on its exact URL repairs the gateway.
    let gw = Gateway::start();
    push(&gw.url, &key(&[("job", "c")]));
    let r = try_push(&gw.url, &key(&[("job", "c"), ("instance", "")]));
    assert_eq!(r.code, 5, "{r:?}");
    let blocked = try_push(&gw.url, &key(&[("job", "d")]));
    assert_eq!(blocked.code, 5, "the gateway is poisoned: {blocked:?}");

    let r = run(&["groups", "--gateway", &gw.url, "--output", "json"]);
    let groups: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    let poisoned = groups
        .iter()
        .find(|g| g["labels"] == serde_json::json!({"job": "c", "instance": ""}))
        .unwrap_or_else(|| panic!("{groups:?}"));
    assert_eq!(poisoned["last_push_failed"], true);
    assert_eq!(poisoned["last_success"], Value::Null);
    let table = run(&["groups", "--gateway", &gw.url]).stdout;
    assert!(
        table.lines().any(|l| l.contains(" never ")
            && l.contains(" failed ")
            && l.ends_with(r#"{job="c", instance=""}"#)),
        "{table}"
    );

    wait_past(1);
    let r = prune(&gw.url, &["--older-than", "1s", "--match", "job=c"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        named(&r.stdout, "deleted "),
        [r#"{job="c"}"#, r#"{job="c", instance=""}"#]
    );
    // The blocked push left a failed group of its own; now it goes through.
    assert_eq!(held(&gw), BTreeSet::from([key(&[("job", "d")])]));
    push(&gw.url, &key(&[("job", "d")]));
    let d = &gw.groups()[0];
    assert_eq!(d.families.len(), 1, "{d:?}");
}

#[test]
fn the_empty_instance_group_and_the_plain_one_are_deleted_separately() {
    let gw = Gateway::start();
    push(&gw.url, &key(&[("job", "a"), ("instance", "")]));
    push(&gw.url, &key(&[("job", "b")]));
    wait_past(1);
    let r = prune(&gw.url, &["--older-than", "1s", "--match", "job=a"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(held(&gw), BTreeSet::from([key(&[("job", "b")])]));
}

#[test]
fn a_gateway_below_a_path_prefix_and_the_original_variable() {
    let gw = Gateway::start_with(&["--web.route-prefix=/pgw"]);
    let base = format!("{}/pgw", gw.url);
    push(&base, &key(&[("job", "x"), ("user", "a/b")]));
    wait_past(1);
    let host = base.trim_start_matches("http://");
    let r = run_env(&["groups"], &[("PUSH_GATEWAY_HOSTNAME", host)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains(r#"{job="x", user="a/b"}"#),
        "{}",
        r.stdout
    );
    let r = run_env(
        &["prune"],
        &[
            ("SIMPLEPIPE_GATEWAY", &base),
            ("SIMPLEPIPE_OLDER_THAN", "1s"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let left = api(&base);
    assert_eq!(left["data"], serde_json::json!([]), "{r:?}");
}

#[test]
fn usage_mistakes_are_refused_before_anything_is_sent() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    for (args, says) in [
        (vec!["prune", "--gateway", &closed], "--older-than"),
        (
            vec!["prune", "--gateway", &closed, "--older-than", "14"],
            "no unit after 14",
        ),
        (
            vec!["prune", "--gateway", &closed, "--older-than", "0s"],
            "must be more than zero",
        ),
        (
            vec![
                "prune",
                "--gateway",
                &closed,
                "--older-than",
                "1d",
                "--match",
                "job",
            ],
            "expected NAME=VALUE",
        ),
        (
            vec!["groups", "--gateway", &closed, "--match", "job=~("],
            "not a valid regex",
        ),
        (vec!["groups"], "no Pushgateway given"),
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(
            !r.stderr.contains("Connection refused"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn an_unreachable_gateway_fails_unless_best_effort() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let r = run(&[
        "prune",
        "--gateway",
        &closed,
        "--older-than",
        "1d",
        "--retries",
        "0",
    ]);
    assert_eq!(r.code, 6, "{r:?}");
    assert!(
        r.stderr.contains("cannot connect to the gateway"),
        "{}",
        r.stderr
    );
    let r = run(&["groups", "--gateway", &closed, "--retries", "0"]);
    assert_eq!(r.code, 6, "{r:?}");
    let r = run(&[
        "prune",
        "--gateway",
        &closed,
        "--older-than",
        "1d",
        "--retries",
        "0",
        "--best-effort",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn groups_and_prune_send_credentials_and_never_show_them() {
    let pki = Pki::new();
    let gw = SecureGateway::start(&pki, false);
    let pw = password_file(&pki, PASSWORD);
    let ca = pki.path("ca.pem");
    let auth = pki.auth_args(&pw);
    let with = |args: &[&str]| -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--gateway", &gw.url, "--retries", "0"]);
        all.extend(auth.iter().map(String::as_str));
        let r = run(&all);
        assert!(
            !r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD),
            "password shown: {r:?}"
        );
        r
    };
    for job in ["old", "other"] {
        let r = with(&["push", "--job", job, "--metric", "x=1"]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    wait_past(1);

    let r = with(&["groups", "-v"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.lines().count(), 3, "{}", r.stdout);
    assert!(r.stderr.contains("basic auth as \"alice\""), "{}", r.stderr);

    let r = with(&["prune", "--older-than", "1s", "--match", "job=old", "-v"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(named(&r.stdout, "deleted "), [r#"{job="old"}"#]);
    assert_eq!(gw.jobs(&pki), ["other"]);

    // Without credentials: the gateway says 401, exit 5, nothing deleted.
    let r = run(&[
        "prune",
        "--gateway",
        &gw.url,
        "--cacert",
        &ca,
        "--older-than",
        "1s",
        "--retries",
        "0",
    ]);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(r.stderr.contains("HTTP 401"), "{}", r.stderr);
    // A wrong password is not shown either.
    let bad = password_file(&pki, "not-the-password");
    let r = run(&[
        "groups",
        "--gateway",
        &gw.url,
        "--cacert",
        &ca,
        "--username",
        "alice",
        "--password-file",
        bad.to_str().unwrap(),
        "--retries",
        "0",
    ]);
    assert_eq!(r.code, 5, "{r:?}");
    assert!(!r.stderr.contains("not-the-password"), "{}", r.stderr);
    assert_eq!(gw.jobs(&pki), ["other"]);
}
