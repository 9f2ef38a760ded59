//! Stage 6, sink: where validated families go.
//!
//! An enum, not a trait: there is one destination today (the Pushgateway),
//! and remote write and InfluxDB plug in here as variants. Every sink sends
//! through [`crate::net`], so retries, auth, TLS and exit codes are the same
//! whatever the destination.

pub mod groups;
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
}

impl Sink {
    /// Where the push goes, redacted, for messages (`PUT http://…`).
    pub fn describe(&self) -> String {
        match self {
            Sink::Pushgateway { target, how } => {
                format!("{} {}", how.method(), pushgateway::shown_url(target))
            }
        }
    }

    /// Where a push went, for the summary line (`http://… (PUT)`).
    pub fn describe_destination(&self) -> String {
        match self {
            Sink::Pushgateway { target, how } => {
                format!("{} ({})", pushgateway::shown_url(target), how.method())
            }
        }
    }

    /// What a dry run prints: the exact body, as text when the wire format
    /// is text.
    pub fn dry_run_body(&self, families: &[Family]) -> Vec<u8> {
        match self {
            Sink::Pushgateway { how, .. } => {
                let shown = pushgateway::PushOptions {
                    gzip: false,
                    ..*how
                };
                shown.body(families).bytes
            }
        }
    }

    /// Send the families.
    pub fn push(&self, families: &[Family]) -> Result<()> {
        match self {
            Sink::Pushgateway { target, how } => pushgateway::push(target, how, families),
        }
    }
}
