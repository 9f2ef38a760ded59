//! Which groups a command works on: `--match` (PromQL's four matchers,
//! regexes fully anchored), `--older-than` (an age, parsed strictly:
//! it decides what `prune` deletes, so a mistake is refused, never guessed)
//! and `--expired` (a deadline written by `--expires-in` has passed).

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
