//! chaff from Python: the native module `chaff._chaff` behind the `chaff` package.
//!
//! A page goes the same way as in the `chaff` command — bytes → decoded text → DOM →
//! blocks → feature rows → model → labelled blocks — through `chaff-extract` and
//! `chaff-learn`, with the model `chaff-default-model` embeds. This crate only turns Python
//! values into pages and labelled blocks into Python objects, and lets go of the GIL while
//! pages are classified, so that `classify_many` uses every core. The Python side
//! (`python/chaff/__init__.py`) adds the module-level functions over the default model.
#![warn(missing_docs)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use chaff_extract::roles::{article_roles, Role};
use chaff_extract::{Label, Page, PageFeatures, PageLimits};
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use rayon::prelude::*;

pyo3::create_exception!(
    chaff,
    ChaffError,
    PyException,
    "Base class of the errors chaff raises."
);
pyo3::create_exception!(
    chaff,
    PageError,
    ChaffError,
    "A page chaff cannot read: too large, too many blocks, not text, a broken gzip stream. \
     `index` is the page's position in a `classify_many` batch, None for a single page."
);
pyo3::create_exception!(
    chaff,
    ModelError,
    ChaffError,
    "A model file chaff cannot load (missing, not a chaff model, from an incompatible version)."
);
pyo3::create_exception!(
    chaff,
    BatchError,
    ChaffError,
    "Some pages of a `classify_many` batch could not be read. `results` holds every page's \
     result in input order, a PageError in place of each page that failed, so nothing \
     already classified is lost; `failed` lists the indices of those pages."
);

/// One page as Python handed it: its content and, optionally, its address.
struct PageInput {
    content: Content,
    url: Option<String>,
}

enum Content {
    /// Already decoded text (a Python `str`).
    Text(String),
    /// Raw bytes, in any encoding, possibly gzip-compressed.
    Bytes(Vec<u8>),
}

impl PageInput {
    /// Read `html` (`str` or `bytes`); a wrong type raises `TypeError`.
    fn from_python(html: &Bound<'_, PyAny>, url: Option<String>) -> PyResult<PageInput> {
        let content = if let Ok(s) = html.cast::<PyString>() {
            Content::Text(s.to_cow()?.into_owned())
        } else if let Ok(b) = html.cast::<PyBytes>() {
            Content::Bytes(b.as_bytes().to_vec())
        } else if let Ok(b) = html.extract::<Vec<u8>>() {
            // bytearray, memoryview
            Content::Bytes(b)
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "a page is str or bytes, got {}",
                html.get_type().name()?
            )));
        };
        Ok(PageInput { content, url })
    }

    /// An item of `classify_many`: a page, or a `(page, url)` pair.
    fn from_item(item: &Bound<'_, PyAny>) -> PyResult<PageInput> {
        if let Ok(pair) = item.cast::<PyTuple>() {
            if pair.len() != 2 {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "a page with its address is a pair (html, url), got a tuple of {}",
                    pair.len()
                )));
            }
            let url: Option<String> = pair.get_item(1)?.extract()?;
            return PageInput::from_python(&pair.get_item(0)?, url);
        }
        PageInput::from_python(item, None)
    }

    /// Decode, parse and segment the page.
    fn page(self, plain_text: bool) -> chaff_extract::Result<Page> {
        let limits = PageLimits::default();
        let mut page = match (self.content, plain_text) {
            (Content::Text(s), true) => Page::from_text_bytes(s.into_bytes(), limits)?,
            (Content::Bytes(b), true) => Page::from_text_bytes(b, limits)?,
            // decoded already: UTF-8 whatever the page's <meta charset> says, as a browser
            // does when the transport names the encoding
            (Content::Text(s), false) => {
                Page::from_html_bytes(s.into_bytes(), Some("utf-8"), limits)?
            }
            (Content::Bytes(b), false) => Page::from_html_bytes(b, None, limits)?,
        };
        if page.url.is_none() && page.dom.is_some() {
            page.url = self.url;
        }
        Ok(page)
    }
}

