//! Inputs: files, folders, `.gz`, stdin, WARC files and JSONL streams; HTML or plain text.
//!
//! Everything becomes a stream of [`Job`]s, one per page, read sequentially (so memory is
//! bounded by the batch, not the input) and classified in parallel by the caller.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use chaff_extract::{Page, PageLimits};
use chaff_learn::dataset;
use serde::Deserialize;

use crate::flags::InputKind;
use crate::records;

/// One page to classify, as read from its input.
pub struct Job {
    /// How the page is named in output and errors (a path, `path#record-N`, `stdin:N`).
    pub name: String,
    /// The page's bytes, or why they could not be read.
    pub content: anyhow::Result<Vec<u8>>,
    /// Whether the page is plain text.
    pub plain_text: bool,
    /// A charset from outside the page (the WARC record's HTTP `Content-Type`).
    pub charset: Option<String>,
    /// The page's URL, when the input says.
    pub url: Option<String>,
    /// The WARC record id, for WARC input.
    pub warc_record_id: Option<String>,
    /// The id given on a JSONL input line.
    pub id: Option<serde_json::Value>,
}

impl Job {
    fn file(name: String, content: anyhow::Result<Vec<u8>>, plain_text: bool) -> Job {
        Job {
            name,
            content,
            plain_text,
            charset: None,
            url: None,
            warc_record_id: None,
            id: None,
        }
    }

    /// Read and segment the page.
    pub fn page(&mut self, limits: PageLimits) -> anyhow::Result<Page> {
        let bytes = std::mem::replace(&mut self.content, Ok(Vec::new()))?;
        let mut page = if self.plain_text {
            Page::from_text_bytes(bytes, limits)?
        } else {
            Page::from_html_bytes(bytes, self.charset.as_deref(), limits)?
        };
        // the record's address (WARC target, JSONL url) when the page declares none
        if page.url.is_none() && page.dom.is_some() {
            page.url = self.url.clone();
        }
        Ok(page)
    }
}

/// Counts of what the inputs held besides pages, shared with the readers.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    skipped: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Tally {
    fn skip(&self) {
        self.skipped
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// WARC records skipped because they are not HTML responses.
    pub fn skipped_records(&self) -> usize {
        self.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn lower_name(p: &Path) -> String {
    p.to_string_lossy().to_ascii_lowercase()
}

fn kind_of(p: &Path, kind: InputKind) -> InputKind {
    if kind != InputKind::Auto {
        return kind;
    }
    let name = lower_name(p);
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".txt") {
        InputKind::Text
    } else if name.ends_with(".warc") || name.ends_with(".arc") {
        InputKind::Warc
    } else if name.ends_with(".jsonl") {
        InputKind::Jsonl
    } else {
        InputKind::Html
    }
}

/// Whether an input file can hold several pages (a WARC file, a JSONL stream).
pub fn holds_several(p: &Path, kind: InputKind) -> bool {
    matches!(kind_of(p, kind), InputKind::Warc | InputKind::Jsonl)
}

fn looks_like_url(p: &Path) -> bool {
    let name = lower_name(p);
    name.starts_with("http://") || name.starts_with("https://")
}

fn is_input_name(p: &Path) -> bool {
    let name = lower_name(p);
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".html", ".htm", ".xhtml", ".txt", ".warc", ".jsonl"]
        .iter()
        .any(|e| name.ends_with(e))
}

/// What the paths given on the command line hold.
#[derive(Debug, Default)]
pub struct Expanded {
    /// The inputs to read, in order.
    pub files: Vec<PathBuf>,
    /// Problems listing a folder.
    pub problems: Vec<String>,
    /// Dataset manifests found in folders and left out.
    pub manifests: usize,
    /// Gold texts those manifests name, left out.
    pub gold_texts: usize,
}

