//! The live metric state: the latest value of every series a run reported,
//! checked as `push` checks an artifact, and turned into model families for
//! the encoders at every push.
//!
//! Semantics (docs/live-metrics.md): a name is a gauge holding its latest
//! value; a name ending in `_total` is a counter holding its latest value,
//! which may never go down (a decrease is a warning and the value is
//! ignored, because Prometheus would read it as a counter reset). A problem
//! with one value never stops the run: [`State::record`] returns it as a
//! message for the caller to print with the line number.
//!
//! Memory is bounded: past `max_series` distinct series, new ones are
//! refused (a script printing `step_1=…`, `step_2=…` would otherwise grow
//! the state, and every push, without end).

use std::collections::BTreeMap;

use foldhash::HashMap;

use crate::model::{
    is_metric_name, label_name_problem, reserved_metric_problem, series_id, Family, Kind, Label,
    Sample, Series,
};

use super::lines::{legal_name_into, Reading};

/// What the state needs from the command line.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// `--label`: added to every series.
    pub labels: Vec<(String, String)>,
    /// Grouping label names; a series label may not reuse one.
    pub grouping: Vec<String>,
    /// Names simplepipe writes itself (`run_*`, `simplepipe_*`).
    pub reserved: Vec<String>,
    /// Refuse series past this many.
    pub max_series: usize,
    /// What the destination cannot carry in a label, as a reason (InfluxDB:
    /// a newline, some backslashes, reserved tag keys): the same check
    /// `push` makes on an artifact's labels. `None`: anything goes.
    pub label_check: Option<fn(&str, &str) -> Option<String>>,
    /// Refuse NaN and ±Inf (InfluxDB cannot store them): refused here, once
    /// per line read, rather than skipped with a warning at every push.
    pub finite_only: bool,
}

#[derive(Debug)]
struct FamilyState {
    kind: Kind,
    help: String,
    series: BTreeMap<Vec<(Label, Label)>, f64>,
    /// The name as it was first printed, before the name rule: another
    /// spelling that the rule makes the same name is not this metric.
    spelled: Box<str>,
    /// Whether that other spelling was warned about (once is enough).
    collided: bool,
}

/// The latest value of every series, by family name.
#[derive(Debug)]
pub struct State {
    rules: Rules,
    /// Hashed, not ordered: every value of every line looks its family up,
    /// and a tree's string comparisons were most of that; [`State::families`]
    /// sorts, once per push.
    families: HashMap<String, FamilyState>,
    series: usize,
    /// `--label`, ready to add to a series (sorted).
    extra: Vec<(Label, Label)>,
    /// Where a name the rule changes is written, reused from value to value.
    scratch: String,
    /// Bumped on every change, so a pusher can tell whether anything moved.
    pub version: u64,
}

impl State {
    pub fn new(rules: Rules) -> State {
        let mut extra: Vec<(Label, Label)> = (rules.labels.iter())
            .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
            .collect();
        extra.sort();
        State {
            rules,
            families: HashMap::default(),
            series: 0,
            extra,
            scratch: String::new(),
            version: 0,
        }
    }

    pub fn series_count(&self) -> usize {
        self.series
    }

