//! parse → validate → model → encode on arbitrary bytes: must never panic,
//! and whatever is accepted must encode to well-formed exposition lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simplepipe::source::Source;
use simplepipe::artifact::BuildOptions as Extra;

fuzz_target!(|data: &[u8]| {
    let extra = Extra {
        grouping: vec!["job".into(), "user".into()],
        labels: vec![("env".into(), "fuzz".into())],
        now: 1.7e9,
        ..Extra::default()
    };
    if let Ok((model, _)) = simplepipe::check(data, &Source::Stdin, None, &extra) {
        let text = simplepipe::encode::text(&model.families);
        for line in text.split('\n').filter(|l| !l.is_empty()) {
            // Every line is a comment or `name[{labels}] value`; the value
            // after the last space parses as a float.
            if !line.starts_with('#') {
                let value = line.rsplit(' ').next().unwrap();
                assert!(
                    matches!(value, "NaN" | "+Inf" | "-Inf") || value.parse::<f64>().is_ok(),
                    "bad value in {line:?}"
                );
            }
        }
    }
});
