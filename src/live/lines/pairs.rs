//! `name=value` pairs, anywhere in a line and several per line:
//! `epoch=3 loss=0.41 accuracy=0.88`, `Epoch 3: loss = 0.41, lr=1e-5.`,
//! and with labels as `--metric` writes them: `loss{split="val"}=0.31`
//! (the label grammar is [`crate::model::label_set`], shared with `--metric`).
//!
//! Katib's own regex stops at the `e` of `1e-5`; here a value is whatever
//! [`crate::model::parse_number`] accepts, so exponents, `NaN` and `Inf`
//! spellings work. A pair whose value is not a number (`mode=train`,
//! `path=/tmp/x`) is not a metric and is skipped silently: logs are full of
//! them. A name may hold `-`, `.` and `/` (`val/accuracy=0.63`); the name
//! rule makes it legal.

use memchr::memchr2;

use super::number;
use super::{Format, Parsed, Reading};
use crate::model::label_set;

/// Characters a name may be made of in a `name=value` pair.
fn name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.' | b'/')
}

/// Characters that end a pair's value besides whitespace: `loss=0.4,
/// acc=0.9;` and `(lr=1e-3)` are common.
fn value_end(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b',' | b';' | b')' | b']' | b'}' | b'|')
}

/// Every pair in a line (spaces around `=` allowed, as Katib allows them).
pub(super) fn read<'a>(line: &'a str, out: &mut Parsed<'a>) {
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(off) = memchr2(b'=', b'{', &b[i..]) {
        let at = i + off;
        i = at + 1;
        let next = if b[at] == b'{' {
            labelled(line, at, out)
        } else {
            plain(line, at, out)
        };
        if let Some(next) = next {
            out.format = Some(Format::Pairs);
            i = next;
        }
    }
}

/// `name = value` around the `=` at `eq`; where the scan goes on.
fn plain<'a>(line: &'a str, eq: usize, out: &mut Parsed<'a>) -> Option<usize> {
    let b = line.as_bytes();
    let mut end = eq;
    while end > 0 && b[end - 1] == b' ' {
        end -= 1;
    }
    let start = name_start(b, end)?;
    let (v, next) = value(line, eq + 1)?;
    out.push(&line[start..end], v);
    Some(next)
}

/// `name{labels} = value` with the `{` at `brace`.
fn labelled<'a>(line: &'a str, brace: usize, out: &mut Parsed<'a>) -> Option<usize> {
    let start = name_start(line.as_bytes(), brace)?;
    let name = &line[start..brace];
    let (labels, tail) = match label_set(&line[brace + 1..]) {
        Ok(parsed) => parsed,
        Err(why) => {
            // Only a line that looks like it meant a labelled pair is told.
            let rest = &line[brace..];
            if let Some(close) = rest.find("}=").or_else(|| rest.find("} =")) {
                let meant = rest[close + 1..].trim_start_matches([' ', '=']);
                if value(meant, 0).is_some() {
                    out.warnings.push(format!(
                        "{name}{{…}}: {why} (labels are written as --metric takes them: loss{{split=\"val\"}}=0.31)"
                    ));
                }
            }
            return None;
        }
    };
    let eq = line.len() - tail.trim_start_matches(' ').len();
    if line.as_bytes().get(eq) != Some(&b'=') {
        return None;
    }
    let (v, next) = value(line, eq + 1)?;
    out.readings.push(Reading {
        labels,
        ..Reading::new(name, v)
    });
    Some(next)
}

/// Where the name that ends at `end` starts: at the line's start or after
/// whitespace or punctuation, beginning with a letter or `_` (`--lr=0.1`
/// is a command-line flag, not a metric).
fn name_start(b: &[u8], end: usize) -> Option<usize> {
    let mut start = end;
    while start > 0 && name_char(b[start - 1]) {
        start -= 1;
    }
    let starts_well = start < end && (b[start].is_ascii_alphabetic() || b[start] == b'_');
    let after_boundary = start == 0
        || matches!(
            b[start - 1],
            b' ' | b'\t' | b',' | b';' | b'(' | b'[' | b'{' | b'|'
        );
    (starts_well && after_boundary).then_some(start)
}

