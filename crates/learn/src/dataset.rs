//! Labelled datasets: pages with gold labels per block, or with their article text only.
//!
//! A dataset is a folder. With a `manifest.jsonl`, each line names one page: `id`, and
//! either `file` (a labelled HTML page whose blocks carry `data-block-label`) or `html`
//! plus `article` (a page, possibly gzip-compressed, and a file with its article text,
//! decoded as a plain-text page is); `domain` or `url` give the outlet. The texts of a
//! page's comments (`comments`) and related content (`related`) that some sources mark
//! are gold texts too: [`manifest_gold_texts`] names them, so a folder's pages are told
//! from them, but no model reads them. Without a manifest, every `.html`/`.htm` file below the folder (optionally `.gz`) is a
//! labelled page, and its outlet is the first folder under the dataset root that holds
//! it (or the file's name when it sits at the root).

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use chaff_extract::{Block, Label, Page, PageFeatures, PageLimits};
use rayon::prelude::*;
use serde::Deserialize;

use crate::outlet::outlet_of;
use crate::{Error, Result};

/// A page's plain-text rendering, one line per block, as a plain-text page would come in:
/// what the text head of a model is trained on.
pub fn text_view(page: &Page) -> Page {
    Page {
        blocks: page
            .blocks
            .iter()
            .map(|b| Block {
                gold: b.gold,
                ..Block::from_line(&b.text)
            })
            .collect(),
        title: String::new(),
        url: None,
        dom: None,
        bad_labels: Vec::new(),
        run_texts: Default::default(),
        without_scripts: false,
    }
}

/// The gold of one page.
#[derive(Debug, Clone)]
pub enum PageGold {
    /// A label for every block.
    Blocks(Vec<Label>),
    /// The words of the article text only.
    ArticleWords(Vec<String>),
}

/// One page of a dataset.
#[derive(Debug, Clone)]
pub struct LabelledPage {
    /// The page's id (from the manifest, or its path below the dataset root).
    pub id: String,
    /// The page's file.
    pub path: PathBuf,
    /// The outlet (registrable domain) the page belongs to.
    pub outlet: String,
    /// The page prepared for the HTML head.
    pub html: PageFeatures,
    /// The page's plain-text rendering prepared for the text head (labelled pages only).
    pub text: Option<PageFeatures>,
    /// The blocks' texts.
    pub texts: Vec<String>,
    /// The gold.
    pub gold: PageGold,
}

impl LabelledPage {
    /// Gold labels per block, for pages labelled block by block.
    pub fn block_labels(&self) -> Option<&[Label]> {
        match &self.gold {
            PageGold::Blocks(l) => Some(l),
            PageGold::ArticleWords(_) => None,
        }
    }
}

/// A set of labelled pages.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// The pages, in manifest (or sorted path) order.
    pub pages: Vec<LabelledPage>,
}

/// What loading a dataset produced: the pages that could be read and, for each one that
/// could not, why.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The readable pages.
    pub dataset: Dataset,
    /// One error per page (or manifest line) that could not be used.
    pub failures: Vec<Error>,
}

#[derive(Deserialize)]
struct ManifestRow {
    id: Option<String>,
    file: Option<String>,
    html: Option<String>,
    article: Option<String>,
    comments: Option<String>,
    related: Option<String>,
    domain: Option<String>,
    url: Option<String>,
}

struct Entry {
    id: String,
    path: PathBuf,
    article: Option<PathBuf>,
    outlet: String,
}

impl Dataset {
    /// Load every page of the folder `root`, in parallel. Pages that cannot be read are
    /// reported in [`Loaded::failures`]; the rest load. An unreadable folder or manifest is
    /// an error.
    pub fn load(root: &Path, limits: PageLimits) -> Result<Loaded> {
        let (entries, mut failures) = list(root)?;
        let results: Vec<Result<LabelledPage>> =
            entries.par_iter().map(|e| load_entry(e, limits)).collect();
        let mut pages = Vec::with_capacity(results.len());
        for r in results {
            match r {
                Ok(p) => pages.push(p),
                Err(e) => failures.push(e),
            }
        }
        Ok(Loaded {
            dataset: Dataset { pages },
            failures,
        })
    }

    /// Pages labelled block by block.
    pub fn labelled(&self) -> impl Iterator<Item = &LabelledPage> {
        self.pages.iter().filter(|p| p.block_labels().is_some())
    }

    /// The distinct outlets, sorted.
    pub fn outlets(&self) -> Vec<String> {
        let mut o: Vec<String> = self.pages.iter().map(|p| p.outlet.clone()).collect();
        o.sort();
        o.dedup();
        o
    }

