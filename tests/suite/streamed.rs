//! Every body and every input streamed (issue 31): `--max-series` refuses
//! as soon as the count passes the limit, `--format text` and
//! `--compress gzip` bodies are written while they are sent and land on
//! the real Pushgateway exactly as the protobuf body does, in bounded
//! memory.

use crate::common;

use std::process::Stdio;

use common::measured::{run_measured, run_measured_with};
use common::scripted::{Reply, Scripted};
use common::*;

/// A native artifact of `n` series, a quarter of each type, with help
/// texts and label values that need escaping in text (quote, backslash,
/// newline, non-ASCII).
pub(crate) fn big(n: usize) -> String {
    let mut doc = String::from(r#"{"labels": {"pipeline": "stream"}, "metrics": ["#);
    for i in 0..n {
        let labels = format!(r#"{{"shard": "s-{i}", "note": "q\"b\\n\nü{}"}}"#, i % 7);
        let entry = match i % 4 {
            0 => format!(
                r#"{{"name": "g_{}", "type": "gauge", "help": "A \\ gauge.\n", "value": {}, "labels": {labels}}}"#,
                i % 13,
                i as f64 * 0.5
            ),
            1 => format!(
                r#"{{"name": "c_{}_total", "type": "counter", "value": {i}, "labels": {labels}}}"#,
                i % 13
            ),
            2 => format!(
                r#"{{"name": "h_{}_seconds", "type": "histogram", "help": "H.", "labels": {labels}, "buckets": [{{"le": 0.1, "count": 1}}, {{"le": 10, "count": {}}}], "sum": 31.5, "count": {}}}"#,
                i % 13,
                i + 1,
                i + 2
            ),
            _ => format!(
                r#"{{"name": "s_{}_latency", "type": "summary", "labels": {labels}, "quantiles": [{{"quantile": 0.5, "value": 0.2}}], "sum": 4.1, "count": 20}}"#,
                i % 13
            ),
        };
        if i > 0 {
            doc.push(',');
        }
        doc.push_str(&entry);
    }
    doc.push_str("]}");
    doc
}

/// A group's families without what differs between two pushes of the same
/// artifact: the push timestamps and the `job` label.
pub(crate) fn content(g: Group) -> std::collections::BTreeMap<String, serde_json::Value> {
    let mut fams = g.families;
    for fam in fams.values_mut() {
        for m in fam["metrics"].as_array_mut().unwrap() {
            m.as_object_mut().unwrap().remove("timestamp_ms");
            m["labels"].as_object_mut().unwrap().remove("job");
        }
        fam.as_object_mut().unwrap().remove("time_stamp");
    }
    fams
}

/// Past `--max-series` nothing more is read: an artifact whose entries
/// after the limit are cut off mid-entry is refused for its series, not
/// for its syntax (the whole input was read before, and the long way said
/// where the JSON broke).
#[test]
fn max_series_refuses_before_reading_the_rest() {
    let whole = big(6);
    let cut = &whole[..whole.rfind(r#""name""#).unwrap() + 9];
    let (_dir, path) = artifact(cut);
    let s = Scripted::start(vec![Reply::Status(200, &[], "")]);
    let r = run(&["push", &path, "j", "--gateway", &s.url, "--max-series", "4"]);
    assert_eq!(r.code, 4, "{r:?}");
    let want = "more than --max-series (4) series (series 5 is at /metrics/4); raise --max-series or split the artifact";
    assert!(r.stderr.contains(want), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(s.requests().is_empty());
    // Within the limit, the same cut artifact is what is wrong.
    let r = run(&["push", &path, "j", "--gateway", &s.url, "--max-series", "9"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(!r.stderr.contains("--max-series"), "{}", r.stderr);
}

/// The refusal holds only what was read before it: a 60,000-series
/// artifact refused at 10 series peaks no higher than a 10-series one
/// (it built the whole model first: +30 MB in a debug build).
#[test]
fn max_series_refusal_holds_only_what_it_read() {
    let (_dir, path) = artifact(&big(60_000));
    let (_small_dir, small) = artifact(&big(10));
    let limited = ["j", "--dry-run", "--max-series", "10"];
    let (r, small_mib) = run_measured(&[&["push", &small][..], &limited].concat());
    assert_eq!(r.code, 0, "{r:?}");
    let (r, big_mib) = run_measured(&[&["push", &path][..], &limited].concat());
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.contains("more than --max-series (10)"), "{r:?}");
    assert!(
        big_mib <= small_mib + 4,
        "refused at 10 series: {big_mib} MiB, 10 series pushed: {small_mib} MiB"
    );
}

/// `--format text` and `--compress gzip` (with either format) land on the
/// real gateway exactly as the default protobuf body does (10,500 series:
/// past 10,000 that one goes chunked too).
#[test]
fn text_and_gzip_bodies_land_as_protobuf_does() {
    let gw = Gateway::start();
    let (_dir, path) = artifact(&big(10_500));
    let ways: [(&str, &[&str]); 4] = [
        ("pb", &[]),
        ("text", &["--format", "text"]),
        ("pbgz", &["--compress", "gzip"]),
        ("textgz", &["--format", "text", "--compress", "gzip"]),
    ];
    for (job, extra) in ways {
        let r = run(&[&["push", &path, job, "--gateway", &gw.url][..], extra].concat());
        assert_eq!(r.code, 0, "{job}: {r:?}");
    }
    let landed = content(gw.group(&[("job", "pb")]).unwrap());
    assert_eq!(landed.len(), 52, "13 names of each type");
    for (job, _) in &ways[1..] {
        let other = content(gw.group(&[("job", job)]).unwrap());
        assert!(other == landed, "{job} landed differently from protobuf");
    }
}

/// Written while sent, text and gzipped bodies peak no higher than the
/// protobuf one (on 50,000 series, text was built whole: +9 MiB; text
/// gzipped, whole then compressed: +10 MiB).
#[test]
fn text_and_gzip_bodies_are_never_held_whole() {
    let gw = Gateway::start();
    let (_dir, path) = artifact(&big(50_000));
    let mut peaks = Vec::new();
    for extra in [
        &[][..],
        &["--format", "text"],
        &["--format", "text", "--compress", "gzip"],
    ] {
        let (r, mib) =
            run_measured(&[&["push", &path, "j", "--gateway", &gw.url][..], extra].concat());
        assert_eq!(r.code, 0, "{extra:?}: {r:?}");
        peaks.push((extra, mib));
    }
    let protobuf = peaks[0].1;
    for (extra, mib) in &peaks[1..] {
        assert!(
            mib <= &(protobuf + 3),
            "{extra:?}: {mib} MiB, protobuf {protobuf} MiB"
        );
    }
}

/// A text body goes chunked (its length is known only once written) and
/// whole: the bytes the server decoded are the dry run's; so does a
/// gzipped one, which unzips to them.
#[test]
fn streamed_bodies_go_chunked_and_whole() {
    let (_dir, path) = artifact(&big(3_000));
    for extra in [&[][..], &["--compress", "gzip"][..]] {
        let s = Scripted::start(vec![Reply::Status(200, &[], "")]);
        let mut args = vec!["push", &path, "j", "--format", "text"];
        args.extend_from_slice(extra);
        let dry = simplepipe()
            .args(&args)
            .args(["--dry-run"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(dry.status.success());
        let r = run(&[&args[..], &["--gateway", &s.url]].concat());
        assert_eq!(r.code, 0, "{r:?}");
        let q = &s.requests()[0];
        assert_eq!(q.header("transfer-encoding"), Some("chunked"));
        assert_eq!(q.header("content-length"), None);
        let body = if extra.is_empty() {
            q.body.clone()
        } else {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&q.body[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        };
        assert!(
            body == dry.stdout,
            "{extra:?}: the sent body is the dry run's"
        );
    }
}

/// A plain protobuf body goes with its length while sizing it is cheap,
/// and chunked past 10,000 series, where sizing would be a pass over
/// every series before the first byte; either way it is the dry run's.
#[test]
fn a_protobuf_body_is_sized_only_while_that_is_cheap() {
    for (n, sized) in [(10_000, true), (10_001, false)] {
        let (_dir, path) = artifact(&big(n));
        let args = [
            "push",
            &path,
            "j",
            "--max-series",
            "20000",
            "--format",
            "protobuf",
        ];
        let dry = simplepipe()
            .args(args)
            .args(["--dry-run"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(dry.status.success());
        let s = Scripted::start(vec![Reply::Status(200, &[], "")]);
        let r = run(&[&args[..], &["--gateway", &s.url]].concat());
        assert_eq!(r.code, 0, "{r:?}");
        let q = &s.requests()[0];
        let len = dry.stdout.len().to_string();
        if sized {
            assert_eq!(q.header("content-length"), Some(len.as_str()), "{n}");
            assert_eq!(q.header("transfer-encoding"), None, "{n}");
        } else {
            assert_eq!(q.header("transfer-encoding"), Some("chunked"), "{n}");
            assert_eq!(q.header("content-length"), None, "{n}");
        }
        assert!(q.body == dry.stdout, "{n}: the sent body is the dry run's");
    }
}

/// Stdin goes through the same window as a file: refused at 10 series, a
/// 60,000-series artifact on stdin peaks no higher than 10 series do (it
/// was read whole first: +20 MiB in a debug build).
#[test]
fn stdin_is_read_through_the_window() {
    let (_dir, path) = artifact(&big(60_000));
    let (_small_dir, small) = artifact(&big(10));
    let args = ["push", "-", "j", "--dry-run", "--max-series", "10"];
    let stdin = |p: &str| Stdio::from(std::fs::File::open(p).unwrap());
    let (r, small_mib) = run_measured_with(&args, stdin(&small));
    assert_eq!(r.code, 0, "{r:?}");
    let (r, big_mib) = run_measured_with(&args, stdin(&path));
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr.contains("<stdin>: more than --max-series (10)"),
        "{r:?}"
    );
    assert!(
        big_mib <= small_mib + 4,
        "refused at 10 series: {big_mib} MiB, 10 series: {small_mib} MiB"
    );
}

/// Where the one pass gives way on stdin, the long way reads the copy it
/// spilled to $TMPDIR, then the rest of stdin: what it says and pushes is
/// what it says and pushes for the same file, and the copy is gone after.
#[test]
fn stdin_the_long_way_reads_its_copy_from_tmpdir() {
    let whole = big(3_000);
    let bad_last = format!(
        "{}, {{\"name\": \"late\", \"type\": \"gauge\", \"value\": \"x\"}}]}}",
        &whole[..whole.len() - 2]
    );
    let labels_last = format!(
        "{{\"metrics\": {}, \"labels\": {{\"pipeline\": \"stream\"}}}}",
        &whole[whole.find('[').unwrap()..whole.len() - 1]
    );
    let gzipped = {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(whole.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    let cases: [(&str, &[u8]); 4] = [
        ("a bad value in the last entry", bad_last.as_bytes()),
        ("labels after the entries", labels_last.as_bytes()),
        ("gzipped", &gzipped),
        ("cut short", &whole.as_bytes()[..whole.len() - 40]),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let tmpdir = tmp.path().to_str().unwrap();
    for (what, input) in cases {
        let (_dir, path) = artifact("");
        std::fs::write(&path, input).unwrap();
        let from_file = run(&["push", &path, "j", "--dry-run", "--format", "text"]);
        let out = simplepipe()
            .args(["push", "-", "j", "--dry-run", "--format", "text"])
            .env("TMPDIR", tmpdir)
            .stdin(Stdio::from(std::fs::File::open(&path).unwrap()))
            .output()
            .unwrap();
        let from_stdin = Run::from(out);
        assert_eq!(from_stdin.code, from_file.code, "{what}: {from_stdin:?}");
        assert!(
            from_stdin.stdout == from_file.stdout,
            "{what}: the same body"
        );
        assert_eq!(
            from_stdin.stderr,
            from_file.stderr.replace(&path, "<stdin>"),
            "{what}"
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{what}: {left:?} left in $TMPDIR");
    }
}
