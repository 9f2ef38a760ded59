//! Families → InfluxDB line protocol, in batches (the `--influx` sink).
//!
//! Pure and snapshot-tested, like the other encoders. The mapping is the one
//! Telegraf's Prometheus input uses, with the metric name as measurement and
//! one field, `value`:
//!
//! | series                          | line                                          |
//! |---------------------------------|-----------------------------------------------|
//! | gauge, counter, untyped `m`     | `m,<tags> value=V T`                          |
//! | histogram `h`, each bucket      | `h_bucket,<tags>,le=0.5 value=COUNT T`        |
//! | histogram `h`, the `+Inf` bucket| `h_bucket,<tags>,le=+Inf value=COUNT T`       |
//! | histogram or summary `x`        | `x_sum,<tags> value=SUM T`, `x_count,<tags> value=COUNT T` |
//! | summary `s`, each quantile      | `s,<tags>,quantile=0.9 value=V T`             |
//!
//! Tags are the grouping labels (`job`, `user`, `--group`), `--label` values
//! and the series labels, sorted by key (InfluxDB's advice: it is the order
//! it stores them in). `le` and `quantile` are spelt as in the Prometheus
//! text format (`0.005`, `+Inf`), so queries read the same in both worlds.
//! Every value is written as a float (no `i` suffix, counts included):
//! InfluxDB fixes a field's type at its first write, and a measurement whose
//! `value` were sometimes an integer would refuse the other lines.
//!
//! What line protocol cannot carry, and what is done about it:
//! - NaN and ±Inf: InfluxDB refuses them ("invalid number"). The line is
//!   skipped and counted in [`Encoded::skipped`]; the caller warns once.
//! - An empty tag value: line protocol has no spelling for it. The tag is
//!   left out, as Telegraf does; Prometheus treats an empty label as absent
//!   too, so nothing is lost.
//! - A newline in a tag value: lines are newline-separated and there is no
//!   escape for it. Refused.
//! - Backslashes: InfluxDB 1.x keeps `\\` as two backslashes, while 2.x and
//!   VictoriaMetrics read it as one (measured on influxd 1.6 and
//!   VictoriaMetrics 1.79), and a value ending in `\` would escape the
//!   separator after it. A lone backslash followed by an ordinary character
//!   reads back the same everywhere and is written as is; a backslash that
//!   ends a value or precedes `\`, `,`, ` ` or `=` is refused rather than
//!   stored differently by different servers.
//! - Tag keys `time` (InfluxDB 1.x refuses the point), `_field` and
//!   `_measurement` (reserved by 2.x): refused.
//!
//! Escaping is InfluxDB's: `,`, ` ` and `=` in tag keys and values, `,` and
//! ` ` in measurements, each with a backslash. Metric and label names can
//! never hold those characters, but the escaping is applied anyway, so that
//! correctness does not rest on a check made elsewhere.

use crate::encode::float;
use crate::error::Problem;
use crate::model::{series_id, Family, Label};

/// The `Content-Type` of a line-protocol body.
pub const CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// Lines per request unless the user says otherwise (InfluxDB's own advice
/// is batches of 5,000 points).
pub const DEFAULT_BATCH_LINES: usize = 5_000;

/// The field every line carries.
pub const FIELD: &str = "value";

/// Tag keys InfluxDB refuses or reserves.
const RESERVED_KEYS: [&str; 3] = ["time", "_field", "_measurement"];

/// An encoded artifact: the batches to send, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// Each batch holds at most the requested number of lines, each line
    /// ending in `\n`. Empty when every value was skipped.
    pub batches: Vec<String>,
    /// Lines written, over all batches.
    pub lines: usize,
    /// Lines left out because their value was NaN or ±Inf.
    pub skipped: usize,
    /// The first skipped series, as `name{labels}`, for the warning.
    pub first_skipped: Option<String>,
}

impl Encoded {
    /// The whole body, as `--dry-run` prints it (the batches joined).
    pub fn body(&self) -> String {
        self.batches.concat()
    }
}