    /// Append the pages of another dataset.
    pub fn extend(&mut self, other: Dataset) {
        self.pages.extend(other.pages);
    }
}

/// Resolve `rel` below `root`, refusing absolute paths and paths that climb out of it.
fn inside(root: &Path, rel: &str, manifest: &Path, line: usize) -> Result<PathBuf> {
    let p = Path::new(rel);
    let escapes = p.is_absolute()
        || p.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        });
    if escapes || rel.is_empty() {
        return Err(Error::dataset(
            manifest,
            format!("line {line}: path {rel:?} is not inside the dataset folder"),
        ));
    }
    Ok(root.join(p))
}

fn list(root: &Path) -> Result<(Vec<Entry>, Vec<Error>)> {
    let manifest = root.join("manifest.jsonl");
    if !root.is_dir() {
        return Err(Error::dataset(root, "not a folder"));
    }
    if !manifest.exists() {
        return Ok(list_folder(root));
    }
    let text = std::fs::read_to_string(&manifest).map_err(|e| Error::io(&manifest, e))?;
    let mut entries = Vec::new();
    let mut failures = Vec::new();
    let mut ids = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row: ManifestRow = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(e) => {
                failures.push(Error::dataset(&manifest, format!("line {n}: {e}")));
                continue;
            }
        };
        let entry = (|| {
            let (file, article) = match (&row.file, &row.html, &row.article) {
                (Some(f), _, _) => (inside(root, f, &manifest, n)?, None),
                (None, Some(h), Some(a)) => (
                    inside(root, h, &manifest, n)?,
                    Some(inside(root, a, &manifest, n)?),
                ),
                _ => {
                    return Err(Error::dataset(
                        &manifest,
                        format!("line {n}: needs \"file\", or \"html\" and \"article\""),
                    ))
                }
            };
            let id = row
                .id
                .clone()
                .unwrap_or_else(|| row.file.clone().or(row.html.clone()).unwrap_or_default());
            if !ids.insert(id.clone()) {
                return Err(Error::dataset(
                    &manifest,
                    format!("line {n}: duplicate id {id:?}"),
                ));
            }
            let outlet = match (&row.domain, &row.url) {
                (Some(d), _) if !d.trim().is_empty() => outlet_of(d),
                (_, Some(u)) if !u.trim().is_empty() => outlet_of(u),
                _ => id.clone(),
            };
            Ok(Entry {
                id,
                path: file,
                article,
                outlet,
            })
        })();
        match entry {
            Ok(e) => entries.push(e),
            Err(e) => failures.push(e),
        }
    }
    Ok((entries, failures))
}

/// The gold texts a dataset manifest names: each line's `article`, `comments` and
/// `related` files, below the manifest's folder. `None` when `manifest` is not a dataset
/// manifest: it cannot be read, or its first line that is not blank names neither a
/// `file` nor an `article` beside an `html` path (a JSONL page stream, whose `html` holds
/// markup). Lines that do not parse, and paths that leave the folder, are passed over
/// here: loading the dataset reports them.
pub fn manifest_gold_texts(manifest: &Path) -> Option<Vec<PathBuf>> {
    use std::io::BufRead;
    let root = manifest.parent()?;
    let file = std::fs::File::open(manifest).ok()?;
    let mut lines = std::io::BufReader::new(file)
        .lines()
        .map_while(std::result::Result::ok)
        .filter(|l| !l.trim().is_empty());
    let first: ManifestRow = serde_json::from_str(&lines.next()?).ok()?;
    let html_path = first.html.as_deref().is_some_and(|h| !h.contains('<'));
    if first.file.is_none() && !(first.article.is_some() && html_path) {
        return None;
    }
    let rows = std::iter::once(first).chain(lines.filter_map(|l| serde_json::from_str(&l).ok()));
    let mut gold = Vec::new();
    for row in rows {
        for rel in [row.article, row.comments, row.related]
            .into_iter()
            .flatten()
        {
            // the line number goes into an error that is dropped
            if let Ok(p) = inside(root, &rel, manifest, 0) {
                gold.push(p);
            }
        }
    }
    Some(gold)
}

fn is_page_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".html") || name.ends_with(".htm")
}

