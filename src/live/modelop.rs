//! ModelOp Center sensor streams → metrics (`watch --format modelop`).
//!
//! ModelOp Center (formerly FastScore) engines publish one JSON message per
//! line. A `sensor-report` carries `type, timestamp, tap, src, id,
//! delta_time, data`; an `engine-state` carries `src` and `state`. The taps
//! map as docs/live-metrics.md's table says:
//!
//! | tap | metric |
//! |---|---|
//! | `manifold.N.records.count` | counter `modelop_records_total{slot="N"}` (+ `data`), and the throughput gauge `modelop_records_per_second{slot="N"}` |
//! | `manifold.N.records.rejected.by.schema` | counter `modelop_records_rejected_total{slot="N",reason="schema"}` (+ `data`) |
//! | `manifold.N.records.rejected.by.encoding` | counter `modelop_records_rejected_total{slot="N",reason="encoding"}` (+ `data`) |
//! | `sys.cpu.utilization` | gauge `modelop_cpu_utilization` |
//! | `sys.memory` | gauge `modelop_memory_bytes` |
//! | `engine-state` message | gauge `modelop_engine_status`: init 0, running 1, error 2, any other state -1 (unknown) |
//!
//! Throughput is the records counted since the last report with a non-zero
//! `delta_time`, divided by that `delta_time`: a report with `delta_time`
//! 0 (several reports in one instant) adds to a buffer kept per engine and
//! slot, and the next non-zero one divides the buffer plus its own count.
//! A report with no `delta_time` at all is taken as 0, and warned about
//! once: a stream that never carries one never gives a throughput.
//!
//! An engine state other than the three (`finishing`, `ERROR`) sets the
//! status to [`UNKNOWN`] rather than leave the last known state standing,
//! with one warning per such state.
//!
//! Every series carries `engine` = `src`, and `model` when `--engine-names`
//! maps that `src` to a name. Other message types and unknown taps are
//! counted in `simplepipe_records_ignored_total`, silently; a line that is
//! not a valid message is counted too, and also returned as a warning.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::model::{Kind, Label};

use super::state::State;

pub const RECORDS: &str = "modelop_records_total";
pub const REJECTED: &str = "modelop_records_rejected_total";
pub const THROUGHPUT: &str = "modelop_records_per_second";
pub const CPU: &str = "modelop_cpu_utilization";
pub const MEMORY: &str = "modelop_memory_bytes";
pub const STATUS: &str = "modelop_engine_status";
pub const IGNORED: &str = "simplepipe_records_ignored_total";

/// `modelop_engine_status` for a state that is not init, running or error.
pub const UNKNOWN: f64 = -1.0;

/// Maps ModelOp messages onto a [`State`].
#[derive(Debug, Default)]
pub struct ModelOp {
    /// `--engine-names`: src → model name.
    names: HashMap<String, String>,
    /// Records counted at zero `delta_time`, per (engine, slot).
    pending: HashMap<(String, String), f64>,
    /// What was warned about once already (an unknown state, a missing
    /// `delta_time`).
    warned: HashSet<String>,
    /// A warning about the message just applied ([`ModelOp::take_note`]).
    note: Option<String>,
}

/// What a sensor tap is.
enum Tap<'a> {
    Records(&'a str),
    Rejected(&'a str, &'static str),
    Cpu,
    Memory,
}

fn tap(t: &str) -> Option<Tap<'_>> {
    match t {
        "sys.cpu.utilization" => return Some(Tap::Cpu),
        "sys.memory" => return Some(Tap::Memory),
        _ => {}
    }
    let rest = t.strip_prefix("manifold.")?;
    let (slot, what) = rest.split_once('.')?;
    if slot.is_empty() || !slot.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match what {
        "records.count" => Some(Tap::Records(slot)),
        "records.rejected.by.schema" => Some(Tap::Rejected(slot, "schema")),
        "records.rejected.by.encoding" => Some(Tap::Rejected(slot, "encoding")),
        _ => None,
    }
}

impl ModelOp {
    /// `names`: the `--engine-names` map (src → model name), if any.
    pub fn new(names: HashMap<String, String>) -> ModelOp {
        ModelOp {
            names,
            ..ModelOp::default()
        }
    }

