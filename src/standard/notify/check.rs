//! The checks on `spec.notify` its types can't express: a receiver that
//! tells nobody, an unknown or empty route target, a route that can never
//! match (an unknown label, a value no generated alert carries, a route
//! hidden behind an earlier, wider one), secret names Kubernetes would
//! refuse. Each problem carries its pointer.

use std::collections::BTreeMap;

use crate::error::Problem;

use super::super::Standard;
use super::{Notify, Route, SecretRef, MATCH_LABELS, UNROUTED};

/// Every problem of `notify`, a part of `std`.
pub fn problems(std: &Standard, notify: &Notify) -> Vec<Problem> {
    let mut out = Vec::new();
    receivers(notify, &mut out);
    for u in notify.secrets() {
        secret_ref(&u.pointer, u.secret, &mut out);
    }
    routes(std, notify, &mut out);
    let t = &notify.timing;
    for (key, d) in [
        ("group_interval", &t.group_interval),
        ("repeat_interval", &t.repeat_interval),
    ] {
        if d.as_ref().is_some_and(|d| d.secs == 0) {
            out.push(Problem::new(
                format!("/spec/notify/timing/{key}"),
                "must be longer than 0s (Alertmanager refuses 0)",
            ));
        }
    }
    out
}

fn receivers(notify: &Notify, out: &mut Vec<Problem>) {
    if notify.receivers.is_empty() {
        out.push(Problem::new(
            "/spec/notify/receivers",
            "is empty; name at least one receiver (discord, slack, webhook or email)",
        ));
    }
    for (i, r) in notify.receivers.iter().enumerate() {
        let at = format!("/spec/notify/receivers/{i}");
        if r.name.trim().is_empty() {
            out.push(Problem::new(format!("{at}/name"), "is empty"));
        } else if r.name == UNROUTED {
            out.push(Problem::new(
                format!("{at}/name"),
                format!("{UNROUTED:?} is the name simplepipe gives the receiver of unrouted alerts; choose another"),
            ));
        } else if let Some(j) = notify.receivers[..i].iter().position(|o| o.name == r.name) {
            out.push(Problem::new(
                format!("{at}/name"),
                format!(
                    "duplicate receiver {:?} (also /spec/notify/receivers/{j})",
                    r.name
                ),
            ));
        }
        if r.kinds().is_empty() {
            out.push(Problem::new(
                at.clone(),
                "tells nobody: give discord, slack, webhook or email",
            ));
        }
        if let Some(e) = &r.email {
            if !e.to.contains('@') {
                out.push(Problem::new(
                    format!("{at}/email/to"),
                    format!("{:?} is not an e-mail address", e.to),
                ));
            }
        }
    }
}

/// A Secret's name is a DNS subdomain; a key is what a mounted Secret's
/// file may be called (which also keeps `DIR/NAME/KEY` inside DIR).
fn secret_ref(at: &str, r: &SecretRef, out: &mut Vec<Problem>) {
    let name_ok = !r.secret.is_empty()
        && r.secret.len() <= 253
        && r.secret.split('.').all(|part| {
            !part.is_empty()
                && !part.starts_with('-')
                && !part.ends_with('-')
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    if !name_ok {
        out.push(Problem::new(
            format!("{at}/secret"),
            format!(
                "{:?} is not a Kubernetes Secret name (lower-case letters, digits, '-' and '.')",
                r.secret
            ),
        ));
    }
    let key_ok = !r.key.is_empty()
        && r.key.len() <= 253
        && !r.key.starts_with("..")
        && r.key != "."
        && r.key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
    if !key_ok {
        out.push(Problem::new(
            format!("{at}/key"),
            format!(
                "{:?} is not a Secret key (letters, digits, '-', '_' and '.')",
                r.key
            ),
        ));
    }
}

fn routes(std: &Standard, notify: &Notify, out: &mut Vec<Problem>) {
    if notify.routes.is_empty() {
        out.push(Problem::new(
            "/spec/notify/routes",
            "is empty; route the alerts to at least one receiver",
        ));
    }
    let names: Vec<&str> = notify.receivers.iter().map(|r| r.name.as_str()).collect();
    for (i, route) in notify.routes.iter().enumerate() {
        let at = format!("/spec/notify/routes/{i}");
        if route.receiver.trim().is_empty() {
            out.push(Problem::new(
                format!("{at}/receiver"),
                "routes to nothing; name one of the receivers",
            ));
        } else if !names.contains(&route.receiver.as_str()) {
            out.push(Problem::new(
                format!("{at}/receiver"),
                format!(
                    "no receiver is named {:?} (receivers: {})",
                    route.receiver,
                    names.join(", ")
                ),
            ));
        }
        for (label, value) in &route.matches {
            if let Some(why) = never_carried(std, label, value) {
                out.push(Problem::new(format!("{at}/match/{label}"), why));
            }
        }
        if let Some(j) = notify.routes[..i].iter().position(|o| wider(o, route)) {
            out.push(Problem::new(
                at,
                format!("is never reached: /spec/notify/routes/{j} matches every alert it does, and the first match wins (put the narrower route first)"),
            ));
        }
    }
}

/// Why no generated alert carries `label="value"`, if none does.
fn never_carried(std: &Standard, label: &str, value: &str) -> Option<String> {
    let spec = &std.spec;
    let known: Vec<&str> = match label {
        "severity" => vec!["info", "warning", "critical"],
        "standard" => vec![std.name()],
        "job" => spec
            .jobs
            .iter()
            .chain([&spec.outcome_job])
            .map(String::as_str)
            .collect(),
        "metric" => std.expected().map(|(m, _)| m.name.as_str()).collect(),
        "user" if !value.is_empty() => return None,
        "user" => return Some("is empty".into()),
        _ => {
            return Some(format!(
                "the generated alerts carry no label {label:?}; match on {}",
                MATCH_LABELS.join(", ")
            ))
        }
    };
    (!known.contains(&value)).then(|| {
        format!(
            "no alert of this standard has {label}={value:?} (it has {})",
            known.join(", ")
        )
    })
}

/// Whether `earlier` matches every alert `later` matches.
fn wider(earlier: &Route, later: &Route) -> bool {
    let m: &BTreeMap<String, String> = &earlier.matches;
    m.iter().all(|(k, v)| later.matches.get(k) == Some(v))
}
