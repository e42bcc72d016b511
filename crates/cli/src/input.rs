//! Inputs: files, folders, `.gz`, stdin; HTML or plain text.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chaff_extract::{Page, PageLimits};

use crate::flags::InputKind;

/// One page to read.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its path (`-` for stdin).
    pub path: PathBuf,
    /// Whether it is read as plain text.
    pub plain_text: bool,
}

impl Source {
    /// How the page is named in output and errors.
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }
}

fn is_text_name(p: &Path) -> bool {
    let name = p.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".txt")
}

fn is_page_name(p: &Path) -> bool {
    let name = p.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    [".html", ".htm", ".xhtml", ".txt"].iter().any(|e| name.ends_with(e))
}

/// Expand `paths` into pages: folders recursively, in name order (symlink loops are
/// visited once). Problems listing a folder are returned beside the pages found.
pub fn sources(paths: &[PathBuf], kind: InputKind) -> (Vec<Source>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        if p.as_os_str() == "-" || !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut files = Vec::new();
        let mut stack = vec![p.clone()];
        while let Some(dir) = stack.pop() {
            match dir.canonicalize() {
                Ok(c) if !seen.insert(c.clone()) => continue,
                Err(e) => {
                    problems.push(format!("{}: {e}", dir.display()));
                    continue;
                }
                _ => {}
            }
            let rd = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) => {
                    problems.push(format!("{}: {e}", dir.display()));
                    continue;
                }
            };
            for entry in rd.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if is_page_name(&path) {
                    files.push(path);
                }
            }
        }
        files.sort();
        out.extend(files);
    }
    let sources = out
        .into_iter()
        .map(|path| Source {
            plain_text: match kind {
                InputKind::Text => true,
                InputKind::Html => false,
                InputKind::Auto => is_text_name(&path),
            },
            path,
        })
        .collect();
    (sources, problems)
}

/// Read a source's bytes, refusing more than the limit.
pub fn read_bytes(src: &Source, limits: PageLimits) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let cap = limits.max_bytes as u64 + 1;
    if src.path.as_os_str() == "-" {
        std::io::stdin().take(cap).read_to_end(&mut buf).context("stdin")?;
    } else {
        let f = std::fs::File::open(&src.path)?;
        f.take(cap).read_to_end(&mut buf)?;
    }
    Ok(buf)
}

/// Read and segment a page.
pub fn read_page(src: &Source, limits: PageLimits) -> anyhow::Result<Page> {
    let bytes = read_bytes(src, limits)?;
    let page = if src.plain_text {
        Page::from_text_bytes(bytes, limits)?
    } else {
        Page::from_html_bytes(bytes, None, limits)?
    };
    Ok(page)
}