    /// Parse `--engine-names` JSON: an object of src → model name.
    pub fn parse_names(text: &str) -> Result<HashMap<String, String>, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(map) = v else {
            return Err("must be a JSON object of engine name (src) to model name".into());
        };
        map.into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                other => Err(format!("{k:?} maps to {other}; model names are strings")),
            })
            .collect()
    }

    /// Whether `line` looks like a ModelOp stream message (for `watch`
    /// without `--format modelop`, to say what the lines were): cheap
    /// enough for every line of a log.
    pub fn looks_like(line: &str) -> bool {
        let line = line.trim();
        line.starts_with('{')
            && line.contains("\"type\"")
            && (line.contains("\"sensor-report\"") || line.contains("\"engine-state\""))
    }

    /// Start the ignored-records counter at 0, so it can be alerted on
    /// before anything is ignored.
    pub fn init(&self, state: &mut State) {
        let _ = state.add(
            IGNORED,
            IGNORED_HELP,
            state.labels(&[]).unwrap_or_default(),
            0.0,
        );
    }

    /// Apply one line of the stream. `Err` is a warning for the caller to
    /// print with the line number; the record is counted as ignored either
    /// way. A record that was applied may still leave a warning in
    /// [`ModelOp::take_note`].
    pub fn apply(&mut self, line: &str, state: &mut State) -> Result<(), String> {
        let line = line.trim();
        if line.is_empty() {
            return Ok(());
        }
        let outcome = match serde_json::from_str::<Map<String, Value>>(line) {
            Ok(msg) => self.message(&msg, state),
            Err(e) => Err(Some(not_a_message(line, &e))),
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(warning) => {
                let labels = state.labels(&[]).unwrap_or_default();
                let _ = state.add(IGNORED, IGNORED_HELP, labels, 1.0);
                warning.map_or(Ok(()), Err)
            }
        }
    }

    /// A warning about the record [`ModelOp::apply`] just applied, for
    /// the caller to print with the line number (not an ignored record).
    pub fn take_note(&mut self) -> Option<String> {
        self.note.take()
    }

    /// Leave `note` for the caller, the first time `key` comes up.
    fn note_once(&mut self, key: String, note: impl FnOnce() -> String) {
        if self.warned.insert(key) {
            self.note = Some(note());
        }
    }

    /// `Err(None)`: ignored silently (another message type, an unknown tap).
    fn message(
        &mut self,
        msg: &Map<String, Value>,
        state: &mut State,
    ) -> Result<(), Option<String>> {
        let kind = msg.get("type").and_then(Value::as_str).unwrap_or_default();
        if kind != "sensor-report" && kind != "engine-state" {
            return Err(None);
        }
        let src = match msg.get("src") {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            _ => {
                return Err(Some(format!(
                    "{kind} without a \"src\" (the engine's name)"
                )))
            }
        };
        if kind == "engine-state" {
            return self.engine_state(msg, src, state);
        }
        self.sensor_report(msg, src, state)
    }

    /// An engine-state message: the engine's state as the status gauge.
    fn engine_state(
        &mut self,
        msg: &Map<String, Value>,
        src: &str,
        state: &mut State,
    ) -> Result<(), Option<String>> {
        let status = match msg.get("state").and_then(Value::as_str) {
            Some("init") => 0.0,
            Some("running") => 1.0,
            Some("error") => 2.0,
            Some(other) => {
                self.note_once(format!("state {other}"), || {
                    format!("engine-state from {src:?}: state {other:?} is not init, running or error, so {STATUS} is {UNKNOWN} (unknown); said once per state")
                });
                UNKNOWN
            }
            None => {
                return Err(Some(format!(
                    "engine-state from {src:?}: state missing is not init, running or error"
                )))
            }
        };
        let labels = self.labels(src, &[], state)?;
        set(state, STATUS, Kind::Gauge, STATUS_HELP, labels, status)
    }

    /// A sensor-report message: its tap decides the metric its number goes to.
    fn sensor_report(
        &mut self,
        msg: &Map<String, Value>,
        src: &str,
        state: &mut State,
    ) -> Result<(), Option<String>> {
        let Some(t) = msg.get("tap").and_then(Value::as_str) else {
            return Err(Some(format!(
                "sensor-report from {src:?} without a \"tap\""
            )));
        };
        let Some(tap) = tap(t) else {
            return Err(None);
        };
        let Some(data) = msg.get("data").and_then(Value::as_f64) else {
            return Err(Some(format!(
                "sensor-report {t:?} from {src:?}: \"data\" is {}, not a number",
                msg.get("data")
                    .map_or("missing".to_string(), Value::to_string)
            )));
        };
        match tap {
            Tap::Cpu => {
                let labels = self.labels(src, &[], state)?;
                set(state, CPU, Kind::Gauge, CPU_HELP, labels, data)
            }
            Tap::Memory => {
                let labels = self.labels(src, &[], state)?;
                set(state, MEMORY, Kind::Gauge, MEMORY_HELP, labels, data)
            }
            Tap::Rejected(slot, reason) => {
                let labels = self.labels(src, &[("reason", reason), ("slot", slot)], state)?;
                add(state, REJECTED, REJECTED_HELP, labels, data)
            }
            Tap::Records(slot) => {
                let dt = delta_time(msg, t, src)?;
                if msg.get("delta_time").is_none() {
                    self.note_once("delta_time".into(), || {
                        format!("sensor-report {t:?} from {src:?} has no \"delta_time\": its records are counted, and wait for a report with one to give {THROUGHPUT}; said once")
                    });
                }
                self.records(src, slot, data, dt, state)
            }
        }
    }

    /// A slot's record count: added to the records counter, and buffered
    /// until a report with a `delta_time` turns the buffer into a throughput.
    fn records(
        &mut self,
        src: &str,
        slot: &str,
        data: f64,
        dt: f64,
        state: &mut State,
    ) -> Result<(), Option<String>> {
        let labels = self.labels(src, &[("slot", slot)], state)?;
        add(state, RECORDS, RECORDS_HELP, labels.clone(), data)?;
        let buffered = self
            .pending
            .entry((src.to_string(), slot.to_string()))
            .or_insert(0.0);
        *buffered += data;
        if dt > 0.0 {
            let rate = *buffered / dt;
            *buffered = 0.0;
            set(
                state,
                THROUGHPUT,
                Kind::Gauge,
                THROUGHPUT_HELP,
                labels,
                rate,
            )?;
        }
        Ok(())
    }

    /// `engine`, `model` (when known) and the given labels, checked.
    fn labels(
        &self,
        src: &str,
        more: &[(&str, &str)],
        state: &State,
    ) -> Result<Vec<(Label, Label)>, Option<String>> {
        let mut given: Vec<(String, String)> = vec![("engine".into(), src.into())];
        if let Some(model) = self.names.get(src) {
            given.push(("model".into(), model.clone()));
        }
        given.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        state.labels(&given).map_err(Some)
    }
}