    /// Record a value read from a line, under its name made legal by the
    /// name rule: the kind comes from the reading or, failing that, from
    /// the name (`_total` → counter). The first spelling of a name keeps
    /// it; another spelling's values are ignored, with one warning.
    pub fn record(&mut self, r: &Reading) -> Result<(), String> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let name = match legal_name_into(&r.name, &mut scratch) {
            true => scratch.as_str(),
            false => &r.name,
        };
        let kind = r.kind.unwrap_or(if name.ends_with("_total") {
            Kind::Counter
        } else {
            Kind::Gauge
        });
        let done = self.labels(&r.labels).and_then(|labels| {
            self.set_spelled(name, Some(&r.name), (kind, &r.help, labels, r.value))
        });
        self.scratch = scratch;
        done
    }

    /// Set a series to a value (for a counter: only upwards).
    pub fn set(
        &mut self,
        name: &str,
        kind: Kind,
        help: &str,
        labels: Vec<(Label, Label)>,
        value: f64,
    ) -> Result<(), String> {
        self.set_spelled(name, None, (kind, help, labels, value))
    }

    /// [`State::set`] for a name a line printed as `spelled` (`None`: set
    /// by simplepipe itself, which may use the reserved names).
    fn set_spelled(
        &mut self,
        name: &str,
        spelled: Option<&str>,
        (kind, help, labels, value): (Kind, &str, Vec<(Label, Label)>, f64),
    ) -> Result<(), String> {
        self.check(name, kind, &labels, value)?;
        let id = || series_id(name, &labels);
        // One lookup of the family and one of the series: this runs for
        // every value of every line.
        let max = self.rules.max_series;
        let over = || {
            format!(
                "{}: more than --max-series ({max}) series; this one is ignored",
                id()
            )
        };
        let Some(fam) = self.families.get_mut(name) else {
            // A reserved name never gets a family from a line, so only a
            // new one is checked.
            if spelled.is_some() && self.rules.reserved.iter().any(|n| n == name) {
                return Err(format!(
                    "{name:?} is written by simplepipe itself; rename the metric"
                ));
            }
            if let Some(why) = spelled.and_then(|_| reserved_metric_problem(name)) {
                return Err(why);
            }
            if self.series >= max {
                return Err(over());
            }
            let family = FamilyState {
                kind,
                help: help.to_string(),
                series: BTreeMap::from([(labels, value)]),
                spelled: spelled.unwrap_or(name).into(),
                collided: false,
            };
            self.families.insert(name.to_string(), family);
            self.series += 1;
            self.version += 1;
            return Ok(());
        };
        let spelled = spelled.unwrap_or(name);
        if *fam.spelled != *spelled {
            return fam.collision(name, spelled);
        }
        if fam.kind != kind {
            return Err(format!(
                "{name:?} is a {} here but was first reported as a {}; one name has one type",
                kind.name(),
                fam.kind.name()
            ));
        }
        if !help.is_empty() && fam.help != help {
            fam.help = help.to_string();
        }
        match fam.series.get_mut(&labels) {
            Some(old) => {
                if kind == Kind::Counter && value < *old {
                    return Err(format!(
                        "{}: counter went down from {old} to {value}; a counter never decreases (ignored; use a name without _total for a gauge)",
                        id()
                    ));
                }
                *old = value;
            }
            None => {
                if self.series >= max {
                    return Err(over());
                }
                fam.series.insert(labels, value);
                self.series += 1;
            }
        }
        self.version += 1;
        Ok(())
    }

    /// What is wrong with a value whatever the state holds.
    fn check(
        &self,
        name: &str,
        kind: Kind,
        labels: &[(Label, Label)],
        value: f64,
    ) -> Result<(), String> {
        let id = || series_id(name, labels);
        if !is_metric_name(name) {
            return Err(format!(
                "{name:?} is not a legal metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"
            ));
        }
        if self.rules.finite_only && !value.is_finite() {
            return Err(format!(
                "{}: {value} cannot be stored in InfluxDB (line protocol has no NaN or ±Inf); the value is ignored",
                id()
            ));
        }
        if kind == Kind::Counter && value < 0.0 {
            return Err(format!(
                "{}: {value} is negative; a counter never goes below 0 (use a name without _total for a gauge)",
                id()
            ));
        }
        Ok(())
    }

    /// Add to a counter (starting at 0).
    pub fn add(
        &mut self,
        name: &str,
        help: &str,
        labels: Vec<(Label, Label)>,
        delta: f64,
    ) -> Result<(), String> {
        if delta.is_nan() || delta < 0.0 {
            return Err(format!(
                "{}: cannot add {delta} to a counter",
                series_id(name, &labels)
            ));
        }
        let old = self
            .families
            .get(name)
            .and_then(|f| f.series.get(&labels))
            .copied()
            .unwrap_or(0.0);
        self.set(name, Kind::Counter, help, labels, old + delta)
    }

    /// The current value of a series (for tests and for derived metrics).
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let f = self.families.get(name)?;
        f.series
            .iter()
            .find(|(l, _)| {
                l.len() == labels.len()
                    && l.iter()
                        .zip(labels)
                        .all(|((k, v), (k2, v2))| &**k == *k2 && &**v == *v2)
            })
            .map(|(_, v)| *v)
    }

    /// Check a reading's labels and add the `--label` ones, sorted by name.
    pub fn labels(&self, given: &[(String, String)]) -> Result<Vec<(Label, Label)>, String> {
        if given.is_empty() {
            return Ok(self.extra.clone());
        }
        let mut out: Vec<(Label, Label)> = Vec::with_capacity(given.len() + self.extra.len());
        for (k, v) in given {
            check_label(k, &self.rules)?;
            if let Some(why) = self.rules.label_check.and_then(|check| check(k, v)) {
                return Err(why);
            }
            if out.iter().any(|(o, _)| &**o == k) {
                return Err(format!("label {k:?} is given twice"));
            }
            out.push((k.as_str().into(), v.as_str().into()));
        }
        out.extend(self.extra.iter().cloned());
        out.sort();
        Ok(out)
    }

    /// The state as model families, sorted by name, each series by labels:
    /// what the encoders take.
    pub fn families(&self) -> Vec<Family> {
        let mut sorted: Vec<_> = self.families.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        sorted
            .into_iter()
            .map(|(name, f)| Family {
                name: name.clone(),
                help: f.help.clone(),
                kind: f.kind,
                series: f
                    .series
                    .iter()
                    .map(|(labels, v)| Series {
                        labels: labels.as_slice().into(),
                        sample: Sample::Scalar(*v),
                    })
                    .collect(),
            })
            .collect()
    }
}

