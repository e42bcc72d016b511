//! `chaff classify`: label the blocks of pages, in parallel, printing in input order.

use std::io::Write;
use std::process::ExitCode;

use chaff_extract::write::{write_html, HtmlOptions};
use chaff_extract::{Label, Page};
use chaff_learn::{Model, Prediction, Prepared};
use rayon::prelude::*;
use serde::Serialize;

use crate::flags::{ClassifyArgs, Extract, Format};
use crate::input::{read_page, sources, Source};

/// Pages handled per parallel batch: bounds memory however many pages there are.
const CHUNK: usize = 64;

#[derive(Serialize)]
struct BlockOut<'a> {
    file: &'a str,
    index: usize,
    label: Label,
    confidence: f64,
    words: usize,
    path: String,
    text: &'a str,
}

/// Classify one page: its blocks and their predictions.
pub fn classify_page(model: &Model, page: &Page, plain_text: bool) -> Vec<Prediction> {
    model.predict(&Prepared::of_page(page), plain_text)
}

fn render(args: &ClassifyArgs, src: &Source, page: &Page, preds: &[Prediction]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let name = src.name();
    if let Some(Extract::Article) = args.extract {
        for (b, p) in page.blocks.iter().zip(preds) {
            if p.label == Label::Article {
                writeln!(out, "{}", b.text)?;
            }
        }
        return Ok(out);
    }
    match args.format {
        Format::Human => {
            writeln!(out, "== {name}")?;
            for (b, p) in page.blocks.iter().zip(preds) {
                let text: String = b.text.chars().take(100).collect();
                let more = if b.text.chars().count() > 100 { "…" } else { "" };
                writeln!(out, "{:<9} {:.2}  {text}{more}", p.label.as_str(), p.confidence)?;
            }
        }
        Format::Jsonl => {
            for (i, (b, p)) in page.blocks.iter().zip(preds).enumerate() {
                let row = BlockOut {
                    file: &name,
                    index: i,
                    label: p.label,
                    confidence: p.confidence,
                    words: b.words,
                    path: page.path(i),
                    text: &b.text,
                };
                serde_json::to_writer(&mut out, &row)?;
                out.push(b'\n');
            }
        }
        Format::Html => {
            let labels: Vec<Label> = preds.iter().map(|p| p.label).collect();
            write_html(page, &labels, &mut out, HtmlOptions { overlay: args.overlay })?;
            out.push(b'\n');
        }
    }
    Ok(out)
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    if args.overlay && args.format != Format::Html {
        anyhow::bail!("--overlay goes with --format html");
    }
    let model = crate::load_model(args.model.as_deref())?;
    let limits = args.limits.limits();
    let (srcs, problems) = sources(&args.paths, args.input);
    let mut failed = problems.len();
    for p in &problems {
        eprintln!("chaff: {p}");
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut done = 0usize;
    for chunk in srcs.chunks(CHUNK) {
        let results: Vec<anyhow::Result<Vec<u8>>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|src| {
                    let page = read_page(src, limits)?;
                    let preds = classify_page(&model, &page, src.plain_text);
                    render(&args, src, &page, &preds)
                })
                .collect()
        });
        for (src, r) in chunk.iter().zip(results) {
            match r {
                Ok(bytes) => {
                    out.write_all(&bytes)?;
                    done += 1;
                }
                Err(e) => {
                    failed += 1;
                    out.flush()?;
                    eprintln!("chaff: {}: {}", src.name(), crate::one_line(&e));
                }
            }
        }
        out.flush()?;
    }
    if failed > 0 {
        eprintln!("chaff: {done} pages classified, {failed} failed");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
