//! The one duration grammar, for every option and file that takes a
//! duration: `--interval`, `--timeout`, `--retry-max-wait`, `--older-than`
//! and a standard's `freshness` and `for`.
//!
//! A number with a unit, or several largest first: `90s`, `1m30s`,
//! `1d12h`, `1.5h`, `500ms`. Units: `ms`, `s`, `m`, `h`, `d`, `w`, and `y`
//! where a [`Grammar`] allows it (a standard's freshness can be a year). A
//! fraction may stand on any number (`1.5h` is 90 minutes). A bare number
//! is seconds where the option has always taken seconds (`--timeout 5`).
//! Written once so that `--interval 1m30s` and `--older-than 1.5h` mean
//! what they say everywhere, instead of three grammars that each refused
//! what another took.

use std::time::Duration;

/// What a given place accepts beyond the common grammar.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grammar {
    /// `y` (365 days) is a unit.
    pub years: bool,
    /// A number without a unit is seconds.
    pub bare_seconds: bool,
    /// Zero is taken (a standard's `0s`, which its checks explain).
    pub zero: bool,
}

const UNITS: [(&str, f64); 7] = [
    ("y", 365.0 * 86_400.0),
    ("w", 7.0 * 86_400.0),
    ("d", 86_400.0),
    ("h", 3_600.0),
    ("m", 60.0),
    ("s", 1.0),
    ("ms", 0.001),
];

/// The longest duration taken anywhere: ten years.
const MAX_SECONDS: f64 = 10.0 * 365.0 * 86_400.0;

/// Parse `raw`. The error says what is wrong, without the option's name
/// or the text (the caller adds them).
pub fn parse(raw: &str, grammar: Grammar) -> Result<Duration, String> {
    let text = raw.trim();
    let example = "expected a duration such as 90s, 1m30s, 1.5h or 1d12h";
    if text.is_empty() {
        return Err(format!("empty; {example}"));
    }
    if text.starts_with('-') {
        return Err("a duration can't be negative".to_string());
    }
    if grammar.bare_seconds {
        if let Ok(secs) = text.parse::<f64>() {
            if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return checked(secs, grammar, example);
            }
        }
    }
    let mut total = 0.0;
    let mut rest = text;
    let mut last = None::<usize>;
    while !rest.is_empty() {
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(len);
        let n: f64 = match number.parse() {
            Ok(n) if !number.starts_with('.') && !number.ends_with('.') => n,
            _ => return Err(example.to_string()),
        };
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let unit = &after[..unit_len];
        if unit.is_empty() {
            return Err(format!(
                "no unit after {number}; write e.g. {number}s, {number}m or {number}h"
            ));
        }
        let Some(pos) = UNITS
            .iter()
            .position(|(u, _)| *u == unit && (*u != "y" || grammar.years))
        else {
            let units = if grammar.years {
                "y, w, d, h, m, s and ms"
            } else {
                "w, d, h, m, s and ms"
            };
            return Err(format!("unknown unit {unit:?}; the units are {units}"));
        };
        if last.is_some_and(|l| pos <= l) {
            return Err("units go largest first, each once (e.g. 1d12h, 1m30s)".to_string());
        }
        last = Some(pos);
        total += n * UNITS[pos].1;
        rest = &after[unit_len..];
    }
    checked(total, grammar, example)
}

fn checked(secs: f64, grammar: Grammar, example: &str) -> Result<Duration, String> {
    if grammar.zero && secs == 0.0 {
        return Ok(Duration::ZERO);
    }
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("must be more than zero; {example}"));
    }
    if secs > MAX_SECONDS {
        return Err("longer than ten years".to_string());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A duration as a person (and Prometheus) writes it: the largest units
/// first, whole numbers (`1h30m`, `90s`, `500ms`, `2d`).
pub fn format(d: Duration) -> String {
    let mut ms = d.as_millis();
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, secs) in &UNITS[1..] {
        let unit_ms = (secs * 1000.0) as u128;
        if ms >= unit_ms {
            out.push_str(&format!("{}{unit}", ms / unit_ms));
            ms %= unit_ms;
        }
    }
    out
}

/// An age for people: the largest unit and the next one unless it is
/// zero, in whole seconds (`14d 3h`, `5m 2s`, `40s`, `1h`).
pub fn approx(secs: f64) -> String {
    const UNITS: [(&str, u64); 4] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];
    let secs = secs.max(0.0) as u64;
    let units = &UNITS;
    let i = units
        .iter()
        .position(|(_, size)| secs >= *size)
        .unwrap_or(units.len() - 1);
    let (unit, size) = units[i];
    let mut out = format!("{}{unit}", secs / size);
    if let Some((next, next_size)) = units.get(i + 1) {
        let n = secs % size / next_size;
        if n > 0 {
            out.push_str(&format!(" {n}{next}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<f64, String> {
        parse(s, Grammar::default()).map(|d| d.as_secs_f64())
    }

    #[test]
    fn the_common_grammar() {
        assert_eq!(p("90s"), Ok(90.0));
        assert_eq!(p("1m30s"), Ok(90.0));
        assert_eq!(p("1d12h"), Ok(129_600.0));
        assert_eq!(p("1.5h"), Ok(5_400.0));
        assert_eq!(p("500ms"), Ok(0.5));
        assert_eq!(p("2w"), Ok(1_209_600.0));
        assert_eq!(p(" 15s "), Ok(15.0));
    }

    #[test]
    fn mistakes_are_refused_not_guessed() {
        for bad in [
            "", "s", "0s", "-1s", "15", "15 s", "1e3s", "1s1m", "1h1h", ".5s", "5.s", "1y", "3x",
            "1.2.3s",
        ] {
            assert!(p(bad).is_err(), "{bad:?} was taken as {:?}", p(bad));
        }
        assert_eq!(
            p("1s1m").unwrap_err(),
            "units go largest first, each once (e.g. 1d12h, 1m30s)"
        );
        assert_eq!(
            p("15").unwrap_err(),
            "no unit after 15; write e.g. 15s, 15m or 15h"
        );
    }

    #[test]
    fn where_a_grammar_allows_more() {
        let years = Grammar {
            years: true,
            ..Grammar::default()
        };
        assert_eq!(parse("1y", years).unwrap().as_secs(), 365 * 86_400);
        let bare = Grammar {
            bare_seconds: true,
            ..Grammar::default()
        };
        assert_eq!(parse("5", bare).unwrap().as_secs_f64(), 5.0);
        assert_eq!(parse("2.5", bare).unwrap().as_secs_f64(), 2.5);
        assert!(parse("0", bare).is_err());
        assert!(parse("11y", years).is_err());
    }

    #[test]
    fn formatted_as_written() {
        for (secs, text) in [
            (90.0, "1m30s"),
            (5_400.0, "1h30m"),
            (0.5, "500ms"),
            (172_800.0, "2d"),
        ] {
            assert_eq!(format(Duration::from_secs_f64(secs)), text);
            assert_eq!(p(text).unwrap(), secs);
        }
    }
}
