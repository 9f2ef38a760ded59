//! Live metrics for long-running work (`simplepipe run` and `simplepipe
//! watch`): the pieces that turn a process's output or a record stream into
//! a metric state that is pushed while the work goes on.
//!
//! - [`lines`]: metric lines (`name=value` pairs, JSON, a user's regex) → readings.
//! - [`state`]: the latest value of every series, checked as `push` checks, → families.
//! - [`modelop`]: ModelOp Center sensor streams → the same state.
//! - [`child`]: run a command with its output passed through untouched, signals forwarded, rusage kept.
//! - [`child_env`]: the child's environment without simplepipe's own secrets.
//! - [`follow`]: read a file as it grows, across rotation (`tail -F`).
//! - [`records`]: `watch`'s input: a file or stdin to its end, or followed; the ModelOp handler.
//! - [`pusher`]: one destination's push loop: every interval off the readers' path, latest state wins, then a final push.
//! - [`session`]: what `run` and `watch` share: the state, a push loop per destination, the line handler, the summary.

pub mod child;
pub mod child_env;
pub mod follow;
pub mod lines;
pub mod modelop;
pub mod pusher;
pub mod records;
pub mod session;
pub mod state;
