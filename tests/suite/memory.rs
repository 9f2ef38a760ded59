//! Memory and CPU bounded by what came in (issue 23): each hostile shape
//! the issue measured is run at two sizes, N and 4 N MiB, under the binary
//! the suite builds (debug: its memory is the release binary's within a
//! few MB, its time a constant factor slower, which a ratio cancels).
//!
//! Asserted per shape: peak RSS (the child's own, from wait4) at most 8 x
//! the input + 64 MB, and CPU time (user + system, which a busy machine
//! does not inflate as it does wall time) at 4 N at most 6 x that at N:
//! linear is 4, the quadratic paths this guards against were 16 and more.
//! A ratio, never an absolute time; 0.2 s of slack for runs too short to
//! time. N is 1 MiB (the suite's cost: about 25 s of CPU on two cores);
//! `SIMPLEPIPE_MEMORY_MIB=4` runs the issue's own 4 and 16 MiB.
//!
//! `benches/memory.py` prints the same figures for any binary.

use std::process::Stdio;

use crate::common::run;

const MIB: usize = 1 << 20;

/// About `size` bytes of `head item,item,… tail`.
fn repeat(head: &str, item: &str, tail: &str, size: usize) -> String {
    let n = (size - head.len() - tail.len()) / (item.len() + 1);
    let mut s = String::with_capacity(size + item.len());
    s.push_str(head);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(item);
    }
    s.push_str(tail);
    s
}

/// A standard (JSON, which is YAML) with as many distinct metrics as fit.
fn standard(size: usize) -> String {
    let head = r#"{"apiVersion":"simplepipe/v1","kind":"Standard","metadata":{"name":"big"},"spec":{"jobs":["training"],"metrics":["#;
    let mut s = String::from(head);
    let mut i = 0;
    while s.len() < size - 40 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(r#"{{"name":"m{i:08}","type":"gauge"}}"#));
        i += 1;
    }
    s.push_str("]}}");
    s
}

/// A valid simple object of as many distinct gauges as `size` bytes hold
/// under `--max-series` (100,000): the most families a byte can bring.
/// The names are padded to fill the size.
fn gauges(size: usize) -> String {
    let n = (size / 14).min(99_000);
    let width = size / n - 6;
    let mut s = String::with_capacity(size + width);
    s.push('{');
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"m{i:0width$}\":1"));
    }
    s.push('}');
    s
}

/// A valid v0 array of as many distinct gauges as `size` bytes hold under
/// `--max-series`, their descriptions padded to fill the size.
fn v0_gauges(size: usize) -> String {
    let item = |i: usize, pad: &str| {
        format!(r#"{{"name":"m{i:08}","description":"{pad}","value":1,"metric_type":"gauge"}}"#)
    };
    let n = (size / (item(0, "").len() + 1)).min(99_000);
    let pad = "x".repeat((size / n).saturating_sub(item(0, "").len() + 1));
    let items: Vec<String> = (0..n).map(|i| item(i, &pad)).collect();
    format!("[{}]", items.join(","))
}

/// The same standard in block-style YAML, one `- name:` entry per metric.
fn standard_yaml(size: usize) -> String {
    let mut s = String::from(
        "apiVersion: simplepipe/v1\nkind: Standard\nmetadata:\n  name: big\nspec:\n  jobs: [training]\n  metrics:\n",
    );
    let mut i = 0;
    while s.len() < size - 40 {
        s.push_str(&format!("    - name: m{i:08}\n      type: gauge\n"));
        i += 1;
    }
    s
}

/// What one run cost: peak RSS in bytes, CPU seconds, exit code.
struct Cost {
    rss: u64,
    cpu: f64,
    code: i32,
}

/// Measures a child and prints `peak-RSS-bytes CPU-seconds exit-code`:
/// run from Python rather than from this process, because Linux records
/// the memory of the process that forks into the child's peak RSS, and
/// this test process (every test of the suite running beside it) is far
/// bigger than the figures asserted. The address space is capped at
/// 4 GiB, so that a regression fails instead of eating the machine.
const MEASURE: &str = r#"
import os, resource, subprocess, sys
cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=cap)
_, status, use = os.wait4(child.pid, 0)
child.returncode = 0
print(use.ru_maxrss * 1024, use.ru_utime + use.ru_stime, os.waitstatus_to_exitcode(status))
"#;