impl FamilyState {
    /// A value printed as `spelled`, which the name rule made `name`, the
    /// name of another spelling's family: ignored, with one warning.
    fn collision(&mut self, name: &str, spelled: &str) -> Result<(), String> {
        if std::mem::replace(&mut self.collided, true) {
            return Ok(());
        }
        Err(format!(
            "{spelled:?} would be the metric {name} (a name is made legal by turning other characters into _), which {:?} already is; its values are ignored (rename one of them)",
            self.spelled
        ))
    }
}

/// The label checks `push` makes (see `crate::model`), as one message.
fn check_label(name: &str, rules: &Rules) -> Result<(), String> {
    if let Some(why) = label_name_problem(name) {
        return Err(why);
    }
    if rules.grouping.iter().any(|g| g == name) {
        return Err(format!("{name:?} is also a grouping label; the Pushgateway would silently overwrite this value with the group's (rename the label)"));
    }
    if rules.labels.iter().any(|(k, _)| k == name) {
        return Err(format!(
            "{name:?} is also given by --label; set it in one place"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::lines::LineParser;

    fn rules() -> Rules {
        Rules {
            labels: vec![("run".into(), "r1".into())],
            grouping: vec!["job".into(), "user".into()],
            reserved: vec!["run_exit_code".into()],
            max_series: 5,
            label_check: None,
            finite_only: false,
        }
    }

    /// Feed lines, collecting "line N: warning" messages.
    fn feed(state: &mut State, lines: &[&str]) -> Vec<String> {
        let parser = LineParser::new();
        let mut warnings = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let p = parser.parse(line);
            for w in p.warnings {
                warnings.push(format!("line {}: {w}", i + 1));
            }
            for r in &p.readings {
                if let Err(w) = state.record(r) {
                    warnings.push(format!("line {}: {w}", i + 1));
                }
            }
        }
        warnings
    }

    #[test]
    fn gauges_hold_the_latest_counters_never_go_down() {
        let mut s = State::new(rules());
        let w = feed(
            &mut s,
            &[
                "epoch=1 loss=0.9 images_total=100",
                "epoch=2 loss=1.2 images_total=250",
                "epoch=3 loss=0.4 images_total=200",
                "images_total=-1",
            ],
        );
        assert_eq!(
            w,
            [
                r#"line 3: images_total{run="r1"}: counter went down from 250 to 200; a counter never decreases (ignored; use a name without _total for a gauge)"#,
                r#"line 4: images_total{run="r1"}: -1 is negative; a counter never goes below 0 (use a name without _total for a gauge)"#,
            ]
        );
        assert_eq!(s.get("loss", &[("run", "r1")]), Some(0.4));
        assert_eq!(s.get("epoch", &[("run", "r1")]), Some(3.0));
        assert_eq!(s.get("images_total", &[("run", "r1")]), Some(250.0));
        let f = s.families();
        assert_eq!(
            f.iter()
                .map(|f| (f.name.as_str(), f.kind))
                .collect::<Vec<_>>(),
            [
                ("epoch", Kind::Gauge),
                ("images_total", Kind::Counter),
                ("loss", Kind::Gauge)
            ]
        );
        assert_eq!(
            f[2].series[0].labels.as_slice(),
            [("run".into(), "r1".into())]
        );
    }

    #[test]
    fn checks_as_push_does() {
        let mut s = State::new(rules());
        let w = feed(
            &mut s,
            &[
                "val-loss=0.3 x{le=\"1\"}=2",
                r#"{"name":"x","value":1,"labels":{"le":"1"}}"#,
                r#"{"name":"x","value":1,"labels":{"__name__":"y"}}"#,
                r#"{"name":"x","value":1,"labels":{"user":"bob"}}"#,
                r#"{"name":"x","value":1,"labels":{"run":"r2"}}"#,
                r#"{"name":"x","value":1,"labels":{"a-b":"1"}}"#,
                "run_exit_code=3",
                r#"{"name":"loss","type":"counter","value":1}"#,
                "loss=2",
            ],
        );
        assert_eq!(
            w,
            [
                r#"line 1: "le" is reserved for histogram buckets and summary quantiles"#,
                r#"line 2: "le" is reserved for histogram buckets and summary quantiles"#,
                r#"line 3: "__name__": label names starting with "__" are reserved by Prometheus"#,
                r#"line 4: "user" is also a grouping label; the Pushgateway would silently overwrite this value with the group's (rename the label)"#,
                r#"line 5: "run" is also given by --label; set it in one place"#,
                r#"line 6: "a-b" is not a legal label name ([a-zA-Z_][a-zA-Z0-9_]*)"#,
                r#"line 7: "run_exit_code" is written by simplepipe itself; rename the metric"#,
                r#"line 9: "loss" is a gauge here but was first reported as a counter; one name has one type"#,
            ]
        );
        assert_eq!(s.get("loss", &[("run", "r1")]), Some(1.0));
        // Lines' names are made legal by the name rule; `set` still checks.
        assert_eq!(s.get("val_loss", &[("run", "r1")]), Some(0.3));
        assert_eq!(
            s.set("val-loss", Kind::Gauge, "", vec![], 1.0),
            Err(r#""val-loss" is not a legal metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"#.into())
        );
    }

    #[test]
    fn two_spellings_of_one_name_are_one_warning_and_the_first_keeps_it() {
        let mut s = State::new(rules());
        let w = feed(
            &mut s,
            &[
                "val_loss=0.5",
                "val/loss=0.7 acc=0.9",
                "val-loss=0.8 val/loss=0.9",
                "val_loss=0.4",
            ],
        );
        assert_eq!(
            w,
            [
                r#"line 2: "val/loss" would be the metric val_loss (a name is made legal by turning other characters into _), which "val_loss" already is; its values are ignored (rename one of them)"#
            ]
        );
        assert_eq!(s.get("val_loss", &[("run", "r1")]), Some(0.4));
        assert_eq!(s.get("acc", &[("run", "r1")]), Some(0.9));
        // The first spelling may be one the rule changed.
        let mut s = State::new(rules());
        assert_eq!(
            feed(&mut s, &["train-rmse=0.5", "train-rmse=0.4"]),
            Vec::<String>::new()
        );
        assert_eq!(feed(&mut s, &["train_rmse=0.1"]).len(), 1);
        assert_eq!(s.get("train_rmse", &[("run", "r1")]), Some(0.4));
    }

    #[test]
    fn the_destinations_label_check_applies_to_every_series_label() {
        let influx = |k: &str, v: &str| {
            (k == "time" || v.contains('\n')).then(|| format!("{k:?}: not for InfluxDB"))
        };
        let lines = [
            r#"{"name":"x","value":1,"labels":{"path":"a\nb"}}"#,
            r#"{"name":"x","value":2,"labels":{"time":"t"}}"#,
            r#"{"name":"x","value":3,"labels":{"path":"a b,c=d"}}"#,
        ];
        let mut s = State::new(Rules {
            label_check: Some(influx),
            ..rules()
        });
        assert_eq!(
            feed(&mut s, &lines),
            [
                r#"line 1: "path": not for InfluxDB"#,
                r#"line 2: "time": not for InfluxDB"#
            ]
        );
        assert_eq!(s.get("x", &[("path", "a\nb"), ("run", "r1")]), None);
        assert_eq!(s.get("x", &[("path", "a b,c=d"), ("run", "r1")]), Some(3.0));
        assert_eq!(s.series_count(), 1);
        // Without a check (the Pushgateway, remote write) all three land.
        let mut s = State::new(rules());
        assert_eq!(feed(&mut s, &lines), Vec::<String>::new());
        assert_eq!(s.series_count(), 3);
    }

    #[test]
    fn finite_only_refuses_nan_and_inf_and_keeps_the_last_value() {
        let mut s = State::new(Rules {
            finite_only: true,
            ..rules()
        });
        assert_eq!(
            feed(&mut s, &["loss=0.5", "loss=NaN", "x=+Inf"]),
            [
                r#"line 2: loss{run="r1"}: NaN cannot be stored in InfluxDB (line protocol has no NaN or ±Inf); the value is ignored"#,
                r#"line 3: x{run="r1"}: inf cannot be stored in InfluxDB (line protocol has no NaN or ±Inf); the value is ignored"#,
            ]
        );
        assert_eq!(s.get("loss", &[("run", "r1")]), Some(0.5));
        assert_eq!(s.series_count(), 1);
        let mut s = State::new(rules());
        assert_eq!(feed(&mut s, &["loss=NaN"]), Vec::<String>::new());
    }

    #[test]
    fn series_are_bounded() {
        let mut s = State::new(rules());
        let w = feed(&mut s, &["a=1 b=1 c=1 d=1 e=1", "f=1 a=2"]);
        assert_eq!(
            w,
            [r#"line 2: f{run="r1"}: more than --max-series (5) series; this one is ignored"#]
        );
        assert_eq!(s.series_count(), 5);
        assert_eq!(s.get("a", &[("run", "r1")]), Some(2.0));
    }

    #[test]
    fn add_accumulates_counters() {
        let mut s = State::new(Rules {
            max_series: 10,
            ..Rules::default()
        });
        s.add("n_total", "", vec![], 2.0).unwrap();
        s.add("n_total", "", vec![], 3.5).unwrap();
        assert_eq!(s.get("n_total", &[]), Some(5.5));
        assert!(s.add("n_total", "", vec![], -1.0).is_err());
        assert_eq!(s.version, 2);
    }
}
