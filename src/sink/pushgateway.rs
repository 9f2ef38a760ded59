//! The Pushgateway as a destination: a PUT (or POST) of the families to
//! one group, in protobuf (streamed while it is written) or text, gzipped
//! or not. The group URL and the request are [`crate::pushgateway`]'s,
//! which `delete`, `groups` and `prune` share.
//!
//! With `--expires-in`, this sink alone adds the deadline gauge
//! ([`crate::pushgateway::expiry`]) to what it sends: only the gateway
//! keeps groups, so next to remote write or InfluxDB the gauge would be a
//! meaningless series there.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;

use super::{Effort, Sink};
use crate::model::Family;
use crate::net::LazyClient;
use crate::pushgateway::{self, expiry, PushOptions, Target, WireFormat};

/// A push to one group.
#[derive(Debug)]
pub struct GatewaySink {
    pub target: Target,
    pub how: PushOptions,
    /// `--expires-in`: each push carries its deadline, this long after it.
    pub expires_in: Option<Duration>,
    client: LazyClient,
}

impl GatewaySink {
    pub fn new(target: Target, how: PushOptions, expires_in: Option<Duration>) -> GatewaySink {
        GatewaySink {
            target,
            how,
            expires_in,
            client: LazyClient::default(),
        }
    }

    /// What goes to the group: the families, and the deadline gauge when
    /// the group expires. Copied only then.
    fn families(&self, families: &Arc<[Family]>) -> Result<Arc<[Family]>> {
        match self.expires_in {
            None => Ok(families.clone()),
            Some(d) => Ok(expiry::with_expiry(families, expiry::now(), d)?.into()),
        }
    }
}

impl Sink for GatewaySink {
    fn kind(&self) -> &'static str {
        "the Pushgateway"
    }

    fn destination(&self) -> String {
        format!(
            "{} ({})",
            pushgateway::shown_url(&self.target),
            self.how.method()
        )
    }

    fn request_line(&self) -> String {
        format!(
            "{} {}",
            self.how.method(),
            pushgateway::shown_url(&self.target)
        )
    }

    fn dry_run_body(&self, families: &[Family]) -> Result<Vec<u8>> {
        let shown = PushOptions {
            gzip: false,
            ..self.how
        };
        match self.expires_in {
            None => Ok(shown.bytes(families)),
            Some(d) => Ok(shown.bytes(&expiry::with_expiry(families, expiry::now(), d)?)),
        }
    }

    fn push(&self, families: &Arc<[Family]>, effort: Effort) -> Result<String> {
        crate::report::debug(|| {
            let format = match self.how.format {
                WireFormat::Protobuf => "protobuf (delimited MetricFamily)",
                WireFormat::Text => "text 0.0.4",
            };
            let gzip = if self.how.gzip { ", gzip" } else { "" };
            format!("wire format: {format}{gzip}")
        });
        let target = Target {
            http: self.target.http.limited(effort.retries, effort.deadline),
            ..self.target.clone()
        };
        let families = self.families(families)?;
        let client = self.client.get(&target.http, target.is_https())?;
        pushgateway::push_with(client, &target, &self.how, &families)?;
        Ok(self.destination())
    }

    fn timeout(&self) -> std::time::Duration {
        self.target.http.timeout
    }

    fn has_groups(&self) -> bool {
        true
    }

    fn regroup(&self, grouping: &[(String, String)]) -> Arc<dyn Sink> {
        Arc::new(GatewaySink::new(
            Target {
                grouping: grouping.to_vec(),
                ..self.target.clone()
            },
            self.how,
            self.expires_in,
        ))
    }
}
