//! What users hit in the new commands (issue 24): each test runs the real
//! binary against real servers and asserts what reached them or what the
//! user saw.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;

fn push_user(gw: &str, user: &str) {
    let r = run(&[
        "push",
        "--gateway",
        gw,
        "--job",
        "train",
        "--user",
        user,
        "--metric",
        "m=1",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

fn users(gw: &Gateway) -> BTreeSet<String> {
    gw.groups()
        .into_iter()
        .map(|g| g.labels["user"].clone())
        .collect()
}

/// Item 1: a PromQL-quoted value is the value, not the value in quotes;
/// `user!="alice"` spares alice, and a matcher that selects nothing says so.
#[test]
fn prune_match_reads_promql_quotes() {
    let gw = Gateway::start();
    push_user(&gw.url, "alice");
    push_user(&gw.url, "bob");
    std::thread::sleep(Duration::from_millis(2500));
    let r = run(&[
        "prune",
        "--gateway",
        &gw.url,
        "--older-than",
        "1s",
        "--match",
        r#"user!="alice""#,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(users(&gw), BTreeSet::from(["alice".to_string()]), "{r:?}");

    let r = run(&["groups", "--gateway", &gw.url, "--match", r#"user="alice""#]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("alice"), "{r:?}");

    let r = run(&["groups", "--gateway", &gw.url, "--match", "user='carol'"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("warning: --match user='carol' selects none of the 1 listed groups"),
        "{r:?}"
    );

    let r = run(&[
        "prune",
        "--gateway",
        &gw.url,
        "--older-than",
        "1s",
        "--match",
        r#"user!="alice"#,
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("never closed"), "{r:?}");
    assert_eq!(users(&gw), BTreeSet::from(["alice".to_string()]));
}