/// A records report's `delta_time` (the seconds its count covers): 0 when
/// absent, so the count waits for a later report's interval.
fn delta_time(msg: &Map<String, Value>, t: &str, src: &str) -> Result<f64, Option<String>> {
    match msg.get("delta_time") {
        None | Some(Value::Null) => Ok(0.0),
        Some(v) => match v.as_f64() {
            Some(d) if d >= 0.0 && d.is_finite() => Ok(d),
            _ => Err(Some(format!(
                "sensor-report {t:?} from {src:?}: \"delta_time\" is {v}, not a duration in seconds"
            ))),
        },
    }
}

fn set(
    state: &mut State,
    name: &str,
    kind: Kind,
    help: &str,
    labels: Vec<(Label, Label)>,
    v: f64,
) -> Result<(), Option<String>> {
    state.set(name, kind, help, labels, v).map_err(Some)
}

fn add(
    state: &mut State,
    name: &str,
    help: &str,
    labels: Vec<(Label, Label)>,
    v: f64,
) -> Result<(), Option<String>> {
    state.add(name, help, labels, v).map_err(Some)
}

const RECORDS_HELP: &str =
    "Records read by the engine's input slot (ModelOp sensor manifold.N.records.count)";
const REJECTED_HELP: &str = "Records rejected by the engine's input slot, by reason (ModelOp sensors manifold.N.records.rejected.by.*)";
const THROUGHPUT_HELP: &str = "Records per second on the slot over the last sensor interval";
const CPU_HELP: &str = "Engine CPU utilization (ModelOp sensor sys.cpu.utilization)";
const MEMORY_HELP: &str = "Engine memory in bytes (ModelOp sensor sys.memory)";
const STATUS_HELP: &str = "Engine state: 0 init, 1 running, 2 error, -1 unknown";
const IGNORED_HELP: &str = "Stream records simplepipe did not map to a metric (other message types, unknown taps, malformed lines)";

