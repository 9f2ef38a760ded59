//! The standard's `spec.notify` as Alertmanager routing: an
//! `alertmanager.yml` with the secret values written in ([`mod@file`]), or a
//! `monitoring.coreos.com/v1alpha1` `AlertmanagerConfig` with secrets as
//! `SecretKeySelector`s and no value ([`operator`]). Pure: the secret
//! values come in as a map, read beforehand by the command.
//!
//! Both forms hold the same tree: a root that groups by `alertname, job,
//! user` (the generated alerts are grouped `by (job, user)`, so each
//! notification is one alert about one user's runs), a route for the
//! standard's own alerts (`standard="NAME"`), and under it the standard's
//! routes in order, first match wins. Alerts no route matches go to a
//! receiver that tells nobody.

pub mod file;
pub mod operator;

pub use file::alertmanager_yaml;
pub use operator::alertmanager_config_yaml;

use std::collections::BTreeMap;

use crate::error::Problem;
use crate::redact::Secret;

use super::notify::{Notify, SecretRef, Timing};
use super::Standard;

/// How every notification is grouped: one alert, one job, one user.
pub const GROUP_BY: [&str; 3] = ["alertname", "job", "user"];

/// Secret values by reference, as read from the secrets directory.
pub type Secrets = BTreeMap<SecretRef, Secret>;

/// The standard's `spec.notify`, or the problem of it having none.
pub fn notify_of(std: &Standard) -> Result<&Notify, Vec<Problem>> {
    std.spec.notify.as_ref().ok_or_else(|| {
        vec![Problem::new(
            "/spec/notify",
            "is missing, so nobody is told; add receivers and routes (docs/alerts-routing.md)",
        )]
    })
}

/// The timers as written in the standard; `None` keeps Alertmanager's default.
struct Timers {
    group_wait: Option<String>,
    group_interval: Option<String>,
    repeat_interval: Option<String>,
}

impl From<&Timing> for Timers {
    fn from(t: &Timing) -> Timers {
        let text = |d: &Option<super::Duration>| d.as_ref().map(|d| d.text.clone());
        Timers {
            group_wait: text(&t.group_wait),
            group_interval: text(&t.group_interval),
            repeat_interval: text(&t.repeat_interval),
        }
    }
}

/// The standard's routes in order: `(label, value)` pairs and the receiver.
fn routes(notify: &Notify) -> impl Iterator<Item = (Vec<(&str, &str)>, &str)> {
    notify.routes.iter().map(|r| {
        let m = r
            .matches
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        (m, r.receiver.as_str())
    })
}

#[cfg(test)]
mod tests;
