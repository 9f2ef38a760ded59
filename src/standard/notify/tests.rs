//! `spec.notify` as the loader reads and checks it: every mistake is exit 2
//! with its pointer, and a literal secret is never repeated.

use crate::error::{exit_code, Exit};

use super::super::{from_text, tests::example};
use super::*;

const HEAD: &str = "apiVersion: simplepipe/v1\nkind: Standard\nmetadata: {name: t}\nspec:\n  jobs: [training]\n  metrics:\n    - {name: acc, type: gauge, expect: {min: 0.7}, severity: critical}\n    - {name: loss, type: gauge}\n  notify:\n";

const DISCORD: &str =
    "      - name: d\n        discord: {webhook_url: {secret: hooks, key: discord}}\n";
const TO_D: &str = "    routes:\n      - {match: {severity: critical}, receiver: d}\n";

/// The error text for a broken `notify` (asserted exit 2).
fn broken(notify: &str) -> String {
    let e = from_text(&format!("{HEAD}{notify}"), "s.yaml").unwrap_err();
    assert_eq!(exit_code(&e), Exit::Usage, "{e:#}");
    format!("{e:#}")
}

#[test]
fn the_example_routes_four_receivers() {
    let std = example();
    let n = std.spec.notify.as_ref().unwrap();
    assert_eq!(n.timing.group_wait.as_ref().unwrap().secs, 30);
    assert_eq!(n.timing.repeat_interval.as_ref().unwrap().text, "4h");
    let names: Vec<&str> = n.receivers.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["team-discord", "team-slack", "oncall", "lead"]);
    assert!(n.receivers.iter().all(|r| r.send_resolved));
    assert_eq!(n.routes[1].matches["severity"], "critical");
    assert_eq!(n.routes[1].receiver, "team-discord");
    let uses: Vec<(String, String, SecretUse)> = n
        .secrets()
        .into_iter()
        .map(|u| (u.pointer, u.secret.to_string(), u.used_as))
        .collect();
    assert_eq!(
        uses[0],
        (
            "/spec/notify/receivers/0/discord/webhook_url".to_string(),
            "secret alert-hooks key discord".to_string(),
            SecretUse::Url
        )
    );
    assert_eq!(uses.len(), 4);
    assert_eq!(uses[3].2, SecretUse::Password);
}

#[test]
fn a_literal_secret_is_refused_and_never_repeated() {
    for literal in [
        "https://discord.com/api/webhooks/123/tok-SECRET",
        "\"tok-SECRET\"",
        "12345",
        "[tok-SECRET]",
        "{secret: hooks, key: discord, value: tok-SECRET}",
    ] {
        let e = broken(&format!(
            "    receivers:\n      - name: d\n        discord: {{webhook_url: {literal}}}\n{TO_D}"
        ));
        assert!(
            e.contains("standard s.yaml: /spec/notify/receivers/0/discord/webhook_url: "),
            "{e}"
        );
        assert!(e.contains("give {secret: NAME, key: KEY}"), "{e}");
        assert!(!e.contains("SECRET") && !e.contains("12345"), "{e}");
    }
    let e = broken(&format!(
        "    receivers:\n      - name: d\n        discord: {{webhook_url: https://x/tok-SECRET}}\n{TO_D}"
    ));
    assert!(
        e.contains("a literal value here would put a secret in git"),
        "{e}"
    );
    let e = broken(&format!(
        "    receivers:\n      - name: d\n        discord: {{webhook_url: {{secret: hooks}}}}\n{TO_D}"
    ));
    assert!(e.contains("needs both `secret` and `key`"), "{e}");
}

#[test]
fn receivers_and_routes_mistakes_all_at_once() {
    let e = broken(&format!(
        "    receivers:\n{DISCORD}      - name: d\n        webhook: {{url: {{secret: Hooks, key: ../x}}}}\n      - name: nobody\n      - name: simplepipe-unrouted\n        email: {{to: lead}}\n    routes:\n      - {{match: {{severity: critical}}, receiver: teams}}\n      - {{match: {{severity: critical}}, receiver: ''}}\n"
    ));
    for want in [
        "/spec/notify/receivers/1/name: duplicate receiver \"d\" (also /spec/notify/receivers/0)",
        "/spec/notify/receivers/1/webhook/url/secret: \"Hooks\" is not a Kubernetes Secret name",
        "/spec/notify/receivers/1/webhook/url/key: \"../x\" is not a Secret key",
        "/spec/notify/receivers/2: tells nobody: give discord, slack, webhook or email",
        "/spec/notify/receivers/3/name: \"simplepipe-unrouted\" is the name simplepipe gives",
        "/spec/notify/receivers/3/email/to: \"lead\" is not an e-mail address",
        "/spec/notify/routes/0/receiver: no receiver is named \"teams\" (receivers: d, d, nobody, simplepipe-unrouted)",
        "/spec/notify/routes/1/receiver: routes to nothing; name one of the receivers",
        "/spec/notify/routes/1: is never reached: /spec/notify/routes/0 matches every alert it does",
    ] {
        assert!(e.contains(&format!("standard s.yaml: {want}")), "{want}\n{e}");
    }
    assert_eq!(e.lines().count(), 10, "{e}");
}

