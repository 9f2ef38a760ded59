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

/// Write the dashboard of `std` wrapped in its ConfigMap, the JSON as a
/// literal block (`|-`), each line four spaces in, as yaml_serde writes
/// it; when a text of the standard holds a character that makes YAML
/// quote the block instead, the ConfigMap is built whole as before.
pub fn write_configmap(std: &Standard, storage: Storage, out: &mut dyn Write) -> io::Result<()> {
    const HERE: &str = "SIMPLEPIPE_DASHBOARD_JSON";
    if !block_safe(std) {
        return out.write_all(dashboard::configmap_yaml(std, storage).as_bytes());
    }
    let around = dashboard::configmap_around(std, HERE.to_string());
    let mark = format!(": {HERE}\n");
    let (head, tail) = around.split_once(&mark).expect("the placeholder is plain");
    out.write_all(head.as_bytes())?;
    out.write_all(b": |-\n")?;
    write_pretty(std, storage, &mut Indented { out, pending: true })?;
    out.write_all(tail.as_bytes())
}

/// Whether every text the dashboard takes from the standard can stand in
/// a YAML literal block: libyaml quotes a block holding a character it
/// can't print (DEL, C1 controls but NEL, U+FEFF, U+FFFE, U+FFFF) or
/// breaks a line at NEL, U+2028 and U+2029. serde_json escapes the rest.
fn block_safe(std: &Standard) -> bool {
    let odd = |t: &str| {
        t.chars().any(|c| {
            ('\u{7f}'..='\u{9f}').contains(&c)
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                )
        })
    };
    let s = &std.spec;
    let m = &std.metadata;
    !(odd(&m.name)
        || m.description.as_deref().is_some_and(odd)
        || odd(&s.outcome_job)
        || s.jobs.iter().any(|j| odd(j))
        || s.metrics.iter().any(|r| {
            odd(&r.name)
                || r.help.as_deref().is_some_and(odd)
                || r.unit.as_deref().is_some_and(odd)
                || r.labels.iter().any(|l| odd(l))
        }))
}

/// Each line written through it four spaces in, a YAML block's lines.
struct Indented<'a> {
    out: &'a mut dyn Write,
    /// A line has ended and the next byte starts one.
    pending: bool,
}

impl Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for line in buf.split_inclusive(|b| *b == b'\n') {
            if self.pending {
                self.out.write_all(b"    ")?;
            }
            self.out.write_all(line)?;
            self.pending = line.ends_with(b"\n");
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
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

    #[test]
    fn the_same_configmap_as_built_whole() {
        let mut std = crate::standard::tests::example();
        for help in [None, Some("line\u{2028}break \u{85} \u{7f}".to_string())] {
            if help.is_some() {
                std.spec.metrics[0].help = help;
                assert!(!block_safe(&std));
            }
            for storage in [Storage::Pushgateway, Storage::RemoteWrite] {
                let mut out = Vec::new();
                write_configmap(&std, storage, &mut out).unwrap();
                let whole = dashboard::configmap_yaml(&std, storage);
                assert_eq!(String::from_utf8(out).unwrap(), whole);
            }
        }
    }
}
