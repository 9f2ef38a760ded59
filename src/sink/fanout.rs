//! One push to several destinations: each is sent to on its own thread, so
//! a slow or dead one holds back none of the others (each is bounded by its
//! own `--timeout` and retries), and every one is tried whatever the
//! others do. The outcomes come back in the order the destinations were
//! given, and [`verdict`] turns them into the command's result.

use std::sync::Arc;
use std::thread;

use anyhow::{anyhow, Result};

use super::{Effort, Sink};
use crate::error::{exit_code, fail, Exit};
use crate::model::Family;

/// That some of several destinations failed: the context of the error
/// [`verdict`] returns, so that `--best-effort` can say what landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SomeFailed {
    pub failed: usize,
    pub of: usize,
}

impl std::fmt::Display for SomeFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {} destinations failed", self.failed, self.of)
    }
}

/// What one destination made of a push.
#[derive(Debug)]
pub struct Outcome {
    pub sink: Arc<dyn Sink>,
    /// Where the families went and how much was written, or why not.
    pub result: Result<String>,
}

/// Push `families` to every sink at once; one outcome per sink, in order.
pub fn push_all(sinks: &[Arc<dyn Sink>], families: &Arc<[Family]>, effort: Effort) -> Vec<Outcome> {
    if let [only] = sinks {
        return vec![Outcome {
            sink: only.clone(),
            result: only.push(families, effort),
        }];
    }
    thread::scope(|scope| {
        let running: Vec<_> = sinks
            .iter()
            .map(|sink| scope.spawn(move || sink.push(families, effort)))
            .collect();
        running
            .into_iter()
            .zip(sinks)
            .map(|(handle, sink)| Outcome {
                sink: sink.clone(),
                result: handle.join().unwrap_or_else(|_| {
                    Err(anyhow!("the push thread panicked; please report this"))
                }),
            })
            .collect()
    })
}

/// The outcomes as the command's result. With one destination, its own
/// error and exit code, as they have always been. With several, one error
/// naming each that failed (`1 of 3 destinations failed: …`), exit 6: the
/// others hold the push, so the pipeline's monitoring is degraded, not
/// refused.
pub fn verdict(outcomes: Vec<Outcome>) -> Result<()> {
    let total = outcomes.len();
    let mut failed: Vec<(Arc<dyn Sink>, anyhow::Error)> = outcomes
        .into_iter()
        .filter_map(|o| o.result.err().map(|e| (o.sink, e)))
        .collect();
    match (total, failed.len()) {
        (_, 0) => Ok(()),
        (1, _) => Err(failed.pop().expect("one failure").1),
        (n, k) => {
            let each: Vec<String> = failed
                .iter()
                .map(|(sink, e)| format!("{} (exit {}): {e:#}", sink.kind(), exit_code(e) as u8))
                .collect();
            let details = anyhow!("{}", each.join("; "));
            let context = SomeFailed { failed: k, of: n };
            Err(fail(Exit::Unreachable, details).context(context))
        }
    }
}
