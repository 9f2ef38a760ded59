//! Stage 5, encode: families -> bytes for a destination. Every encoder is a
//! pure function of the model, snapshot-tested per example artifact.
//!
//! - [`mod@protobuf`]: delimited protobuf, the default on the wire to the
//!   Pushgateway.
//! - [`mod@text`]: the text exposition format 0.0.4, what `--dry-run` shows.
//! - [`remote_write`]: snappy-compressed `WriteRequest`s for Prometheus
//!   remote write 1.0, and the text its `--dry-run` shows.
//! - [`gzip`]: `--compress gzip`, for any body.
//! - [`stream`]: a body written while it is sent, gzipped or not.
//! - [`line_protocol`]: InfluxDB line protocol, in batches (`--influx`).
//! - [`mlflow`]: MLflow `runs/log-batch` bodies (`--mlflow`).
//! - [`flat`]: histograms and summaries as the series a scrape stores, for
//!   the encoders whose stores have no histogram type.

pub mod flat;
pub mod line_protocol;
pub mod mlflow;
pub mod protobuf;
pub mod remote_write;
pub mod stream;
pub mod text;

pub use protobuf::protobuf;
pub use text::{float, text};

/// The `Content-Type` of [`protobuf()`]'s output.
pub const PROTOBUF_CONTENT_TYPE: &str = protobuf::CONTENT_TYPE;
/// The `Content-Type` of [`text()`]'s output.
pub const TEXT_CONTENT_TYPE: &str = text::CONTENT_TYPE;

/// Gzip a body (`--compress gzip`).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(bytes).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}
