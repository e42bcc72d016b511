//! `chaff classify`: label the blocks of pages, in parallel, printing in input order.

use std::io::Write;
use std::process::ExitCode;

use chaff_extract::write::{write_html, HtmlOptions};
use chaff_extract::{Label, Page};
use chaff_learn::{Model, PageFeatures, Prediction};
use rayon::prelude::*;
use serde::Serialize;

use crate::flags::{ClassifyArgs, Extract, Format};
use crate::input::{expand, jobs, Job, Tally};

/// Pages handled per parallel batch, per thread: bounds memory however many pages there
/// are. A batch holds its pages' bytes and rendered output until it is printed; 4 a thread
/// peaked at 60 MiB on one core where 32 a batch peaked at 65, within 2% of the speed
/// (BENCHMARKS.md).
const PAGES_PER_THREAD: usize = 4;
/// Pages of more blocks than this are classified one at a time, whatever the threads:
/// their feature rows take most of the memory (836 columns a block), so the peak is one
/// such page and the threads' small ones, not one large page per thread.
const LARGE_PAGE_BLOCKS: usize = 5_000;
/// Held while a large page is classified.
static LARGE_PAGE: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[derive(Serialize)]
struct BlockOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warc_record_id: Option<&'a str>,
    index: usize,
    label: Label,
    confidence: f64,
    probabilities: Probabilities,
    words: usize,
    path: String,
    text: &'a str,
}

/// All six labels' probabilities of a block, by label name, in [`Label::ALL`] order.
struct Probabilities([f64; 6]);

impl Serialize for Probabilities {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(Label::ALL.len()))?;
        for (l, p) in Label::ALL.iter().zip(&self.0) {
            map.serialize_entry(l.as_str(), p)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct PageBlock<'a> {
    index: usize,
    label: Label,
    confidence: f64,
    text: &'a str,
}

#[derive(Serialize)]
struct PageOut<'a> {
    id: Option<&'a serde_json::Value>,
    file: &'a str,
    url: Option<&'a str>,
    warc_record_id: Option<&'a str>,
    blocks: Vec<PageBlock<'a>>,
}

/// Classify one page: its blocks and their predictions.
pub fn classify_page(model: &Model, page: &Page, plain_text: bool) -> Vec<Prediction> {
    model.predict(&PageFeatures::of_page(page), plain_text)
}

fn render(
    args: &ClassifyArgs,
    job: &Job,
    page: &Page,
    preds: &[Prediction],
) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let name = job.name.as_str();
    if let Some(Extract::Article) = args.extract {
        for (b, p) in page.blocks.iter().zip(preds) {
            if p.label == Label::Article {
                writeln!(out, "{}", crate::printable(&b.text))?;
            }
        }
        return Ok(out);
    }
    match args.format {
        Format::Human => {
            writeln!(out, "== {name}")?;
            for (b, p) in page.blocks.iter().zip(preds) {
                let text = crate::printable(&b.text.chars().take(100).collect::<String>());
                let more = if b.text.chars().count() > 100 {
                    "…"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{:<9} {:.2}  {text}{more}",
                    p.label.as_str(),
                    p.confidence
                )?;
            }
        }
        Format::Jsonl => {
            let paths = page.paths();
            for (i, ((b, p), path)) in page.blocks.iter().zip(preds).zip(paths).enumerate() {
                let row = BlockOut {
                    id: job.id.as_ref(),
                    file: name,
                    url: job.url.as_deref(),
                    warc_record_id: job.warc_record_id.as_deref(),
                    index: i,
                    label: p.label,
                    confidence: p.confidence,
                    probabilities: Probabilities(p.probabilities),
                    words: b.words,
                    path,
                    text: &b.text,
                };
                serde_json::to_writer(&mut out, &row)?;
                out.push(b'\n');
            }
        }
        Format::Pages => {
            let row = PageOut {
                id: job.id.as_ref(),
                file: name,
                url: job.url.as_deref(),
                warc_record_id: job.warc_record_id.as_deref(),
                blocks: page
                    .blocks
                    .iter()
                    .zip(preds)
                    .enumerate()
                    .map(|(i, (b, p))| PageBlock {
                        index: i,
                        label: p.label,
                        confidence: p.confidence,
                        text: &b.text,
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut out, &row)?;
            out.push(b'\n');
        }
        Format::Html => {
            let labels: Vec<Label> = preds.iter().map(|p| p.label).collect();
            write_html(
                page,
                &labels,
                &mut out,
                HtmlOptions {
                    overlay: args.overlay,
                },
            )?;
            out.push(b'\n');
        }
    }
    Ok(out)
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    if args.overlay && args.format != Format::Html {
        anyhow::bail!("--overlay goes with --format html");
    }
    let model = crate::load_model(args.model.as_deref(), &args.decision)?;
    let limits = args.limits.limits();
    let inputs = expand(&args.paths);
    let mut failed = inputs.problems.len();
    for p in &inputs.problems {
        eprintln!("chaff: {p}");
    }
    if inputs.manifests > 0 {
        eprintln!(
            "chaff: left out {} dataset manifest(s) and the {} gold text(s) they name: \
             they are not pages (eval --data scores a dataset)",
            inputs.manifests, inputs.gold_texts
        );
    }
    let files = inputs.files;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut done = 0usize;
    let tally = Tally::default();
    let chunk = PAGES_PER_THREAD * pool.current_num_threads();
    // the inputs are read on a thread of their own, a batch ahead at most: a batch is
    // whatever pages are in by the time the last one is printed (one at least), so a
    // page sent on a pipe is answered without waiting for more
    let (sender, pages) = std::sync::mpsc::sync_channel::<Job>(chunk);
    let stream = jobs(files, args.input, limits, tally.clone());
    let reader = std::thread::spawn(move || {
        for job in stream {
            if sender.send(job).is_err() {
                break;
            }
        }
    });
    while let Ok(first) = pages.recv() {
        let mut batch = vec![first];
        while batch.len() < chunk {
            match pages.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results: Vec<anyhow::Result<Vec<u8>>> = pool.install(|| {
            batch
                .par_iter_mut()
                .map(|job| {
                    let page = job.page(limits)?;
                    let _one_at_a_time = (page.blocks.len() > LARGE_PAGE_BLOCKS)
                        .then(|| LARGE_PAGE.lock().unwrap_or_else(|e| e.into_inner()));
                    let preds = classify_page(&model, &page, job.plain_text);
                    render(&args, job, &page, &preds)
                })
                .collect()
        });
        for (job, r) in batch.iter().zip(results) {
            match r {
                Ok(bytes) => {
                    out.write_all(&bytes)?;
                    done += 1;
                }
                Err(e) => {
                    failed += 1;
                    out.flush()?;
                    eprintln!("chaff: {}: {}", job.name, crate::one_line(&e));
                }
            }
        }
        out.flush()?;
    }
    // the reader ends with its inputs (or, when the loop above ended early, when it
    // finds nobody left to send to)
    drop(pages);
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("the input reader failed"))?;
    let skipped = tally.skipped_records();
    if skipped > 0 {
        eprintln!("chaff: skipped {skipped} WARC records that are not HTML responses");
    }
    if failed > 0 {
        eprintln!("chaff: {done} pages classified, {failed} failed");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
