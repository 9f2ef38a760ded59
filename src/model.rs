//! The metric model every stage shares: families of series, and the rules
//! for names and numbers.
//!
//! A leaf: it imports nothing of ours, so that readers, encoders, sinks and
//! generators can all depend on it without depending on each other. Every
//! artifact format ends up as the same [`Family`] list, so encoders and
//! sinks never know which format an artifact was in.

use serde::Deserialize;

/// A metric type, as in the text exposition format's `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Gauge,
    Counter,
    Histogram,
    Summary,
    Untyped,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
            Kind::Histogram => "histogram",
            Kind::Summary => "summary",
            Kind::Untyped => "untyped",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Gauge,
            Kind::Counter,
            Kind::Histogram,
            Kind::Summary,
            Kind::Untyped,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// One metric family: every series sharing a name.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: String,
    pub help: String,
    pub kind: Kind,
    pub series: Vec<Series>,
}

/// A label name or value. Interned: with 100,000 series most names and many
/// values repeat. `ArcStr` is one pointer (8 bytes; `Arc<str>` is 16, an
/// owned `String` 24 plus its own allocation), with the length beside the
/// count in its one allocation: on 100,000 series of 4 labels, 6.4 MB of
/// pairs instead of 12.8 MB.
pub type Label = arcstr::ArcStr;

/// A series' label pairs, sorted by name: up to [`INLINE_LABELS`] of them
/// in the series itself, more in an allocation of their own.
pub type Labels = smallvec::SmallVec<[(Label, Label); INLINE_LABELS]>;

/// How many label pairs a series holds without an allocation. A series
/// then takes 112 bytes (with 4 pairs, 64 bytes and an 80-byte
/// allocation took 144), and 100,000 of them cost 100,000 fewer calls to
/// `malloc`, which once a second thread exists takes the arena's lock
/// (a 100k push: 443 → 427 ms). The cost: 48 bytes more for a series with
/// no label, 16 with one, and 48 unused with more than 4, which go to an
/// allocation as before (BENCHMARKS.md, the fifth round).
pub const INLINE_LABELS: usize = 4;

/// One series: its labels (sorted by name) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub sample: Sample,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// Gauge, counter or untyped.
    Scalar(f64),
    /// `buckets` holds the finite upper bounds with cumulative counts; the
    /// `+Inf` bucket is always `count` and is written by the encoder.
    Histogram {
        buckets: Vec<(f64, u64)>,
        sum: f64,
        count: u64,
    },
    Summary {
        quantiles: Vec<(f64, f64)>,
        sum: f64,
        count: u64,
    },
}

/// The number of series in a family list.
pub fn series_count(families: &[Family]) -> usize {
    families.iter().map(|f| f.series.len()).sum()
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
pub fn is_metric_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Why a metric may not be called `name`, if it may not: the Pushgateway
/// writes `push_time_seconds` and `push_failure_time_seconds` into every
/// group itself, silently replacing a pushed value (and prune and the
/// freshness alert read them).
pub fn reserved_metric_problem(name: &str) -> Option<String> {
    matches!(name, "push_time_seconds" | "push_failure_time_seconds").then(|| {
        format!("{name:?} is written by the Pushgateway itself, which would replace the value; rename the metric")
    })
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`
pub fn is_label_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why a label name can't be used on a series, or `None` when it can. The
/// rules Prometheus itself sets: legal characters, `__` reserved, and `le`
/// and `quantile`, which histograms and summaries write.
pub fn label_name_problem(name: &str) -> Option<String> {
    if !is_label_name(name) {
        Some(format!(
            "{name:?} is not a legal label name ([a-zA-Z_][a-zA-Z0-9_]*)"
        ))
    } else if name.starts_with("__") {
        Some(format!(
            "{name:?}: label names starting with \"__\" are reserved by Prometheus"
        ))
    } else if name == "le" || name == "quantile" {
        Some(format!(
            "{name:?} is reserved for histogram buckets and summary quantiles"
        ))
    } else {
        None
    }
}

/// The strings that spell the non-finite values in an artifact and in a
/// JSON metric line (the native schema's spelling, Prometheus' own).
pub fn non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// [`non_finite`]'s strings, for messages.
pub const NON_FINITE: &str = "\"NaN\", \"+Inf\" or \"-Inf\"";

/// A number as text: what Rust's float parser takes (which covers Python's
/// float() for the strings artifacts hold: "6", "2.5e3", "nan", "+Inf").
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<f64>().ok()
}

/// A series as messages name it: `name{k="v",…}`, or the bare name.
pub fn series_id<K: AsRef<str>, V: AsRef<str>>(name: &str, labels: &[(K, V)]) -> String {
    if labels.is_empty() {
        return name.to_string();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{}={:?}", k.as_ref(), v.as_ref()))
        .collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// Label names and values as given, in order.
pub type LabelPairs = Vec<(String, String)>;

/// A label set as the text format and `--metric` write it, from just after
/// the `{`: `k="v",k2="v2"}` (double-quoted values with the `\"`, `\\` and
/// `\n` escapes; spaces and a trailing comma allowed). Returns the pairs in
/// the order given and what follows the `}`, or why it is not one.
pub fn label_set(mut s: &str) -> Result<(LabelPairs, &str), String> {
    let mut labels: Vec<(String, String)> = Vec::new();
    loop {
        s = s.trim_start();
        if let Some(tail) = s.strip_prefix('}') {
            return Ok((labels, tail));
        }
        let eq = s.find('=').ok_or("expected LABEL=\"VALUE\"")?;
        let name = s[..eq].trim();
        if !is_label_name(name) || name.starts_with("__") {
            return Err(format!("{name:?} is not a legal label name"));
        }
        if labels.iter().any(|(k, _)| k == name) {
            return Err(format!("label {name:?} is given twice"));
        }
        let quoted = s[eq + 1..].trim_start();
        let Some(body) = quoted.strip_prefix('"') else {
            return Err(format!("the value of {name:?} must be in double quotes"));
        };
        let (value, end) = quoted_value(body)?;
        labels.push((name.to_string(), value));
        s = body[end..].trim_start();
        s = s.strip_prefix(',').unwrap_or(s);
        if s.is_empty() {
            return Err("the closing } is missing".into());
        }
    }
}

/// A label value after its opening quote: the value unescaped, and where
/// the text after its closing quote starts.
fn quoted_value(body: &str) -> Result<(String, usize), String> {
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, i + 1)),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => value.push('\n'),
                Some(c @ ('"' | '\\')) => value.push(c),
                _ => return Err("only \\\", \\\\ and \\n are escapes in a label value".into()),
            },
            c => value.push(c),
        }
    }
    Err("a label value's closing quote is missing".into())
}

/// RFC 6901 escaping of one JSON pointer segment.
pub fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_metric_name("a:b_c1"));
        assert!(!is_metric_name("1a"));
        assert!(is_label_name("_x"));
        assert!(!is_label_name("a:b"));
        assert!(label_name_problem("le").is_some());
        assert!(label_name_problem("__x").is_some());
        assert!(label_name_problem("model").is_none());
        assert_eq!(escape_pointer("a/b~c"), "a~1b~0c");
    }
}
