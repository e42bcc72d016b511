//! `chaff classify`: label the blocks of pages, in parallel, printing in input order.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;

use chaff_extract::roles::{article_roles, Role};
use chaff_extract::write::{write_html, HtmlOptions};
use chaff_extract::{Label, Page};
use chaff_learn::{Model, PageFeatures, Prediction};
use rayon::prelude::*;
use serde::Serialize;

use crate::flags::{ClassifyArgs, ExtractArg, Format};
use crate::input::{expand, jobs, Job, Tally};
use crate::progress::{count, Progress};

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

/// Where a page came from, as the JSONL outputs name it (the fields an input has).
#[derive(Serialize)]
struct Source<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a serde_json::Value>,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warc_record_id: Option<&'a str>,
}

impl<'a> Source<'a> {
    fn of(job: &'a Job) -> Source<'a> {
        Source {
            id: job.id.as_ref(),
            file: &job.name,
            url: job.url.as_deref(),
            warc_record_id: job.warc_record_id.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct BlockOut<'a> {
    #[serde(flatten)]
    source: Source<'a>,
    index: usize,
    label: Label,
    /// An article block's part of the article (headline, caption, body); none for others.
    role: Option<Role>,
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

/// One page's text of the labels asked for, as `--extract --format jsonl` prints it.
#[derive(Serialize)]
struct ExtractOut<'a> {
    #[serde(flatten)]
    source: Source<'a>,
    title: std::borrow::Cow<'a, str>,
    extract: &'a [ExtractArg],
    text: String,
    words: usize,
}

/// How one run prints its pages, settled before any is read.
struct Output {
    /// What `--extract` asks for, nothing for all blocks.
    extract: Vec<ExtractArg>,
    /// Whether several pages may come, so that each page's text gets a heading.
    several: bool,
}

impl Output {
    /// `text` as printed: searchable, unless `--raw-text`.
    fn text<'t>(&self, args: &ClassifyArgs, text: &'t str) -> std::borrow::Cow<'t, str> {
        if args.raw_text {
            text.into()
        } else {
            chaff_extract::text::searchable(text)
        }
    }
}

fn render(
    args: &ClassifyArgs,
    output: &Output,
    job: &Job,
    page: &Page,
    preds: &[Prediction],
) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let name = job.name.as_str();
    let text = |t| output.text(args, t);
    let labels: Vec<Label> = preds.iter().map(|p| p.label).collect();
    // the article's parts, for the outputs that print them
    let roles = if !output.extract.is_empty() || args.format == Format::Jsonl {
        article_roles(page, &labels)
    } else {
        Vec::new()
    };
    if !output.extract.is_empty() {
        let wanted = |label: Label, role: Option<Role>| {
            output.extract.iter().any(|e| match e.label() {
                Some(l) => l == label,
                None => role == Some(Role::Body),
            })
        };
        let lines: Vec<std::borrow::Cow<str>> = page
            .blocks
            .iter()
            .zip(preds)
            .zip(&roles)
            .filter(|((_, p), &role)| wanted(p.label, role))
            .map(|((b, _), _)| text(&b.text))
            .collect();
        if args.format == Format::Jsonl {
            let joined = lines.join("\n");
            let row = ExtractOut {
                source: Source::of(job),
                title: text(&page.title),
                extract: &output.extract,
                words: chaff_extract::text::word_count(&joined),
                text: joined,
            };
            serde_json::to_writer(&mut out, &row)?;
            out.push(b'\n');
        } else {
            if output.several {
                writeln!(out, "== {name}")?;
            }
            for line in lines {
                writeln!(out, "{}", crate::printable(&line))?;
            }
        }
        return Ok(out);
    }
    match args.format {
        Format::Human => {
            writeln!(out, "== {name}")?;
            for (b, p) in page.blocks.iter().zip(preds) {
                let shown = text(&b.text);
                let short = crate::printable(&shown.chars().take(100).collect::<String>());
                let more = if shown.chars().count() > 100 {
                    "…"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{:<9} {:.2}  {short}{more}",
                    p.label.as_str(),
                    p.confidence
                )?;
            }
        }
        Format::Jsonl => {
            let paths = page.paths();
            for (i, ((b, p), path)) in page.blocks.iter().zip(preds).zip(paths).enumerate() {
                let row = BlockOut {
                    source: Source::of(job),
                    index: i,
                    label: p.label,
                    role: roles[i],
                    confidence: p.confidence,
                    probabilities: Probabilities(p.probabilities),
                    words: b.words,
                    path,
                    text: &text(&b.text),
                };
                serde_json::to_writer(&mut out, &row)?;
                out.push(b'\n');
            }
        }
        Format::Pages => {
            let texts: Vec<std::borrow::Cow<str>> =
                page.blocks.iter().map(|b| text(&b.text)).collect();
            let row = PageOut {
                id: job.id.as_ref(),
                file: name,
                url: job.url.as_deref(),
                warc_record_id: job.warc_record_id.as_deref(),
                blocks: texts
                    .iter()
                    .zip(preds)
                    .enumerate()
                    .map(|(i, (t, p))| PageBlock {
                        index: i,
                        label: p.label,
                        confidence: p.confidence,
                        text: t,
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut out, &row)?;
            out.push(b'\n');
        }
        Format::Html => {
            write_html(
                page,
                &labels,
                &mut out,
                HtmlOptions {
                    overlay: args.overlay,
                    block_numbers: false,
                },
            )?;
            out.push(b'\n');
        }
    }
    Ok(out)
}

/// A page's name as a file stem: its last part in letters, digits, `.`, `-` and `_`
/// (80 at most), without `.gz`, `.html` or `.htm`.
pub fn file_stem(name: &str) -> String {
    let last = name.rsplit(['/', ' ']).next().unwrap_or("page");
    let safe: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    safe.trim_end_matches(".gz")
        .trim_end_matches(".html")
        .trim_end_matches(".htm")
        .to_string()
}

/// The file `--out DIR` gets for the `index`th page (from 1) named `name`: the index,
/// then [`file_stem`].
pub fn page_file(dir: &std::path::Path, index: usize, name: &str) -> std::path::PathBuf {
    dir.join(format!("{index:05}-{}.html", file_stem(name)))
}

pub fn run(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    if args.overlay && args.format != Format::Html {
        anyhow::bail!("--overlay goes with --format html");
    }
    if !args.extract.is_empty() && !matches!(args.format, Format::Human | Format::Jsonl) {
        anyhow::bail!("--extract goes with --format human (text) or jsonl (an object per page)");
    }
    if args.out.is_some() && args.format != Format::Html {
        anyhow::bail!("--out DIR goes with --format html (a file per page)");
    }
    let inputs = expand(&args.paths);
    let several = inputs.files.len() > 1
        || inputs
            .files
            .iter()
            .any(|f| crate::input::holds_several(f, args.input));
    if args.format == Format::Html && several && args.out.is_none() {
        anyhow::bail!(
            "--format html writes one page to stdout, and these inputs hold several: \
             give --out DIR for a file per page"
        );
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot make the folder for --out", dir.display()))?;
        crate::train::check_writable(&dir.join("page.html"), "--out")?;
    }
    let model = crate::load_model(args.model.as_deref(), &args.decision)?;
    let limits = args.limits.limits();
    let output = Output {
        extract: args.extract.clone(),
        several,
    };
    let mut failed = inputs.problems.len();
    for p in &inputs.problems {
        eprintln!("chaff: {p}");
    }
    if inputs.manifests > 0 {
        eprintln!(
            "chaff: left out {} and {}: they are not pages (eval --data scores a dataset)",
            count(inputs.manifests, "dataset manifest", "dataset manifests"),
            count(
                inputs.gold_texts,
                "gold text it names",
                "gold texts they name"
            ),
        );
    }
    if args.paths.iter().any(|p| p.as_os_str() == "-") && std::io::stdin().is_terminal() {
        eprintln!(
            "chaff: reading a page from stdin (end it with Ctrl-D; give files or folders \
             to classify those)"
        );
    }
    let files = inputs.files;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut done = 0usize;
    let mut progress = Progress::new("pages");
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
                    render(&args, &output, job, &page, &preds)
                })
                .collect()
        });
        for (job, r) in batch.iter().zip(results) {
            match r {
                Ok(bytes) => {
                    done += 1;
                    match &args.out {
                        Some(dir) => {
                            let file = page_file(dir, done, &job.name);
                            std::fs::write(&file, &bytes)
                                .with_context(|| format!("{}: cannot write", file.display()))?;
                            writeln!(out, "{}\t{}", job.name, file.display())?;
                        }
                        None => out.write_all(&bytes)?,
                    }
                }
                Err(e) => {
                    failed += 1;
                    out.flush()?;
                    progress.say(&format!("chaff: {}: {}", job.name, crate::one_line(&e)));
                }
            }
        }
        out.flush()?;
        progress.add(batch.len());
    }
    progress.finish();
    // the reader ends with its inputs (or, when the loop above ended early, when it
    // finds nobody left to send to)
    drop(pages);
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("the input reader failed"))?;
    let skipped = tally.skipped_records();
    if skipped > 0 {
        eprintln!(
            "chaff: skipped {} that {} not HTML responses",
            count(skipped, "WARC record", "WARC records"),
            if skipped == 1 { "is" } else { "are" }
        );
    }
    if failed > 0 {
        eprintln!(
            "chaff: {} classified, {failed} failed",
            count(done, "page", "pages")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