/// How blocks' text is given.
#[derive(Clone, Copy)]
struct TextOptions {
    plain_text: bool,
    raw_text: bool,
}

impl TextOptions {
    fn text(self, text: &str) -> String {
        if self.raw_text {
            text.to_owned()
        } else {
            chaff_extract::text::searchable(text).into_owned()
        }
    }
}

/// A labelled block, before it becomes a Python object (built without the GIL).
struct Labelled {
    index: usize,
    label: Label,
    role: Option<Role>,
    confidence: f64,
    probabilities: [f64; 6],
    words: usize,
    path: String,
    text: String,
}

/// Classify one page: its blocks with their labels, in document order.
fn label_page(
    model: &chaff_learn::Model,
    input: PageInput,
    options: TextOptions,
) -> chaff_extract::Result<Vec<Labelled>> {
    let page = input.page(options.plain_text)?;
    let preds = model.predict(&PageFeatures::of_page(&page), options.plain_text);
    let labels: Vec<Label> = preds.iter().map(|p| p.label).collect();
    let roles = article_roles(&page, &labels);
    Ok(page
        .blocks
        .iter()
        .zip(preds)
        .zip(roles)
        .zip(page.paths())
        .enumerate()
        .map(|(index, (((b, p), role), path))| Labelled {
            index,
            label: p.label,
            role,
            confidence: p.confidence,
            probabilities: p.probabilities,
            words: b.words,
            path,
            text: options.text(&b.text),
        })
        .collect())
}

/// What `extract` returns: the article with its headline and captions, or its body.
#[derive(Clone, Copy)]
enum Extract {
    Article,
    Body,
}

impl Extract {
    fn parse(mode: &str) -> PyResult<Extract> {
        match mode {
            "article" => Ok(Extract::Article),
            "body" => Ok(Extract::Body),
            _ => Err(PyValueError::new_err(format!(
                "mode is \"article\" (headline, standfirst, body, captions) or \"body\" \
                 (without the headline and image captions), got {mode:?}"
            ))),
        }
    }

    /// The text of the blocks this keeps, a block a line.
    fn text(self, blocks: &[Labelled]) -> String {
        blocks
            .iter()
            .filter(|b| match self {
                Extract::Article => b.label == Label::Article,
                Extract::Body => b.role == Some(Role::Body),
            })
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A `PageError` for a page that could not be read; `index` is its place in a batch.
fn page_error(py: Python<'_>, e: &chaff_extract::Error, index: Option<usize>) -> PyErr {
    let message = match index {
        Some(i) => format!("page {i}: {e}"),
        None => e.to_string(),
    };
    let err = PageError::new_err(message);
    // an attribute on the instance: the exception class has no fields of its own
    let _ = err.value(py).setattr("index", index);
    err
}

/// A block of a page, with its label.
///
/// The fields are those of `chaff classify --format jsonl` but the page's own
/// (`file`, `url`): `index`, `label`, `role`, `confidence`, `probabilities`, `words`,
/// `path`, `text`.
#[pyclass(frozen, module = "chaff")]
struct Block {
    block: Labelled,
}

#[pymethods]
impl Block {
    /// The block's place in the page, from 0, in document order.
    #[getter]
    fn index(&self) -> usize {
        self.block.index
    }

    /// Its label: article, related, recent, directory, copyright or other.
    #[getter]
    fn label(&self) -> &'static str {
        self.block.label.as_str()
    }

    /// For an article block, its part of the article (headline, caption, body); None for
    /// the others.
    #[getter]
    fn role(&self) -> Option<&'static str> {
        self.block.role.map(Role::as_str)
    }

    /// The probability of its label.
    #[getter]
    fn confidence(&self) -> f64 {
        self.block.confidence
    }

