//! The integration tests, one binary: each module is one area, run against
//! the real binary and real servers on loopback (`common` starts them).
//! One binary rather than one per file: each linked the whole dependency
//! tree again.

mod common;

mod alerts;
mod argo;
mod bounds;
mod chunked;
mod cli;
mod destinations;
mod doc_examples;
mod examples;
mod expiry;
mod faults;
mod fleet;
mod frameworks;
mod helm;
mod influx;
mod issue24;
mod live;
mod live_lines;
mod memory;
mod mlflow;
mod properties;
mod prune;
mod push;
mod remote_write;
mod s3;
mod secure;
mod standard;
mod ux;
mod workflow;