/// Run the binary on `args` under [`MEASURE`], its output dropped.
fn measured(args: &[&str]) -> Cost {
    let out = std::process::Command::new("python3")
        .args(["-c", MEASURE, env!("CARGO_BIN_EXE_simplepipe")])
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(f.len(), 3, "{text}{}", String::from_utf8_lossy(&out.stderr));
    Cost {
        rss: f[0].parse().unwrap(),
        cpu: f[1].parse().unwrap(),
        code: f[2].parse().unwrap(),
    }
}

/// The issue's goal for one shape: `build(size)` written to `file`, run
/// as `args` (with `{f}` the file) at N and 4 N MiB, exits `code` both
/// times, within 8 x input + 64 MB, and its CPU time grows linearly.
fn bounded(file: &str, build: fn(usize) -> String, args: &[&str], code: i32) {
    bounded_by(8, file, build, args, code);
}

/// [`bounded`] within `factor` x input + 64 MB.
fn bounded_by(factor: u64, file: &str, build: fn(usize) -> String, args: &[&str], code: i32) {
    let n: usize = std::env::var("SIMPLEPIPE_MEMORY_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    bounded_at(n, factor, file, build, args, code);
}

/// [`bounded_by`] at `n` and 4 `n` MiB.
fn bounded_at(
    n: usize,
    factor: u64,
    file: &str,
    build: fn(usize) -> String,
    args: &[&str],
    code: i32,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    let mut cpu = Vec::new();
    for size in [n * MIB, 4 * n * MIB] {
        std::fs::write(&path, build(size)).unwrap();
        let input = std::fs::metadata(&path).unwrap().len();
        let f = path.to_str().unwrap();
        let argv: Vec<&str> = args
            .iter()
            .map(|a| if *a == "{f}" { f } else { a })
            .collect();
        let cost = measured(&argv);
        let what = format!("{argv:?} on {} MiB", size / MIB);
        assert_eq!(cost.code, code, "{what}: exit code");
        let goal = factor * input + 64_000_000;
        assert!(
            cost.rss <= goal,
            "{what}: peak RSS {} MB, more than {factor} x {} MB + 64 MB",
            cost.rss / 1_000_000,
            input / 1_000_000
        );
        cpu.push(cost.cpu);
    }
    assert!(
        cpu[1] <= 6.0 * cpu[0] + 0.2,
        "{file}: CPU {:.2} s at 4 x the input of {:.2} s: more than linear",
        cpu[1],
        cpu[0]
    );
}

/// `[0,0,…]` read as the v0 format: 3.6 GB at 16 MiB, every problem kept;
/// then 296 MB, the document parsed whole into serde_json's `Value` (32
/// bytes for each 2-byte `0,`): its items are now read one at a time.
#[test]
fn v0_array_of_scalars() {
    let build = |s| repeat("[", "0", "]", s);
    bounded("v0.json", build, &["validate", "{f}"], 4);
}

/// The same with `--output json`, which honours the cap.
#[test]
fn v0_array_of_scalars_as_json() {
    let args = ["validate", "--output", "json", "{f}"];
    bounded("v0.json", |s| repeat("[", "0", "]", s), &args, 4);
}

/// `{"metrics":[{},{},…]}`: 2.4 GB at 16 MiB, two problems an entry kept.
#[test]
fn native_empty_entries() {
    let build = |s| repeat(r#"{"metrics":["#, "{}", "]}", s);
    bounded("m.json", build, &["validate", "{f}"], 4);
}

/// `{"a":[0,…]}`: quadratic (the one-pass window parsed the array again
/// at each refill), and its message quoted the whole array; then parsed
/// whole (295 MB at 16 MiB): the array is now kept by its start only.
#[test]
fn simple_key_holding_an_array() {
    let build = |s| repeat(r#"{"a":["#, "0", "]}", s);
    bounded("a.json", build, &["validate", "{f}"], 4);
}

/// A valid simple object of up to 99,000 gauges (75,000 at 1 MiB): each
/// family's one series took the room of four (288 bytes), 84 MB for
/// 100,000 gauges in 1.4 MB.
#[test]
fn simple_many_gauges() {
    bounded("g.json", gauges, &["validate", "{f}"], 0);
}

/// A valid v0 array of up to 99,000 gauges: parsed whole into a `Value`,
/// 110 MB at 4 MiB (60,000 gauges).
#[test]
fn v0_many_gauges() {
    bounded("v.json", v0_gauges, &["validate", "{f}"], 0);
}

/// One giant string token: the window parsed it again at each refill
/// (n² / 256 KiB). At 4 and 16 MiB always: at 1 and 4 the quadratic cost
/// is still too small to time (0.3 s).
#[test]
fn one_giant_token() {
    let build = |s: usize| {
        let head = r#"{"metrics":[{"name":"a","type":"gauge","value":1,"help":""#;
        format!("{head}{}\"}}]}}", "x".repeat(s - head.len() - 4))
    };
    bounded_at(4, 8, "t.json", build, &["validate", "{f}"], 0);
}

/// A standard of many metrics: its duplicate check searched the earlier
/// ones for each (40,000 metrics took 1.9 s), and the YAML reader
/// (yaml_serde) held every event of the document, about 100 bytes a
/// scalar, before it built the standard (459 MB at 16 MiB); a JSON
/// standard is now read by serde_json as it comes.
#[test]
fn standard_with_many_metrics() {
    bounded("std.json", standard, &["rules", "{f}"], 0);
}

/// The same in block-style YAML, read by serde-saphyr as it comes
/// (yaml_serde: 418 MB at 16 MiB).
#[test]
fn standard_in_block_yaml() {
    bounded("std.yaml", standard_yaml, &["rules", "{f}"], 0);
}

/// The dashboard of such a standard, two panels a metric: built whole as
/// a `Value` and then a `String`, over 4 GB at 4 MiB; now written panel by
/// panel (its output, about 80 x the input, is not held).
#[test]
fn dashboard_of_many_metrics() {
    bounded("std.json", standard, &["dashboard", "{f}"], 0);
}

/// The same wrapped in a ConfigMap (1.26 GB at 1 MiB built whole).
#[test]
fn dashboard_configmap_of_many_metrics() {
    bounded(
        "std.json",
        standard,
        &["dashboard", "--configmap", "{f}"],
        0,
    );
}

/// An artifact validated against such a standard: the standard was
/// compiled to one JSON Schema rule a metric (2 GB at 4 MiB, and CPU
/// growing as entries x metrics), and recognised through a yaml_serde
/// `Value` of every event; now only the rules for the metrics the artifact
/// names are compiled, and a standard is recognised by `kind` and
/// `apiVersion` alone.
#[test]
fn validate_against_a_big_standard() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("a.json");
    std::fs::write(
        &artifact,
        r#"{"metrics":[{"name":"m00000001","type":"gauge","value":1},{"name":"m00000007","type":"gauge","value":2}]}"#,
    )
    .unwrap();
    let args = ["validate", "--schema", "{f}", artifact.to_str().unwrap()];
    bounded("std.json", standard, &args, 0);
    let args = ["validate", "--schema", "{f}", artifact.to_str().unwrap()];
    bounded("std.yaml", standard_yaml, &args, 0);
    // Every metric required, the artifact naming two: a `contains` each
    // compiled took 262 MB for a 1.5 MB standard.
    let required = |s| standard(s).replace(r#""gauge"}"#, r#""gauge","required":true}"#);
    bounded("std.json", required, &args, 4);
}

/// The JSON Schema such a standard compiles to (`schemas --from`), 16 x
/// its size: built whole as a `Value` it took 1.97 GB at 4 MiB; now written
/// a metric's rule at a time.
#[test]
fn schema_from_a_big_standard() {
    bounded("std.json", standard, &["schemas", "--from", "{f}"], 0);
}

/// Deeply nested YAML: the YAML parser is quadratic in the depth (100,000
/// levels took 21.9 s); refused before parsing, exit 2.
#[test]
fn deeply_nested_yaml() {
    let build = |s: usize| format!("{}{}", "[".repeat(s / 2), "]".repeat(s / 2));
    bounded("deep.yaml", build, &["rules", "{f}"], 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.yaml");
    std::fs::write(&path, build(1000)).unwrap();
    let r = run(&["rules", path.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("/: nested more than 128 levels deep (line 1)"),
        "{}",
        r.stderr
    );
}