/// The labelled pages of a folder without a manifest, and each entry that could not be
/// listed (a dangling link, a loop, an unreadable folder), which leaves out that entry
/// alone.
fn list_folder(root: &Path) -> (Vec<Entry>, Vec<Error>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    // follow links, with walkdir's loop detection; name order within each folder
    for entry in walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(entry) if entry.file_type().is_file() && is_page_file(entry.path()) => {
                files.push(entry.into_path())
            }
            Ok(_) => {}
            Err(e) => {
                let at = e.path().unwrap_or(root).to_path_buf();
                failures.push(Error::dataset(at, e.to_string()));
            }
        }
    }
    files.sort();
    let entries = files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
            let outlet = match rel.components().next() {
                Some(c) if rel.components().count() > 1 => {
                    c.as_os_str().to_string_lossy().into_owned()
                }
                _ => rel.to_string_lossy().into_owned(),
            };
            Entry {
                id: rel.to_string_lossy().into_owned(),
                path: p,
                article: None,
                outlet,
            }
        })
        .collect();
    (entries, failures)
}

/// A page's gold article text, decoded as a plain-text page is
/// ([`chaff_extract::decode::decode_text`]: a byte-order mark, else UTF-8, else a guess).
/// Text that holds NUL characters is refused: read as UTF-8 its words would be single
/// letters that match nothing on the page, so the page would score 0 and teach that
/// nothing is article.
fn gold_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|err| Error::io(path, err))?;
    match chaff_extract::decode::decode_text(&bytes) {
        Ok(decoded) => Ok(decoded.text),
        Err(source) => Err(Error::Page {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn load_entry(e: &Entry, limits: PageLimits) -> Result<LabelledPage> {
    // the gold text first: a page it refuses is not parsed for nothing
    let article = e.article.as_deref().map(gold_text).transpose()?;
    let bytes = std::fs::read(&e.path).map_err(|err| Error::io(&e.path, err))?;
    let page = Page::from_html_bytes(bytes, None, limits).map_err(|source| Error::Page {
        path: e.path.clone(),
        source,
    })?;
    let html = PageFeatures::of_page(&page);
    let texts = page.blocks.iter().map(|b| b.text.clone()).collect();
    let (gold, text) = match article {
        None => {
            if let Some(bad) = page.bad_labels.first() {
                return Err(Error::dataset(
                    &e.path,
                    format!("unknown label {bad:?} in data-block-label"),
                ));
            }
            if !page.carries_labels() {
                return Err(Error::dataset(
                    &e.path,
                    "no block carries a data-block-label: an unlabelled page? (label it as \
                     datasets/README.md says, or name its article text in a manifest)",
                ));
            }
            let labels = page
                .blocks
                .iter()
                .map(|b| b.gold.unwrap_or(Label::Other))
                .collect();
            (
                PageGold::Blocks(labels),
                Some(PageFeatures::of_page(&text_view(&page))),
            )
        }
        Some(article) => (
            PageGold::ArticleWords(chaff_extract::text::words(&article).collect()),
            None,
        ),
    };
    Ok(LabelledPage {
        id: e.id.clone(),
        path: e.path.clone(),
        outlet: e.outlet.clone(),
        html,
        text,
        texts,
        gold,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    #[test]
    fn a_manifest_names_its_gold_texts_and_a_page_stream_is_no_manifest() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "data/manifest.jsonl",
            concat!(
                r#"{"id":"a","html":"s/a.html.gz","article":"s/a.article.txt","comments":"s/a.comments.txt"}"#,
                "\n\n",
                "not json\n",
                r#"{"id":"b","html":"s/b.html","article":"../b.txt","related":"s/b.related.txt"}"#,
                "\n",
                r#"{"id":"c","file":"c.html"}"#,
                "\n",
            ),
        );
        let root = d.path().join("data");
        let gold = manifest_gold_texts(&root.join("manifest.jsonl")).unwrap();
        let want: Vec<PathBuf> = ["s/a.article.txt", "s/a.comments.txt", "s/b.related.txt"]
            .iter()
            .map(|r| root.join(r))
            .collect();
        assert_eq!(gold, want);
        write(
            d.path(),
            "labelled/manifest.jsonl",
            r#"{"id":"c","file":"c.html"}"#,
        );
        let labelled = d.path().join("labelled/manifest.jsonl");
        assert_eq!(manifest_gold_texts(&labelled), Some(Vec::new()));
        write(
            d.path(),
            "stream/manifest.jsonl",
            r#"{"id":"p","html":"<p>A page, not a path.</p>"}"#,
        );
        assert_eq!(
            manifest_gold_texts(&d.path().join("stream/manifest.jsonl")),
            None
        );
        write(
            d.path(),
            "gold/manifest.jsonl",
            r#"{"id":"p","html":"<p>A page.</p>","article":"A page."}"#,
        );
        assert_eq!(
            manifest_gold_texts(&d.path().join("gold/manifest.jsonl")),
            None
        );
        write(d.path(), "junk/manifest.jsonl", "not json\n");
        assert_eq!(
            manifest_gold_texts(&d.path().join("junk/manifest.jsonl")),
            None
        );
        assert_eq!(
            manifest_gold_texts(&d.path().join("none/manifest.jsonl")),
            None
        );
    }

    #[test]
    fn manifest_problems_are_reported_per_line() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "a.html",
            "<p data-block-label=article>Hello world</p>",
        );
        write(d.path(), "b.html", "<p data-block-label=nonsense>x</p>");
        write(d.path(), "u.html", "<p>Not labelled</p><p>at all</p>");
        write(
            d.path(),
            "manifest.jsonl",
            concat!(
                r#"{"id":"a","file":"a.html","domain":"news.example.co.uk"}"#,
                "\n",
                r#"{"id":"a","file":"a.html"}"#,
                "\n",
                r#"{"id":"c","file":"../../etc/passwd"}"#,
                "\n",
                r#"{"id":"d","file":"missing.html"}"#,
                "\n",
                r#"{"id":"e","file":"b.html"}"#,
                "\n",
                "not json\n",
                r#"{"id":"f","file":"u.html"}"#,
                "\n",
            ),
        );
        let loaded = Dataset::load(d.path(), PageLimits::default()).unwrap();
        assert_eq!(loaded.dataset.pages.len(), 1);
        let page = &loaded.dataset.pages[0];
        assert_eq!(page.outlet, "example.co.uk");
        assert_eq!(page.block_labels().unwrap(), [Label::Article]);
        let msgs: Vec<String> = loaded.failures.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 6, "{msgs:#?}");
        let all = msgs.join("\n");
        for want in [
            "duplicate id \"a\"",
            "not inside the dataset folder",
            "missing.html",
            "unknown label \"nonsense\"",
            "line 6",
            "u.html: no block carries a data-block-label",
        ] {
            assert!(all.contains(want), "{want} not in {all}");
        }
    }

    #[test]
    fn gold_text_in_utf16_with_its_mark_is_read_and_without_it_is_refused() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "p.html",
            "<p>Quiet harbour reopens</p><p>Menu</p>",
        );
        let utf16 = |bom: &[u8]| -> Vec<u8> {
            let mut b = bom.to_vec();
            b.extend(
                "Quiet harbour reopens"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            );
            b
        };
        std::fs::write(d.path().join("marked.txt"), utf16(&[0xff, 0xfe])).unwrap();
        std::fs::write(d.path().join("utf8.txt"), "\u{feff}Quiet harbour reopens").unwrap();
        // the mark itself converted to UTF-8 ("ÿþ"), the rest left UTF-16
        std::fs::write(d.path().join("mangled.txt"), utf16("ÿþ".as_bytes())).unwrap();
        let line = |id: &str, article: &str| {
            format!(
                r#"{{"id":"{id}","html":"p.html","article":"{article}","domain":"{id}.example"}}"#
            )
        };
        write(
            d.path(),
            "manifest.jsonl",
            &[
                line("marked", "marked.txt"),
                line("utf8", "utf8.txt"),
                line("mangled", "mangled.txt"),
            ]
            .join("\n"),
        );
        let loaded = Dataset::load(d.path(), PageLimits::default()).unwrap();
        let want: Vec<String> = ["quiet", "harbour", "reopens"].map(String::from).to_vec();
        let mut ids = Vec::new();
        for page in &loaded.dataset.pages {
            ids.push(page.id.as_str());
            match &page.gold {
                PageGold::ArticleWords(words) => assert_eq!(words, &want, "{}", page.id),
                _ => panic!("{} has article words as its gold", page.id),
            }
        }
        ids.sort();
        assert_eq!(ids, ["marked", "utf8"]);
        let msgs: Vec<String> = loaded.failures.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 1, "{msgs:#?}");
        assert!(msgs[0].contains("mangled.txt"), "{}", msgs[0]);
        assert!(msgs[0].contains("NUL characters"), "{}", msgs[0]);
    }

    #[test]
    fn folder_without_manifest_groups_outlets_by_subfolder() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "one/x.html", "<p data-block-label=article>x</p>");
        write(d.path(), "one/y.html", "<p data-block-label=other>y</p>");
        write(d.path(), "two.html", "<p data-block-label=recent>z</p>");
        write(d.path(), "notes.txt", "ignored");
        let loaded = Dataset::load(d.path(), PageLimits::default()).unwrap();
        assert!(loaded.failures.is_empty());
        let outlets: Vec<_> = loaded
            .dataset
            .pages
            .iter()
            .map(|p| p.outlet.as_str())
            .collect();
        assert_eq!(outlets, ["one", "one", "two.html"]);
        assert!(loaded.dataset.pages[0].text.is_some());
    }
}
