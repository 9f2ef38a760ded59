//! Stage 4, model: turn a validated document into metric families, and run
//! the checks a JSON Schema cannot express.
//!
//! Every format ends up as the same [`Family`] list, so the encoder and the
//! push never know which format an artifact was in. The checks here are the
//! ones that need the whole artifact or the command line: legal names,
//! reserved and duplicate labels, one type per name, duplicate series,
//! histogram bucket order, and clashes with grouping labels (which the
//! Pushgateway would silently overwrite). Like schema violations, every
//! problem is collected and reported with its pointer before anything is
//! pushed.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{check, Problem};
use crate::parse::Document;
use crate::schema::Format;
use crate::validate::Validated;

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
/// values repeat, and a shared `Arc<str>` costs 16 bytes where an owned
/// `String` costs 24 plus its own allocation.
pub type Label = std::sync::Arc<str>;

/// One series: its labels (sorted by name) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Vec<(Label, Label)>,
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

/// What the model needs from the command line.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// `--label`: added to every series.
    pub labels: Vec<(String, String)>,
    /// Names of the grouping labels; series labels may not reuse them.
    pub grouping: Vec<String>,
    /// `--metric`: inline gauges.
    pub inline: Vec<(String, f64)>,
    /// Unix time in seconds, for the `_created` series the original
    /// Simplepipe's Python client emitted.
    pub now: f64,
}

/// The families to push, and warnings that do not stop the push.
#[derive(Debug, Default)]
pub struct Model {
    pub families: Vec<Family>,
    pub warnings: Vec<Problem>,
}

impl Model {
    pub fn series_count(&self) -> usize {
        self.families.iter().map(|f| f.series.len()).sum()
    }
}

/// The default buckets of the Python client the original Simplepipe used.
pub const PYTHON_DEFAULT_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

