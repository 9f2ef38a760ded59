//! The dashboard as pretty JSON, written panel by panel as
//! `dashboard::panels` makes them: the whole dashboard as one `Value`
//! and then one `String` took gigabytes for a standard of many metrics
//! (over 4 GB for 4 MiB of standard). The bytes are those of
//! `serde_json::to_string_pretty(&dashboard(..))`, which a test holds.

use std::io::{self, Write};

use serde_json::Value;

use super::dashboard::{self, Storage};
use super::Standard;

/// Where the panels go in the envelope's pretty text: serde_json writes
/// map keys in order, `panels` at the top level, indented by two spaces.
const PANELS: &str = "\n  \"panels\": []";

/// Write the dashboard of `std` to `out`, as pretty JSON and a newline.
pub fn write_pretty(std: &Standard, storage: Storage, out: &mut dyn Write) -> io::Result<()> {
    let around = pretty(&dashboard::envelope(std, Vec::new()));
    let at = around.find(PANELS).expect("the envelope has panels");
    let (head, tail) = (
        &around[..at + PANELS.len() - 1],
        &around[at + PANELS.len()..],
    );
    out.write_all(head.as_bytes())?;
    let mut first = true;
    let mut failed = None;
    dashboard::panels(std, storage, &mut |panel| {
        if failed.is_some() {
            return;
        }
        // A panel is two levels down: each of its lines four spaces in
        // (a JSON string holds no raw newline, so every `\n` is a line's).
        let text = pretty(&panel).replace('\n', "\n    ");
        let sep = if first { "\n    " } else { ",\n    " };
        first = false;
        failed = out
            .write_all(sep.as_bytes())
            .and_then(|()| out.write_all(text.as_bytes()))
            .err();
    });
    if let Some(e) = failed {
        return Err(e);
    }
    out.write_all(if first { b"]" } else { b"\n  ]" })?;
    out.write_all(tail.as_bytes())?;
    out.write_all(b"\n")
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("JSON serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_as_the_whole_dashboard() {
        let std = crate::standard::tests::example();
        for storage in [Storage::Pushgateway, Storage::RemoteWrite] {
            let mut out = Vec::new();
            write_pretty(&std, storage, &mut out).unwrap();
            let whole = pretty(&dashboard::dashboard(&std, storage)) + "\n";
            assert_eq!(String::from_utf8(out).unwrap(), whole);
        }
    }
}
