//! Stage 6, sink: where validated families go.
//!
//! An enum, not a trait: the Pushgateway and InfluxDB are variants, and
//! remote write plugs in here the same way. Every sink sends
//! through [`crate::net`], so retries, auth, TLS and exit codes are the same
//! whatever the destination.

pub mod groups;
pub mod influx;
pub mod pushgateway;

use anyhow::Result;

use crate::model::Family;

/// A destination and how to send to it.
#[derive(Debug, Clone)]
pub enum Sink {
    Pushgateway {
        target: pushgateway::Target,
        how: pushgateway::PushOptions,
    },
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
            Sink::Influx(target) => format!("POST {}", influx::shown_url(target)),
        }
    }

    /// Where a push went, for the summary line (`http://… (PUT)`).
    pub fn describe_destination(&self) -> String {
        match self {
            Sink::Pushgateway { target, how } => {
                format!("{} ({})", pushgateway::shown_url(target), how.method())
            }
            Sink::Influx(target) => format!(
                "{} (InfluxDB {} line protocol)",
                influx::shown_url(target),
                target.api.version()
            ),
        }
    }

    /// What a dry run prints: the exact body, as text when the wire format
    /// is text. Fails where the push would fail before sending.
    pub fn dry_run_body(&self, families: &[Family]) -> Result<Vec<u8>> {
        match self {
            Sink::Pushgateway { how, .. } => {
                let shown = pushgateway::PushOptions {
                    gzip: false,
                    ..*how
                };
                Ok(shown.body(families).bytes)
            }
            Sink::Influx(target) => influx::dry_run_body(target, families),
        }
    }

    /// Send the families.
    pub fn push(&self, families: &[Family]) -> Result<()> {
        match self {
            Sink::Pushgateway { target, how } => pushgateway::push(target, how, families),
            Sink::Influx(target) => influx::push(target, families),
        }
    }
}
