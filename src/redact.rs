//! Keeping secrets out of output.
//!
//! A gateway URL may carry `user:password@`; every place that shows a URL
//! goes through [`url`], which replaces the userinfo with `***`.

use reqwest::Url;

/// The URL as text, with any userinfo shown as `***`.
pub fn url(u: &Url) -> String {
    if u.username().is_empty() && u.password().is_none() {
        return u.to_string();
    }
    let mut shown = u.clone();
    // Both setters only fail for URLs that cannot have credentials at all.
    let _ = shown.set_password(None);
    let _ = shown.set_username("***");
    shown.to_string()
}

/// Best effort for a string that did not even parse as a URL.
pub fn url_str(raw: &str) -> String {
    let Some(at) = raw.rfind('@') else {
        return raw.to_string();
    };
    // Everything before the last `@` may be userinfo, whatever the text
    // looks like (a mistyped `http:/bob:pw@…` has no `://` before it).
    let start = raw.find("://").filter(|&s| s < at).map_or(0, |s| s + 3);
    format!("{}***{}", &raw[..start], &raw[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_masked() {
        let u = Url::parse("http://bob:s3cr3t@h:9091/pgw").unwrap();
        assert_eq!(url(&u), "http://***@h:9091/pgw");
        assert_eq!(url_str("http://bob:s3cr3t@h :1"), "http://***@h :1");
        assert_eq!(url_str("bob:s3cr3t@h"), "***@h");
        assert_eq!(url_str("http:/bob:s3cr3t@h"), "***@h");
        assert_eq!(url_str("http:/bob:s3cr3t@http://h:1"), "***@http://h:1");
        let plain = Url::parse("http://h/").unwrap();
        assert_eq!(url(&plain), "http://h/");
    }
}

/// A secret (password, token, key). `Debug` and `Display` print `***`, so
/// logging a config struct, an error chain or a panic message can't leak it;
/// the value is reachable only through [`Secret::expose`], at the one place
/// it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod secret_tests {
    use super::Secret;

    #[test]
    fn secret_never_formats() {
        let s = Secret::new("hunter2");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "*** Secret(***) Some(Secret(***))"
        );
        assert_eq!(s.expose(), "hunter2");
    }
}
