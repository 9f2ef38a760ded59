//! Groups that expire: `--expires-in` puts one gauge into the group,
//! [`EXPIRES_AT`], the Unix time after which `prune --expired` may delete
//! it. Being in the group, it is replaced by the next push (a live run
//! renews it with every push).
//!
//! Client-side because the Pushgateway's maintainers decline a time to
//! live on principle (prometheus/pushgateway#19, #117, #192, #297, #527;
//! the pull requests #577 and #682 were closed): the gateway keeps a group
//! until someone deletes it, so the deadline travels with the group and
//! `prune` does the deleting. See docs/gateway-expiry.md.

use std::time::Duration;

use anyhow::{anyhow, Result};

use crate::error::{fail, Exit};
use crate::model::{Family, Kind, Sample, Series};

/// The gauge that carries a group's deadline.
pub const EXPIRES_AT: &str = "simplepipe_expires_at_seconds";

const HELP: &str = "Unix time after which `simplepipe prune --expired` may delete this group.";

/// The gauge for a group pushed at `now` (Unix seconds) that may go
/// `expires_in` later.
pub fn family(now: f64, expires_in: Duration) -> Family {
    Family {
        name: EXPIRES_AT.to_string(),
        help: HELP.to_string(),
        kind: Kind::Gauge,
        series: vec![Series {
            labels: crate::model::Labels::new(),
            // Not rounded: a deadline rounded up by half a second would
            // keep a group longer than asked.
            sample: Sample::Scalar(now + expires_in.as_secs_f64()),
        }],
    }
}

/// `families` and the deadline gauge. An artifact that holds the gauge
/// itself is refused: which deadline would hold is anyone's guess.
pub fn with_expiry(families: &[Family], now: f64, expires_in: Duration) -> Result<Vec<Family>> {
    if families.iter().any(|f| f.name == EXPIRES_AT) {
        return Err(fail(
            Exit::Invalid,
            anyhow!(
                "the metrics hold {EXPIRES_AT} themselves, which --expires-in writes; drop one of them"
            ),
        ));
    }
    let mut out = Vec::with_capacity(families.len() + 1);
    out.extend_from_slice(families);
    out.push(family(now, expires_in));
    Ok(out)
}

/// Unix time now, on this machine's clock (the pusher's; `prune` compares
/// with the gateway's, so a skew between the two moves the deadline by as
/// much).
pub fn now() -> f64 {
    chrono::Utc::now().timestamp_micros() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauge_is_the_push_time_plus_the_duration() {
        let f = family(1_000_000.4, Duration::from_secs(90 * 60));
        let text = crate::encode::text(&[f]);
        insta::assert_snapshot!(text, @r"
        # HELP simplepipe_expires_at_seconds Unix time after which `simplepipe prune --expired` may delete this group.
        # TYPE simplepipe_expires_at_seconds gauge
        simplepipe_expires_at_seconds 1005400.4
        ");
    }

    #[test]
    fn an_artifact_with_its_own_gauge_is_refused() {
        let own = family(1.0, Duration::from_secs(1));
        let e = with_expiry(&[own], 5.0, Duration::from_secs(1)).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), Exit::Invalid);
        assert!(format!("{e:#}").contains("simplepipe_expires_at_seconds themselves"));
        let ok = with_expiry(&[], 5.0, Duration::from_secs(1)).unwrap();
        assert_eq!(ok.len(), 1);
    }
}
