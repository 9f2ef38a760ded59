//! A `monitoring.coreos.com/v1alpha1` `AlertmanagerConfig`, for the
//! Prometheus Operator (kube-prometheus-stack): the same tree as
//! [`mod@super::file`], with each secret a `SecretKeySelector` (`{name, key}`)
//! the operator resolves in the object's namespace. No secret value is in
//! it, so it can be committed and applied like any manifest.
//!
//! The operator adds a `namespace="<the object's namespace>"` matcher to
//! the top route unless the Alertmanager's `alertmanagerConfigMatcherStrategy`
//! is `None`; the generated alerts are aggregated `by (job, user)` and
//! carry no namespace (docs/alerts-routing.md says what to set).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Problem;

use super::super::notify::{Email, SecretRef, UNROUTED};
use super::super::rules::{header, to_yaml};
use super::super::Standard;
use super::{notify_of, routes, Timers, GROUP_BY};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: Spec,
}

#[derive(Serialize)]
struct Metadata {
    name: String,
    labels: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Spec {
    route: Route,
    receivers: Vec<Receiver>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Route {
    receiver: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group_by: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_wait: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat_interval: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    matchers: Vec<Matcher>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    routes: Vec<Route>,
}

/// An equality matcher. `matchType` is left out: "=" is what the operator
/// assumes then, and a bare `=` is YAML 1.1's "value" tag, which PyYAML
/// (and tools built on it) refuse to load.
#[derive(Serialize)]
struct Matcher {
    name: String,
    value: String,
}

fn matchers(pairs: &[(&str, &str)]) -> Vec<Matcher> {
    pairs
        .iter()
        .map(|(k, v)| Matcher {
            name: k.to_string(),
            value: v.to_string(),
        })
        .collect()
}

impl Route {
    fn to(receiver: &str, matchers: Vec<Matcher>) -> Route {
        let receiver = receiver.to_string();
        Route {
            receiver,
            matchers,
            ..Route::default()
        }
    }
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Receiver {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    discord_configs: Vec<Discord>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    slack_configs: Vec<Slack>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    webhook_configs: Vec<Webhook>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email_configs: Vec<EmailConfig>,
}

/// A `SecretKeySelector`: a key of a Secret in the object's namespace.
#[derive(Serialize)]
struct Selector {
    name: String,
    key: String,
}

impl From<&SecretRef> for Selector {
    fn from(r: &SecretRef) -> Selector {
        Selector {
            name: r.secret.clone(),
            key: r.key.clone(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Discord {
    #[serde(rename = "apiURL")]
    api_url: Selector,
    send_resolved: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Slack {
    #[serde(rename = "apiURL")]
    api_url: Selector,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    send_resolved: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Webhook {
    url_secret: Selector,
    send_resolved: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmailConfig {
    to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    smarthost: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_password: Option<Selector>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "requireTLS")]
    require_tls: Option<bool>,
    send_resolved: bool,
}

impl EmailConfig {
    fn new(e: &Email, sent: bool) -> EmailConfig {
        EmailConfig {
            to: e.to.clone(),
            from: e.from.clone(),
            smarthost: e.smarthost.clone(),
            auth_username: e.auth_username.clone(),
            auth_password: e.auth_password.as_ref().map(Selector::from),
            require_tls: e.require_tls,
            send_resolved: sent,
        }
    }
}

/// The `AlertmanagerConfig` for `std`, named `simplepipe-NAME`, with
/// `labels` (e.g. the ones the Alertmanager's `alertmanagerConfigSelector`
/// selects by). The only problem: no `spec.notify`.
pub fn alertmanager_config_yaml(
    std: &Standard,
    labels: &[(String, String)],
) -> Result<String, Vec<Problem>> {
    let notify = notify_of(std)?;
    let mut receivers = vec![Receiver {
        name: UNROUTED.to_string(),
        ..Receiver::default()
    }];
    for r in &notify.receivers {
        let sent = r.send_resolved;
        receivers.push(Receiver {
            name: r.name.clone(),
            discord_configs: (r.discord.iter())
                .map(|d| Discord {
                    api_url: (&d.webhook_url).into(),
                    send_resolved: sent,
                })
                .collect(),
            slack_configs: (r.slack.iter())
                .map(|s| Slack {
                    api_url: (&s.api_url).into(),
                    channel: s.channel.clone(),
                    send_resolved: sent,
                })
                .collect(),
            webhook_configs: (r.webhook.iter())
                .map(|w| Webhook {
                    url_secret: (&w.url).into(),
                    send_resolved: sent,
                })
                .collect(),
            email_configs: (r.email.iter())
                .map(|e| EmailConfig::new(e, sent))
                .collect(),
        });
    }
    let t = Timers::from(&notify.timing);
    let route = Route {
        group_by: GROUP_BY.to_vec(),
        group_wait: t.group_wait,
        group_interval: t.group_interval,
        repeat_interval: t.repeat_interval,
        routes: routes(notify)
            .map(|(m, to)| Route::to(to, matchers(&m)))
            .collect(),
        ..Route::to(UNROUTED, matchers(&[("standard", std.name())]))
    };
    let mut labels_out = BTreeMap::from([(
        "app.kubernetes.io/name".to_string(),
        "simplepipe-standard".to_string(),
    )]);
    labels_out.extend(labels.iter().cloned());
    let doc = Object {
        api_version: "monitoring.coreos.com/v1alpha1",
        kind: "AlertmanagerConfig",
        metadata: Metadata {
            name: format!("simplepipe-{}", std.name()),
            labels: labels_out,
        },
        spec: Spec { route, receivers },
    };
    Ok(header(std, "simplepipe alertmanager --alertmanager-config") + &to_yaml(&doc))
}
