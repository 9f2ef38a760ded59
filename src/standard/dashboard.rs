//! A Grafana dashboard derived from a standard, and the ConfigMap that the
//! Grafana sidecar of kube-prometheus-stack loads (`grafana_dashboard: "1"`).
//!
//! For each metric: the latest value per user side by side (bar gauge) and
//! the value over time by user (time series), the `expect` bounds drawn as
//! thresholds, the unit from `unit`. A metric's own labels (`labels:
//! [split]`) split it further, one series per user and value
//! (`max by (user, split)`, legend `alice split=train`): folded into one
//! number, `train` and `validation` would hide each other. Then a row of run outcomes from the
//! Argo exit handler and a row of freshness (time since the last push).
//! The uid and every panel id are derived from the standard alone, so
//! re-applying the dashboard updates it in place.
//!
//! Two query styles: scraped from a Pushgateway, a pushed value stays
//! visible until replaced, so the plain selector is the latest value; sent
//! by remote write (`--remote-write`), a push is one sample, so the latest
//! value is `last_over_time(…[30d])` and a run over time is the maximum per
//! interval.

use serde_json::{json, Value};

use super::{number, promql_any_of, Bounds, Standard};

/// How the metrics reach Prometheus, which decides how to query them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Scraped from a Pushgateway: the latest push is always present.
    Pushgateway,
    /// Remote write: one sample per push.
    RemoteWrite,
}

const DS: &str = "${datasource}";
/// How far back "the latest value" looks under remote write.
const LOOKBACK: &str = "30d";

/// The dashboard JSON.
pub fn dashboard(std: &Standard, storage: Storage) -> Value {
    let mut all = Vec::new();
    panels(std, storage, &mut |p| all.push(p));
    envelope(std, all)
}

/// Each panel of the dashboard in turn, top to bottom, handed to `emit`
/// rather than collected: a standard of 400,000 metrics has 800,000
/// panels, gigabytes as `Value`s ([`super::dashboard_text`] writes each
/// as it comes).
pub(super) fn panels(std: &Standard, storage: Storage, emit: &mut dyn FnMut(Value)) {
    let q = Queries { storage };
    let mut at = Layout { emit, id: 0, y: 0 };
    metric_panels(&mut at, std, &q);
    outcome_panels(&mut at, std, &q);
    freshness_panel(&mut at, std, storage);
}

/// Where the panels go, top to bottom: each panel takes the next id, and
/// `y` is the first free grid row.
struct Layout<'a> {
    emit: &'a mut dyn FnMut(Value),
    id: u32,
    y: u32,
}

impl Layout<'_> {
    fn push(&mut self, panel: Value) {
        (self.emit)(panel);
    }

    /// The next panel id (ids start at 1 and follow the order of the panels).
    fn next(&mut self) -> u32 {
        self.id += 1;
        self.id
    }

    /// A row header across the full width, one grid unit high.
    fn row(&mut self, title: &str) {
        let id = self.next();
        self.push(row(id, title, self.y));
        self.y += 1;
    }
}

/// The series of `metric` from the jobs matched by `job` (a quoted regex) and
/// the users picked in the dashboard's variables.
fn selector(metric: &str, job: &str) -> String {
    format!("{metric}{{job=~{job}, user=~\"$user\"}}")
}

/// The "Standard metrics" row: per metric, the latest value per user beside
/// its value over time.
fn metric_panels(at: &mut Layout, std: &Standard, q: &Queries) {
    at.row("Standard metrics");
    for m in &std.spec.metrics {
        let s = selector(&m.name, "\"$job\"");
        let look = Look {
            description: m.help.clone().unwrap_or_else(|| m.name.clone()),
            unit: unit(m.unit.as_deref()),
            thresholds: thresholds(m.expect),
            by: m.labels.clone(),
        };
        let title = format!(
            "{}: latest per {}",
            m.name,
            look.by().replace(", ", " and ")
        );
        let id = at.next();
        let panel = latest(id, &title, &q.latest("max", &s, &look), &look, (0, at.y, 8));
        at.push(panel);
        let title = format!("{} over time", m.name);
        let id = at.next();
        let panel = over_time(id, &title, &q.over_time(&s, &look), &look, (8, at.y, 16));
        at.push(panel);
        at.y += 8;
    }
}

