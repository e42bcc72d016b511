//! Loading the default model: the MessagePack the binary embeds against the gzip JSON
//! kept in the repository (the same model).
//!
//! Run: `cargo bench -p chaff-default-model --bench model_load`

use chaff_learn::Model;
use criterion::{criterion_group, criterion_main, Criterion};

const EMBEDDED: &[u8] = chaff_default_model::MESSAGEPACK;
const JSON_GZ: &[u8] = include_bytes!("../../../models/chaff-default.json.gz");

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("load the default model");
    g.sample_size(10);
    g.bench_function("embedded MessagePack", |b| {
        b.iter(|| Model::from_bytes(EMBEDDED, "embedded").unwrap())
    });
    g.bench_function("gzip JSON", |b| {
        b.iter(|| Model::from_bytes(JSON_GZ, "json").unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
