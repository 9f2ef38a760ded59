//! One module per new subcommand (`run`, `watch`, `install`) and what `run`
//! and `watch` share.

pub mod install;
pub mod live;
pub mod run;
pub mod watch;
