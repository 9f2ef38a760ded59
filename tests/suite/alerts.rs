//! Alerts reach people: the standard's `spec.notify`, end to end.
//! - `simplepipe alertmanager` writes an alertmanager.yml that the real
//!   Alertmanager 0.25 loads and `amtool check-config` passes, mode 0600,
//!   with a note on stderr and no secret in any message;
//! - the chain, with real servers: Pushgateway → Prometheus 2.42 (the
//!   generated rules, 1 s scrape and evaluation, honor_labels) →
//!   Alertmanager 0.25 (the generated file, 1 s timing) → a Discord-shaped
//!   endpoint (answers 204, records the JSON at the secret URL's path) and a
//!   generic webhook. No Discord can run here, so the endpoint records
//!   exactly what Alertmanager sent; alice's critical breach reaches Discord
//!   as FIRING, her warning breach the webhook, bob nothing, her good run
//!   Discord as RESOLVED;
//! - the AlertmanagerConfig walks against the Prometheus Operator's CRD
//!   (../shared/k8s-crds) with no unknown key, and the walk catches one.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::alertmanager::Alertmanager;
use common::prometheus::Prometheus;
use common::scripted::{Recorded, Reply, Scripted};
use common::*;
use serde_json::Value;

const STANDARD: &str = "examples/standard/ml-training.yaml";
/// The path of the Discord webhook URL, as Discord hands it out: the token
/// in it is the secret.
const DISCORD_PATH: &str = "/api/webhooks/1181818181/tok-DISCORD-secret-7f3a";
const ONCALL_PATH: &str = "/oncall/tok-ONCALL-secret-91bc";
const SLACK_PATH: &str = "/slack/tok-SLACK-secret-44de";
const SMTP_PASSWORD: &str = "smtp-PASSWORD-secret-5a5a";

/// The two recording endpoints and a secrets directory pointing at them,
/// laid out as mounted Kubernetes Secrets: DIR/alert-hooks/KEY.
struct Hooks {
    discord: Scripted,
    webhook: Scripted,
    secrets: tempfile::TempDir,
}

impl Hooks {
    fn start() -> Hooks {
        let discord = Scripted::start(vec![Reply::Status(204, &[], "")]);
        let webhook = Scripted::start(vec![Reply::Status(200, &[], "")]);
        let secrets = tempfile::tempdir().unwrap();
        let dir = secrets.path().join("alert-hooks");
        std::fs::create_dir(&dir).unwrap();
        for (key, value) in [
            ("discord", format!("{}{DISCORD_PATH}", discord.url)),
            ("oncall", format!("{}{ONCALL_PATH}", webhook.url)),
            ("slack", format!("{}{SLACK_PATH}", webhook.url)),
            ("smtp-password", SMTP_PASSWORD.to_string()),
        ] {
            // As `kubectl create secret --from-file` keeps an echo's newline.
            std::fs::write(dir.join(key), format!("{value}\n")).unwrap();
        }
        Hooks {
            discord,
            webhook,
            secrets,
        }
    }
}

/// The secret part of every secret value: text no message may hold.
fn secret_values() -> Vec<&'static str> {
    [DISCORD_PATH, ONCALL_PATH, SLACK_PATH, SMTP_PASSWORD]
        .iter()
        .map(|t| t.rsplit('/').next().unwrap())
        .collect()
}