/// The number starting at `from` (after spaces) and where it ends.
fn value(line: &str, from: usize) -> Option<(f64, usize)> {
    let b = line.as_bytes();
    let mut vs = from;
    while vs < b.len() && b[vs] == b' ' {
        vs += 1;
    }
    let mut ve = vs;
    while ve < b.len() && !value_end(b[ve]) && b[ve] != b'=' {
        ve += 1;
    }
    if ve < b.len() && b[ve] == b'=' {
        return None; // `a=b=c`: not a pair
    }
    let value = &line[vs..ve];
    // A trailing `.` ends a sentence ("loss=0.41."), it's not part of the number.
    let value = value
        .strip_suffix('.')
        .filter(|v| number(v).is_some())
        .unwrap_or(value);
    number(value).map(|v| (v, ve))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{v, values};
    use super::super::LineParser;

    #[test]
    fn katib_pairs_several_per_line() {
        assert_eq!(
            values("epoch=3 loss=0.41 accuracy=0.88"),
            v(&[("epoch", 3.0), ("loss", 0.41), ("accuracy", 0.88)])
        );
        assert_eq!(
            values("INFO Epoch 3: loss = 0.41, acc=0.9; lr=1e-5."),
            v(&[("loss", 0.41), ("acc", 0.9), ("lr", 1e-5)])
        );
    }

    #[test]
    fn exponents_and_non_finite_spellings() {
        assert_eq!(
            values("lr=1e-5 big=-2.5E+3 x=+4. y=.5"),
            v(&[("lr", 1e-5), ("big", -2500.0), ("x", 4.0), ("y", 0.5)])
        );
        let r = values("a=NaN b=inf c=-Infinity d=+Inf");
        assert!(r[0].1.is_nan());
        assert_eq!(
            r[1..],
            v(&[
                ("b", f64::INFINITY),
                ("c", f64::NEG_INFINITY),
                ("d", f64::INFINITY)
            ])[..]
        );
    }

    #[test]
    fn non_numbers_and_flags_are_not_metrics() {
        assert!(values("mode=train path=/tmp/x url=http://a?b=1").is_empty());
        assert!(values("running: python train.py --lr=0.1 -x=2").is_empty());
        assert!(values("a=b=3 x== 4 =5 hello world").is_empty());
        assert!(values("").is_empty());
        assert!(values("x{a=\"1\"} y{b=\"2\"} = z{c=\"3\"}=").is_empty());
    }

    #[test]
    fn labels_as_metric_takes_them() {
        let p = LineParser::new().parse(
            r#"step 3: loss{split="val", model="a\"b"}=0.31 acc{split="val"} = 0.9 lr=1e-3"#,
        );
        let got: Vec<_> = p
            .readings
            .iter()
            .map(|r| (&*r.name, r.labels.clone(), r.value))
            .collect();
        let l = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            got,
            [
                ("loss", l(&[("split", "val"), ("model", "a\"b")]), 0.31),
                ("acc", l(&[("split", "val")]), 0.9),
                ("lr", l(&[]), 1e-3),
            ]
        );
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn a_broken_label_set_that_meant_a_metric_is_a_warning() {
        let p = LineParser::new().parse("loss{split=val}=0.31 acc=0.9");
        assert_eq!(
            p.warnings,
            [
                r#"loss{…}: the value of "split" must be in double quotes (labels are written as --metric takes them: loss{split="val"}=0.31)"#
            ]
        );
        // The rest of the line still counts.
        assert_eq!(values("loss{split=val}=0.31 acc=0.9"), v(&[("acc", 0.9)]));
        // Braces in ordinary text are not a warning.
        assert!(LineParser::new().parse("dict{a=b} {x}").warnings.is_empty());
    }
}
