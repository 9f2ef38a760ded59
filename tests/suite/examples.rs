//! Snapshot tests: the exact text body, the protobuf body (what goes on
//! the wire, decoded to protobuf's text format), the remote-write requests
//! (decoded from snappy and protobuf) and the InfluxDB line protocol, for
//! every file in `examples/`. The encoders are pure, so these run the
//! library stages directly, with a fixed clock for the `_created` series of
//! the original format and for the remote-write and line-protocol
//! timestamps.

use std::fmt::Write;
use std::path::Path;

use simplepipe::artifact::BuildOptions as Extra;
use simplepipe::encode;
use simplepipe::encode::remote_write;
use simplepipe::source::Source;

fn families(path: &Path) -> Vec<simplepipe::model::Family> {
    let src = Source::Path(path.to_path_buf());
    let bytes = std::fs::read(path).unwrap();
    let extra = Extra {
        grouping: vec!["job".into()],
        now: 1_700_000_000.5,
        ..Extra::default()
    };
    simplepipe::check(&bytes, &src, None, &extra)
        .unwrap()
        .0
        .families
}

/// The delimited protobuf body, each `MetricFamily` in protobuf text format.
fn protobuf_body(path: &Path) -> String {
    use protobuf::Message;
    let bytes = encode::protobuf(&families(path));
    let mut input = protobuf::CodedInputStream::from_bytes(&bytes);
    let mut out = String::new();
    while !input.eof().unwrap() {
        let len = input.read_raw_varint64().unwrap();
        let old = input.push_limit(len).unwrap();
        let mf = prometheus::proto::MetricFamily::parse_from_reader(&mut input).unwrap();
        input.pop_limit(old);
        out.push_str(&protobuf::text_format::print_to_string_pretty(&mf));
        out.push_str("---\n");
    }
    out
}

/// What a remote-write receiver gets: every request decoded from snappy and
/// protobuf, each series with all its labels in wire order, its value and
/// timestamp. Requests of 4 samples, so the snapshots show the split too.
fn remote_write_requests(path: &Path) -> String {
    let common = [
        ("job".to_string(), "training".to_string()),
        ("user".to_string(), "alice".to_string()),
    ];
    let chunks = remote_write::requests(&families(path), &common, 1_700_000_000_123, 4);
    let mut out = String::new();
    for (i, chunk) in chunks.iter().enumerate() {
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

/// The InfluxDB line-protocol body with fixed tags and push time, under a
/// header line with the counts (what `push --influx … --dry-run` prints).
fn line_protocol_body(path: &Path) -> String {
    let tags = [
        ("job".to_string(), "examples".to_string()),
        ("user".to_string(), "alice".to_string()),
    ];
    let out =
        encode::line_protocol::encode(&families(path), &tags, 1_700_000_000_500, 5000).unwrap();
    format!(
        "# {} lines, {} skipped (first: {})\n{}",
        out.lines,
        out.skipped,
        out.first_skipped.as_deref().unwrap_or("-"),
        out.body()
    )
}

#[test]
fn every_example_encodes_as_snapshotted() {
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
    for p in files {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name.clone(), encode::text(&families(&p)));
        insta::assert_snapshot!(format!("{name}.protobuf"), protobuf_body(&p));
        insta::assert_snapshot!(format!("{name}.remote_write"), remote_write_requests(&p));
        insta::assert_snapshot!(format!("{name}.influx"), line_protocol_body(&p));
    }
}
