//! Criterion micro-benchmarks: each stage on the 100,000-series artifact,
//! reported as throughput of the input JSON (MB/s), to show where time goes.
//!
//! cargo bench --bench stages

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use serde_json::json;
use simplepipe::artifact::BuildOptions as Extra;
use simplepipe::artifact::{self, parse, validate, Origin};
use simplepipe::encode;

/// The same mix as benches/compare.py: a quarter of each type.
fn artifact(n: usize) -> Vec<u8> {
    let metrics: Vec<_> = (0..n)
        .map(|i| {
            let stage = ["train", "eval"][i % 2];
            let labels = json!({"shard": format!("shard-{i:06}"), "stage": stage, "host": format!("node-{:02}.cluster.local", i % 37)});
            let name = format!("pipeline_{}_{}", ["gauge", "counter", "histogram", "summary"][i % 4], i % 25);
            match i % 4 {
                0 => json!({"name": name, "type": "gauge", "help": "A gauge.", "value": i as f64 * 0.5, "labels": labels}),
                1 => json!({"name": name + "_total", "type": "counter", "help": "A counter.", "value": i, "labels": labels}),
                2 => json!({"name": name + "_seconds", "type": "histogram", "help": "A histogram.", "labels": labels,
                            "buckets": [{"le": 0.1, "count": 1}, {"le": 1, "count": 4}, {"le": 10, "count": 9}], "sum": 31.5, "count": 10}),
                _ => json!({"name": name + "_latency", "type": "summary", "help": "A summary.", "labels": labels,
                            "quantiles": [{"quantile": 0.5, "value": 0.2}, {"quantile": 0.99, "value": 0.9}], "sum": 4.1, "count": 20}),
            }
        })
        .collect();
    serde_json::to_vec(&json!({"labels": {"pipeline": "bench"}, "metrics": metrics})).unwrap()
}

fn stages(c: &mut Criterion) {
    let bytes = artifact(100_000);
    let src = Origin::named("<stdin>");
    let extra = Extra {
        grouping: vec!["job".into(), "user".into()],
        ..Extra::default()
    };
    let mut g = c.benchmark_group("100k series");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("parse", |b| b.iter(|| parse::parse(&bytes, &src).unwrap()));
    // The duplicate-key pass alone (part of "parse" above).
    let text = std::str::from_utf8(&bytes).unwrap();
    g.bench_function("duplicate keys", |b| {
        b.iter(|| artifact::dupkeys::find(text))
    });
    let doc = parse::parse(&bytes, &src).unwrap();
    g.bench_function("validate", |b| {
        b.iter(|| validate::validate(&doc, None).unwrap())
    });
    let v = validate::validate(&doc, None).unwrap();
    g.bench_function("model", |b| {
        b.iter_batched(
            || parse::parse(&bytes, &src).unwrap(),
            |d| artifact::build(Some((&d, v.format)), &extra).unwrap(),
            BatchSize::LargeInput,
        )
    });
    // What `check` runs for a built-in format: the typed readers alone
    // standing in for "validate" plus "model".
    g.bench_function("fast path (validate + model)", |b| {
        b.iter(|| artifact::fast(&doc, v.format, &extra).unwrap().unwrap())
    });
    let m = artifact::build(Some((&doc, v.format)), &extra).unwrap();
    g.bench_function("encode text", |b| b.iter(|| encode::text(&m.families)));
    g.bench_function("encode protobuf", |b| {
        b.iter(|| encode::protobuf(&m.families))
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