/// Expand `paths` into files: folders recursively, in name order (symlinks are followed;
/// a link back up the tree is reported, not looped). A dataset's `manifest.jsonl` and
/// the gold texts it names are not pages: in a folder they are left out (counted), and a
/// manifest named on its own is a problem.
pub fn expand(paths: &[PathBuf]) -> Expanded {
    let mut out = Expanded::default();
    for p in paths {
        if p.file_name().is_some_and(|n| n == "manifest.jsonl")
            && dataset::manifest_gold_texts(p).is_some()
        {
            out.problems.push(format!(
                "{}: a dataset manifest, not pages: classify its folder for its pages \
                 (eval --data scores the dataset)",
                p.display()
            ));
            continue;
        }
        if p.as_os_str() == "-" || !p.is_dir() {
            out.files.push(p.clone());
            continue;
        }
        let mut found = Vec::new();
        let mut manifests = std::collections::HashSet::new();
        let mut gold_texts = std::collections::HashSet::new();
        for entry in walkdir::WalkDir::new(p)
            .follow_links(true)
            .sort_by_file_name()
        {
            match entry {
                Ok(e) if e.file_type().is_file() && is_input_name(e.path()) => {
                    if e.file_name() == "manifest.jsonl" {
                        if let Some(gold) = dataset::manifest_gold_texts(e.path()) {
                            manifests.insert(e.path().to_path_buf());
                            gold_texts.extend(gold);
                        }
                    }
                    found.push(e.into_path())
                }
                Ok(_) => {}
                Err(e) => out.problems.push(e.to_string()),
            }
        }
        out.manifests += manifests.len();
        for f in found {
            if manifests.contains(&f) {
                continue;
            }
            if gold_texts.contains(&f) {
                out.gold_texts += 1;
                continue;
            }
            out.files.push(f);
        }
    }
    out
}

/// At most `limit` bytes of `r`, or the page limit's error: with the size when it is
/// `known` (a file's), else saying only that it is over.
fn read_capped(mut r: impl Read, limit: usize, known: Option<u64>) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.by_ref().take(limit as u64 + 1).read_to_end(&mut buf)?;
    if buf.len() > limit {
        return Err(chaff_extract::Error::PageTooLarge {
            size: known.filter(|&k| k > limit as u64),
            limit,
        }
        .into());
    }
    Ok(buf)
}

fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead + Send>> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let f = File::open(path)?;
    let mut r = BufReader::new(f);
    let gz = r.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(r)))
    } else {
        Box::new(r)
    })
}

/// All pages of all inputs, in order, read lazily.
pub fn jobs(
    files: Vec<PathBuf>,
    kind: InputKind,
    limits: PageLimits,
    tally: Tally,
) -> impl Iterator<Item = Job> + Send {
    files
        .into_iter()
        .flat_map(move |path| -> Box<dyn Iterator<Item = Job> + Send> {
            let name = if path.as_os_str() == "-" {
                "stdin".to_string()
            } else {
                crate::file_name(&path)
            };
            if looks_like_url(&path) && !path.exists() {
                return Box::new(std::iter::once(Job::file(
                    name,
                    Err(anyhow!(
                        "chaff reads files, not web addresses: fetch the page first \
                         (curl -sL URL | chaff classify -)"
                    )),
                    false,
                )));
            }
            match kind_of(&path, kind) {
                InputKind::Warc => match open(&path) {
                    Ok(r) => Box::new(WarcJobs::new(name, r, limits, tally.clone())),
                    Err(e) => Box::new(std::iter::once(Job::file(name, Err(e), false))),
                },
                InputKind::Jsonl => match open(&path) {
                    Ok(r) => Box::new(jsonl_jobs(name, r, limits)),
                    Err(e) => Box::new(std::iter::once(Job::file(name, Err(e), false))),
                },
                k => {
                    let content = if path.as_os_str() == "-" {
                        read_capped(std::io::stdin().lock(), limits.max_bytes, None)
                    } else {
                        File::open(&path)
                            .map_err(anyhow::Error::from)
                            .and_then(|f| {
                                let size = f.metadata().ok().map(|m| m.len());
                                read_capped(f, limits.max_bytes, size)
                            })
                    };
                    Box::new(std::iter::once(Job::file(
                        name,
                        content,
                        k == InputKind::Text,
                    )))
                }
            }
        })
}

/// The HTML responses of a WARC file.
struct WarcJobs {
    name: String,
    reader: Box<dyn BufRead + Send>,
    index: usize,
    done: bool,
    limits: PageLimits,
    tally: Tally,
}

