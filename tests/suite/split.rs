//! The one pass on two threads (the default, issue 31): what
//! lands on the real Pushgateway, and every refusal, are those of the one
//! thread; `-v` says the second thread read its part.

use crate::common::*;
use crate::streamed::{big, content};

const SECOND: &str = "read on a second thread";

/// Run with `SIMPLEPIPE_THREADS` set to `threads`; on `2`, again (up to
/// five runs) until the second thread did read its part: it may lose the
/// race to the cut on a busy machine (the first thread never waits), and
/// then the first reads alone, correctly but without what is tested here.
fn run_split(args: &[&str], threads: Option<&str>) -> Run {
    let env: Vec<(&str, &str)> = threads
        .map(|t| ("SIMPLEPIPE_THREADS", t))
        .into_iter()
        .collect();
    let mut r = run_env(args, &env);
    for _ in 1..5 {
        if threads == Some("1") || r.stderr.contains(SECOND) {
            break;
        }
        r = run_env(args, &env);
    }
    r
}

/// `n` entries of benches/compare.py's shape: no escape anywhere, so the
/// hand-written reader (not serde) reads every entry, on either thread.
fn plain(n: usize) -> String {
    let mut doc = String::from(r#"{"labels": {"pipeline": "bench"}, "metrics": ["#);
    for i in 0..n {
        let labels = format!(
            r#"{{"shard": "shard-{i:06}", "stage": "{}", "host": "node-{:02}.cluster.local"}}"#,
            ["train", "eval"][i % 2],
            i % 37
        );
        let name = format!(
            "pipeline_{}_{}",
            ["gauge", "counter", "histogram", "summary"][i % 4],
            i % 25
        );
        let entry = match i % 4 {
            0 => format!(
                r#"{{"name": "{name}", "type": "gauge", "help": "A gauge.", "value": {}, "labels": {labels}}}"#,
                i as f64 * 0.5
            ),
            1 => format!(
                r#"{{"name": "{name}_total", "type": "counter", "help": "A counter.", "value": {i}, "labels": {labels}}}"#
            ),
            2 => format!(
                r#"{{"name": "{name}_seconds", "type": "histogram", "help": "A histogram.", "labels": {labels}, "buckets": [{{"le": 0.1, "count": 1}}, {{"le": 1, "count": 4}}, {{"le": 10, "count": 9}}], "sum": 31.5, "count": 10}}"#
            ),
            _ => format!(
                r#"{{"name": "{name}_latency", "type": "summary", "help": "A summary.", "labels": {labels}, "quantiles": [{{"quantile": 0.5, "value": 0.2}}, {{"quantile": 0.99, "value": 0.9}}], "sum": 4.1, "count": 20}}"#
            ),
        };
        doc.push_str(if i > 0 { ", " } else { "" });
        doc.push_str(&entry);
    }
    doc + "]}"
}

/// `doc` (over 1 MiB) pushed on one thread and on two, the second thread
/// reading its part: what the gateway holds from each, the same.
fn pushed_alike(doc: &str) -> std::collections::BTreeMap<String, serde_json::Value> {
    assert!(doc.len() > 1024 * 1024, "{} bytes", doc.len());
    let gw = Gateway::start();
    let (_dir, path) = artifact(doc);
    for (job, threads) in [("one", "1"), ("two", "2")] {
        let args = ["-v", "push", &path, job, "--gateway", &gw.url];
        let r = run_split(&args, Some(threads));
        assert_eq!(r.code, 0, "{job}: {r:?}");
        assert_eq!(r.stderr.contains(SECOND), threads == "2", "{}", r.stderr);
    }
    let one = content(gw.group(&[("job", "one")]).unwrap());
    assert!(content(gw.group(&[("job", "two")]).unwrap()) == one);
    one
}

/// 10,000 series (over 1 MiB) land the same read on one thread or two.
#[test]
fn two_threads_push_what_one_pushes() {
    let one = pushed_alike(&big(10_000));
    assert_eq!(one.len(), 52, "13 names of each type");
}

/// The same with entries the hand-written reader reads (`big`'s each hold
/// an escape, which it leaves to serde): 100 families, every one of them
/// in both parts, land as on one thread.
#[test]
fn two_threads_push_what_one_pushes_read_by_hand() {
    let one = pushed_alike(&plain(8_000));
    assert_eq!(one.len(), 100, "25 names of each type");
    let series: usize = one
        .values()
        .map(|f| f["metrics"].as_array().unwrap().len())
        .sum();
    assert_eq!(series, 8_000);
}

/// The `-v` line of a read whose second part was not merged.
const NOT_MERGED: &str = "read on one thread: the two parts do not merge";

/// `doc` pushed on one thread and on two: the same exit code and the same
/// messages, in the same order; on two, `-v` says the parts did not merge.
fn refused_alike(doc: &str, extra: &[&str], code: i32) -> String {
    let gw = Gateway::start();
    let (_dir, path) = artifact(doc);
    let mut said = Vec::new();
    for threads in ["1", "2"] {
        let mut args = vec!["-v", "push", &path, "j", "--gateway", &gw.url];
        args.extend(extra);
        let env = [("SIMPLEPIPE_THREADS", threads)];
        let mut r = run_env(&args, &env);
        // Again if the second thread lost the race to the cut (see run_split).
        for _ in 1..5 {
            if threads == "1" || r.stderr.contains(NOT_MERGED) {
                break;
            }
            r = run_env(&args, &env);
        }
        assert_eq!(r.code, code, "{r:?}");
        assert!(!r.stderr.contains(SECOND), "{}", r.stderr);
        assert_eq!(
            r.stderr.contains(NOT_MERGED),
            threads == "2",
            "{}",
            r.stderr
        );
        let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.contains("debug:")).collect();
        said.push(lines.join("\n"));
    }
    assert_eq!(said[0], said[1]);
    assert!(gw.groups().is_empty());
    said.swap_remove(0)
}

