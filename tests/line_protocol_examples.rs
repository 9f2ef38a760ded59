//! Snapshot tests: the exact line-protocol body for every file in
//! `examples/`, with fixed grouping tags and a fixed push time (what
//! `simplepipe push --influx … --dry-run` prints). The header line says how
//! many lines were written and how many NaN/±Inf values were skipped.

use std::path::Path;

use simplepipe::artifact::BuildOptions as Extra;
use simplepipe::encode::line_protocol;
use simplepipe::source::Source;

fn body(path: &Path) -> String {
    let src = Source::Path(path.to_path_buf());
    let bytes = std::fs::read(path).unwrap();
    let extra = Extra {
        grouping: vec!["job".into(), "user".into()],
        now: 1_700_000_000.5,
        ..Extra::default()
    };
    let (model, _) = simplepipe::check(&bytes, &src, None, &extra).unwrap();
    let tags = [
        ("job".to_string(), "examples".to_string()),
        ("user".to_string(), "alice".to_string()),
    ];
    let out = line_protocol::encode(&model.families, &tags, 1_700_000_000_500, 5000).unwrap();
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
        insta::assert_snapshot!(name, body(&p));
    }
}
