//! The committed fuzz corpus (`fuzz/corpus/pipeline`), run through the same
//! checks as the `pipeline` fuzz target on every CI run: no input may panic
//! the pipeline, and every accepted one encodes to legal sample values. The
//! fuzzer itself needs nightly and cargo-fuzz; its finds stay guarded here.

use simplepipe::artifact::BuildOptions;
use simplepipe::encode;
use simplepipe::source::Source;

fn fuzz_one(data: &[u8]) {
    let opts = BuildOptions {
        grouping: vec!["job".into(), "user".into()],
        labels: vec![("env".into(), "fuzz".into())],
        now: 1.7e9,
        ..BuildOptions::default()
    };
    if let Ok((model, _)) = simplepipe::check(data, &Source::Stdin, None, &opts) {
        let text = encode::text(&model.families);
        for line in text
            .split('\n')
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let value = line.rsplit(' ').next().unwrap();
            assert!(
                matches!(value, "NaN" | "+Inf" | "-Inf") || value.parse::<f64>().is_ok(),
                "bad value in {line:?}"
            );
        }
        let _ = encode::protobuf(&model.families);
    }
}

#[test]
fn fuzz_corpus_runs_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/pipeline");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 1000, "the committed corpus is there");
    for p in files {
        fuzz_one(&std::fs::read(p).unwrap());
    }
}
