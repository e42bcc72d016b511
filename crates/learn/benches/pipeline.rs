//! Time of each step of the classify path, per page set: parse alone (scraper), parse +
//! segmentation, features, prediction, and the whole path. Pages: the ones the repository
//! ships, plus the first 60 labelled pages of ../shared/corpus when it is there.
//!
//! Run: `cargo bench -p chaff-learn --bench pipeline`

use std::path::{Path, PathBuf};

use chaff_extract::{Page, PageLimits};
use chaff_learn::{Model, PageFeatures};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut f: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    f.sort();
    f
}

fn pages() -> Vec<String> {
    let mut files = html_files(&root().join("datasets/mini"));
    files.extend(html_files(&root().join("datasets/examples")));
    let shared = root().join("../shared/corpus/labelled");
    if shared.exists() {
        files.extend(html_files(&shared).into_iter().take(60));
    } else {
        eprintln!("../shared/corpus is absent: benchmarking the repository's pages only");
    }
    files
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            chaff_extract::decode::decode_html(&bytes, None)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .text
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let pages = pages();
    let bytes: usize = pages.iter().map(String::len).sum();
    let model = Model::load(&root().join("models/chaff-default.json.gz")).expect("default model");
    let limits = PageLimits::default();
    let parsed: Vec<Page> = pages
        .iter()
        .map(|h| Page::from_html(h, limits).unwrap())
        .collect();
    let prepared: Vec<PageFeatures> = parsed.iter().map(PageFeatures::of_page).collect();

    let mut g = c.benchmark_group(format!("{} pages", pages.len()));
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("parse (scraper)", |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|h| scraper::Html::parse_document(h).tree.nodes().count())
                .sum::<usize>()
        })
    });
    g.bench_function("parse + segment", |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|h| Page::from_html(h, limits).unwrap().blocks.len())
                .sum::<usize>()
        })
    });
    g.bench_function("features", |b| {
        b.iter(|| {
            parsed
                .iter()
                .map(|p| PageFeatures::of_page(p).len())
                .sum::<usize>()
        })
    });
    g.bench_function("predict", |b| {
        b.iter(|| {
            prepared
                .iter()
                .map(|p| model.predict(p, false).len())
                .sum::<usize>()
        })
    });
    g.bench_function("whole classify path", |b| {
        b.iter(|| {
            pages
                .iter()
                .map(|h| {
                    let page = Page::from_html(h, limits).unwrap();
                    model.predict(&PageFeatures::of_page(&page), false).len()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
