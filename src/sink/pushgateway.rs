//! The Pushgateway as a destination: a PUT (or POST) of the families to
//! one group, in protobuf (streamed while it is written) or text, gzipped
//! or not. The group URL and the request are [`crate::pushgateway`]'s,
//! which `delete`, `groups` and `prune` share.

use std::sync::Arc;

use anyhow::Result;

use super::{Effort, Sink};
use crate::model::Family;
use crate::net::LazyClient;
use crate::pushgateway::{self, PushOptions, Target, WireFormat};

/// A push to one group.
#[derive(Debug)]
pub struct GatewaySink {
    pub target: Target,
    pub how: PushOptions,
    client: LazyClient,
}

impl GatewaySink {
    pub fn new(target: Target, how: PushOptions) -> GatewaySink {
        GatewaySink {
            target,
            how,
            client: LazyClient::default(),
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
        Ok(shown.bytes(families))
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
        let client = self.client.get(&target.http, target.is_https())?;
        pushgateway::push_with(client, &target, &self.how, families)?;
        Ok(self.destination())
    }

    fn timeout(&self) -> std::time::Duration {
        self.target.http.timeout
    }

    fn regroup(&self, grouping: &[(String, String)]) -> Arc<dyn Sink> {
        Arc::new(GatewaySink::new(
            Target {
                grouping: grouping.to_vec(),
                ..self.target.clone()
            },
            self.how,
        ))
    }
}
