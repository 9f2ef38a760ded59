//! Which groups a command works on: `--match` (PromQL's four matchers,
//! regexes fully anchored), `--older-than` (an age, parsed strictly:
//! it decides what `prune` deletes, so a mistake is refused, never guessed)
//! and `--expired` (a deadline written by `--expires-in` has passed).
//! A value may be quoted as in PromQL (`"…"` and `'…'` with Go's escapes,
//! `` `…` `` raw): users copy matchers from PromQL, and a quote taken as
//! part of the value would select the wrong groups (`user!="alice"`
//! deleting alice's). An unquoted value is taken as it is.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{anyhow, Result};

use super::listing::Group;
use crate::error::{fail, Exit};
use crate::model::is_label_name;

/// How a `--match` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Re,
    NotRe,
}

/// One `--match`: `NAME=VALUE`, `NAME!=VALUE`, `NAME=~REGEX` or
/// `NAME!~REGEX`, with PromQL's meaning: regexes are fully anchored, and a
/// label the group lacks compares as the empty string.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: Op,
    pub value: String,
    re: Option<regex::Regex>,
    /// As the user wrote it, for messages.
    raw: String,
}

impl Matcher {
    pub fn parse(raw: &str) -> Result<Matcher> {
        let usage = |why: String| fail(Exit::Usage, anyhow!("--match {raw:?}: {why}"));
        // The name is the longest run of label-name characters; the
        // operator follows it, as in PromQL (`=~` before `=`).
        let end = raw
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(raw.len());
        let (name, rest) = raw.split_at(end);
        let (op, value) = [
            ("=~", Op::Re),
            ("!~", Op::NotRe),
            ("!=", Op::Ne),
            ("=", Op::Eq),
        ]
        .into_iter()
        .find_map(|(spelling, op)| rest.strip_prefix(spelling).map(|v| (op, v)))
        .ok_or_else(|| {
            usage("expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX".into())
        })?;
        if !is_label_name(name) {
            return Err(usage(format!(
                "{name:?} is not a legal label name ([a-zA-Z_][a-zA-Z0-9_]*)"
            )));
        }
        let value = unquote(value).map_err(usage)?;
        let value = value.as_str();
        let regex = matches!(op, Op::Re | Op::NotRe);
        let re = if regex {
            Some(
                regex::Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| usage(format!("not a valid regex: {}", one_line(&e))))?,
            )
        } else {
            None
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            re,
            raw: raw.to_string(),
        })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.name).map_or("", String::as_str);
        match (self.op, &self.re) {
            (Op::Eq, _) => v == self.value,
            (Op::Ne, _) => v != self.value,
            (Op::Re, Some(re)) => re.is_match(v),
            (Op::NotRe, Some(re)) => !re.is_match(v),
            (Op::Re | Op::NotRe, None) => unreachable!("regex matchers are compiled in parse"),
        }
    }
}

/// A value as PromQL reads it: quoted (`"…"`, `'…'`, `` `…` ``) or, as
/// this tool has always taken it, bare.
fn unquote(raw: &str) -> Result<String, String> {
    let Some(quote) = raw.chars().next().filter(|c| matches!(c, '"' | '\'' | '`')) else {
        return Ok(raw.to_string());
    };
    let fix = "quote the value as in PromQL (\"…\", '…' or `…`), or leave it unquoted";
    let body = &raw[1..];
    let Some(end) = closing(body, quote) else {
        return Err(format!("the value's {quote} is never closed; {fix}"));
    };
    if end + 1 != body.len() {
        return Err(format!(
            "{:?} follows the quoted value; {fix}",
            &body[end + 1..]
        ));
    }
    let inner = &body[..end];
    if quote == '`' {
        return Ok(inner.to_string());
    }
    unescape(inner, quote)
}

/// Where the closing quote is in `body` (escapes skipped), if anywhere.
fn closing(body: &str, quote: char) -> Option<usize> {
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some(i);
        }
        if c == '\\' && quote != '`' {
            chars.next();
        }
    }
    None
}

