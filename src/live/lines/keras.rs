//! Keras lines: `fit(..., verbose=2)` (and `verbose=1` when its output is
//! not a terminal) prints, per epoch,
//!
//! ```text
//! Epoch 3/10
//! 5/5 - 0s - 544us/step - accuracy: 0.3800 - loss: 0.8891 - val_accuracy: 0.3400 - val_loss: 0.8404
//! ```
//!
//! `Epoch N/M` gives the gauge `epoch` = N. In other lines, each ` - `
//! separated segment that is exactly `name: number` is a metric, so a lone
//! `val_loss: 0.7908` is one too, and so is the message part of Python's
//! `%(asctime)s - %(levelname)s - %(message)s` logging. A segment with
//! more in it (`Epoch 1: val_loss improved from inf to 0.79080`) is prose.

use memchr::{memchr, memchr_iter};

use super::{Format, Parsed};
use crate::model::parse_number;

/// A trimmed line.
pub(super) fn read<'a>(line: &'a str, out: &mut Parsed<'a>) {
    if let Some(epoch) = line.strip_prefix("Epoch ").and_then(epoch) {
        out.push("epoch", epoch);
        out.format = Some(Format::Keras);
        return;
    }
    let b = line.as_bytes();
    if !memchr_iter(b':', b).any(|i| b.get(i + 1) == Some(&b' ')) {
        return;
    }
    let before = out.readings.len();
    // Segments between ` - `, found by hand: a `&str` pattern sets up a
    // substring searcher on every call, which cost more than the rest.
    let mut start = 0;
    let dashes =
        memchr_iter(b'-', b).filter(|&i| i > 0 && b[i - 1] == b' ' && b.get(i + 1) == Some(&b' '));
    for end in dashes.map(|i| i - 1).chain([b.len()]) {
        if end >= start {
            segment(line[start..end].trim(), out);
            start = end + 3;
        }
    }
    if out.readings.len() > before && out.format.is_none() {
        out.format = Some(Format::Keras);
    }
}

/// `name: number`, exactly.
fn segment<'a>(s: &'a str, out: &mut Parsed<'a>) {
    let Some(colon) = memchr(b':', s.as_bytes()) else {
        return;
    };
    let (name, value) = (&s[..colon], &s[colon + 1..]);
    if value.starts_with(' ') && is_name(name) {
        if let Some(v) = parse_number(value) {
            out.push(name, v);
        }
    }
}

/// `N/M`, both counts.
fn epoch(rest: &str) -> Option<f64> {
    let (n, m) = rest.split_once('/')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(n) && digits(m)).then(|| n.parse().ok()).flatten()
}

/// A metric's name as Keras writes it (`val_accuracy`, custom names with
/// `-`, `.`, `/`): no spaces, starting with a letter or `_`.
fn is_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{v, values};

    #[test]
    // 0.6931 is a loss Keras printed, not an attempt at ln 2.
    #[allow(clippy::approx_constant)]
    fn epochs_and_segments() {
        assert_eq!(values("Epoch 3/10"), v(&[("epoch", 3.0)]));
        assert_eq!(
            values("32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - accuracy: 0.5200 - loss: 0.6944 - val_accuracy: 0.5000 - val_loss: 0.6929"),
            v(&[("accuracy", 0.52), ("loss", 0.6944), ("val_accuracy", 0.5), ("val_loss", 0.6929)])
        );
        assert_eq!(
            values("2026-11-21 10:00:00,123 - root - INFO - top-5/acc: 1.5e-3"),
            v(&[("top_5_acc", 1.5e-3)])
        );
    }

    #[test]
    fn verbose_1_redraws_with_colours_and_backspaces() {
        let redraw = "\x1b[1m3/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━\x1b[0m\x1b[37m━━━━━\x1b[0m \x1b[1m0s\x1b[0m 953ms/step - accuracy: 0.2500 - loss: 1.5205\x08\x08\x08";
        assert_eq!(values(redraw), v(&[("accuracy", 0.25), ("loss", 1.5205)]));
        let last = "\x1b[1m4/4\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m4s\x1b[0m 217ms/step - accuracy: 0.2500 - loss: 1.5326";
        assert_eq!(values(last), v(&[("accuracy", 0.25), ("loss", 1.5326)]));
    }

    #[test]
    fn prose_is_not_a_metric() {
        for line in [
            "Epoch 1: val_loss improved from inf to 0.79080, saving model to m.keras",
            "Epoch 3/10 done",
            "Epoch 3",
            "Python version: 3.11 (main)",
            "error: 3 files - warning: none",
            "time taken: 12.5",
            "5/5 - 0s - 544us/step",
        ] {
            assert_eq!(values(line), v(&[]), "{line}");
        }
    }
}
