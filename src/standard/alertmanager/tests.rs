//! Snapshots of both forms for the example standard, and what each
//! refuses.

use super::file::matcher_text;
use super::*;
use crate::standard::notify::SecretUse;

/// The example's secrets, with values that say where they came from.
pub(crate) fn secrets(std: &Standard) -> Secrets {
    notify_of(std)
        .unwrap()
        .secrets()
        .into_iter()
        .map(|u| {
            let (name, key) = (&u.secret.secret, &u.secret.key);
            let value = match u.used_as {
                SecretUse::Url => format!("https://hooks.example.org/{name}/{key}"),
                SecretUse::Password => format!("password-of-{name}-{key}"),
            };
            (u.secret.clone(), Secret::new(value))
        })
        .collect()
}

fn example() -> Standard {
    super::super::tests::example()
}

#[test]
fn snapshots_of_the_example() {
    let std = example();
    insta::assert_snapshot!(
        "alertmanager_yml",
        alertmanager_yaml(&std, &secrets(&std)).unwrap()
    );
    insta::assert_snapshot!(
        "alertmanager_config",
        alertmanager_config_yaml(&std, &[("release".into(), "kube-prometheus-stack".into())])
            .unwrap()
    );
}

#[test]
fn the_operator_form_holds_no_secret_value() {
    let std = example();
    let cr = alertmanager_config_yaml(&std, &[]).unwrap();
    for (_, v) in secrets(&std) {
        assert!(!cr.contains(v.expose()), "{cr}");
    }
    assert!(cr.contains("apiURL:\n"), "{cr}");
    assert!(cr.contains("urlSecret:\n"), "{cr}");
}

#[test]
fn matchers_are_quoted_as_alertmanager_reads_them() {
    assert_eq!(matcher_text("user", "alice"), r#"user="alice""#);
    assert_eq!(matcher_text("user", "a\"b\\c"), r#"user="a\"b\\c""#);
}

#[test]
fn no_notify_and_no_smtp_server_are_problems() {
    let mut std = example();
    let n = std.spec.notify.as_mut().unwrap();
    let email = n
        .receivers
        .iter_mut()
        .find_map(|r| r.email.as_mut())
        .unwrap();
    email.smarthost = None;
    let p = alertmanager_yaml(&std, &secrets(&std)).unwrap_err();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].pointer, "/spec/notify/receivers/3/email");
    assert!(p[0].message.contains("give `smarthost`"), "{p:?}");
    // The operator form leaves it to the Alertmanager's global settings.
    assert!(alertmanager_config_yaml(&std, &[]).is_ok());

    let p = alertmanager_yaml(&std, &Secrets::new()).unwrap_err();
    assert!(
        p.iter().any(
            |p| p.pointer == "/spec/notify/receivers/0/discord/webhook_url"
                && p.message == "no value was read for secret alert-hooks key discord"
        ),
        "{p:?}"
    );

    std.spec.notify = None;
    let p = alertmanager_config_yaml(&std, &[]).unwrap_err();
    assert_eq!(p[0].pointer, "/spec/notify");
}
