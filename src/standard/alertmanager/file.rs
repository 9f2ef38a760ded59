//! `alertmanager.yml`: the routing tree and the receivers, with the
//! secret values written in.
//!
//! Why values and not `*_file` fields: Alertmanager 0.25 (the one Debian
//! packages) has no `webhook_url_file` for Discord (0.27) nor `url_file`
//! for webhooks (it refuses both as unknown fields), so a file it can load
//! must carry them. Every field used here exists in 0.25.

use serde::Serialize;

use crate::error::Problem;

use super::super::notify::{Email, SecretRef, UNROUTED};
use super::super::rules::{header, to_yaml};
use super::super::Standard;
use super::{notify_of, routes, Secrets, Timers, GROUP_BY};

#[derive(Serialize)]
struct File {
    route: Route,
    receivers: Vec<Receiver>,
}

#[derive(Serialize, Default)]
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
    matchers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    routes: Vec<Route>,
}

impl Route {
    fn to(receiver: &str, matchers: Vec<String>) -> Route {
        let receiver = receiver.to_string();
        Route {
            receiver,
            matchers,
            ..Route::default()
        }
    }
}

#[derive(Serialize, Default)]
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

#[derive(Serialize)]
struct Discord {
    webhook_url: String,
    send_resolved: bool,
}

#[derive(Serialize)]
struct Slack {
    api_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    send_resolved: bool,
}

#[derive(Serialize)]
struct Webhook {
    url: String,
    send_resolved: bool,
}

#[derive(Serialize)]
struct EmailConfig {
    to: String,
    from: String,
    smarthost: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    require_tls: Option<bool>,
    send_resolved: bool,
}

/// A matcher as `alertmanager.yml` writes it: `name="value"`, the value
/// quoted the way Alertmanager's matcher parser unquotes it.
pub(super) fn matcher_text(name: &str, value: &str) -> String {
    let quoted = value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("{name}=\"{quoted}\"")
}

/// The `alertmanager.yml` for `std`, with the secret values from
/// `secrets` written in. Problems (exit 2): no `spec.notify`, an e-mail
/// receiver without its SMTP server, a secret not in `secrets`.
pub fn alertmanager_yaml(std: &Standard, secrets: &Secrets) -> Result<String, Vec<Problem>> {
    let notify = notify_of(std)?;
    let mut problems = Vec::new();
    let mut value = |pointer: String, r: &SecretRef| match secrets.get(r) {
        Some(s) => s.expose().to_string(),
        None => {
            problems.push(Problem::new(pointer, format!("no value was read for {r}")));
            String::new()
        }
    };
    let mut receivers = vec![Receiver {
        name: UNROUTED.to_string(),
        ..Receiver::default()
    }];
    let mut email_problems = Vec::new();
    for (i, r) in notify.receivers.iter().enumerate() {
        let at = |rest: &str| format!("/spec/notify/receivers/{i}/{rest}");
        let sent = r.send_resolved;
        let mut out = Receiver {
            name: r.name.clone(),
            ..Receiver::default()
        };
        if let Some(d) = &r.discord {
            out.discord_configs.push(Discord {
                webhook_url: value(at("discord/webhook_url"), &d.webhook_url),
                send_resolved: sent,
            });
        }
        if let Some(s) = &r.slack {
            out.slack_configs.push(Slack {
                api_url: value(at("slack/api_url"), &s.api_url),
                channel: s.channel.clone(),
                send_resolved: sent,
            });
        }
        if let Some(w) = &r.webhook {
            out.webhook_configs.push(Webhook {
                url: value(at("webhook/url"), &w.url),
                send_resolved: sent,
            });
        }
        if let Some(e) = &r.email {
            let password = e
                .auth_password
                .as_ref()
                .map(|p| value(at("email/auth_password"), p));
            match email(e, password, sent) {
                Ok(config) => out.email_configs.push(config),
                Err(why) => email_problems.push(Problem::new(at("email"), why)),
            }
        }
        receivers.push(out);
    }
    problems.extend(email_problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let t = Timers::from(&notify.timing);
    let mut own = Route::to(UNROUTED, vec![matcher_text("standard", std.name())]);
    own.routes = routes(notify)
        .map(|(m, to)| Route::to(to, m.iter().map(|(k, v)| matcher_text(k, v)).collect()))
        .collect();
    let route = Route {
        group_by: GROUP_BY.to_vec(),
        group_wait: t.group_wait,
        group_interval: t.group_interval,
        repeat_interval: t.repeat_interval,
        routes: vec![own],
        ..Route::to(UNROUTED, Vec::new())
    };
    Ok(header(std, "simplepipe alertmanager")
        + "# It holds the secret values the standard names: keep it out of git.\n"
        + &to_yaml(&File { route, receivers }))
}

fn email(e: &Email, password: Option<String>, sent: bool) -> Result<EmailConfig, String> {
    let (Some(from), Some(smarthost)) = (&e.from, &e.smarthost) else {
        return Err("an alertmanager.yml needs the SMTP server here: give `smarthost` (host:port) and `from` (an AlertmanagerConfig may leave them to the Alertmanager's global settings)".into());
    };
    Ok(EmailConfig {
        to: e.to.clone(),
        from: from.clone(),
        smarthost: smarthost.clone(),
        auth_username: e.auth_username.clone(),
        auth_password: password,
        require_tls: e.require_tls,
        send_resolved: sent,
    })
}
