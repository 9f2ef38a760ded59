//! tqdm progress bars (and PyTorch Lightning's, which are tqdm's), as they
//! are redrawn with `\r` on stderr:
//!
//! ```text
//! Epoch 0: 100%|██████████| 20/20 [00:00<00:00, 48.1it/s, train_loss=0.05, lr=0.0001]
//! ```
//!
//! Only the postfix counts: the `key=value` items after the elapsed time
//! and the rate, whose number values are metrics (`set_postfix(loss=…)`).
//! The bar, the counts, `48.1it/s` and non-number values (`mode=train`)
//! don't. A key may hold spaces (`val acc=0.5`); the name rule makes it
//! `val_acc`. Each `\r` redraw is a line, so the last one drawn wins.

use memchr::memchr_iter;

use super::{Format, Parsed};
use crate::model::parse_number;

/// The inside of the bar's closing `[elapsed<remaining, rate, postfix…]`
/// (or `[elapsed, rate…]` without a total), in a trimmed line.
pub(super) fn postfix(line: &str) -> Option<&str> {
    let inner = line.strip_suffix(']')?;
    let b = inner.as_bytes();
    let open = memchr_iter(b'[', b).find(|&i| elapsed(&b[i + 1..]))?;
    Some(&inner[open + 1..])
}

/// `00:00<`, `1:02:03,`: tqdm's elapsed time, then `<` or `,`.
fn elapsed(b: &[u8]) -> bool {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || b.get(digits) != Some(&b':') {
        return false;
    }
    let rest = &b[digits + 1..];
    let time = rest
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b':')
        .count();
    time >= 2 && matches!(rest.get(time), Some(b'<' | b','))
}

pub(super) fn read<'a>(inside: &'a str, out: &mut Parsed<'a>) {
    out.format = Some(Format::Tqdm);
    // The time and the rate come first; a postfix item has a `=`.
    for item in inside.split(", ").skip(2) {
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if let Some(v) = parse_number(value).filter(|_| !key.is_empty()) {
            out.push(key, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{v, values};
    use super::super::{Format, LineParser};

    #[test]
    fn postfixes() {
        assert_eq!(
            values("Epoch 0: 100%|██████████| 20/20 [00:00<00:00, 48.1it/s, train_loss=0.05, lr=0.0001]"),
            v(&[("train_loss", 0.05), ("lr", 0.0001)])
        );
        // Real tqdm 4.70 output: strings skipped, spaces in keys, a trailing space.
        assert_eq!(
            values("Epoch 0:   0%|          | 0/5 [00:00<?, ?it/s, lr=0.0001, mode=train, step=3, train_loss=0.25, val acc=0.5] "),
            v(&[("lr", 0.0001), ("step", 3.0), ("train_loss", 0.25), ("val_acc", 0.5)])
        );
        assert_eq!(
            values("3it [00:00, 57985.77it/s, loss=5]"),
            v(&[("loss", 5.0)])
        );
        assert_eq!(
            values("Validation DataLoader 0: 100%|██| 4/4 [1:02:03<00:00, 2.31s/it, v_num=1, val_loss= 0.3]"),
            v(&[("v_num", 1.0), ("val_loss", 0.3)])
        );
    }

    #[test]
    fn a_bar_without_a_postfix_is_recognised_and_holds_nothing() {
        let p = LineParser::new().parse("100%|██████████| 3/3 [00:00<00:00, 123361.88batch/s]");
        assert_eq!((p.readings.len(), p.format), (0, Some(Format::Tqdm)));
        // Brackets that are not a bar's.
        assert_eq!(
            values("[train] epoch=1 loss=0.5 [done]"),
            v(&[("epoch", 1.0), ("loss", 0.5)])
        );
        assert_eq!(values("at [12:3, x] a=1"), v(&[("a", 1.0)]));
    }
}