impl WarcJobs {
    fn new(
        name: String,
        reader: Box<dyn BufRead + Send>,
        limits: PageLimits,
        tally: Tally,
    ) -> WarcJobs {
        WarcJobs {
            name,
            reader,
            index: 0,
            done: false,
            limits,
            tally,
        }
    }
}

impl Iterator for WarcJobs {
    type Item = Job;

    fn next(&mut self) -> Option<Job> {
        while !self.done {
            self.index += 1;
            let where_ = format!("{}#record-{}", self.name, self.index);
            let record = match records::next_warc_record(&mut self.reader, self.limits.max_bytes) {
                Ok(Some(r)) => r,
                Ok(None) => return None,
                Err(e) => {
                    // the reader cannot find the next record after a malformed one
                    self.done = true;
                    return Some(Job::file(
                        where_,
                        Err(anyhow!("malformed WARC record, rest of file skipped: {e}")),
                        false,
                    ));
                }
            };
            let where_ = format!("{} {}", self.name, record.id);
            if record.kind != "response" || !record.content_type.contains("application/http") {
                self.tally.skip();
                continue;
            }
            let Some(block) = record.block else {
                return Some(Job::file(
                    where_,
                    Err(anyhow!(
                        "record of {} bytes is over the page limit (--max-page-bytes {})",
                        record.length,
                        self.limits.max_bytes
                    )),
                    false,
                ));
            };
            let (content, charset) = match http_body(&block, self.limits.max_bytes) {
                Ok(Some(b)) => b,
                Ok(None) => {
                    self.tally.skip();
                    continue;
                }
                Err(e) => (Err(e), None),
            };
            return Some(Job {
                name: where_,
                content,
                plain_text: false,
                charset,
                url: record.target_uri,
                warc_record_id: Some(record.id),
                id: None,
            });
        }
        None
    }
}

type HttpPage = (anyhow::Result<Vec<u8>>, Option<String>);

/// The body and charset of an HTTP response holding HTML, its content encoding undone
/// (at most `limit` bytes of it); `None` for anything else.
fn http_body(raw: &[u8], limit: usize) -> anyhow::Result<Option<HttpPage>> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut headers);
    let head_len = match resp.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err(anyhow!("HTTP headers are cut short")),
        Err(e) => return Err(anyhow!("malformed HTTP response: {e}")),
    };
    let header = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
    };
    let ctype = header("content-type").unwrap_or_default();
    let is_html = ctype.is_empty() || ctype.contains("html");
    if !is_html || resp.code.is_some_and(|c| !(200..300).contains(&c)) {
        return Ok(None);
    }
    let charset = ctype
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("charset="))
        .map(|c| c.trim_matches(['"', '\'', ' ']).to_string())
        .next();
    let body = &raw[head_len..];
    let body = if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        dechunk(body)
    } else {
        Ok(body.to_vec())
    };
    let encoding = header("content-encoding").unwrap_or_default();
    let body = body.and_then(|b| content_decoded(b, &encoding, limit));
    Ok(Some((body, charset)))
}

/// `body` with its HTTP `Content-Encoding` undone (the codings in the order applied,
/// undone last first), each step producing at most `limit` bytes.
fn content_decoded(body: Vec<u8>, encoding: &str, limit: usize) -> anyhow::Result<Vec<u8>> {
    let mut out = body;
    let codings = encoding
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && *c != "identity");
    for coding in codings.rev() {
        if matches!(coding, "gzip" | "x-gzip") {
            // the page decoder's own bounded gunzip
            out = chaff_extract::decode::gunzip_if_needed(out, limit)
                .context("cannot undo its Content-Encoding gzip")?;
            continue;
        }
        let reader: Box<dyn Read + '_> = match coding {
            // zlib-wrapped, as the standard says, or raw deflate, as some servers send
            "deflate"
                if out.len() >= 2
                    && out[0] & 0x0f == 8
                    && u16::from_be_bytes([out[0], out[1]]).is_multiple_of(31) =>
            {
                Box::new(flate2::read::ZlibDecoder::new(&out[..]))
            }
            "deflate" => Box::new(flate2::read::DeflateDecoder::new(&out[..])),
            "br" => Box::new(brotli_decompressor::Decompressor::new(&out[..], 4096)),
            other => anyhow::bail!(
                "its Content-Encoding {other:?} is not one chaff decodes (gzip, deflate, br)"
            ),
        };
        let mut decoded = Vec::new();
        reader
            .take(limit as u64 + 1)
            .read_to_end(&mut decoded)
            .with_context(|| format!("cannot undo its Content-Encoding {coding}"))?;
        if decoded.len() > limit {
            return Err(chaff_extract::Error::PageTooLarge { size: None, limit }.into());
        }
        out = decoded;
    }
    Ok(out)
}