/// The "Run outcomes" row: what the Argo exit handler pushes under the
/// standard's outcome job (success, duration).
fn outcome_panels(at: &mut Layout, std: &Standard, q: &Queries) {
    let outcome = promql_any_of(std::slice::from_ref(&std.spec.outcome_job));
    at.row("Run outcomes");
    let by_exit_handler = |metric: &str, unit: &str, expect: Option<Bounds>| Look {
        description: format!("{metric}, pushed by the Argo exit handler"),
        unit: unit.to_string(),
        thresholds: thresholds(expect),
        by: Vec::new(),
    };
    let ok = Bounds {
        min: Some(1.0),
        max: None,
    };
    let look = by_exit_handler("workflow_succeeded", "none", Some(ok));
    let expr = q.latest("min", &selector("workflow_succeeded", &outcome), &look);
    let id = at.next();
    at.push(latest(
        id,
        "Last workflow succeeded (1) or failed (0)",
        &expr,
        &look,
        (0, at.y, 8),
    ));
    let look = by_exit_handler("workflow_duration_seconds", "s", None);
    let expr = q.over_time(&selector("workflow_duration_seconds", &outcome), &look);
    let id = at.next();
    at.push(over_time(
        id,
        "Workflow duration",
        &expr,
        &look,
        (8, at.y, 16),
    ));
    at.y += 8;
}

/// The "Freshness" row: time since each job and user last pushed, against the
/// standard's freshness limit.
fn freshness_panel(at: &mut Layout, std: &Standard, storage: Storage) {
    at.row("Freshness");
    let stale = std.spec.freshness.as_ref().map(|f| f.secs as f64);
    let look = Look {
        description: "Per job and user; the standard's freshness limit is the red threshold."
            .into(),
        unit: "s".to_string(),
        thresholds: thresholds(Some(Bounds {
            min: None,
            max: stale,
        })),
        by: Vec::new(),
    };
    let first = selector(&std.spec.metrics[0].name, "\"$job\"");
    let since = match storage {
        Storage::Pushgateway => format!(
            "time() - max by (job, user) ({})",
            selector("push_time_seconds", "\"$job\"")
        ),
        // One sample per push: the time of the newest sample, found by a
        // subquery whose 1m steps each see the samples of the 5m before.
        Storage::RemoteWrite => format!(
            "time() - max by (job, user) (max_over_time(timestamp({first})[{LOOKBACK}:1m]))"
        ),
    };
    let id = at.next();
    let mut p = latest(id, "Time since the last push", &since, &look, (0, at.y, 24));
    p["targets"][0]["legendFormat"] = json!("{{user}} ({{job}})");
    at.push(p);
}

