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
mod issue24_more;
mod issue24_words;
mod live;
mod live_contained;
mod live_lines;
mod memory;
mod mlflow;
mod mlflow_source;
mod properties;
mod prune;
mod push;
mod remote_write;
mod s3;
mod s3_faults;
mod secure;
mod split;
mod standard;
mod streamed;
mod ux;
mod workflow;
