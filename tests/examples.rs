//! Snapshot tests: the exact text body for every file in `examples/`.
//! The encoder is pure, so these run the library stages directly, with a
//! fixed clock for the `_created` series of the original format.

use std::path::Path;

use simplepipe::config::Source;
use simplepipe::encode;
use simplepipe::model::Extra;

fn body(path: &Path) -> String {
    let src = Source::Path(path.to_path_buf());
    let bytes = std::fs::read(path).unwrap();
    let extra = Extra {
        grouping: vec!["job".into()],
        now: 1_700_000_000.5,
        ..Extra::default()
    };
    let (model, _) = simplepipe::check(&bytes, &src, None, &extra).unwrap();
    encode::text(&model.families)
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
