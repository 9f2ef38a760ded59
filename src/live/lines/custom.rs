//! `--metrics-regex`: a user's own line format, with two groups (name,
//! value), or groups named `name` and `value`. It reads every line besides
//! the built-in readers (`--metrics-format none` leaves it alone).

use anyhow::{anyhow, Result};
use regex::Regex;

use super::{Format, Parsed};
use crate::model::parse_number;

#[derive(Debug, Clone)]
pub(super) struct Custom {
    regex: Regex,
    name: usize,
    value: usize,
}

impl Custom {
    pub(super) fn new(pattern: &str) -> Result<Custom> {
        let regex = Regex::new(pattern)
            .map_err(|e| anyhow!("--metrics-regex {pattern:?} is not a valid regex: {e}"))?;
        let named = |n: &str| regex.capture_names().position(|c| c == Some(n));
        let (name, value) = match (named("name"), named("value")) {
            (Some(n), Some(v)) => (n, v),
            _ if regex.captures_len() == 3 => (1, 2),
            _ => {
                return Err(anyhow!(
                    "--metrics-regex {pattern:?} has {} groups; it needs two, the name then the value (e.g. '([a-z_]+): ([0-9.eE+-]+)'), or groups named `name` and `value`",
                    regex.captures_len() - 1
                ))
            }
        };
        Ok(Custom { regex, name, value })
    }

    pub(super) fn read<'a>(&self, line: &'a str, out: &mut Parsed<'a>) {
        for caps in self.regex.captures_iter(line) {
            let (Some(name), Some(value)) = (caps.get(self.name), caps.get(self.value)) else {
                continue;
            };
            match parse_number(value.as_str()) {
                Some(v) => {
                    out.push(name.as_str(), v);
                    out.format.get_or_insert(Format::Regex);
                }
                None => out.warnings.push(format!(
                    "{:?}: {:?} is not a number (--metrics-regex matched it as the value)",
                    name.as_str(),
                    value.as_str()
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::LineParser;

    fn read(p: &LineParser, line: &str) -> Vec<(String, f64)> {
        p.parse(line)
            .readings
            .into_iter()
            .map(|r| (r.name.into_owned(), r.value))
            .collect()
    }

    #[test]
    fn custom_regex() {
        let p = LineParser::configured(false, Some(r"(\w+): ([0-9.eE+-]+)"), false).unwrap();
        assert_eq!(
            read(&p, "step 7 | loss: 1.5e-2 | acc: 0.9 | note: n/a"),
            [("loss".to_string(), 0.015), ("acc".to_string(), 0.9)]
        );
        let p = LineParser::configured(false, Some(r"(?P<value>[0-9.]+) (?P<name>\w+)"), false)
            .unwrap();
        assert_eq!(p.parse("got 3 apples").readings[0].name, "apples");
        let p = LineParser::configured(false, Some(r"(\w+)=(\S+)"), false).unwrap();
        assert_eq!(
            p.parse("a=zz").warnings,
            vec![r#""a": "zz" is not a number (--metrics-regex matched it as the value)"#]
        );
    }

    #[test]
    fn it_adds_to_the_built_in_readers() {
        let p = LineParser::with_regex(r"(\w+) is ([0-9.]+)").unwrap();
        assert_eq!(
            read(&p, "loss=0.5 and acc is 0.9"),
            [("loss".to_string(), 0.5), ("acc".to_string(), 0.9)]
        );
        // With the built-ins off, only the regex reads.
        let p = LineParser::configured(false, Some(r"(\w+) is ([0-9.]+)"), false).unwrap();
        assert_eq!(
            read(&p, "loss=0.5 and acc is 0.9"),
            [("acc".to_string(), 0.9)]
        );
    }

    #[test]
    fn custom_regex_errors() {
        let e = LineParser::with_regex(r"(\w+)").unwrap_err().to_string();
        assert!(e.contains("has 1 groups; it needs two"), "{e}");
        let e = LineParser::with_regex(r"(").unwrap_err().to_string();
        assert!(
            e.starts_with("--metrics-regex \"(\" is not a valid regex"),
            "{e}"
        );
        let e = LineParser::configured(false, None, false)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "--metrics-format none turns the built-in line readers off, so nothing would be read: give --metrics-regex too");
    }
}