pub fn build(doc: Option<Document>, validated: Option<&Validated>, extra: &Extra) -> Result<Model> {
    let origin = doc
        .as_ref()
        .map_or_else(|| "--metric".to_string(), |d| d.origin.clone());
    let mut b = Builder::new(extra);
    if let (Some(doc), Some(v)) = (doc, validated) {
        match v.format {
            Format::Metrics => b.metrics(doc),
            Format::Simple => b.simple(doc.value),
            Format::V0 => b.v0(doc.value),
        }
    }
    for (name, value) in &extra.inline {
        let entry = Entry::scalar(name, Kind::Gauge, *value);
        b.add(format!("--metric {name}"), entry);
    }
    b.name_collisions();
    let Builder {
        families,
        problems,
        warnings,
        ..
    } = b;
    check(&origin, problems)?;
    Ok(Model { families, warnings })
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
pub fn is_metric_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`
pub fn is_label_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A number as text: what Rust's float parser takes (which covers Python's
/// float() for the strings artifacts hold: "6", "2.5e3", "nan", "+Inf").
pub fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<f64>().ok()
}

/// A metric entry, whatever format it came from, before it joins a family.
struct Entry {
    name: String,
    kind: Kind,
    help: String,
    labels: Vec<(String, String)>,
    sample: Sample,
}

impl Entry {
    fn scalar(name: &str, kind: Kind, v: f64) -> Entry {
        Entry {
            name: name.to_string(),
            kind,
            help: String::new(),
            labels: Vec::new(),
            sample: Sample::Scalar(v),
        }
    }
}

/// Where a series is: family and series index, and its pointer's place in
/// `Builder::pointer_text`.
#[derive(Clone, Copy)]
struct Slot {
    family: u32,
    series: u32,
    at: (u32, u32),
}

/// Where a family was first declared and where each series came from, for
/// messages that point at both places.
struct Seen {
    family: usize,
    pointer: String,
    help_pointer: Option<String>,
}

struct Builder<'a> {
    extra: &'a Extra,
    families: Vec<Family>,
    by_name: HashMap<String, Seen>,
    /// Series seen so far, by a hash of name and labels. A hash match is
    /// confirmed against the stored series; the rare second series with the
    /// same hash goes to `series_overflow`. Pointers live in one string, so
    /// 100,000 series cost no per-series allocation here.
    series_at: HashMap<u64, Slot>,
    series_overflow: HashMap<u64, Vec<Slot>>,
    pointer_text: String,
    hasher: std::collections::hash_map::RandomState,
    interner: std::collections::HashSet<Label>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl<'a> Builder<'a> {
    fn new(extra: &'a Extra) -> Self {
        Builder {
            extra,
            families: Vec::new(),
            by_name: HashMap::new(),
            series_at: HashMap::new(),
            series_overflow: HashMap::new(),
            pointer_text: String::new(),
            hasher: std::collections::hash_map::RandomState::new(),
            interner: std::collections::HashSet::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn problem(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(pointer, message));
    }

    /// Deserialize a schema-valid document; a failure here means the schema
    /// and this code disagree, which is reported rather than panicking.
    fn typed<T: for<'de> Deserialize<'de>>(&mut self, value: Value) -> Option<T> {
        match serde_json::from_value(value) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(
                    "",
                    format!(
                        "cannot be read although it matches its schema ({e}); please report this"
                    ),
                );
                None
            }
        }
    }

    fn metrics(&mut self, doc: Document) {
        let top_labels = doc
            .value
            .get("labels")
            .cloned()
            .unwrap_or(Value::Object(Default::default()));
        let Some(top_labels) = self.typed::<BTreeMap<String, String>>(top_labels) else {
            return;
        };
        // Streamed: each entry is deserialized from its raw slice only when
        // its turn comes, so the typed entries never exist all at once.
        let entries: Box<dyn Iterator<Item = serde_json::Result<MetricEntry>>> = match doc.entries {
            Some(raw) => Box::new(raw.into_iter().map(|r| serde_json::from_str(r.get()))),
            None => {
                let all = doc
                    .value
                    .get("metrics")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                Box::new(all.into_iter().map(serde_json::from_value))
            }
        };
        for name in top_labels.keys() {
            self.check_label_name(|| format!("/labels/{}", escape_pointer(name)), name);
        }
        for (i, m) in entries.enumerate() {
            let at = format!("/metrics/{i}");
            let m: MetricEntry = match m {
                Ok(m) => m,
                Err(e) => {
                    self.problem(at, format!("cannot be read although it matches its schema ({e}); please report this"));
                    continue;
                }
            };
            let mut labels: Vec<(String, String)> = top_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, v) in m.labels {
                let lp = || format!("{at}/labels/{}", escape_pointer(&k));
                if top_labels.contains_key(&k) {
                    self.problem(lp(), format!("label {k:?} is also set in the top-level \"labels\"; set it in one place"));
                    continue;
                }
                self.check_label_name(lp, &k);
                labels.push((k, v));
            }
            let sample = match m.kind {
                Kind::Gauge | Kind::Counter | Kind::Untyped => {
                    let v = self.num(|| format!("{at}/value"), m.value.as_ref());
                    if m.kind == Kind::Counter && v < 0.0 {
                        self.problem(
                            format!("{at}/value"),
                            format!("{v} is negative; a counter never goes below 0 (use a gauge)"),
                        );
                    }
                    Sample::Scalar(v)
                }
                Kind::Histogram => {
                    let count = m.count.unwrap_or(0);
                    let buckets = self.buckets(&at, &m.buckets, count);
                    Sample::Histogram {
                        buckets,
                        sum: self.num(|| format!("{at}/sum"), m.sum.as_ref()),
                        count,
                    }
                }
                Kind::Summary => {
                    let mut quantiles = Vec::with_capacity(m.quantiles.len());
                    for (j, q) in m.quantiles.iter().enumerate() {
                        let qp = format!("{at}/quantiles/{j}/quantile");
                        if quantiles.iter().any(|&(prev, _)| prev == q.quantile) {
                            self.problem(qp, format!("quantile {} appears twice", q.quantile));
                            continue;
                        }
                        quantiles.push((
                            q.quantile,
                            self.num(|| format!("{at}/quantiles/{j}/value"), Some(&q.value)),
                        ));
                    }
                    Sample::Summary {
                        quantiles,
                        sum: self.num(|| format!("{at}/sum"), m.sum.as_ref()),
                        count: m.count.unwrap_or(0),
                    }
                }
            };
            let entry = Entry {
                name: m.name,
                kind: m.kind,
                help: m.help,
                labels,
                sample,
            };
            self.add(at, entry);
        }
    }

    fn simple(&mut self, value: Value) {
        let Value::Object(map) = value else { return };
        for (name, v) in map {
            if name == "$schema" {
                continue;
            }
            let at = format!("/{}", escape_pointer(&name));
            let v = self.num(
                || at.clone(),
                serde_json::from_value::<Num>(v).ok().as_ref(),
            );
            self.add(at, Entry::scalar(&name, Kind::Gauge, v));
        }
        if self.families.is_empty() && self.problems.is_empty() {
            self.problem("", "must hold at least one metric");
        }
    }

    fn v0(&mut self, value: Value) {
        let Value::Array(items) = value else { return };
        for (i, item) in items.into_iter().enumerate() {
            let at = format!("/{i}");
            if let Value::Object(map) = &item {
                for key in map.keys() {
                    if !["name", "description", "value", "metric_type"].contains(&key.as_str()) {
                        self.warnings.push(Problem::new(
                            format!("{at}/{}", escape_pointer(key)),
                            "unknown key ignored (the original Simplepipe ignored it too)",
                        ));
                    }
                }
            }
            let Some(m) = self.typed::<V0Entry>(item) else {
                continue;
            };
            let help = m.description;
            let created = || Entry {
                help: help.clone(),
                ..Entry::scalar(&format!("{}_created", m.name), Kind::Gauge, self.extra.now)
            };
            match m.metric_type {
                V0Type::Info => {
                    let Value::Object(kv) = m.value else { continue };
                    let mut labels = Vec::new();
                    for (k, v) in kv {
                        self.check_label_name(|| format!("{at}/value/{}", escape_pointer(&k)), &k);
                        labels.push((k, v.as_str().unwrap_or_default().to_string()));
                    }
                    let entry = Entry {
                        help,
                        labels,
                        ..Entry::scalar(&format!("{}_info", m.name), Kind::Gauge, 1.0)
                    };
                    self.add(at, entry);
                }
                V0Type::Gauge => {
                    let v = self.v0_num(&at, &m.value);
                    self.add(
                        at,
                        Entry {
                            help,
                            ..Entry::scalar(&m.name, Kind::Gauge, v)
                        },
                    );
                }
                // One observation, as prometheus_client's Summary.observe and
                // Histogram.observe (default buckets) recorded it, plus the
                // client's `<name>_created` gauge.
                V0Type::Summary | V0Type::Histogram => {
                    let v = self.v0_num(&at, &m.value);
                    let created = created();
                    let (kind, sample) = if matches!(m.metric_type, V0Type::Summary) {
                        let sample = Sample::Summary {
                            quantiles: Vec::new(),
                            sum: v,
                            count: 1,
                        };
                        (Kind::Summary, sample)
                    } else {
                        let buckets = PYTHON_DEFAULT_BUCKETS
                            .iter()
                            .map(|&le| (le, u64::from(v <= le)))
                            .collect();
                        (
                            Kind::Histogram,
                            Sample::Histogram {
                                buckets,
                                sum: v,
                                count: 1,
                            },
                        )
                    };
                    self.add(
                        at.clone(),
                        Entry {
                            help,
                            sample,
                            ..Entry::scalar(&m.name, kind, v)
                        },
                    );
                    self.add(at, created);
                }
            }
        }
    }

    fn v0_num(&mut self, at: &str, v: &Value) -> f64 {
        let n = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => parse_number(s),
            _ => None,
        };
        n.unwrap_or_else(|| {
            self.problem(format!("{at}/value"), format!("{v} is not a number"));
            f64::NAN
        })
    }

    fn num(&mut self, at: impl FnOnce() -> String, v: Option<&Num>) -> f64 {
        match v {
            Some(Num::F(f)) => *f,
            Some(Num::S(s)) => match s.as_str() {
                "NaN" => f64::NAN,
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                _ => {
                    self.problem(at(), format!("{s:?} is not a number"));
                    f64::NAN
                }
            },
            None => {
                self.problem(at(), "missing");
                f64::NAN
            }
        }
    }

    fn buckets(&mut self, at: &str, raw: &[Bucket], count: u64) -> Vec<(f64, u64)> {
        let mut out: Vec<(f64, u64)> = Vec::with_capacity(raw.len());
        let mut inf_seen = false;
        for (j, b) in raw.iter().enumerate() {
            let bp = format!("{at}/buckets/{j}");
            if inf_seen {
                self.problem(
                    format!("{bp}/le"),
                    "no bucket may follow the \"+Inf\" bucket",
                );
                continue;
            }
            let le = match &b.le {
                Num::F(f) => *f,
                Num::S(_) => f64::INFINITY,
            };
            if let Some(&(prev_le, prev_count)) = out.last() {
                if le <= prev_le {
                    self.problem(format!("{bp}/le"), format!("{le} is not above the previous bucket's {prev_le}; buckets must be sorted by \"le\""));
                } else if b.count < prev_count {
                    self.problem(format!("{bp}/count"), format!("{} is below the previous bucket's {prev_count}; bucket counts are cumulative and never go down", b.count));
                }
            }
            if le == f64::INFINITY {
                inf_seen = true;
                if b.count != count {
                    self.problem(format!("{bp}/count"), format!("the \"+Inf\" bucket counts {} but \"count\" is {count}; they must be equal", b.count));
                }
            } else {
                if b.count > count {
                    self.problem(format!("{bp}/count"), format!("{} is above \"count\" ({count}); no bucket can hold more than every observation", b.count));
                }
                out.push((le, b.count));
            }
        }
        out
    }

    /// Check a label name; the pointer is only built when there is a problem
    /// (this runs once per label of every series).
    fn check_label_name(&mut self, at: impl FnOnce() -> String, name: &str) {
        let msg = if !is_label_name(name) {
            format!("{name:?} is not a legal label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        } else if name.starts_with("__") {
            format!("{name:?}: label names starting with \"__\" are reserved by Prometheus")
        } else if name == "le" || name == "quantile" {
            format!("{name:?} is reserved for histogram buckets and summary quantiles")
        } else if self.extra.grouping.iter().any(|g| g == name) {
            format!("{name:?} is also a grouping label; the Pushgateway would silently overwrite this value with the group's (rename the label)")
        } else if self.extra.labels.iter().any(|(k, _)| k == name) {
            format!("{name:?} is also given by --label; set it in one place")
        } else {
            return;
        };
        self.problem(at(), msg);
    }

    /// Histogram and summary families write `_bucket`, `_sum` and `_count`
    /// series; another family with one of those names would corrupt them.
    fn name_collisions(&mut self) {
        let mut found = Vec::new();
        for f in &self.families {
            let suffixes: &[&str] = match f.kind {
                Kind::Histogram => &["_bucket", "_sum", "_count"],
                Kind::Summary => &["_sum", "_count"],
                _ => &[],
            };
            for s in suffixes {
                let other = format!("{}{s}", f.name);
                if let Some(seen) = self.by_name.get(&other) {
                    let msg = format!(
                        "metric {other:?} collides with the {s} series of {} {:?} at {}; rename one of them",
                        f.kind.name(),
                        f.name,
                        self.by_name[&f.name].pointer.trim_start_matches('/')
                    );
                    found.push(Problem::new(seen.pointer.clone(), msg));
                }
            }
        }
        self.problems.extend(found);
    }

    fn intern(&mut self, s: String) -> Label {
        if let Some(shared) = self.interner.get(s.as_str()) {
            return shared.clone();
        }
        let shared: Label = s.into();
        self.interner.insert(shared.clone());
        shared
    }

    /// Add an entry to its family, checking name, type, help and duplicates.
    fn add(&mut self, at: String, mut e: Entry) {
        if !is_metric_name(&e.name) {
            let np = if at.starts_with('/')
                && !e.name.ends_with("_info")
                && !e.name.ends_with("_created")
            {
                format!("{at}/name")
            } else {
                at.clone()
            };
            self.problem(
                np,
                format!(
                    "{:?} is not a legal metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
                    e.name
                ),
            );
            return;
        }
        e.labels.extend(self.extra.labels.iter().cloned());
        e.labels.sort();
        let idx = match self.by_name.get(&e.name) {
            Some(seen) => {
                let fam = &mut self.families[seen.family];
                if fam.kind != e.kind {
                    let msg = format!(
                        "{:?} is declared as a {} here but as a {} at {}; one name has one type",
                        e.name,
                        e.kind.name(),
                        fam.kind.name(),
                        seen.pointer.trim_start_matches('/')
                    );
                    self.problem(at, msg);
                    return;
                }
                if !e.help.is_empty() {
                    if fam.help.is_empty() {
                        fam.help = e.help.clone();
                    } else if fam.help != e.help {
                        let msg = format!(
                            "help {:?} differs from {:?} given at {}; a family has one help text",
                            e.help,
                            fam.help,
                            seen.help_pointer
                                .as_deref()
                                .unwrap_or(&seen.pointer)
                                .trim_start_matches('/')
                        );
                        self.problem(at, msg);
                        return;
                    }
                }
                seen.family
            }
            None => {
                self.families.push(Family {
                    name: e.name.clone(),
                    help: e.help.clone(),
                    kind: e.kind,
                    series: Vec::new(),
                });
                let family = self.families.len() - 1;
                let help_pointer = (!e.help.is_empty()).then(|| at.clone());
                self.by_name.insert(
                    e.name.clone(),
                    Seen {
                        family,
                        pointer: at.clone(),
                        help_pointer,
                    },
                );
                family
            }
        };
        if let Some(seen) = self.by_name.get_mut(&e.name) {
            if seen.help_pointer.is_none() && !e.help.is_empty() {
                seen.help_pointer = Some(at.clone());
            }
        }
        let key = {
            use std::hash::{BuildHasher, Hash, Hasher};
            let mut h = self.hasher.build_hasher();
            e.name.hash(&mut h);
            for (k, v) in &e.labels {
                k.as_str().hash(&mut h);
                v.as_str().hash(&mut h);
            }
            h.finish()
        };
        let candidates = self
            .series_at
            .get(&key)
            .into_iter()
            .chain(self.series_overflow.get(&key).into_iter().flatten());
        let same = candidates.copied().find(|slot| {
            let fam = &self.families[slot.family as usize];
            let stored = &fam.series[slot.series as usize].labels;
            fam.name == e.name
                && stored.len() == e.labels.len()
                && stored
                    .iter()
                    .zip(&e.labels)
                    .all(|((k1, v1), (k2, v2))| **k1 == *k2 && **v1 == *v2)
        });
        if let Some(first) = same {
            let first = &self.pointer_text[first.at.0 as usize..(first.at.0 + first.at.1) as usize];
            let msg = format!(
                "duplicate series {}: {} has the same name and labels",
                series_id(&e.name, &e.labels),
                first.trim_start_matches('/')
            );
            self.problem(at, msg);
            return;
        }
        let slot = Slot {
            family: idx as u32,
            series: self.families[idx].series.len() as u32,
            at: (self.pointer_text.len() as u32, at.len() as u32),
        };
        self.pointer_text.push_str(&at);
        match self.series_at.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(slot);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.series_overflow.entry(key).or_default().push(slot)
            }
        }
        let labels = e
            .labels
            .into_iter()
            .map(|(k, v)| (self.intern(k), self.intern(v)))
            .collect();
        self.families[idx].series.push(Series {
            labels,
            sample: e.sample,
        });
    }
}

fn series_id(name: &str, labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return name.to_string();
    }
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// RFC 6901 escaping of one pointer segment.
fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[derive(Deserialize)]
struct MetricEntry {
    name: String,
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(default)]
    help: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    value: Option<Num>,
    #[serde(default)]
    buckets: Vec<Bucket>,
    #[serde(default)]
    quantiles: Vec<Quantile>,
    sum: Option<Num>,
    count: Option<u64>,
}

#[derive(Deserialize)]
struct Bucket {
    le: Num,
    count: u64,
}

#[derive(Deserialize)]
struct Quantile {
    quantile: f64,
    value: Num,
}

/// A value: a JSON number or one of the strings "NaN", "+Inf", "-Inf".
/// Deserialized with a visitor rather than `#[serde(untagged)]`, which
/// buffers every value and tries each variant in turn (measured: the model
/// stage spent much of its time there on 100,000 series).
enum Num {
    F(f64),
    S(String),
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, \"NaN\", \"+Inf\" or \"-Inf\"")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num::F(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num::F(v as f64))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num::F(v as f64))
            }
            fn visit_str<E>(self, v: &str) -> Result<Num, E> {
                Ok(Num::S(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct V0Entry {
    name: String,
    description: String,
    value: Value,
    metric_type: V0Type,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum V0Type {
    Gauge,
    Summary,
    Histogram,
    Info,
}
