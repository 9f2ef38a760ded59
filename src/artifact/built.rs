//! What the family set is given and gives back: the command line's part
//! ([`BuildOptions`], [`InlineMetric`]) and the result ([`Model`],
//! [`Proposed`]). Plain types, apart from the set's logic in
//! [`super::families`], so that each reads alone.

use crate::error::Problem;
use crate::model::{Family, Kind};

/// What the command line adds to the model and reserves in it: the option
/// type of this stage.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `--label`: added to every series.
    pub labels: Vec<(String, String)>,
    /// Names of the grouping labels; series labels may not reuse them.
    pub grouping: Vec<String>,
    /// `--metric`: inline metrics.
    pub inline: Vec<InlineMetric>,
    /// Unix time in seconds, for the `_created` series the original
    /// Simplepipe's Python client emitted.
    pub now: f64,
    /// What the destination cannot carry in a label, as a reason (InfluxDB:
    /// a newline, some backslashes, reserved keys); checked here, where the
    /// pointer is known. `None` for the Pushgateway, which carries anything.
    pub label_check: Option<fn(&str, &str) -> Option<String>>,
}

/// One `--metric`: a single scalar series (config parses the grammar).
#[derive(Debug, Clone, PartialEq)]
pub struct InlineMetric {
    /// As given, for messages.
    pub raw: String,
    pub name: String,
    pub kind: Kind,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// The families to push, and warnings that do not stop the push.
#[derive(Debug, Default)]
pub struct Model {
    pub families: Vec<Family>,
    pub warnings: Vec<Problem>,
    /// The grouping the artifact names for itself, used where the command
    /// line names none (an Argo Workflow's template and creator).
    pub proposed: Proposed,
    /// The same series at earlier times (Unix ms), oldest first: an
    /// MLflow run's metric history, for destinations that keep timestamps.
    /// Empty for artifacts.
    pub history: Vec<(i64, Vec<crate::model::Family>)>,
}

/// A `job` and `user` an artifact proposes for its own grouping key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Proposed {
    pub job: Option<String>,
    pub user: Option<String>,
}

impl Model {
    pub fn series_count(&self) -> usize {
        crate::model::series_count(&self.families)
    }
}
