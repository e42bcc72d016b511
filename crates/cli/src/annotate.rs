//! `chaff annotate`: label pages in the browser and save them as a dataset as you go.
//!
//! A local web server (axum, loopback by default) serves one page, `annotate.html`, that
//! shows each page as `classify --overlay` does (the same writer, with block numbers so
//! that a click names blocks) inside a frame, pre-labelled by the model. Every change is
//! saved at once: the page with `data-block-label` on its blocks, then `manifest.jsonl`,
//! each written to a temporary file renamed into place, so a crash loses at most the
//! change being made. Run again on the same folder to resume.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chaff_extract::write::{label_colour, write_html, HtmlOptions};
use chaff_extract::{Label, Page, PageLimits};
use serde::{Deserialize, Serialize};

use crate::flags::AnnotateArgs;

/// The annotator's own page: markup, style and script, nothing loaded from elsewhere.
const APP: &str = include_str!("annotate.html");

/// One page being labelled. The page is kept as bytes and parsed when it is shown or
/// saved (a parsed page cannot cross threads; parsing takes milliseconds).
struct Annotated {
    /// The input it came from, as given.
    source: String,
    /// Its id in the dataset (the file name without `.html`).
    id: String,
    /// Its address, when the page declares one: the dataset's outlet.
    url: Option<String>,
    bytes: Vec<u8>,
    labels: Vec<Label>,
    /// The model's confidence per block; 1 once a person set the block's label.
    confidence: Vec<f64>,
    /// Whether a person went past the page (`n`).
    done: bool,
    /// Earlier label sets, for undo.
    undo: Vec<(Vec<Label>, Vec<f64>)>,
}

struct Session {
    dir: PathBuf,
    pages: Vec<Annotated>,
    limits: PageLimits,
    low_confidence: f64,
}

type Shared = Arc<Mutex<Session>>;

/// A line of the dataset's manifest.
#[derive(Serialize, Deserialize)]
struct ManifestRow {
    id: String,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    url: Option<String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    done: bool,
}

impl Session {
    fn page(&self, n: usize) -> Result<&Annotated, Response> {
        self.pages
            .get(n)
            .ok_or_else(|| (StatusCode::NOT_FOUND, format!("no page {n}")).into_response())
    }

    /// Write page `n` with its labels, then the manifest.
    fn save(&self, n: usize) -> anyhow::Result<()> {
        let a = &self.pages[n];
        let page = Page::from_html_bytes(a.bytes.clone(), None, self.limits)?;
        write_page(&self.dir, &a.id, &page, &a.labels)?;
        self.save_manifest()
    }

    fn save_manifest(&self) -> anyhow::Result<()> {
        let mut out = Vec::new();
        for a in &self.pages {
            serde_json::to_writer(
                &mut out,
                &ManifestRow {
                    id: a.id.clone(),
                    file: format!("{}.html", a.id),
                    url: a.url.clone(),
                    source: a.source.clone(),
                    done: a.done,
                },
            )?;
            out.push(b'\n');
        }
        crate::write_atomically(&self.dir.join("manifest.jsonl"), &out)
    }
}

/// A page's id in the dataset: its input's file stem, made unique among `taken`.
fn dataset_id(source: &str, taken: &std::collections::HashSet<String>) -> String {
    let stem = crate::classify::file_stem(source);
    let base = if stem.is_empty() { "page".into() } else { stem };
    let mut id = base.clone();
    let mut k = 2;
    while taken.contains(&id) {
        id = format!("{base}-{k}");
        k += 1;
    }
    id
}

/// Write a page with its labels into the dataset folder as `ID.html`.
fn write_page(dir: &Path, id: &str, page: &Page, labels: &[Label]) -> anyhow::Result<()> {
    let mut out = Vec::new();
    write_html(page, labels, &mut out, HtmlOptions::default())?;
    crate::write_atomically(&dir.join(format!("{id}.html")), &out)
}