/// PromQL's (Go's) escapes inside `"…"` and `'…'`.
fn unescape(inner: &str, quote: char) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().unwrap_or(' ');
        let simple = match e {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            q if q == quote => Some(q),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (digits, radix) = match e {
            'x' => (2, 16),
            'u' => (4, 16),
            'U' => (8, 16),
            '0'..='7' => (2, 8),
            _ => return Err(format!("\\{e} is not one of PromQL's escapes")),
        };
        let mut code: String = if radix == 8 {
            e.to_string()
        } else {
            String::new()
        };
        code.extend(chars.by_ref().take(digits));
        let want = if radix == 8 { 3 } else { digits };
        let ch = u32::from_str_radix(&code, radix)
            .ok()
            .filter(|_| code.chars().count() == want)
            .and_then(char::from_u32)
            .ok_or_else(|| {
                format!(
                    "\\{e}{} is not a valid PromQL escape",
                    &code[usize::from(radix == 8)..]
                )
            })?;
        out.push(ch);
    }
    Ok(out)
}

fn one_line(e: &regex::Error) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which groups a command works on: all the matchers, and then, when
/// either is given, an age or a passed deadline (either will do).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub matchers: Vec<Matcher>,
    /// Groups whose age ([`Group::age`]) is greater than this.
    pub older_than: Option<Duration>,
    /// Groups whose deadline has passed ([`Group::expired`]); a group
    /// without one never is.
    pub expired: bool,
}

impl Selection {
    /// The matchers (as the user spelled them) that no listed group
    /// satisfies: each is worth a warning, as it is likely mistyped.
    pub fn idle_matchers(&self, groups: &[Group]) -> Vec<String> {
        self.matchers
            .iter()
            .filter(|m| !groups.iter().any(|g| m.matches(&g.labels)))
            .map(|m| m.raw.clone())
            .collect()
    }

