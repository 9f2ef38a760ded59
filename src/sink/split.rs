//! A push whose source read more than the latest values of one run (an
//! `mlflow://` source): each destination gets the part it can hold.
//!
//! - A destination that keeps timestamps ([`Sink::keeps_timestamps`]) gets
//!   the whole history, at MLflow's own times.
//! - With several users' runs (`mlflow://experiments/NAME`), a destination
//!   with groups ([`Sink::has_groups`], the Pushgateway) gets one group per
//!   user, the `user` label moved into the grouping key; the others get
//!   every series with its `user` label.
//! - Anything else gets the latest values, as from any artifact.
//!
//! The parts are pushed one after the other (there are few, and the
//! Pushgateway's groups of one push should land together or say which did
//! not); each is an [`Outcome`] of its own, for [`super::fanout::verdict`].

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Effort, Outcome, Sink};
use crate::model::{Family, Label};

/// What one destination is sent.
enum Part {
    /// Latest values; and whose, when one user's.
    Latest(Arc<dyn Sink>, Arc<[Family]>, Option<Label>),
    History(Arc<dyn Sink>),
}

/// Push `families` (and `history`) to `sinks`; `per_user`: the series
/// carry a `user` label that names a group on the Pushgateway.
pub fn push(
    sinks: &[Arc<dyn Sink>],
    grouping: &[(String, String)],
    families: &Arc<[Family]>,
    history: &[(i64, Vec<Family>)],
    per_user: bool,
    effort: Effort,
) -> Vec<Outcome> {
    let mut parts = Vec::new();
    for sink in sinks {
        if sink.keeps_timestamps() && !history.is_empty() {
            parts.push(Part::History(sink.clone()));
        } else if per_user && sink.has_groups() {
            for (user, fams) in by_user(families) {
                let mut key = grouping.to_vec();
                key.insert(1.min(key.len()), ("user".to_string(), user.to_string()));
                parts.push(Part::Latest(sink.regroup(&key), fams.into(), Some(user)));
            }
        } else {
            parts.push(Part::Latest(sink.clone(), families.clone(), None));
        }
    }
    parts
        .into_iter()
        .map(|part| match part {
            Part::Latest(sink, fams, user) => {
                let whose = user.map_or(String::new(), |u| format!("user {u}'s "));
                let what = format!("{whose}latest values, {},", counts(&fams));
                Outcome {
                    result: sink
                        .push(&fams, effort)
                        .map(|went| format!("{what} to {went}")),
                    sink,
                }
            }
            Part::History(sink) => Outcome {
                result: sink
                    .push_history(history, effort)
                    .map(|went| format!("the history to {went}")),
                sink,
            },
        })
        .collect()
}

/// "2 families (3 series)".
fn counts(families: &[Family]) -> String {
    let (f, s) = (families.len(), crate::model::series_count(families));
    format!("{f} famil{} ({s} series)", if f == 1 { "y" } else { "ies" })
}

/// The families of each user, the `user` label taken off their series.
fn by_user(families: &[Family]) -> BTreeMap<Label, Vec<Family>> {
    let mut out: BTreeMap<Label, Vec<Family>> = BTreeMap::new();
    for f in families {
        for s in &f.series {
            let Some((_, user)) = s.labels.iter().find(|(k, _)| k.as_str() == "user") else {
                continue;
            };
            let fams = out.entry(user.clone()).or_default();
            if fams.last().is_none_or(|last| last.name != f.name) {
                fams.push(Family {
                    name: f.name.clone(),
                    help: f.help.clone(),
                    kind: f.kind,
                    series: Vec::new(),
                });
            }
            let mut series = s.clone();
            series.labels.retain(|(k, _)| k.as_str() != "user");
            fams.last_mut().expect("pushed above").series.push(series);
        }
    }
    out
}