/// Read the pages: each from the dataset folder when it was saved there before (its
/// labels kept), else from its input, labelled by the model. A page that cannot be read
/// is reported and left out.
fn read_pages(
    args: &AnnotateArgs,
    model: &chaff_learn::Model,
    limits: PageLimits,
) -> anyhow::Result<(Vec<Annotated>, usize)> {
    let inputs = crate::input::expand(&args.paths);
    let mut failed = inputs.problems.len();
    for p in &inputs.problems {
        eprintln!("chaff: {p}");
    }
    let earlier: Vec<ManifestRow> = std::fs::read_to_string(args.out.join("manifest.jsonl"))
        .map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default();
    let mut taken = std::collections::HashSet::new();
    let mut pages = Vec::new();
    // the model labels every page before the server starts
    let mut progress = crate::progress::Progress::new("pages");
    for file in inputs.files {
        progress.add(1);
        let source = file.display().to_string();
        let id = dataset_id(&source, &taken);
        let saved = args.out.join(format!("{id}.html"));
        let resumed = saved.is_file() && earlier.iter().any(|r| r.id == id && r.source == source);
        let read = |path: &Path| -> anyhow::Result<(Vec<u8>, Page)> {
            let bytes = std::fs::read(path)?;
            let page = Page::from_html_bytes(bytes.clone(), None, limits)?;
            if page.dom.is_none() || page.blocks.is_empty() {
                anyhow::bail!("no text blocks to label (is it an HTML page?)");
            }
            Ok((bytes, page))
        };
        let (bytes, page) = match read(if resumed { &saved } else { &file }) {
            Ok(r) => r,
            Err(e) => {
                failed += 1;
                progress.say(&format!("chaff: {source}: {}", crate::one_line(&e)));
                continue;
            }
        };
        let preds = crate::classify::classify_page(model, &page, false);
        let mut labels: Vec<Label> = preds.iter().map(|p| p.label).collect();
        let mut confidence: Vec<f64> = preds.iter().map(|p| p.confidence).collect();
        let mut done = false;
        if resumed {
            // the labels saved: where one is not the model's, a person set it; where it
            // is, the model's confidence still says whether to look again
            for (i, b) in page.blocks.iter().enumerate() {
                if let Some(l) = b.gold.filter(|&l| l != labels[i]) {
                    labels[i] = l;
                    confidence[i] = 1.0;
                }
            }
            done = earlier.iter().any(|r| r.id == id && r.done);
        }
        // in the folder from the start, labelled by the model or as saved
        if let Err(e) = write_page(&args.out, &id, &page, &labels) {
            progress.finish();
            return Err(e);
        }
        taken.insert(id.clone());
        pages.push(Annotated {
            source,
            id,
            url: page.url.clone(),
            bytes,
            labels,
            confidence,
            done,
            undo: Vec::new(),
        });
    }
    progress.finish();
    Ok((pages, failed))
}

pub fn run(args: AnnotateArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.low_confidence) {
        anyhow::bail!(
            "--low-confidence must be 0 to 1, got {}",
            args.low_confidence
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot make the folder for --out", args.out.display()))?;
    crate::train::check_writable(&args.out.join("manifest.jsonl"), "--out")?;
    let model = crate::load_model(args.model.as_deref(), &Default::default())?;
    let limits = args.limits.limits();
    let (pages, failed) = read_pages(&args, &model, limits)?;
    if pages.is_empty() {
        anyhow::bail!(
            "{}: no page to label (see above)",
            crate::paths(&args.paths)
        );
    }
    let session = Session {
        dir: args.out.clone(),
        pages,
        limits,
        low_confidence: args.low_confidence,
    };
    session.save_manifest()?;
    let count = session.pages.len();
    let state: Shared = Arc::new(Mutex::new(session));
    let app = Router::new()
        .route("/", get(|| async { Html(APP) }))
        .route("/api/pages", get(pages_list))
        .route("/api/page/{n}", get(page_state))
        .route("/api/page/{n}/labels", post(set_labels))
        .route("/api/page/{n}/undo", post(undo))
        .route("/api/page/{n}/done", post(set_done))
        .route("/page/{n}", get(overlay))
        .with_state(state);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let dir = args.out.display().to_string();
    runtime.block_on(async move {
        let addr = SocketAddr::new(args.host, args.port);
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!("cannot listen on {addr} (is the port in use? --port 0 takes any free one)")
        })?;
        let url = format!("http://{}/", listener.local_addr()?);
        eprintln!(
            "chaff: labelling {} in {} (saved on every change); open {url} — Ctrl-C to stop",
            crate::progress::count(count, "page", "pages"),
            args.out.display()
        );
        if failed > 0 {
            eprintln!(
                "chaff: {} could not be read (see above)",
                crate::progress::count(failed, "page", "pages")
            );
        }
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("the annotator's server stopped")
    })?;
    eprintln!("chaff: stopped; the labels are in {dir}");
    Ok(ExitCode::SUCCESS)
}

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, Session> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Serialize)]
struct PageSummary<'a> {
    source: &'a str,
    id: &'a str,
    done: bool,
    blocks: usize,
}