/// A duplicate series and a type clash whose first sightings are before
/// the cut and whose repeats are after it, each part clean on its own: the
/// merge refuses, and the one thread's messages, in the same order, the
/// same exit code, and nothing pushed.
#[test]
fn refusals_across_the_cut_are_the_one_threads() {
    let doc = big(10_000);
    let start = doc.find("[{").unwrap() + 1;
    let first = &doc[start..doc.find("}},").unwrap() + 2];
    let only = r#"{"name": "x_only", "type": "gauge", "value": 1}"#;
    let clash = r#"{"name": "x_only", "type": "counter", "value": 1}"#;
    let body = &doc[start..doc.len() - 2];
    let doc = format!("{}{only}, {body}, {first}, {clash}]}}", &doc[..start]);
    let said = refused_alike(&doc, &[], 4);
    assert!(said.contains("/metrics/10001"), "{said}");
    assert!(said.contains("/metrics/10002"), "{said}");
}

/// --max-series counts the series of both parts: each part holds fewer
/// than the limit, both together more; refused as on one thread.
#[test]
fn max_series_counts_both_parts() {
    let said = refused_alike(&big(10_000), &["--max-series", "9999"], 4);
    assert!(said.contains("more than --max-series (9999)"), "{said}");
    assert!(said.contains("/metrics/9999"), "{said}");
}

/// An inline `--metric` is added after both parts are merged: one that
/// repeats a series of the second part is refused as on one thread, and
/// one that does not lands with every series of both parts. (The file's
/// top-level labels are not an inline metric's: it names them.)
#[test]
fn an_inline_metric_meets_the_second_parts_series() {
    let doc = big(10_000);
    let late = r#"{"name": "late", "type": "gauge", "value": 1, "labels": {"k": "v"}}"#;
    let doc = format!("{}, {late}]}}", &doc[..doc.len() - 2]);
    let gw = Gateway::start();
    let (_dir, path) = artifact(&doc);
    for (job, metric, code) in [
        ("same", r#"late{k="v",pipeline="stream"}=2"#, 4),
        ("new", r#"late{k="w",pipeline="stream"}=2"#, 0),
    ] {
        let mut said = Vec::new();
        for threads in ["1", "2"] {
            let job = format!("{job}-{threads}");
            let args = [
                "-v",
                "push",
                &path,
                &job,
                "--gateway",
                &gw.url,
                "--metric",
                metric,
            ];
            let r = run_split(&args, Some(threads));
            assert_eq!(r.code, code, "{r:?}");
            assert_eq!(r.stderr.contains(SECOND), threads == "2", "{}", r.stderr);
            let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.contains("debug:")).collect();
            said.push(lines.join("\n"));
        }
        if code == 4 {
            assert!(said[0].contains("duplicate series late{"), "{}", said[0]);
            assert!(
                said[0].contains("/metrics/10000 has the same name"),
                "{}",
                said[0]
            );
            assert_eq!(said[0], said[1]);
        }
    }
    let groups = gw.groups();
    assert_eq!(
        groups.len(),
        2,
        "only the two `new` pushes land: {groups:?}"
    );
    let one = content(gw.group(&[("job", "new-1")]).unwrap());
    assert_eq!(one, content(gw.group(&[("job", "new-2")]).unwrap()));
    assert_eq!(one.len(), 53, "52 names from the file, and `late`");
}

/// Two threads are the default for a big file; `SIMPLEPIPE_THREADS=1`
/// keeps to one, and any other value is a usage error that says what to
/// set. `-v` says how much was read: the file, on two threads.
#[test]
fn two_threads_are_the_default_and_one_can_be_asked_for() {
    let doc = big(10_000);
    let (_dir, path) = artifact(&doc);
    for (threads, second) in [(None, true), (Some("2"), true), (Some("1"), false)] {
        let read = match second {
            true => format!("read {path}: a file of {} bytes, in one pass", doc.len()),
            false => format!("read {path}: {} bytes, in one pass", doc.len()),
        };
        let args = ["-v", "validate", &path];
        let r = run_split(&args, threads);
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(
            r.stderr.contains(SECOND),
            second,
            "{threads:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(&read), "{threads:?}: {}", r.stderr);
    }
    let r = run_env(&["validate", &path], &[("SIMPLEPIPE_THREADS", "4")]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr.trim(),
        "simplepipe: error: SIMPLEPIPE_THREADS=4: expected 1 (read artifacts on one thread) or 2 (the default: a big local file may be read on two)"
    );
}