    /// All six labels' probabilities, by label name.
    #[getter]
    fn probabilities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (l, p) in Label::ALL.iter().zip(self.block.probabilities) {
            d.set_item(l.as_str(), p)?;
        }
        Ok(d)
    }

    /// Its words, as chaff counts them (Unicode word runs).
    #[getter]
    fn words(&self) -> usize {
        self.block.words
    }

    /// Where it is in the page: a CSS-like path of its element.
    #[getter]
    fn path(&self) -> &str {
        &self.block.path
    }

    /// Its text.
    #[getter]
    fn text(&self) -> &str {
        &self.block.text
    }

    /// The block as a dict with the keys of the CLI's JSONL (but `file` and `url`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("index", self.index())?;
        d.set_item("label", self.label())?;
        d.set_item("role", self.role())?;
        d.set_item("confidence", self.confidence())?;
        d.set_item("probabilities", self.probabilities(py)?)?;
        d.set_item("words", self.words())?;
        d.set_item("path", self.path())?;
        d.set_item("text", self.text())?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let text: String = self.block.text.chars().take(40).collect();
        let more = if self.block.text.chars().count() > 40 {
            "…"
        } else {
            ""
        };
        format!(
            "Block(index={}, label={:?}, confidence={:.3}, text={:?})",
            self.block.index,
            self.label(),
            self.block.confidence,
            format!("{text}{more}")
        )
    }
}

/// The default model, read once from the bytes embedded in the module.
fn default_model() -> PyResult<Arc<chaff_learn::Model>> {
    static DEFAULT: OnceLock<Arc<chaff_learn::Model>> = OnceLock::new();
    if let Some(m) = DEFAULT.get() {
        return Ok(m.clone());
    }
    let model = chaff_default_model::load().map_err(|e| ModelError::new_err(e.to_string()))?;
    Ok(DEFAULT.get_or_init(|| Arc::new(model)).clone())
}

/// A trained chaff model: the embedded default (`Model.default()`) or a file written by
/// `chaff train` (`Model.load(path)`).
#[pyclass(frozen, module = "chaff")]
struct Model {
    model: Arc<chaff_learn::Model>,
    /// Where it came from, for its repr.
    source: String,
}

#[pymethods]
impl Model {
    /// The model embedded in chaff (models/README.md is its card).
    #[staticmethod]
    fn default() -> PyResult<Model> {
        Ok(Model {
            model: default_model()?,
            source: "default".into(),
        })
    }