/// The dashboard around its panels: uid, title, time range and the
/// data source, job and user variables.
pub(super) fn envelope(std: &Standard, panels: Vec<Value>) -> Value {
    let jobs = promql_any_of(&std.spec.jobs);
    let first_metric = &std.spec.metrics[0].name;
    json!({
        "uid": uid(std.name()),
        "title": format!("simplepipe: {}", std.name()),
        "description": std.metadata.description.clone().unwrap_or_default(),
        "tags": ["simplepipe", "standard", std.name()],
        "editable": true,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-7d", "to": "now"},
        "timezone": "browser",
        "annotations": {"list": []},
        "links": [],
        "templating": {"list": [
            {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus", "hide": 0},
            variable("job", "Job", &format!("label_values({first_metric}{{job=~{jobs}}}, job)")),
            variable("user", "User", &format!("label_values({first_metric}{{job=~\"$job\"}}, user)")),
        ]},
        "panels": panels,
    })
}

/// The dashboard wrapped in a ConfigMap for the Grafana sidecar.
pub fn configmap_yaml(std: &Standard, storage: Storage) -> String {
    let text = serde_json::to_string_pretty(&dashboard(std, storage)).expect("JSON serializes");
    configmap_around(std, text)
}

/// The ConfigMap holding `text` as its one data value.
pub(super) fn configmap_around(std: &Standard, text: String) -> String {
    let doc = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": format!("simplepipe-dashboard-{}", std.name()),
            "labels": {"grafana_dashboard": "1", "app.kubernetes.io/name": "simplepipe-standard"},
        },
        "data": {format!("simplepipe-{}.json", std.name()): text},
    });
    format!(
        "# Generated by `simplepipe dashboard --configmap` from the standard {}; edit the standard, not this file.\n{}",
        std.name(),
        yaml_serde::to_string(&doc).expect("YAML serializes")
    )
}