/// Why a tag cannot be written, or `None` when it can. Used here for series
/// labels and by the command line for `--label`/`--group` values, so that
/// both refuse the same things with the same words.
pub fn tag_problem(key: &str, value: &str) -> Option<String> {
    if RESERVED_KEYS.contains(&key) {
        return Some(format!(
            "the tag key {key:?} is reserved by InfluxDB (time, _field and _measurement cannot be tags); rename the label"
        ));
    }
    if value.contains('\n') {
        return Some(format!(
            "the value of {key:?} holds a newline, which InfluxDB line protocol cannot carry; remove it"
        ));
    }
    let b = value.as_bytes();
    let bad_backslash = b.iter().enumerate().any(|(i, &c)| {
        c == b'\\' && matches!(b.get(i + 1), None | Some(b'\\' | b',' | b' ' | b'='))
    });
    if bad_backslash {
        return Some(format!(
            "the value of {key:?} ({value:?}) has a backslash at its end or before \\, a comma, a space or =, which InfluxDB versions read back differently; change it"
        ));
    }
    None
}

/// Encode `families` with the extra `tags` (grouping labels; `--label` is
/// already in the series labels) at `timestamp_ms`, in batches of at most
/// `batch_lines` lines. Every tag that cannot be written is reported, one
/// problem per series and label, named by `name{labels}`.
pub fn encode(
    families: &[Family],
    tags: &[(String, String)],
    timestamp_ms: i64,
    batch_lines: usize,
) -> Result<Encoded, Vec<Problem>> {
    let batch_lines = batch_lines.max(1);
    let mut problems = Vec::new();
    for (k, v) in tags {
        if let Some(p) = tag_problem(k, v) {
            problems.push(Problem::new(format!("tag {k}"), p));
        }
    }
    let mut w = Writer {
        out: Encoded {
            batches: Vec::new(),
            lines: 0,
            skipped: 0,
            first_skipped: None,
        },
        current: String::new(),
        in_current: 0,
        batch_lines,
        timestamp: timestamp_ms.to_string(),
    };
    let mut merged: Vec<(&str, &str)> = Vec::new();
    for f in families {
        for s in &f.series {
            let mut ok = true;
            for (k, v) in &s.labels {
                if let Some(p) = tag_problem(k, v) {
                    problems.push(Problem::new(series_id(&f.name, &s.labels), p));
                    ok = false;
                }
            }
            if !ok || !problems.is_empty() {
                continue;
            }
            merged.clear();
            merged.extend(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            merged.extend(s.labels.iter().map(|(k, v)| (&**k, &**v)));
            merged.retain(|(_, v)| !v.is_empty());
            merged.sort_unstable_by(|a, b| a.0.cmp(b.0));
            let line = Line {
                family: f,
                labels: &s.labels,
                tags: &merged,
            };
            super::flat::flatten(&s.sample, |suffix, extra, v| {
                let bound = extra.map(|(k, b)| (k, float(b)));
                w.line(
                    &line,
                    suffix,
                    bound.as_ref().map(|(k, b)| (*k, b.as_str())),
                    v,
                );
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if w.in_current > 0 {
        w.out.batches.push(w.current);
    }
    Ok(w.out)
}

/// What every line of one series shares.
struct Line<'a> {
    family: &'a Family,
    labels: &'a [(Label, Label)],
    /// Grouping tags and series labels, sorted by key, empty values dropped.
    tags: &'a [(&'a str, &'a str)],
}

struct Writer {
    out: Encoded,
    current: String,
    in_current: usize,
    batch_lines: usize,
    timestamp: String,
}

impl Writer {
    fn line(&mut self, l: &Line, suffix: &str, extra: Option<(&str, &str)>, v: f64) {
        if !v.is_finite() {
            self.out.skipped += 1;
            if self.out.first_skipped.is_none() {
                let mut labels: Vec<(String, String)> = l
                    .labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                if let Some((k, x)) = extra {
                    labels.push((k.to_string(), x.to_string()));
                }
                let name = format!("{}{suffix}", l.family.name);
                self.out.first_skipped = Some(series_id(&name, &labels));
            }
            return;
        }
        let out = &mut self.current;
        escape(out, &l.family.name, false);
        escape(out, suffix, false);
        let mut extra = extra;
        for &(k, val) in l.tags {
            if let Some((ek, ev)) = extra.filter(|(ek, _)| *ek < k) {
                tag(out, ek, ev);
                extra = None;
            }
            tag(out, k, val);
        }
        if let Some((ek, ev)) = extra {
            tag(out, ek, ev);
        }
        out.push(' ');
        out.push_str(FIELD);
        out.push('=');
        out.push_str(&float(v));
        out.push(' ');
        out.push_str(&self.timestamp);
        out.push('\n');
        self.out.lines += 1;
        self.in_current += 1;
        if self.in_current == self.batch_lines {
            self.out.batches.push(std::mem::take(&mut self.current));
            self.in_current = 0;
        }
    }
}

fn tag(out: &mut String, k: &str, v: &str) {
    out.push(',');
    escape(out, k, true);
    out.push('=');
    escape(out, v, true);
}

/// Backslash-escape commas and spaces, and `=` too in tag keys and values.
fn escape(out: &mut String, s: &str, equals: bool) {
    for c in s.chars() {
        if c == ',' || c == ' ' || (equals && c == '=') {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Sample, Series};

    fn fam(name: &str, kind: Kind, series: Vec<Series>) -> Family {
        Family {
            name: name.into(),
            help: String::new(),
            kind,
            series,
        }
    }

    fn scalar(labels: &[(&str, &str)], v: f64) -> Series {
        Series {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            sample: Sample::Scalar(v),
        }
    }

    fn grouping() -> Vec<(String, String)> {
        vec![
            ("job".into(), "train".into()),
            ("user".into(), "alice".into()),
        ]
    }

    fn body(families: &[Family]) -> String {
        encode(families, &grouping(), 1_700_000_000_123, 5000)
            .unwrap()
            .body()
    }

    #[test]
    fn tags_sorted_and_escaped() {
        let f = fam(
            "m",
            Kind::Gauge,
            vec![scalar(
                &[
                    ("a", "x y"),
                    ("b", "c,d"),
                    ("c", "e=f"),
                    ("path", r"C:\dir\file"),
                    ("z", "ü 日本"),
                ],
                1.5,
            )],
        );
        insta::assert_snapshot!(body(&[f]), @r"m,a=x\ y,b=c\,d,c=e\=f,job=train,path=C:\dir\file,user=alice,z=ü\ 日本 value=1.5 1700000000123");
    }

    #[test]
    fn histogram_and_summary_flatten_like_telegraf() {
        let h = fam(
            "lat",
            Kind::Histogram,
            vec![Series {
                labels: smallvec::smallvec![("model".into(), "m1".into())],
                sample: Sample::Histogram {
                    buckets: vec![(0.1, 1), (1.0, 3)],
                    sum: 2.5,
                    count: 4,
                },
            }],
        );
        let s = fam(
            "q",
            Kind::Summary,
            vec![Series {
                labels: smallvec::smallvec![("zone".into(), "eu".into())],
                sample: Sample::Summary {
                    quantiles: vec![(0.5, 0.2), (0.99, 0.9)],
                    sum: 7.0,
                    count: 12,
                },
            }],
        );
        insta::assert_snapshot!(body(&[h, s]), @r"
        lat_bucket,job=train,le=0.1,model=m1,user=alice value=1 1700000000123
        lat_bucket,job=train,le=1,model=m1,user=alice value=3 1700000000123
        lat_bucket,job=train,le=+Inf,model=m1,user=alice value=4 1700000000123
        lat_sum,job=train,model=m1,user=alice value=2.5 1700000000123
        lat_count,job=train,model=m1,user=alice value=4 1700000000123
        q,job=train,quantile=0.5,user=alice,zone=eu value=0.2 1700000000123
        q,job=train,quantile=0.99,user=alice,zone=eu value=0.9 1700000000123
        q_sum,job=train,user=alice,zone=eu value=7 1700000000123
        q_count,job=train,user=alice,zone=eu value=12 1700000000123
        ");
    }

    #[test]
    fn extra_tag_sorts_first_and_last() {
        // `le` before every other key, and after every other key.
        let h = |labels: &[(&str, &str)]| Series {
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            sample: Sample::Histogram {
                buckets: vec![],
                sum: 1.0,
                count: 1,
            },
        };
        let f = fam("h", Kind::Histogram, vec![h(&[("zz", "1")])]);
        let out = encode(&[f], &[("a".into(), "b".into())], 0, 10).unwrap();
        assert!(out
            .body()
            .starts_with("h_bucket,a=b,le=+Inf,zz=1 value=1 0\n"));
        let f = fam("h", Kind::Histogram, vec![h(&[("b", "1")])]);
        let out = encode(&[f], &[("a".into(), "x".into())], 0, 10).unwrap();
        assert!(out
            .body()
            .starts_with("h_bucket,a=x,b=1,le=+Inf value=1 0\n"));
    }

    #[test]
    fn empty_tag_values_are_left_out() {
        let f = fam(
            "m",
            Kind::Gauge,
            vec![scalar(&[("a", ""), ("b", "x")], 2.0)],
        );
        let out = encode(&[f], &[("user".into(), String::new())], 5, 10).unwrap();
        assert_eq!(out.body(), "m,b=x value=2 5\n");
    }

    #[test]
    fn non_finite_values_are_skipped_and_counted() {
        let f = fam(
            "m",
            Kind::Gauge,
            vec![
                scalar(&[("i", "1")], f64::NAN),
                scalar(&[("i", "2")], 3.0),
                scalar(&[("i", "3")], f64::INFINITY),
                scalar(&[("i", "4")], f64::NEG_INFINITY),
            ],
        );
        let out = encode(&[f], &[], 7, 10).unwrap();
        assert_eq!(out.body(), "m,i=2 value=3 7\n");
        assert_eq!((out.lines, out.skipped), (1, 3));
        assert_eq!(out.first_skipped.as_deref(), Some(r#"m{i="1"}"#));
    }

    #[test]
    fn skipped_summary_quantile_is_named_with_its_quantile() {
        let f = fam(
            "s",
            Kind::Summary,
            vec![Series {
                labels: smallvec::smallvec![],
                sample: Sample::Summary {
                    quantiles: vec![(0.5, f64::NAN)],
                    sum: 0.0,
                    count: 0,
                },
            }],
        );
        let out = encode(&[f], &[], 7, 10).unwrap();
        assert_eq!(out.skipped, 1);
        assert_eq!(out.first_skipped.as_deref(), Some(r#"s{quantile="0.5"}"#));
        assert_eq!(out.lines, 2);
    }

    #[test]
    fn numbers_are_floats_that_influxdb_parses() {
        let f = fam(
            "m",
            Kind::Gauge,
            vec![
                scalar(&[("i", "1")], 1e300),
                scalar(&[("i", "2")], 1.5e-7),
                scalar(&[("i", "3")], -0.5),
                scalar(&[("i", "4")], 17179869184.0),
            ],
        );
        let out = encode(&[f], &[], 1, 10).unwrap();
        assert_eq!(
            out.body(),
            "m,i=1 value=1e300 1\nm,i=2 value=1.5e-7 1\nm,i=3 value=-0.5 1\nm,i=4 value=17179869184 1\n"
        );
        assert!(!out.body().contains("i "), "no integer fields");
    }

    #[test]
    fn batches_hold_at_most_n_lines() {
        let series: Vec<Series> = (0..7)
            .map(|i| scalar(&[("i", &i.to_string())], 1.0))
            .collect();
        let f = fam("m", Kind::Gauge, series);
        let out = encode(std::slice::from_ref(&f), &[], 1, 3).unwrap();
        let sizes: Vec<usize> = out.batches.iter().map(|b| b.lines().count()).collect();
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(out.lines, 7);
        let exact = encode(&[fam("m", Kind::Gauge, f.series[..6].to_vec())], &[], 1, 3).unwrap();
        assert_eq!(exact.batches.len(), 2, "no empty trailing batch");
        let none = encode(
            &[fam("m", Kind::Gauge, vec![scalar(&[], f64::NAN)])],
            &[],
            1,
            3,
        )
        .unwrap();
        assert!(none.batches.is_empty());
    }

    #[test]
    fn unwritable_values_are_refused_with_series_and_label() {
        let f = fam(
            "m",
            Kind::Gauge,
            vec![
                scalar(&[("note", "two\nlines")], 1.0),
                scalar(&[("path", r"C:\dir\")], 1.0),
                scalar(&[("re", r"a\\d")], 1.0),
                scalar(&[("esc", r"x\,y")], 1.0),
                scalar(&[("time", "now")], 1.0),
                scalar(&[("ok", r"a\b")], 1.0),
            ],
        );
        let problems = encode(&[f], &[], 1, 10).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        insta::assert_debug_snapshot!(text, @r#"
        [
            "m{note=\"two\\nlines\"}: the value of \"note\" holds a newline, which InfluxDB line protocol cannot carry; remove it",
            "m{path=\"C:\\\\dir\\\\\"}: the value of \"path\" (\"C:\\\\dir\\\\\") has a backslash at its end or before \\, a comma, a space or =, which InfluxDB versions read back differently; change it",
            "m{re=\"a\\\\\\\\d\"}: the value of \"re\" (\"a\\\\\\\\d\") has a backslash at its end or before \\, a comma, a space or =, which InfluxDB versions read back differently; change it",
            "m{esc=\"x\\\\,y\"}: the value of \"esc\" (\"x\\\\,y\") has a backslash at its end or before \\, a comma, a space or =, which InfluxDB versions read back differently; change it",
            "m{time=\"now\"}: the tag key \"time\" is reserved by InfluxDB (time, _field and _measurement cannot be tags); rename the label",
        ]
        "#);
    }

    #[test]
    fn grouping_tags_are_checked_too() {
        let f = fam("m", Kind::Gauge, vec![scalar(&[], 1.0)]);
        let problems = encode(&[f], &[("_field".into(), "x".into())], 1, 10).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0]
            .to_string()
            .starts_with("tag _field: the tag key"));
    }

    #[test]
    fn measurement_escaping() {
        let mut out = String::new();
        escape(&mut out, "a b,c=d", false);
        assert_eq!(out, r"a\ b\,c=d");
    }

    /// Read a tag value back the way a parser does: `,` ` ` `=` end it
    /// unless escaped; `strict` also reads `\\` as one backslash, as
    /// InfluxDB 2.x and VictoriaMetrics do (1.x keeps both).
    fn read_value(s: &str, strict: bool) -> (String, &str) {
        let mut out = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match (c, chars.peek().map(|&(_, n)| n)) {
                ('\\', Some(n)) if matches!(n, ',' | ' ' | '=') || (strict && n == '\\') => {
                    out.push(n);
                    chars.next();
                }
                (',' | ' ', _) => return (out, &s[i..]),
                _ => out.push(c),
            }
        }
        (out, "")
    }

    proptest::proptest! {
        /// Every value the encoder accepts reads back the same under both
        /// readings of backslashes; the ones it refuses are exactly those
        /// where they could differ (or a newline).
        #[test]
        fn accepted_values_read_back_the_same_everywhere(v in "[a-c ,=\\\\\n\"é日]{0,12}") {
            let f = fam("m", Kind::Gauge, vec![scalar(&[("k", v.as_str())], 1.0)]);
            match encode(&[f], &[], 1, 10) {
                Ok(out) if v.is_empty() => proptest::prop_assert_eq!(out.body(), "m value=1 1\n"),
                Ok(out) => {
                    let body = out.body();
                    let rest = body.strip_prefix("m,k=").unwrap();
                    for strict in [false, true] {
                        let (read, tail) = read_value(rest, strict);
                        proptest::prop_assert_eq!(&read, &v);
                        proptest::prop_assert_eq!(tail, " value=1 1\n");
                    }
                }
                Err(problems) => {
                    proptest::prop_assert_eq!(problems.len(), 1);
                    proptest::prop_assert!(tag_problem("k", &v).is_some());
                }
            }
        }
    }
}
