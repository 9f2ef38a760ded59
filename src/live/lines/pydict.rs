//! Python dicts, as `print(d)` writes them: Hugging Face's Trainer logs
//! `{'loss': 0.41, 'grad_norm': 1.2, 'learning_rate': 4.5e-05, 'epoch': 0.5}`
//! and users can't change that. Keys in `'` or `"`; a value that is a
//! number (`3`, `4.5e-05`, `nan`, `-inf`) or a one-number wrapper
//! (`np.float64(0.3)`, `tensor(0.5)`) is a metric. Any other value
//! (strings, `True`, `None`, lists, nested dicts) is skipped quietly: the
//! Trainer's own dicts hold some, and the numbers beside them still count.
//!
//! A small scanner, not an evaluator: it only has to find where each value
//! ends (strings and brackets nest), which a regex can't.

use super::number;
use super::{Format, Parsed, Reading};

/// Read `{…}`; false when it is not a Python dict.
pub(super) fn read<'a>(text: &'a str, out: &mut Parsed<'a>) -> bool {
    let mut s = Scanner {
        b: text.as_bytes(),
        text,
        i: 1,
    };
    let mut readings = Vec::new();
    loop {
        s.spaces();
        if s.eat(b'}') {
            break;
        }
        let key = s.string();
        if key.is_none() && s.value().is_none() {
            return false;
        }
        s.spaces();
        if !s.eat(b':') {
            return false;
        }
        s.spaces();
        let Some(value) = s.value() else {
            return false;
        };
        if let (Some(k), Some(v)) = (key, value) {
            readings.push(Reading::new(k, v));
        }
        s.spaces();
        if !s.eat(b',') {
            s.spaces();
            if !s.eat(b'}') {
                return false;
            }
            break;
        }
    }
    if s.i != s.b.len() {
        return false;
    }
    out.format = Some(Format::PythonDict);
    out.readings.extend(readings);
    true
}

struct Scanner<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
}

impl<'a> Scanner<'a> {
    fn spaces(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    /// A quoted string's text (escapes left as written), after it.
    fn string(&mut self) -> Option<&'a str> {
        let quote = *self.b.get(self.i).filter(|q| matches!(q, b'\'' | b'"'))?;
        let start = self.i + 1;
        let mut j = start;
        while j < self.b.len() {
            match self.b[j] {
                b'\\' => j += 2,
                c if c == quote => {
                    self.i = j + 1;
                    return Some(&self.text[start..j]);
                }
                _ => j += 1,
            }
        }
        None
    }

    /// Past one value: `Some(Some(n))` a number, `Some(None)` anything
    /// else, `None` when the text is not a value.
    fn value(&mut self) -> Option<Option<f64>> {
        match *self.b.get(self.i)? {
            b'\'' | b'"' => self.string().map(|_| None),
            b'{' | b'[' | b'(' => self.nested().then_some(None),
            _ => {
                let token = self.token();
                if token.is_empty() {
                    return None;
                }
                if self.b.get(self.i) == Some(&b'(') {
                    return Some(self.call());
                }
                Some(number(token))
            }
        }
    }

    /// A run of the characters a Python number or name is written with.
    fn token(&mut self) -> &'a str {
        let start = self.i;
        while self
            .b
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'+' | b'-'))
        {
            self.i += 1;
        }
        &self.text[start..self.i]
    }

    /// `np.float64(0.3)`, `tensor(0.5, device='cuda:0')`: the first
    /// argument when it is a number.
    fn call(&mut self) -> Option<f64> {
        let open = self.i;
        self.i += 1;
        self.spaces();
        let first = number(self.token());
        self.spaces();
        let ends = matches!(self.b.get(self.i), Some(b')' | b','));
        self.i = open;
        let closed = self.nested();
        first.filter(|_| ends && closed)
    }

    /// Past a bracketed value, strings inside it included.
    fn nested(&mut self) -> bool {
        let mut depth = 0usize;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\'' | b'"' => {
                    if self.string().is_none() {
                        return false;
                    }
                    continue;
                }
                b'{' | b'[' | b'(' => depth += 1,
                b'}' | b']' | b')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        return true;
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{v, values};
    use super::super::{Format, LineParser};

    #[test]
    fn trainer_dicts() {
        let p = LineParser::new()
            .parse("{'loss': 0.41, 'grad_norm': 1.2, 'learning_rate': 4.5e-05, 'epoch': 0.5}");
        assert_eq!(p.format, Some(Format::PythonDict));
        assert!(p.warnings.is_empty());
        assert_eq!(
            values("{'eval_loss': 0.35, 'eval_runtime': 1.25, 'eval_samples_per_second': 80.0, 'epoch': 1.0}"),
            v(&[("eval_loss", 0.35), ("eval_runtime", 1.25), ("eval_samples_per_second", 80.0), ("epoch", 1.0)])
        );
    }

    #[test]
    fn non_numbers_are_skipped_quietly_and_numbers_in_wrappers_count() {
        let line = r#"{'model': 'bert, base', "it's": 2, 'ok': True, 'none': None, 'd': {'a': 1, 'b': "}"}, 'l': [1, (2, 3)], 'n': np.float64(0.3), 't': tensor(0.5, device='cuda:0'), 'x': nan, 'y': -inf, 'f': f(x), 1: 2, 'last': 7,}"#;
        let p = LineParser::new().parse(line);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let got: Vec<_> = p.readings.iter().map(|r| (&*r.name, r.value)).collect();
        assert_eq!(got[..3], [("it's", 2.0), ("n", 0.3), ("t", 0.5)]);
        assert!(got[3].1.is_nan());
        assert_eq!(got[4..], [("y", f64::NEG_INFINITY), ("last", 7.0)]);
        assert_eq!(values("{}"), v(&[]));
    }

    #[test]
    fn not_a_dict() {
        for line in [
            "{'a' 1}",
            "{'a': 1 'b': 2}",
            "{'a': 'open}",
            "{'a': (1}",
            "{'a': }",
        ] {
            let p = LineParser::new().parse(line);
            assert!(p.readings.is_empty(), "{line}");
            assert_eq!(p.warnings.len(), 1, "{line}: {:?}", p.warnings);
        }
    }
}
