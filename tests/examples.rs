//! Snapshot tests: the exact text body, and the protobuf body (what goes on
//! the wire, decoded to protobuf's text format), for every file in
//! `examples/`. The encoders are pure, so these run the library stages
//! directly, with a fixed clock for the `_created` series of the original
//! format.

use std::path::Path;

use simplepipe::artifact::BuildOptions as Extra;
use simplepipe::encode;
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
    }
}
