//! The one pass on two threads (`SIMPLEPIPE_THREADS=2`, issue 31): what
//! lands on the real Pushgateway, and every refusal, are those of the one
//! thread; `-v` says the second thread read its part.

use crate::common::*;
use crate::streamed::{big, content};

const SECOND: &str = "read on a second thread";

/// 10,000 series (over 1 MiB) land the same read on one thread or two.
#[test]
fn two_threads_push_what_one_pushes() {
    let gw = Gateway::start();
    let doc = big(10_000);
    assert!(doc.len() > 1024 * 1024, "{} bytes", doc.len());
    let (_dir, path) = artifact(&doc);
    for (job, threads) in [("one", "1"), ("two", "2")] {
        let args = ["-v", "push", &path, job, "--gateway", &gw.url];
        let r = run_env(&args, &[("SIMPLEPIPE_THREADS", threads)]);
        assert_eq!(r.code, 0, "{job}: {r:?}");
        assert_eq!(r.stderr.contains(SECOND), threads == "2", "{}", r.stderr);
    }
    let one = content(gw.group(&[("job", "one")]).unwrap());
    assert_eq!(one.len(), 52, "13 names of each type");
    assert!(content(gw.group(&[("job", "two")]).unwrap()) == one);
}

/// A duplicate series and a type clash whose first sightings are before
/// the cut and whose repeats are after it: the same messages, in the same
/// order, the same exit code, and nothing pushed.
#[test]
fn refusals_across_the_cut_are_the_one_threads() {
    let gw = Gateway::start();
    let doc = big(10_000);
    let first = &doc[doc.find("[{").unwrap() + 1..doc.find("}},").unwrap() + 2];
    let clash = r#"{"name": "c_1_total", "type": "gauge", "value": 1}"#;
    let doc = format!("{}, {first}, {clash}]}}", &doc[..doc.len() - 2]);
    let (_dir, path) = artifact(&doc);
    let mut said = Vec::new();
    for threads in ["1", "2"] {
        let args = ["-v", "push", &path, "j", "--gateway", &gw.url];
        let r = run_env(&args, &[("SIMPLEPIPE_THREADS", threads)]);
        assert_eq!(r.code, 4, "{r:?}");
        assert_eq!(r.stderr.contains(SECOND), threads == "2", "{}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.contains("debug:")).collect();
        said.push(lines.join("\n"));
    }
    assert!(said[0].contains("/metrics/10000"), "{}", said[0]);
    assert!(said[0].contains("/metrics/10001"), "{}", said[0]);
    assert_eq!(said[0], said[1]);
    assert!(gw.groups().is_empty());
}