    pub fn selects(&self, g: &Group, now: f64) -> bool {
        let old = self
            .older_than
            .map(|d| g.age(now).is_some_and(|age| age > d.as_secs_f64()));
        let expired = self.expired.then(|| g.expired(now));
        self.matchers.iter().all(|m| m.matches(&g.labels))
            && match (old, expired) {
                (None, None) => true,
                (old, expired) => old == Some(true) || expired == Some(true),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pushgateway::listing::tests::{labels, synthetic};

    fn m(raw: &str) -> Matcher {
        Matcher::parse(raw).unwrap()
    }

    #[test]
    fn matchers_follow_promql() {
        let l = labels(&[("job", "train"), ("user", "team/etl")]);
        assert!(m("job=train").matches(&l));
        assert!(!m("job=trai").matches(&l));
        assert!(m("job!=etl").matches(&l));
        assert!(m("job=~tr.*").matches(&l));
        assert!(!m("job=~tra").matches(&l), "anchored at both ends");
        assert!(
            !m("job=~x|tra").matches(&l),
            "anchored around alternations too"
        );
        assert!(m("user=~team/.+").matches(&l));
        assert!(m("job!~etl|nightly").matches(&l));
        // A missing label is the empty string.
        assert!(m("instance=").matches(&l));
        assert!(m("instance=~").matches(&l));
        assert!(!m("instance!=").matches(&l));
        // A value may hold '=' and '~' itself.
        let odd = labels(&[("job", "a=~b")]);
        assert!(m("job=a=~b").matches(&odd));
        let r = m("job=~a=~b");
        assert_eq!((r.op, r.value.as_str()), (Op::Re, "a=~b"));
        assert!(r.matches(&odd));
    }

    #[test]
    fn quoted_values_are_read_as_promql_reads_them() {
        let alice = labels(&[("job", "train"), ("user", "alice")]);
        let bob = labels(&[("job", "train"), ("user", "bob")]);
        assert!(m(r#"user="alice""#).matches(&alice));
        assert!(!m(r#"user!="alice""#).matches(&alice));
        assert!(m(r#"user!="alice""#).matches(&bob));
        assert!(m("user='alice'").matches(&alice));
        assert!(m("user=`alice`").matches(&alice));
        assert!(m(r#"user=~"al.*""#).matches(&alice));
        assert!(!m(r#"user!~"al.*""#).matches(&alice));
        let v = |raw: &str| m(raw).value;
        assert_eq!(v(r#"a="x\"y""#), "x\"y");
        assert_eq!(v(r"a='it\'s'"), "it's");
        assert_eq!(v(r#"a="tab\there""#), "tab\there");
        assert_eq!(v(r#"a="\\""#), "\\");
        assert_eq!(v(r#"a="\x41\u00e9\101""#), "AéA");
        assert_eq!(v(r"a=`raw\n`"), r"raw\n");
        assert_eq!(v(r#"a="""#), "");
        // Unquoted values are taken as they are, quotes inside included.
        assert_eq!(v(r#"a=x"y"#), "x\"y");
    }

    #[test]
    fn bad_quoting_is_a_usage_error() {
        for raw in [
            r#"user="alice"#,
            r#"user="al"ice""#,
            r#"user="\q""#,
            "user='x",
            r#"a="\x4""#,
        ] {
            let err = Matcher::parse(raw).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), Exit::Usage, "{raw}");
            assert!(format!("{err:#}").contains("PromQL"), "{err:#}");
        }
    }

    #[test]
    fn idle_matchers_are_named() {
        let groups = vec![synthetic(
            &[("job", "train"), ("user", "alice")],
            None,
            None,
        )];
        let sel = Selection {
            matchers: vec![m("job=train"), m(r#"user="bob""#)],
            ..Selection::default()
        };
        assert_eq!(
            sel.idle_matchers(&groups),
            vec![r#"user="bob""#.to_string()]
        );
    }

    #[test]
    fn bad_matchers_are_usage_errors() {
        let e = |raw: &str| {
            let err = Matcher::parse(raw).unwrap_err();
            assert_eq!(crate::error::exit_code(&err), Exit::Usage);
            format!("{err:#}")
        };
        assert_eq!(
            e("job"),
            r#"--match "job": expected NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX"#
        );
        assert_eq!(
            e("1job=x"),
            r#"--match "1job=x": "1job" is not a legal label name ([a-zA-Z_][a-zA-Z0-9_]*)"#
        );
        assert!(
            e("job=~(").starts_with(r#"--match "job=~(": not a valid regex: "#),
            "{}",
            e("job=~(")
        );
        assert!(!e("job=~(").contains('\n'));
    }

    #[test]
    fn selection_takes_all_matchers_and_the_age() {
        let now = 1_000_000.0;
        let sel = Selection {
            matchers: vec![m("job=train"), m("user=~a.*")],
            older_than: Some(Duration::from_secs(60)),
            expired: false,
        };
        let g = |job, user, push| synthetic(&[("job", job), ("user", user)], push, None);
        assert!(sel.selects(&g("train", "alice", Some(now - 61.0)), now));
        assert!(
            !sel.selects(&g("train", "alice", Some(now - 60.0)), now),
            "strictly older"
        );
        assert!(!sel.selects(&g("train", "bob", Some(now - 61.0)), now));
        assert!(!sel.selects(&g("etl", "alice", Some(now - 61.0)), now));
        // Never successful: the failure time counts; no time at all is never selected.
        let failed = synthetic(&[("job", "train"), ("user", "a")], None, Some(now - 5.0));
        assert!(!sel.selects(&failed, now));
        assert!(!sel.selects(
            &synthetic(&[("job", "train"), ("user", "a")], None, None),
            now
        ));
        assert!(Selection::default().selects(&g("x", "y", None), now));
    }

    #[test]
    fn expired_is_either_condition_and_never_a_group_without_a_deadline() {
        let now = 1_000_000.0;
        let g = |user, push: f64, expires: Option<f64>| Group {
            expires_at: expires,
            ..synthetic(&[("job", "train"), ("user", user)], Some(push), None)
        };
        let expired = Selection {
            matchers: vec![m("user!=keep")],
            expired: true,
            ..Selection::default()
        };
        assert!(expired.selects(&g("a", now - 5.0, Some(now - 1.0)), now));
        assert!(
            expired.selects(&g("a", now - 5.0, Some(now)), now),
            "at the deadline"
        );
        assert!(!expired.selects(&g("a", now - 5.0, Some(now + 1.0)), now));
        assert!(
            !expired.selects(&g("a", now - 1e6, None), now),
            "no gauge: never"
        );
        assert!(
            !expired.selects(&g("keep", now - 5.0, Some(now - 1.0)), now),
            "matchers hold"
        );
        let either = Selection {
            older_than: Some(Duration::from_secs(60)),
            ..expired
        };
        assert!(either.selects(&g("a", now - 61.0, None), now), "old enough");
        assert!(
            either.selects(&g("a", now - 5.0, Some(now - 1.0)), now),
            "expired"
        );
        assert!(
            !either.selects(&g("a", now - 5.0, Some(now + 1.0)), now),
            "neither"
        );
        assert!(!either.selects(&g("keep", now - 61.0, None), now));
    }
}