/// `simplepipe alertmanager STANDARD --secrets-dir … -o OUT`.
fn write_file(standard: &str, hooks: &Hooks, out: &Path) -> Run {
    run(&[
        "alertmanager",
        standard,
        "--secrets-dir",
        hooks.secrets.path().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

/// The example standard with 1 s timing, in `dir`.
fn fast_standard(dir: &Path) -> String {
    let text = std::fs::read_to_string(repo().join(STANDARD)).unwrap();
    let timing = "timing: {group_wait: 30s, group_interval: 5m, repeat_interval: 4h}";
    assert!(text.contains(timing), "the example's timing moved");
    let path = dir.join("ml-training.yaml");
    std::fs::write(
        &path,
        text.replace(
            timing,
            "timing: {group_wait: 1s, group_interval: 1s, repeat_interval: 1h}",
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// A run of `user`, as a training step pushes it.
fn push_run(gw: &Gateway, dir: &Path, user: &str, accuracy: f64, run_time: u32) {
    let text = std::fs::read_to_string(repo().join("examples/standard/run-ok.json"))
        .unwrap()
        .replace(
            "\"ml-training.yaml\"",
            &format!("{:?}", repo().join(STANDARD)),
        )
        .replace("0.812", &accuracy.to_string())
        .replace("\"value\": 5400", &format!("\"value\": {run_time}"));
    let path = dir.join(format!("{user}-{accuracy}-{run_time}.json"));
    std::fs::write(&path, text).unwrap();
    let r = run(&[
        "push",
        path.to_str().unwrap(),
        "--gateway",
        &gw.url,
        "--job",
        "training",
        "--user",
        user,
    ]);
    assert_eq!(r.code, 0, "{r:?}");
}

/// Wait (90 s at most) for the first request to `server` that `pick`
/// accepts; every request so far is shown if none comes.
fn wait_for(server: &Scripted, what: &str, pick: impl Fn(&Recorded, &Value) -> bool) -> Recorded {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let all = server.requests();
        let hit = all.iter().find(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            pick(r, &body)
        });
        if let Some(r) = hit {
            return r.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no {what}; received: {:#?}",
            all.iter()
                .map(|r| (&r.path, String::from_utf8_lossy(&r.body)))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The title and description of a Discord message's first embed.
fn embed(body: &Value) -> Option<String> {
    let e = body["embeds"].get(0)?;
    Some(format!(
        "{}\n{}",
        e["title"].as_str()?,
        e["description"].as_str().unwrap_or_default()
    ))
}

fn text(r: &Recorded) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

#[test]
fn alice_is_told_on_discord_and_the_webhook_bob_nowhere() {
    let hooks = Hooks::start();
    let tmp = tempfile::tempdir().unwrap();
    let standard = fast_standard(tmp.path());
    let yml = tmp.path().join("alertmanager.yml");
    let r = write_file(&standard, &hooks, &yml);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(
        r.stderr.contains("holds the secret values named by") && r.stderr.contains("mode 0600"),
        "{r:?}"
    );
    let mode = std::fs::metadata(&yml).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let config = std::fs::read_to_string(&yml).unwrap();
    assert!(config.contains(DISCORD_PATH), "{config}");

    let check = Command::new("amtool")
        .args(["check-config", yml.to_str().unwrap()])
        .output()
        .expect("amtool runs (bash .ci/run installs prometheus-alertmanager)");
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        out.contains("SUCCESS") && out.contains("5 receivers"),
        "{out}"
    );

    let gw = Gateway::start();
    let am = Alertmanager::with_config(&config, hooks.webhook);
    let rules = run(&["rules", STANDARD]);
    assert_eq!(rules.code, 0, "{rules:?}");
    let prom = Prometheus::alerting(&gw.url, &rules.stdout, &am.url);
    prom.wait_for_alertmanager();

    // alice: accuracy below 0.7 (critical) and a run over 7200 s (warning);
    // bob: within every bound.
    let pushed = Instant::now();
    push_run(&gw, tmp.path(), "alice", 0.5, 9000);
    push_run(&gw, tmp.path(), "bob", 0.9, 5400);
    let firing = wait_for(&hooks.discord, "FIRING on Discord", |r, b| {
        r.path == DISCORD_PATH && embed(b).is_some_and(|e| e.contains("FIRING"))
    });
    let discord_after = firing.at - pushed;
    let body: Value = serde_json::from_slice(&firing.body).unwrap();
    eprintln!("Discord received at {}: {body:#}", firing.path);
    assert_eq!(firing.method, "POST");
    let e = embed(&body).unwrap();
    assert!(
        e.contains("ModelAccuracyBelowExpected") && e.contains("alice"),
        "{e}"
    );
    assert!(
        e.contains("model_accuracy of alice is 0.5, below the expected 0.7"),
        "{e}"
    );
    let oncall = wait_for(&am.webhook, "warning on the webhook", |r, b| {
        r.path == ONCALL_PATH
            && b["status"] == "firing"
            && b["commonLabels"]["alertname"] == "RunTimeSecondsAboveExpected"
    });
    let webhook_after = oncall.at - pushed;
    let body: Value = serde_json::from_slice(&oncall.body).unwrap();
    assert_eq!(body["commonLabels"]["user"], "alice", "{body}");
    assert_eq!(body["commonLabels"]["severity"], "warning", "{body}");

    // Three more evaluations: still nothing about bob, anywhere; the
    // warning never went to Discord, the critical alert never to the
    // webhook, and nothing to Slack (its route is for others' warnings).
    std::thread::sleep(Duration::from_secs(3));
    assert!(prom.query_once("ALERTS{user=\"bob\"}").is_empty());
    for r in hooks.discord.requests() {
        assert_eq!(r.path, DISCORD_PATH);
        let t = text(&r);
        assert!(t.contains("ModelAccuracyBelowExpected"), "{t}");
        assert!(!t.contains("RunTimeSeconds") && !t.contains("bob"), "{t}");
    }
    for r in am.webhook.requests() {
        assert_eq!(r.path, ONCALL_PATH, "{}", text(&r));
        assert!(!text(&r).contains("ModelAccuracy") && !text(&r).contains("bob"));
    }

    let good = Instant::now();
    push_run(&gw, tmp.path(), "alice", 0.9, 5400);
    let resolved = wait_for(&hooks.discord, "RESOLVED on Discord", |r, b| {
        r.path == DISCORD_PATH && embed(b).is_some_and(|e| e.contains("RESOLVED"))
    });
    let resolved_after = resolved.at - good;
    let e = embed(&serde_json::from_slice(&resolved.body).unwrap()).unwrap();
    assert!(
        e.contains("ModelAccuracyBelowExpected") && e.contains("alice"),
        "{e}"
    );

    // No secret value in any message that was delivered.
    let delivered: Vec<String> = (hooks.discord.requests().iter())
        .chain(am.webhook.requests().iter())
        .map(text)
        .collect();
    for secret in secret_values() {
        for body in &delivered {
            assert!(!body.contains(secret), "{secret} in {body}");
        }
    }
    eprintln!(
        "observed: push -> Discord FIRING {:.1} s, push -> webhook {:.1} s, good push -> Discord RESOLVED {:.1} s",
        discord_after.as_secs_f64(),
        webhook_after.as_secs_f64(),
        resolved_after.as_secs_f64()
    );
}

#[test]
fn no_secret_value_in_the_standard_the_operator_form_or_any_message() {
    let hooks = Hooks::start();
    let standard = std::fs::read_to_string(repo().join(STANDARD)).unwrap();
    let cr = run(&["alertmanager", STANDARD, "--alertmanager-config"]);
    assert_eq!(cr.code, 0, "{cr:?}");
    assert!(cr.stderr.is_empty(), "{cr:?}");
    let file = run(&[
        "alertmanager",
        STANDARD,
        "--secrets-dir",
        hooks.secrets.path().to_str().unwrap(),
    ]);
    assert_eq!(file.code, 0, "{file:?}");
    assert!(
        file.stderr
            .contains("the alertmanager.yml on stdout holds the secret values"),
        "{file:?}"
    );
    assert!(
        file.stdout.contains(SMTP_PASSWORD),
        "the file form holds them"
    );
    for secret in secret_values() {
        for (what, text) in [
            ("the standard", &standard),
            ("the AlertmanagerConfig", &cr.stdout),
            ("the note", &file.stderr),
        ] {
            assert!(!text.contains(secret), "{secret} in {what}: {text}");
        }
    }

    // A secret written into the standard is refused (exit 2, the pointer)
    // and not repeated; so is a secret file that holds no URL.
    let tmp = tempfile::tempdir().unwrap();
    let leaked = tmp.path().join("leaked.yaml");
    std::fs::write(
        &leaked,
        standard.replace(
            "{secret: alert-hooks, key: oncall}",
            "https://hooks.example.org/tok-LITERAL-secret",
        ),
    )
    .unwrap();
    for args in [
        vec![
            "alertmanager",
            leaked.to_str().unwrap(),
            "--alertmanager-config",
        ],
        vec!["rules", leaked.to_str().unwrap()],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stdout.is_empty(), "{r:?}");
        assert!(
            r.stderr.contains("/spec/notify/receivers/2/webhook/url: a literal value here would put a secret in git; give {secret: NAME, key: KEY}"),
            "{r:?}"
        );
        assert!(!r.stderr.contains("LITERAL"), "{r:?}");
    }
    let dir = hooks.secrets.path().join("alert-hooks");
    std::fs::write(dir.join("oncall"), "tok-BARE-secret\n").unwrap();
    std::fs::remove_file(dir.join("slack")).unwrap();
    let out = tmp.path().join("alertmanager.yml");
    let r = write_file(STANDARD, &hooks, &out);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(!out.exists(), "nothing is written when a secret is missing");
    assert!(
        r.stderr
            .contains("/spec/notify/receivers/1/slack/api_url: secret alert-hooks key slack: ")
            && r.stderr
                .contains("/alert-hooks/slack cannot be read: no such file"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("/spec/notify/receivers/2/webhook/url: secret alert-hooks key oncall: ")
            && r.stderr
                .contains("does not hold an http(s) URL (its value is not shown)"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("BARE"), "{r:?}");
}

#[test]
fn the_file_replaces_a_readable_one_and_never_follows_a_link() {
    let hooks = Hooks::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("alertmanager.yml");
    std::fs::write(&out, "old").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::write(&elsewhere, "untouched").unwrap();
    let link = tmp.path().join("link.yml");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    for path in [&out, &link] {
        let r = write_file(STANDARD, &hooks, path);
        assert_eq!(r.code, 0, "{r:?}");
        let meta = std::fs::symlink_metadata(path).unwrap();
        assert!(meta.is_file(), "{path:?} is a plain file now");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{path:?}");
        assert!(std::fs::read_to_string(path)
            .unwrap()
            .contains(SMTP_PASSWORD));
    }
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "untouched");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 3, "no temporary file is left: {left:?}");
}

fn check_py(file: &Path) -> Run {
    Command::new("python3")
        .arg(repo().join("tests/manifests/check.py"))
        .arg(file)
        .output()
        .expect("python3 runs (bash .ci/run installs PyYAML with hera)")
        .into()
}

#[test]
fn the_alertmanager_config_walks_against_the_operators_crd() {
    let crd = repo().join("../shared/k8s-crds/monitoring.coreos.com_alertmanagerconfigs.yaml");
    assert!(crd.exists(), "{} is missing", crd.display());
    let cr = run(&[
        "alertmanager",
        STANDARD,
        "--alertmanager-config",
        "--rule-label",
        "release=kps",
    ]);
    assert_eq!(cr.code, 0, "{cr:?}");
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("alertmanagerconfig.yaml");
    std::fs::write(&good, &cr.stdout).unwrap();
    let r = check_py(&good);
    assert_eq!(r.stdout, "1 manifests checked, 0 problems\n", "{r:?}");
    assert!(
        cr.stdout
            .contains("    - urlSecret:\n        name: alert-hooks\n        key: oncall\n"),
        "{}",
        cr.stdout
    );

    // The walk finds a misspelt key in a receiver and in a child route
    // (which the CRD itself leaves free-form), and a wrong match type.
    let bad = tmp.path().join("bad.yaml");
    let planted = cr
        .stdout
        .replacen("sendResolved: true", "sendResolvd: true", 1)
        .replacen(
            "    - receiver: oncall\n",
            "    - receiver: oncall\n      continu: true\n",
            1,
        )
        .replacen(
            "        value: critical\n",
            "        value: critical\n        matchType: '=='\n",
            1,
        );
    std::fs::write(&bad, planted).unwrap();
    let r = check_py(&bad);
    assert_eq!(r.code, 1, "{r:?}");
    for want in [
        "AlertmanagerConfig simplepipe-ml-training: /spec/receivers/1/discordConfigs/0/sendResolvd: unknown key",
        "AlertmanagerConfig simplepipe-ml-training: /spec/route/routes/2/continu: unknown key",
        "AlertmanagerConfig simplepipe-ml-training: /spec/route/routes/1/matchers/0/matchType: '==' is not one of",
    ] {
        assert!(r.stdout.contains(want), "{want}\n{}", r.stdout);
    }
}
