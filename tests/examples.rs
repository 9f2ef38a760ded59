//! Snapshot tests: the exact text body for every file in `examples/`, and
//! the remote-write requests decoded back from the wire. The encoders are
//! pure, so these run the library stages directly, with a fixed clock for
//! the `_created` series of the original format and the samples' timestamp.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use simplepipe::config::Source;
use simplepipe::encode;
use simplepipe::encode::remote_write;
use simplepipe::model::{Extra, Family};

fn families(path: &Path) -> Vec<Family> {
    let src = Source::Path(path.to_path_buf());
    let bytes = std::fs::read(path).unwrap();
    let extra = Extra {
        grouping: vec!["job".into(), "user".into()],
        now: 1_700_000_000.5,
        ..Extra::default()
    };
    let (model, _) = simplepipe::check(&bytes, &src, None, &extra).unwrap();
    model.families
}

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("examples/admin/run-ok.json")];
    for e in std::fs::read_dir(root.join("examples")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            files.push(p);
        }
    }
    files.sort();
    assert!(files.len() >= 6, "{files:?}");
    files
}

fn name(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_example_encodes_as_snapshotted() {
    for p in examples() {
        insta::assert_snapshot!(name(&p), encode::text(&families(&p)));
    }
}

/// What a receiver gets: every request decoded from snappy and protobuf,
/// each series with all its labels in wire order, value and timestamp.
fn received(families: &[Family]) -> String {
    let common = [
        ("job".to_string(), "training".to_string()),
        ("user".to_string(), "alice".to_string()),
    ];
    let mut out = String::new();
    // Requests of 4 samples, so the snapshots show the split too.
    for (i, chunk) in remote_write::requests(families, &common, 1_700_000_000_123, 4)
        .iter()
        .enumerate()
    {
        let req = remote_write::decode(&chunk.body).unwrap();
        assert_eq!(req.timeseries.len(), chunk.samples);
        writeln!(out, "request {i}: {} samples", chunk.samples).unwrap();
        for ts in &req.timeseries {
            let labels: Vec<String> = ts
                .labels
                .iter()
                .map(|l| format!("{}={:?}", l.name, l.value))
                .collect();
            let samples: Vec<String> = ts
                .samples
                .iter()
                .map(|s| format!("{} @{}", s.value, s.timestamp))
                .collect();
            writeln!(out, "  {} => {}", labels.join(" "), samples.join(", ")).unwrap();
        }
    }
    out
}

#[test]
fn every_example_remote_writes_as_snapshotted() {
    for p in examples() {
        insta::assert_snapshot!(
            format!("remote_write-{}", name(&p)),
            received(&families(&p))
        );
    }
}
