//! `spec.notify`: who is told about the standard's alerts. Receivers
//! (Discord, Slack, a webhook, e-mail) and routes from alert labels to
//! receivers, first match wins, as in Alertmanager. [`super::alertmanager`]
//! turns it into an `alertmanager.yml` or an `AlertmanagerConfig`.
//!
//! Why secrets are references only: a standard is committed to git, so a
//! webhook URL or token written into it would be published. Each secret is
//! `{secret: NAME, key: KEY}`, a key of a Kubernetes Secret; a literal in its
//! place is a broken standard, and the message never repeats the literal.
//! The keys are snake_case, as in `alertmanager.yml`, which admins know.

mod check;

pub(super) use check::problems;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::Duration;

/// The name of the receiver that tells nobody: where alerts no route
/// matches end (Alertmanager's root route needs a receiver).
pub const UNROUTED: &str = "simplepipe-unrouted";

/// The labels a route may match on: those the generated alerts carry.
pub const MATCH_LABELS: [&str; 5] = ["severity", "user", "job", "metric", "standard"];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// Alertmanager's grouping timers; its defaults when absent.
    #[serde(default)]
    pub timing: Timing,
    pub receivers: Vec<Receiver>,
    /// First match wins.
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    #[serde(default)]
    pub group_wait: Option<Duration>,
    #[serde(default)]
    pub group_interval: Option<Duration>,
    #[serde(default)]
    pub repeat_interval: Option<Duration>,
}

/// One receiver: a name and one or more ways to reach it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    pub name: String,
    #[serde(default)]
    pub discord: Option<Discord>,
    #[serde(default)]
    pub slack: Option<Slack>,
    #[serde(default)]
    pub webhook: Option<Webhook>,
    #[serde(default)]
    pub email: Option<Email>,
    /// Also tell when the alert resolves (default: yes).
    #[serde(default = "yes")]
    pub send_resolved: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discord {
    /// The channel's webhook URL (Server settings > Integrations > Webhooks).
    pub webhook_url: SecretRef,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slack {
    /// An incoming-webhook URL.
    pub api_url: SecretRef,
    #[serde(default)]
    pub channel: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// Alertmanager POSTs its webhook JSON here.
    pub url: SecretRef,
}

/// E-mail. The SMTP server is optional in the standard because an
/// `AlertmanagerConfig` may leave it to the Alertmanager's global settings;
/// a plain `alertmanager.yml` needs `smarthost` and `from`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Email {
    pub to: String,
    #[serde(default)]
    pub from: Option<String>,
    /// `host:port` of the SMTP server.
    #[serde(default)]
    pub smarthost: Option<String>,
    #[serde(default)]
    pub auth_username: Option<String>,
    #[serde(default)]
    pub auth_password: Option<SecretRef>,
    /// Alertmanager's default is true (STARTTLS required).
    #[serde(default)]
    pub require_tls: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Label values an alert must all carry; empty: every alert.
    #[serde(default, rename = "match")]
    pub matches: BTreeMap<String, String>,
    pub receiver: String,
}

/// A key of a Kubernetes Secret: where a secret value lives, never the
/// value itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretRef {
    pub secret: String,
    pub key: String,
}

/// What a secret is used as, which decides how its value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUse {
    Url,
    Password,
}

/// One secret reference of the standard, with the JSON pointer that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use<'a> {
    pub pointer: String,
    pub secret: &'a SecretRef,
    pub used_as: SecretUse,
}

const HOW: &str = "give {secret: NAME, key: KEY}, the Kubernetes Secret and key that hold it";

impl<'de> Deserialize<'de> for SecretRef {
    /// Read through a `Value`, so that a literal given here (a URL, a
    /// token) is never quoted back by serde's "invalid type" message.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let Value::Object(map) = Value::deserialize(d)? else {
            return Err(D::Error::custom(format!(
                "a literal value here would put a secret in git; {HOW}"
            )));
        };
        let (mut secret, mut key) = (None, None);
        for (k, v) in map {
            let slot = match k.as_str() {
                "secret" => &mut secret,
                "key" => &mut key,
                other => {
                    return Err(D::Error::custom(format!(
                        "unknown field `{other}` in a secret reference; {HOW}"
                    )))
                }
            };
            let Value::String(s) = v else {
                return Err(D::Error::custom(format!("`{k}` must be a string; {HOW}")));
            };
            *slot = Some(s);
        }
        match (secret, key) {
            (Some(secret), Some(key)) => Ok(SecretRef { secret, key }),
            _ => Err(D::Error::custom(format!(
                "a secret reference needs both `secret` and `key`; {HOW}"
            ))),
        }
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "secret {} key {}", self.secret, self.key)
    }
}

impl Receiver {
    /// The kinds given, by their key in the standard.
    pub fn kinds(&self) -> Vec<&'static str> {
        [
            ("discord", self.discord.is_some()),
            ("slack", self.slack.is_some()),
            ("webhook", self.webhook.is_some()),
            ("email", self.email.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, given)| given.then_some(k))
        .collect()
    }
}

impl Notify {
    /// Every secret reference, with its pointer, in the standard's order.
    pub fn secrets(&self) -> Vec<Use<'_>> {
        let mut out = Vec::new();
        for (i, r) in self.receivers.iter().enumerate() {
            let at = |rest: &str| format!("/spec/notify/receivers/{i}/{rest}");
            let mut add = |pointer: String, secret, used_as| {
                out.push(Use {
                    pointer,
                    secret,
                    used_as,
                })
            };
            if let Some(d) = &r.discord {
                add(at("discord/webhook_url"), &d.webhook_url, SecretUse::Url);
            }
            if let Some(s) = &r.slack {
                add(at("slack/api_url"), &s.api_url, SecretUse::Url);
            }
            if let Some(w) = &r.webhook {
                add(at("webhook/url"), &w.url, SecretUse::Url);
            }
            if let Some(p) = r.email.as_ref().and_then(|e| e.auth_password.as_ref()) {
                add(at("email/auth_password"), p, SecretUse::Password);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
