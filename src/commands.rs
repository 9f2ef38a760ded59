//! One module per long-running subcommand (`run`, `watch`) and what they share.

pub mod live;
pub mod run;
pub mod watch;