/// Undo HTTP chunked transfer encoding.
fn dechunk(mut body: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        match httparse::parse_chunk_size(body) {
            Ok(httparse::Status::Complete((used, 0))) => {
                let _ = used;
                return Ok(out);
            }
            Ok(httparse::Status::Complete((used, size))) => {
                let start = used;
                let end = start.saturating_add(size as usize);
                if end > body.len() {
                    out.extend_from_slice(&body[start..]);
                    return Ok(out);
                }
                out.extend_from_slice(&body[start..end]);
                body = body.get(end + 2..).unwrap_or(&[]);
            }
            Ok(httparse::Status::Partial) => return Ok(out),
            Err(_) if out.is_empty() => return Ok(body.to_vec()), // not chunked after all
            Err(_) => return Ok(out),
        }
    }
}

#[derive(Deserialize)]
struct JsonlPage {
    id: Option<serde_json::Value>,
    url: Option<String>,
    html: Option<String>,
    text: Option<String>,
    /// A dataset manifest's fields, to say what such a line is.
    file: Option<serde::de::IgnoredAny>,
    article: Option<serde::de::IgnoredAny>,
}

fn jsonl_jobs(
    name: String,
    mut r: Box<dyn BufRead + Send>,
    limits: PageLimits,
) -> impl Iterator<Item = Job> + Send {
    // a line holds a page escaped as JSON: up to twice the page limit
    let bound = limits.max_bytes.saturating_mul(2);
    let mut failed = false;
    let lines = std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let line = records::next_line(&mut r, bound).transpose()?;
        failed = line.is_err();
        Some(line)
    });
    lines.enumerate().filter_map(move |(i, line)| {
        let where_ = format!("{name}:{}", i + 1);
        let line = match line {
            Ok(records::Line::Bytes(l)) => l,
            Ok(records::Line::TooLong(n)) => {
                return Some(Job::file(
                    where_,
                    Err(anyhow!(
                        "line of {n} bytes is over the page limit (--max-page-bytes {})",
                        limits.max_bytes
                    )),
                    false,
                ))
            }
            Err(e) => return Some(Job::file(where_, Err(e.into()), false)),
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(match serde_json::from_slice::<JsonlPage>(&line) {
            Err(e) => Job::file(where_, Err(anyhow!("not a JSON page object: {e}")), false),
            Ok(p) => {
                let (content, plain) = match (p.html, p.text) {
                    (Some(h), _) => (Ok(h.into_bytes()), false),
                    (None, Some(t)) => (Ok(t.into_bytes()), true),
                    (None, None) if p.file.is_some() || p.article.is_some() => (
                        Err(anyhow!(
                            "no \"html\" or \"text\" field: a line of a dataset manifest, \
                             which names page files (classify those or their folder; \
                             eval --data reads the dataset)"
                        )),
                        false,
                    ),
                    (None, None) => (Err(anyhow!("no \"html\" or \"text\" field")), false),
                };
                Job {
                    name: where_,
                    content,
                    plain_text: plain,
                    charset: None,
                    url: p.url,
                    warc_record_id: None,
                    id: p.id,
                }
            }
        })
    })
}

/// Properties over damaged streams: no WARC file or JSONL stream, however broken, makes
/// the readers panic or loop; each page they yield reads or fails with an error.
/// `scripts/fuzz.sh` runs them for long.
#[cfg(test)]
mod properties {
    use std::io::{Cursor, Write};

    use proptest::prelude::*;

    use super::*;

