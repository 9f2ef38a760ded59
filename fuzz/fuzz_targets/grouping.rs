//! Grouping key → URL: never panics, and every value round-trips through
//! the path (plain, or `@base64`).
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let values: Vec<&str> = text.split('\u{0}').take(6).collect();
    let grouping: Vec<(String, String)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("k{i}"), v.to_string()))
        .collect();
    let base = reqwest::Url::parse("http://gw:9091/p").unwrap();
    let url = simplepipe::pushgateway::group_url(&base, &grouping);
    let segs: Vec<&str> = url.path_segments().unwrap().collect();
    assert_eq!(&segs[..2], &["p", "metrics"]);
    for (i, pair) in segs[2..].chunks(2).enumerate() {
        let got = match pair[0].strip_suffix("@base64") {
            Some(_) => {
                let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(pair[1].trim_end_matches('='))
                    .expect("valid base64");
                String::from_utf8(raw).unwrap()
            }
            None => pair[1].to_string(),
        };
        assert_eq!(got, values[i]);
    }
});