    /// Load a model file written by `chaff train` (gzip JSON or JSON). Raises ModelError
    /// when the file cannot be read as a chaff model.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Model> {
        let model = py
            .detach(|| chaff_learn::Model::load(&path))
            .map_err(|e| ModelError::new_err(e.to_string()))?;
        Ok(Model {
            model: Arc::new(model),
            source: path.display().to_string(),
        })
    }

    /// Label every block of a page. `html` is str (decoded text) or bytes (any encoding,
    /// as a browser decodes it; gzip undone); `url` is the page's address, used when the
    /// page declares none. `plain_text` reads the page as plain text, a block a line;
    /// `raw_text` gives blocks' text as the page has it instead of searchable (NFC, no
    /// soft hyphens or zero-width spaces). Raises PageError when the page cannot be read.
    #[pyo3(signature = (html, url=None, *, plain_text=false, raw_text=false))]
    fn classify<'py>(
        &self,
        py: Python<'py>,
        html: &Bound<'py, PyAny>,
        url: Option<String>,
        plain_text: bool,
        raw_text: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let input = PageInput::from_python(html, url)?;
        let options = TextOptions {
            plain_text,
            raw_text,
        };
        let model = &self.model;
        let blocks = py
            .detach(|| label_page(model, input, options))
            .map_err(|e| page_error(py, &e, None))?;
        blocks_list(py, blocks)
    }

    /// The page's article text, a block a line: `mode="article"` (headline, standfirst,
    /// body, captions, as LABELS.md counts the article) or `mode="body"` (without the
    /// headline and image captions, the main text of trafilatura and Readability).
    #[pyo3(signature = (html, mode="article", url=None, *, plain_text=false, raw_text=false))]
    fn extract(
        &self,
        py: Python<'_>,
        html: &Bound<'_, PyAny>,
        mode: &str,
        url: Option<String>,
        plain_text: bool,
        raw_text: bool,
    ) -> PyResult<String> {
        let mode = Extract::parse(mode)?;
        let input = PageInput::from_python(html, url)?;
        let options = TextOptions {
            plain_text,
            raw_text,
        };
        let model = &self.model;
        py.detach(|| label_page(model, input, options).map(|b| mode.text(&b)))
            .map_err(|e| page_error(py, &e, None))
    }

    /// Label the blocks of many pages on `jobs` threads (all cores by default), without
    /// the GIL. Each page is str, bytes, or a pair (page, url). Returns one list of blocks
    /// per page, in input order. When some pages cannot be read, every other page is still
    /// classified, and then BatchError is raised with all the results (its `results`);
    /// with `return_exceptions=True` the list is returned with a PageError in place of
    /// each such page instead.
    #[pyo3(signature = (pages, jobs=None, *, plain_text=false, raw_text=false, return_exceptions=false))]
    fn classify_many<'py>(
        &self,
        py: Python<'py>,
        pages: &Bound<'py, PyAny>,
        jobs: Option<usize>,
        plain_text: bool,
        raw_text: bool,
        return_exceptions: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        if jobs == Some(0) {
            return Err(PyValueError::new_err(
                "jobs is the number of threads: 1 or more, or None for all cores",
            ));
        }
        if pages.is_instance_of::<PyString>() || pages.is_instance_of::<PyBytes>() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "pages is a list (or any iterable) of pages; for one page, call classify",
            ));
        }
        let inputs = pages
            .try_iter()?
            .map(|item| PageInput::from_item(&item?))
            .collect::<PyResult<Vec<_>>>()?;
        let options = TextOptions {
            plain_text,
            raw_text,
        };
        let model = &self.model;
        let results = py.detach(|| -> PyResult<Vec<_>> {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(jobs.unwrap_or(0))
                .build()
                .map_err(|e| ChaffError::new_err(format!("cannot start threads: {e}")))?;
            Ok(pool.install(|| {
                inputs
                    .into_par_iter()
                    .map(|input| label_page(model, input, options))
                    .collect()
            }))
        })?;
        let out = PyList::empty(py);
        let mut failed = Vec::new();
        let mut first_error = None;
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(blocks) => out.append(blocks_list(py, blocks)?)?,
                Err(e) => {
                    let err = page_error(py, &e, Some(i));
                    first_error.get_or_insert_with(|| format!("page {i}: {e}"));
                    failed.push(i);
                    out.append(err.into_value(py))?;
                }
            }
        }
        if failed.is_empty() || return_exceptions {
            return Ok(out);
        }
        let err = BatchError::new_err(format!(
            "{} of {} pages could not be read (the first, {}); the others were classified: \
             see this error's results",
            failed.len(),
            out.len(),
            first_error.unwrap_or_default()
        ));
        err.value(py).setattr("results", &out)?;
        err.value(py).setattr("failed", failed)?;
        Err(err)
    }

    fn __repr__(&self) -> String {
        format!(
            "Model({:?}, members={})",
            self.source,
            self.model.member_seeds().len()
        )
    }
}

fn blocks_list(py: Python<'_>, blocks: Vec<Labelled>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for block in blocks {
        list.append(Bound::new(py, Block { block })?)?;
    }
    Ok(list)
}

/// The native part of the `chaff` package.
#[pymodule]
fn _chaff(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Block>()?;
    m.add_class::<Model>()?;
    m.add("ChaffError", py.get_type::<ChaffError>())?;
    m.add("PageError", py.get_type::<PageError>())?;
    m.add("ModelError", py.get_type::<ModelError>())?;
    m.add("BatchError", py.get_type::<BatchError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