    /// Cases per property: `PROPTEST_CASES` when set (for long fuzzing runs), else `default`.
    fn cases(default: u32) -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    fn limits() -> PageLimits {
        PageLimits {
            max_bytes: 4096,
            max_blocks: 500,
        }
    }

    fn record(kind: &str, headers: &str, block: &[u8]) -> Vec<u8> {
        let mut r = format!(
            "WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:x>\r\n\
             WARC-Target-URI: http://a.example/\r\n{headers}Content-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        r.extend_from_slice(block);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    /// A WARC file of the kinds of record crawls hold: metadata, a request, responses
    /// plain, chunked and gzip-encoded, and one that is not HTML.
    fn sample_warc() -> Vec<u8> {
        let http = "application/http; msgtype=response\r\n";
        let ct = |c: &str| format!("Content-Type: {c}");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"<p>Compressed story text of a page.</p>")
            .unwrap();
        let gz = gz.finish().unwrap();
        let mut gz_http =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n"
                .to_vec();
        gz_http.extend(gz);
        [
            record("warcinfo", &ct("application/warc-fields\r\n"), b"software: x\r\n"),
            record("request", &ct(http), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
            record(
                "response",
                &ct(http),
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><title>T</title><p>A story paragraph.</p><ul><li>one<li>two</ul>",
            ),
            record(
                "response",
                &ct(http),
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n<p>Chunked text\r\n5\r\n here\r\n0\r\n\r\n",
            ),
            record("response", &ct(http), &gz_http),
            record(
                "response",
                &ct(http),
                b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
            ),
        ]
        .concat()
    }

    fn sample_jsonl() -> Vec<u8> {
        concat!(
            r#"{"id": 1, "url": "http://a.example/", "html": "<p>One page of a stream.</p>"}"#,
            "\n",
            r#"{"id": "two", "text": "A plain-text page\nof two lines"}"#,
            "\n",
            r#"{"file": "x.html", "article": "x.txt"}"#,
            "\n\n",
            r#"{"html": "<title>Unclosed <b>title"}"#,
            "\n",
        )
        .as_bytes()
        .to_vec()
    }

    /// `bytes` with each edit made: (where, byte, 0 set / 1 insert / 2 delete).
    fn damaged(mut bytes: Vec<u8>, edits: &[(prop::sample::Index, u8, u8)]) -> Vec<u8> {
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                bytes.push(*byte);
                continue;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = *byte,
                1 => bytes.insert(i, *byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        bytes
    }

    fn read_all(jobs: impl Iterator<Item = Job>) {
        for mut job in jobs.take(1000) {
            let _ = job.page(limits());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(64)))]

        #[test]
        fn damaged_warc_streams_never_panic(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..24),
            tail in prop::collection::vec(any::<u8>(), 0..48),
        ) {
            let mut bytes = damaged(sample_warc(), &edits);
            bytes.extend(tail);
            let reader: Box<dyn BufRead + Send> = Box::new(Cursor::new(bytes));
            read_all(WarcJobs::new("fuzz".into(), reader, limits(), Tally::default()));
        }

        #[test]
        fn damaged_jsonl_streams_never_panic(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..24),
            tail in prop::collection::vec(any::<u8>(), 0..48),
        ) {
            let mut bytes = damaged(sample_jsonl(), &edits);
            bytes.extend(tail);
            let reader: Box<dyn BufRead + Send> = Box::new(Cursor::new(bytes));
            read_all(jsonl_jobs("fuzz".into(), reader, limits()));
        }
    }

    #[test]
    fn the_samples_read_as_pages() {
        let reader: Box<dyn BufRead + Send> = Box::new(Cursor::new(sample_warc()));
        let pages: Vec<Page> = WarcJobs::new("w".into(), reader, limits(), Tally::default())
            .map(|mut j| j.page(limits()).unwrap())
            .collect();
        assert_eq!(pages.len(), 3, "three HTML responses");
        let reader: Box<dyn BufRead + Send> = Box::new(Cursor::new(sample_jsonl()));
        let ok = jsonl_jobs("j".into(), reader, limits())
            .filter_map(|mut j| j.page(limits()).ok())
            .count();
        assert_eq!(ok, 3);
    }
}
