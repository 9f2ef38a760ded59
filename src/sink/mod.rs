//! Stage 6, sink: where validated families go.
//!
//! Every destination implements the small [`Sink`] interface: how it is
//! named in messages, what a dry run prints, and the push itself. The
//! commands hold a list of them ([`Destinations`]), built by
//! `config::destinations`, and never learn their names: a new destination
//! is one file here (its sending), one in `encode/` (its body), its
//! options in `cli/` and `config/`, and one line in the resolver.
//! A trait rather than an enum since a fourth destination: the match
//! sites an enum needs were the traps that made adding one touch 14 files.
//!
//! Every sink sends through [`crate::net`], so retries, auth, TLS and exit
//! codes are the same whatever the destination, and each keeps one HTTP
//! client for the whole command ([`crate::net::LazyClient`]), so the live
//! commands' pushes reuse their connections.

pub mod fanout;
pub mod influx;
pub mod mlflow;
pub mod pushgateway;
pub mod remote_write;
pub mod split;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;

use crate::cli::BestEffort;
use crate::model::Family;

pub use fanout::{push_all, Outcome};

/// A rule a destination puts on label names and values (InfluxDB's tags),
/// as a message when one breaks it.
pub type LabelCheck = fn(&str, &str) -> Option<String>;

/// How hard one push tries: the configured retries, or fewer; and a
/// deadline for the whole exchange.
#[derive(Debug, Clone, Copy, Default)]
pub struct Effort {
    /// `Some(n)`: at most `n` retries, whatever is configured.
    pub retries: Option<u32>,
    /// When the whole exchange, retries included, must be over.
    pub deadline: Option<Instant>,
}

/// One destination.
pub trait Sink: fmt::Debug + Send + Sync {
    /// What the destination is, for messages: "the Pushgateway".
    fn kind(&self) -> &'static str;
    /// Where pushes go, redacted, for summaries: `http://gw/metrics/job/x (PUT)`.
    fn destination(&self) -> String;
    /// The request a dry run would send: `PUT http://…` (stderr).
    fn request_line(&self) -> String;
    /// What a dry run prints: the exact body. Fails where the push would
    /// fail before sending.
    fn dry_run_body(&self, families: &[Family]) -> Result<Vec<u8>>;
    /// Send the families (shared: a body may be written while it is sent,
    /// from a thread of the HTTP client's). Returns where they went and
    /// how much was written, for the summary.
    fn push(&self, families: &Arc<[Family]>, effort: Effort) -> Result<String>;
    /// What the destination refuses in a label, if anything.
    fn label_check(&self) -> Option<LabelCheck> {
        None
    }
    /// Whether NaN and ±Inf can't be stored (the live commands refuse them
    /// as they are read rather than warn at every push).
    fn finite_only(&self) -> bool {
        false
    }
    /// The per-attempt timeout, which bounds a final push.
    fn timeout(&self) -> std::time::Duration;
    /// The same destination with another grouping (an artifact that names
    /// its own job and user, as an Argo Workflow does).
    fn regroup(&self, grouping: &[(String, String)]) -> Arc<dyn Sink>;
    /// Whether series go into groups named by the grouping key (the
    /// Pushgateway): several users' runs read at once
    /// (`mlflow://experiments/NAME`) go there as one group per user, and
    /// elsewhere as series with a `user` label ([`split`]).
    fn has_groups(&self) -> bool {
        false
    }
    /// Whether samples keep their own timestamps (remote write, InfluxDB):
    /// an `mlflow://` source then sends its runs' whole history.
    fn keeps_timestamps(&self) -> bool {
        false
    }
    /// Send the same series as they were at several times (Unix ms,
    /// oldest first). Called only where [`Sink::keeps_timestamps`].
    fn push_history(&self, _points: &[(i64, Vec<Family>)], _effort: Effort) -> Result<String> {
        Err(anyhow::anyhow!(
            "{} keeps no timestamps; this is a bug, please report it",
            self.kind()
        ))
    }
    /// A live session (`run`, `watch`) begins, before its first push. A
    /// destination that keeps a record of the session (an MLflow run)
    /// opens it here; the others have nothing to do.
    fn start(&self) -> Result<()> {
        Ok(())
    }
    /// A live session ended, after its final push, and how: the record
    /// opened by [`Sink::start`] is closed with that outcome.
    fn finish(&self, _end: End) -> Result<()> {
        Ok(())
    }
}

/// How a live session ended, for [`Sink::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The command exited 0 (`watch`: stopped normally).
    Succeeded,
    /// The command exited non-zero.
    Failed,
    /// A signal ended the command (or simplepipe).
    Killed,
}

/// Where a command's families go: one or more sinks, and what they share.
#[derive(Debug, Clone)]
pub struct Destinations {
    pub sinks: Vec<Arc<dyn Sink>>,
    /// The grouping labels (job first), which every destination carries:
    /// the Pushgateway's grouping key, remote write's labels, InfluxDB's tags.
    pub grouping: Vec<(String, String)>,
    pub best_effort: Option<BestEffort>,
}

impl Destinations {
    /// The label rule of any destination that has one (only InfluxDB does).
    pub fn label_check(&self) -> Option<LabelCheck> {
        self.sinks.iter().find_map(|s| s.label_check())
    }

    /// Whether any destination can't store NaN and ±Inf.
    pub fn finite_only(&self) -> bool {
        self.sinks.iter().any(|s| s.finite_only())
    }

    /// These destinations with another grouping.
    pub fn regroup(&self, grouping: Vec<(String, String)>) -> Destinations {
        Destinations {
            sinks: self.sinks.iter().map(|s| s.regroup(&grouping)).collect(),
            grouping,
            best_effort: self.best_effort,
        }
    }

    /// The grouping label names, which series labels may not reuse.
    pub fn grouping_names(&self) -> Vec<String> {
        self.grouping.iter().map(|(k, _)| k.clone()).collect()
    }
}