async fn pages_list(State(state): State<Shared>) -> Response {
    let s = lock(&state);
    let pages: Vec<PageSummary> = s
        .pages
        .iter()
        .map(|a| PageSummary {
            source: &a.source,
            id: &a.id,
            done: a.done,
            blocks: a.labels.len(),
        })
        .collect();
    Json(serde_json::json!({
        "pages": pages,
        "low_confidence": s.low_confidence,
        "labels": Label::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "colours": Label::ALL.iter().map(|&l| label_colour(l)).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// A page's labels and confidences, as the app shows them.
fn labels_of(a: &Annotated) -> Response {
    Json(serde_json::json!({
        "labels": a.labels,
        "confidence": a.confidence,
        "done": a.done,
        "undo": a.undo.len(),
    }))
    .into_response()
}

async fn page_state(State(state): State<Shared>, UrlPath(n): UrlPath<usize>) -> Response {
    let s = lock(&state);
    match s.page(n) {
        Ok(a) => labels_of(a),
        Err(r) => r,
    }
}

/// The page as an overlay with block numbers.
async fn overlay(State(state): State<Shared>, UrlPath(n): UrlPath<usize>) -> Response {
    let s = lock(&state);
    let a = match s.page(n) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let shown = Page::from_html_bytes(a.bytes.clone(), None, s.limits).and_then(|page| {
        let mut out = Vec::new();
        write_html(
            &page,
            &a.labels,
            &mut out,
            HtmlOptions {
                overlay: true,
                block_numbers: true,
            },
        )?;
        Ok(out)
    });
    match shown {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("{}: {e}", a.source),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct SetLabels {
    blocks: Vec<usize>,
    label: Label,
}

/// Save page `n` after a change; the page's labels, or the error (nothing is lost: the
/// change stays in memory and the next save writes it).
fn saved(s: &Session, n: usize) -> Response {
    match s.save(n) {
        Ok(()) => labels_of(&s.pages[n]),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("not saved: {}", crate::one_line(&e)),
        )
            .into_response(),
    }
}

async fn set_labels(
    State(state): State<Shared>,
    UrlPath(n): UrlPath<usize>,
    Json(change): Json<SetLabels>,
) -> Response {
    let mut s = lock(&state);
    if let Err(r) = s.page(n) {
        return r;
    }
    let a = &mut s.pages[n];
    if let Some(&bad) = change.blocks.iter().find(|&&i| i >= a.labels.len()) {
        return (
            StatusCode::BAD_REQUEST,
            format!("page {n} has no block {bad}"),
        )
            .into_response();
    }
    a.undo.push((a.labels.clone(), a.confidence.clone()));
    for &i in &change.blocks {
        a.labels[i] = change.label;
        a.confidence[i] = 1.0;
    }
    saved(&s, n)
}

async fn undo(State(state): State<Shared>, UrlPath(n): UrlPath<usize>) -> Response {
    let mut s = lock(&state);
    if let Err(r) = s.page(n) {
        return r;
    }
    let a = &mut s.pages[n];
    if let Some((labels, confidence)) = a.undo.pop() {
        a.labels = labels;
        a.confidence = confidence;
    }
    saved(&s, n)
}

#[derive(Deserialize)]
struct SetDone {
    done: bool,
}

async fn set_done(
    State(state): State<Shared>,
    UrlPath(n): UrlPath<usize>,
    Json(body): Json<SetDone>,
) -> Response {
    let mut s = lock(&state);
    if let Err(r) = s.page(n) {
        return r;
    }
    s.pages[n].done = body.done;
    saved(&s, n)
}
