//! Stage 6, sink: where validated families go.
//!
//! An enum, not a trait: the Pushgateway, remote write and InfluxDB are
//! three variants of one small interface (describe, dry run, push), and a
//! match keeps each destination's differences in sight. Every sink sends
//! through [`crate::net`], so retries, auth, TLS and exit codes are the
//! same whatever the destination.

pub mod groups;
pub mod influx;
pub mod pushgateway;
pub mod remote_write;

use std::sync::Arc;

use anyhow::Result;

use crate::model::Family;

/// A destination and how to send to it.
#[derive(Debug, Clone)]
pub enum Sink {
    Pushgateway {
        target: pushgateway::Target,
        how: pushgateway::PushOptions,
    },
    /// `--remote-write`: Prometheus remote write 1.0.
    RemoteWrite(remote_write::Target),
    /// `--influx`: line protocol to InfluxDB 1.x or 2.x.
    Influx(influx::Target),
}

impl Sink {
    /// Where the push goes, redacted, for messages (`PUT http://…`).
    pub fn describe(&self) -> String {
        match self {
            Sink::Pushgateway { target, how } => {
                format!("{} {}", how.method(), pushgateway::shown_url(target))
            }
            Sink::RemoteWrite(target) => {
                format!("POST {} (remote write)", remote_write::shown_url(target))
            }
            Sink::Influx(target) => format!("POST {}", influx::shown_url(target)),
        }
    }

    /// Where a push went, for the summary line (`http://… (PUT)`).
    pub fn describe_destination(&self) -> String {
        match self {
            Sink::Pushgateway { target, how } => {
                format!("{} ({})", pushgateway::shown_url(target), how.method())
            }
            Sink::RemoteWrite(target) => {
                format!("{} (remote write)", remote_write::shown_url(target))
            }
            Sink::Influx(target) => format!(
                "{} (InfluxDB {} line protocol)",
                influx::shown_url(target),
                target.api.version()
            ),
        }
    }

    /// Where a push of `families` went, and for remote write how many
    /// samples in how many requests (`http://… (remote write, 5 samples in
    /// 1 request)`).
    pub fn describe_push(&self, families: &[Family]) -> String {
        match self {
            Sink::RemoteWrite(target) => format!(
                "{} (remote write, {})",
                remote_write::shown_url(target),
                remote_write::Sent::planned(families, target.max_samples)
            ),
            _ => self.describe_destination(),
        }
    }

    /// What a dry run prints: the exact body, as text when the wire format
    /// is text; for remote write, the series with labels and timestamp.
    /// Fails where the push would fail before sending.
    pub fn dry_run_body(&self, families: &[Family]) -> Result<Vec<u8>> {
        match self {
            Sink::Pushgateway { how, .. } => {
                let shown = pushgateway::PushOptions {
                    gzip: false,
                    ..*how
                };
                Ok(shown.bytes(families))
            }
            Sink::RemoteWrite(target) => {
                Ok(remote_write::dry_run_text(target, families).into_bytes())
            }
            Sink::Influx(target) => influx::dry_run_body(target, families),
        }
    }

    /// The HTTP options of the destination, e.g. to push once without
    /// retries, or within a deadline.
    pub fn http_mut(&mut self) -> &mut crate::net::HttpOptions {
        match self {
            Sink::Pushgateway { target, .. } => &mut target.http,
            Sink::RemoteWrite(target) => &mut target.http,
            Sink::Influx(target) => &mut target.http,
        }
    }

    /// The grouping key (`job` first, then `user` and `--group`): the
    /// Pushgateway's group, or the labels or tags every series gets.
    pub fn grouping_mut(&mut self) -> &mut Vec<(String, String)> {
        match self {
            Sink::Pushgateway { target, .. } => &mut target.grouping,
            Sink::RemoteWrite(target) => &mut target.labels,
            Sink::Influx(target) => &mut target.tags,
        }
    }

    /// Send the families (shared: a body may be written while it is sent,
    /// from a thread of the HTTP client's).
    pub fn push(&self, families: &Arc<[Family]>) -> Result<()> {
        match self {
            Sink::Pushgateway { target, how } => pushgateway::push(target, how, families),
            Sink::RemoteWrite(target) => remote_write::push(target, families).map(drop),
            Sink::Influx(target) => influx::push(target, families),
        }
    }
}