/// Why a line is not a ModelOp message: not JSON (serde's reason, with
/// its column), or JSON of another kind, named in words rather than
/// serde's ("invalid type: sequence, expected a map").
fn not_a_message(line: &str, e: &serde_json::Error) -> String {
    let kind = match serde_json::from_str::<Value>(line) {
        Ok(Value::Array(_)) => "an array",
        Ok(Value::String(_)) => "a string",
        Ok(Value::Number(_)) => "a number",
        Ok(Value::Bool(_)) => "true or false",
        Ok(Value::Null) => "null",
        Ok(Value::Object(_)) | Err(_) => {
            return format!("not a ModelOp message (one JSON object per line): {e}")
        }
    };
    format!("not a ModelOp message: JSON, but {kind}, not an object (one JSON object per line)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::state::Rules;

    fn state() -> State {
        State::new(Rules {
            grouping: vec!["job".into()],
            max_series: 1000,
            ..Rules::default()
        })
    }

    /// Apply a stream; return the warnings as "line N: …" (a record
    /// applied with a warning: "line N (applied): …").
    fn run(m: &mut ModelOp, s: &mut State, text: &str) -> Vec<String> {
        m.init(s);
        let mut out = Vec::new();
        for (i, l) in text.lines().enumerate() {
            if let Err(w) = m.apply(l, s) {
                out.push(format!("line {}: {w}", i + 1));
            }
            if let Some(note) = m.take_note() {
                out.push(format!("line {} (applied): {note}", i + 1));
            }
        }
        out
    }

    fn recorded() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/modelop-stream.jsonl"
        ))
        .unwrap()
    }

    /// The recorded stream: two engines (`engine-1`, `engine-2`), two
    /// slots each (0, 1), including zero-`delta_time` reports.
    #[test]
    fn recorded_stream_exact_values() {
        let names = ModelOp::parse_names(r#"{"engine-1": "churn-v3"}"#).unwrap();
        let (mut m, mut s) = (ModelOp::new(names), state());
        let warnings = run(&mut m, &mut s, &recorded());
        assert_eq!(warnings, ["line 21: not a ModelOp message (one JSON object per line): EOF while parsing a string at line 1 column 70"]);
        let e1 = |more: &[(&'static str, &'static str)]| {
            let mut l = vec![("engine", "engine-1"), ("model", "churn-v3")];
            l.extend_from_slice(more);
            l.sort();
            l
        };
        let e2 = |more: &[(&'static str, &'static str)]| {
            let mut l = vec![("engine", "engine-2")];
            l.extend_from_slice(more);
            l.sort();
            l
        };
        let get = |name: &str, l: Vec<(&str, &str)>| s.get(name, &l);
        // engine-1 slot 0: 100 (dt 2) → 50/s; then 30 + 20 at dt 0, 50 at dt 4 → 100/4.
        assert_eq!(get(RECORDS, e1(&[("slot", "0")])), Some(200.0));
        assert_eq!(get(THROUGHPUT, e1(&[("slot", "0")])), Some(25.0));
        // engine-1 slot 1: 10 (dt 1), then 6 at dt 0 and nothing after: the
        // buffer waits, the gauge keeps 10/s.
        assert_eq!(get(RECORDS, e1(&[("slot", "1")])), Some(16.0));
        assert_eq!(get(THROUGHPUT, e1(&[("slot", "1")])), Some(10.0));
        // engine-2 slot 0: 7 at dt 0 (before any non-zero) + 8 at dt 0.5 → 30/s.
        assert_eq!(get(RECORDS, e2(&[("slot", "0")])), Some(15.0));
        assert_eq!(get(THROUGHPUT, e2(&[("slot", "0")])), Some(30.0));
        // engine-2 slot 1: 40 (dt 2) → 20/s, then 12 at dt 0 then 3 at dt 3 → 5/s.
        assert_eq!(get(RECORDS, e2(&[("slot", "1")])), Some(55.0));
        assert_eq!(get(THROUGHPUT, e2(&[("slot", "1")])), Some(5.0));
        assert_eq!(
            get(REJECTED, e1(&[("reason", "schema"), ("slot", "0")])),
            Some(3.0)
        );
        assert_eq!(
            get(REJECTED, e2(&[("reason", "encoding"), ("slot", "1")])),
            Some(2.0)
        );
        assert_eq!(get(CPU, e1(&[])), Some(0.42));
        assert_eq!(get(CPU, e2(&[])), Some(0.9));
        assert_eq!(get(MEMORY, e1(&[])), Some(268435456.0));
        assert_eq!(get(STATUS, e1(&[])), Some(1.0));
        assert_eq!(get(STATUS, e2(&[])), Some(2.0));
        // model-console, an unknown tap, a jet message and the broken line.
        assert_eq!(s.get(IGNORED, &[]), Some(4.0));
        let names: Vec<String> = s
            .families()
            .into_iter()
            .map(|f| format!("{} {}", f.name, f.kind.name()))
            .collect();
        assert_eq!(
            names,
            [
                "modelop_cpu_utilization gauge",
                "modelop_engine_status gauge",
                "modelop_memory_bytes gauge",
                "modelop_records_per_second gauge",
                "modelop_records_rejected_total counter",
                "modelop_records_total counter",
                "simplepipe_records_ignored_total counter",
            ]
        );
    }

    #[test]
    fn malformed_messages_warn_and_count() {
        let (mut m, mut s) = (ModelOp::default(), state());
        let text = [
            r#"{"type":"sensor-report","tap":"sys.memory","data":1}"#,
            r#"{"type":"sensor-report","src":"e","data":1}"#,
            r#"{"type":"sensor-report","src":"e","tap":"sys.memory","data":"lots"}"#,
            r#"{"type":"sensor-report","src":"e","tap":"manifold.0.records.count","data":1,"delta_time":-1}"#,
            r#"{"type":"sensor-report","src":"e","tap":"manifold.0.records.count","data":-5,"delta_time":1}"#,
            r#"{"type":"engine-state","src":"e","state":"paused"}"#,
            r#"{"type":"engine-state","src":"e"}"#,
            r#"{"type":"sensor-report","src":"e","tap":"manifold.x.records.count","data":1}"#,
            r#"{"type":"log","src":"e"}"#,
            "",
        ]
        .join("\n");
        let w = run(&mut m, &mut s, &text);
        assert_eq!(
            w,
            [
                r#"line 1: sensor-report without a "src" (the engine's name)"#,
                r#"line 2: sensor-report from "e" without a "tap""#,
                r#"line 3: sensor-report "sys.memory" from "e": "data" is "lots", not a number"#,
                r#"line 4: sensor-report "manifold.0.records.count" from "e": "delta_time" is -1, not a duration in seconds"#,
                r#"line 5: modelop_records_total{engine="e",slot="0"}: cannot add -5 to a counter"#,
                r#"line 6 (applied): engine-state from "e": state "paused" is not init, running or error, so modelop_engine_status is -1 (unknown); said once per state"#,
                r#"line 7: engine-state from "e": state missing is not init, running or error"#,
            ]
        );
        assert_eq!(s.get(IGNORED, &[]), Some(8.0));
        assert_eq!(s.get(RECORDS, &[("engine", "e"), ("slot", "0")]), None);
    }

    /// A state beyond the three sets the status to -1, each such state
    /// warned about once; reports without `delta_time` count their records
    /// and are warned about once in all.
    #[test]
    fn unknown_states_and_missing_delta_time() {
        let (mut m, mut s) = (ModelOp::default(), state());
        let text = [
            r#"{"type":"engine-state","src":"e","state":"running"}"#,
            r#"{"type":"engine-state","src":"e","state":"finishing"}"#,
            r#"{"type":"engine-state","src":"e","state":"running"}"#,
            r#"{"type":"engine-state","src":"e","state":"finishing"}"#,
            r#"{"type":"engine-state","src":"f","state":"ERROR"}"#,
            r#"{"type":"sensor-report","src":"e","tap":"manifold.0.records.count","data":4}"#,
            r#"{"type":"sensor-report","src":"e","tap":"manifold.0.records.count","data":6}"#,
            r#"{"type":"sensor-report","src":"e","tap":"manifold.0.records.count","data":2,"delta_time":4}"#,
        ]
        .join("\n");
        let w = run(&mut m, &mut s, &text);
        assert_eq!(
            w,
            [
                r#"line 2 (applied): engine-state from "e": state "finishing" is not init, running or error, so modelop_engine_status is -1 (unknown); said once per state"#,
                r#"line 5 (applied): engine-state from "f": state "ERROR" is not init, running or error, so modelop_engine_status is -1 (unknown); said once per state"#,
                r#"line 6 (applied): sensor-report "manifold.0.records.count" from "e" has no "delta_time": its records are counted, and wait for a report with one to give modelop_records_per_second; said once"#,
            ]
        );
        assert_eq!(s.get(STATUS, &[("engine", "e")]), Some(UNKNOWN));
        assert_eq!(s.get(STATUS, &[("engine", "f")]), Some(UNKNOWN));
        assert_eq!(
            s.get(RECORDS, &[("engine", "e"), ("slot", "0")]),
            Some(12.0)
        );
        assert_eq!(
            s.get(THROUGHPUT, &[("engine", "e"), ("slot", "0")]),
            Some(3.0)
        );
        assert_eq!(s.get(IGNORED, &[]), Some(0.0));
    }

    #[test]
    fn engine_names_file_errors() {
        assert_eq!(
            ModelOp::parse_names("[]").unwrap_err(),
            "must be a JSON object of engine name (src) to model name"
        );
        assert_eq!(
            ModelOp::parse_names(r#"{"a": 1}"#).unwrap_err(),
            r#""a" maps to 1; model names are strings"#
        );
        assert!(ModelOp::parse_names("{")
            .unwrap_err()
            .starts_with("not JSON: "));
    }
}