#[test]
fn empty_receivers_and_routes() {
    let e = broken("    receivers: []\n    routes: []\n");
    assert!(
        e.contains("/spec/notify/receivers: is empty; name at least one receiver"),
        "{e}"
    );
    assert!(
        e.contains("/spec/notify/routes: is empty; route the alerts to at least one receiver"),
        "{e}"
    );
    let e = broken(&format!(
        "    receivers:\n{DISCORD}    routes:\n      - {{match: {{severity: critical}}}}\n"
    ));
    assert!(
        e.contains("/spec/notify/routes/0: missing field `receiver`"),
        "{e}"
    );
}

#[test]
fn a_receiver_kind_given_twice() {
    let e = broken(&format!(
        "    receivers:\n      - name: d\n        discord: {{webhook_url: {{secret: hooks, key: a}}}}\n        discord: {{webhook_url: {{secret: hooks, key: b}}}}\n{TO_D}"
    ));
    assert!(
        e.contains("standard s.yaml: /spec/notify/receivers/0"),
        "{e}"
    );
    assert!(e.contains("duplicate"), "{e}");
}

#[test]
fn a_match_no_alert_can_satisfy() {
    let e = broken(&format!(
        "    receivers:\n{DISCORD}    routes:\n      - {{match: {{severity: critcal}}, receiver: d}}\n      - {{match: {{team: ml}}, receiver: d}}\n      - {{match: {{standard: other, job: train, metric: loss, user: ''}}, receiver: d}}\n"
    ));
    for want in [
        "/spec/notify/routes/0/match/severity: no alert of this standard has severity=\"critcal\" (it has info, warning, critical)",
        "/spec/notify/routes/1/match/team: the generated alerts carry no label \"team\"; match on severity, user, job, metric, standard",
        "/spec/notify/routes/2/match/standard: no alert of this standard has standard=\"other\" (it has t)",
        "/spec/notify/routes/2/match/job: no alert of this standard has job=\"train\" (it has training, workflow-outcome)",
        "/spec/notify/routes/2/match/metric: no alert of this standard has metric=\"loss\" (it has acc)",
        "/spec/notify/routes/2/match/user: is empty",
    ] {
        assert!(e.contains(&format!("standard s.yaml: {want}")), "{want}\n{e}");
    }
}

#[test]
fn timing_is_durations_and_never_zero() {
    let e = broken(&format!(
        "    timing: {{group_wait: 0s, group_interval: 0s, repeat_interval: 4 hours}}\n    receivers:\n{DISCORD}{TO_D}"
    ));
    assert!(
        e.contains("/spec/notify/timing/repeat_interval: \"4 hours\" is not a duration"),
        "{e}"
    );
    let e = broken(&format!(
        "    timing: {{group_wait: 0s, group_interval: 0s}}\n    receivers:\n{DISCORD}{TO_D}"
    ));
    assert!(
        e.contains("/spec/notify/timing/group_interval: must be longer than 0s"),
        "{e}"
    );
    assert!(!e.contains("group_wait"), "0s group_wait is allowed: {e}");
}

#[test]
fn a_catch_all_route_last_is_fine() {
    let text = format!(
        "{HEAD}    receivers:\n{DISCORD}      - name: all\n        slack: {{api_url: {{secret: hooks, key: slack}}}}\n        send_resolved: false\n    routes:\n      - {{match: {{severity: critical, user: alice}}, receiver: d}}\n      - {{receiver: all}}\n"
    );
    let std = from_text(&text, "s.yaml").unwrap();
    let n = std.spec.notify.unwrap();
    assert!(n.routes[1].matches.is_empty());
    assert!(!n.receivers[1].send_resolved);
    assert_eq!(n.receivers[1].kinds(), ["slack"]);
}