/// A stable uid (Grafana allows 40 characters): the name, or its start and
/// a hash when longer.
fn uid(name: &str) -> String {
    let full = format!("simplepipe-{name}");
    if full.len() <= 40 {
        return full;
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{}-{:08x}", &full[..31], hash as u32)
}

struct Queries {
    storage: Storage,
}

impl Queries {
    /// The latest value per user and the panel's labels (`agg` over the
    /// rest: a user's runs).
    fn latest(&self, agg: &str, sel: &str, look: &Look) -> String {
        let by = look.by();
        match self.storage {
            Storage::Pushgateway => format!("{agg} by ({by}) ({sel})"),
            Storage::RemoteWrite => format!("{agg} by ({by}) (last_over_time({sel}[{LOOKBACK}]))"),
        }
    }

    /// The value over time per user and the panel's labels.
    fn over_time(&self, sel: &str, look: &Look) -> String {
        let by = look.by();
        match self.storage {
            Storage::Pushgateway => format!("max by ({by}) ({sel})"),
            Storage::RemoteWrite => format!("max by ({by}) (max_over_time({sel}[$__interval]))"),
        }
    }
}

/// What a panel shows besides its query: description, unit, thresholds,
/// and the labels besides `user` that make separate series.
struct Look {
    description: String,
    unit: String,
    thresholds: Value,
    by: Vec<String>,
}

impl Look {
    /// The `by` list of the panel's aggregation: `user, split`.
    fn by(&self) -> String {
        std::iter::once("user")
            .chain(self.by.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The legend of one series: `{{user}} split={{split}}`.
    fn legend(&self) -> String {
        let mut legend = "{{user}}".to_string();
        for l in &self.by {
            legend.push_str(&format!(" {l}={{{{{l}}}}}"));
        }
        legend
    }
}

fn variable(name: &str, label: &str, query: &str) -> Value {
    json!({
        "type": "query", "name": name, "label": label,
        "datasource": {"type": "prometheus", "uid": DS},
        "query": {"query": query, "refId": format!("simplepipe-{name}")},
        "refresh": 2, "sort": 1, "multi": true, "includeAll": true, "allValue": ".*",
        "current": {"selected": true, "text": ["All"], "value": ["$__all"]}, "hide": 0,
    })
}

fn row(id: u32, title: &str, y: u32) -> Value {
    json!({"type": "row", "id": id, "title": title, "collapsed": false, "panels": [], "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}})
}

fn target(expr: &str, look: &Look, instant: bool) -> Value {
    json!({"refId": "A", "datasource": {"type": "prometheus", "uid": DS}, "expr": expr, "legendFormat": look.legend(), "instant": instant, "range": !instant})
}

fn field_config(unit: &str, thresholds: &Value, custom: Value) -> Value {
    json!({"defaults": {"unit": unit, "thresholds": thresholds, "color": {"mode": "thresholds"}, "custom": custom}, "overrides": []})
}

fn latest(id: u32, title: &str, expr: &str, look: &Look, (x, y, w): (u32, u32, u32)) -> Value {
    json!({
        "type": "bargauge", "id": id, "title": title, "description": look.description,
        "datasource": {"type": "prometheus", "uid": DS},
        "gridPos": {"x": x, "y": y, "w": w, "h": 8},
        "targets": [target(expr, look, true)],
        "fieldConfig": field_config(&look.unit, &look.thresholds, json!({})),
        "options": {"orientation": "horizontal", "displayMode": "basic", "showUnfilled": true,
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false}},
    })
}

fn over_time(id: u32, title: &str, expr: &str, look: &Look, (x, y, w): (u32, u32, u32)) -> Value {
    let custom = json!({"drawStyle": "line", "showPoints": "always", "spanNulls": true, "thresholdsStyle": {"mode": "line"}});
    let mut fc = field_config(&look.unit, &look.thresholds, custom);
    fc["defaults"]["color"] = json!({"mode": "palette-classic"});
    json!({
        "type": "timeseries", "id": id, "title": title, "description": look.description,
        "datasource": {"type": "prometheus", "uid": DS},
        "gridPos": {"x": x, "y": y, "w": w, "h": 8},
        "targets": [target(expr, look, false)],
        "fieldConfig": fc,
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
    })
}

/// `expect` bounds as Grafana thresholds: red outside, green inside.
fn thresholds(expect: Option<Bounds>) -> Value {
    let step =
        |color: &str, value: Option<f64>| json!({"color": color, "value": value.map(number)});
    let steps = match expect {
        Some(Bounds { min: Some(lo), max }) => {
            let mut s = vec![step("red", None), step("green", Some(lo))];
            if let Some(hi) = max {
                s.push(step("red", Some(hi)));
            }
            s
        }
        Some(Bounds {
            min: None,
            max: Some(hi),
        }) => vec![step("green", None), step("red", Some(hi))],
        _ => vec![step("green", None)],
    };
    json!({"mode": "absolute", "steps": steps})
}

/// A standard's `unit` as a Grafana unit id; any other unit is shown after
/// the value (Grafana's custom `suffix:` unit).
fn unit(unit: Option<&str>) -> String {
    let id = match unit {
        None | Some("") => "none",
        Some("seconds" | "second" | "s") => "s",
        Some("milliseconds" | "ms") => "ms",
        Some("bytes" | "byte") => "bytes",
        Some("ratio") => "percentunit",
        Some("percent" | "%") => "percent",
        Some("count" | "total") => "short",
        Some(other) => return format!("suffix: {other}"),
    };
    id.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(v: &Value) -> String {
        serde_json::to_string_pretty(v).unwrap()
    }

    #[test]
    fn snapshots_of_the_example() {
        let std = super::super::tests::example();
        insta::assert_snapshot!("dashboard", pretty(&dashboard(&std, Storage::Pushgateway)));
        insta::assert_snapshot!(
            "dashboard_remote_write",
            pretty(&dashboard(&std, Storage::RemoteWrite))
        );
        insta::assert_snapshot!("configmap", configmap_yaml(&std, Storage::Pushgateway));
    }

    #[test]
    fn uids_are_stable_and_short() {
        assert_eq!(uid("ml-training"), "simplepipe-ml-training");
        let long = uid(&"a".repeat(63));
        assert_eq!(long.len(), 40);
        assert_eq!(long, uid(&"a".repeat(63)));
        assert_ne!(long, uid(&format!("{}b", "a".repeat(62))));
    }

    #[test]
    fn units_map_to_grafana_ids() {
        assert_eq!(unit(Some("seconds")), "s");
        assert_eq!(unit(Some("ratio")), "percentunit");
        assert_eq!(unit(Some("bytes")), "bytes");
        assert_eq!(unit(None), "none");
        assert_eq!(unit(Some("images")), "suffix: images");
    }
}
