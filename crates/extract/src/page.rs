//! A page: the DOM (for HTML pages) and its blocks in document order.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::{Html, Node};
use xxhash_rust::xxh3::xxh3_64;

use crate::block::{Block, CONTAINER_LEVELS, SEMANTIC_TAGS};
use crate::decode;
use crate::{Error, Label, Result};

/// Elements whose content is not page text.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "iframe", "svg", "math", "object", "embed",
    "canvas", "video", "audio", "map",
];

/// Pages with fewer words than this in their blocks are read again without scripts (see
/// [`Page::from_html`]).
pub const RESCUE_WORDS: usize = 100;

/// `html` with `</title>` put before the first tag after a `<title>` that is never closed
/// (which would make the rest of the document title text); `html` itself otherwise.
fn close_unclosed_title(html: &str) -> std::borrow::Cow<'_, str> {
    let bytes = html.as_bytes();
    let find = |from: usize, needle: &[u8]| {
        bytes[from..]
            .windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
            .map(|i| i + from)
    };
    let Some(open) = find(0, b"<title") else {
        return html.into();
    };
    let Some(body) = bytes[open..]
        .iter()
        .position(|&b| b == b'>')
        .map(|i| open + i + 1)
    else {
        return html.into();
    };
    // an end tag is `</title` followed by white space, `/` or `>` (`</titlex` is not one)
    let mut from = body;
    while let Some(at) = find(from, b"</title") {
        match bytes.get(at + 7) {
            Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') | None => {
                return html.into()
            }
            _ => from = at + 7,
        }
    }
    let end = bytes[body..]
        .iter()
        .position(|&b| b == b'<')
        .map_or(bytes.len(), |i| body + i);
    // `end` is at an ASCII byte or the end, so both halves are whole UTF-8
    format!("{}</title>{}", &html[..end], &html[end..]).into()
}

/// Block-level elements: each owns the text of its inline descendants. The set is the one
/// the corpus's gold labels were attached to.
const BLOCK: &[&str] = &[
    "html",
    "body",
    "address",
    "article",
    "aside",
    "blockquote",
    "details",
    "dialog",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "td",
    "th",
    "caption",
    "summary",
    "center",
    "menu",
    "ul",
    "legend",
    "option",
    "select",
];

/// Inline elements that separate words when rendered.
const BREAKS: &[&str] = &["br", "img", "input", "wbr", "button", "textarea"];

/// The attribute that carries a block's gold label in a labelled page.
pub const LABEL_ATTR: &str = "data-block-label";

/// How many ancestor levels contribute class/id tokens to a block.
const TOKEN_LEVELS: usize = 6;

/// Bounds on the work one page may cause.
#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    /// Largest page accepted, in bytes after decompression.
    pub max_bytes: usize,
    /// Most blocks accepted in one page.
    pub max_blocks: usize,
}

impl Default for PageLimits {
    fn default() -> Self {
        PageLimits {
            max_bytes: 64 << 20,
            max_blocks: 50_000,
        }
    }
}

/// A parsed page and its blocks.
pub struct Page {
    /// The blocks in document order.
    pub blocks: Vec<Block>,
    /// The page's `<title>`, white space collapsed (empty when there is none).
    pub title: String,
    /// The page's own address, when it declares one (`<link rel="canonical">` or
    /// `<meta property="og:url">` in its head).
    pub url: Option<String>,
    /// The DOM, for HTML pages.
    pub dom: Option<Html>,
    /// `data-block-label` values that are not labels, as found (a labelled page's errors).
    pub bad_labels: Vec<String>,
    /// The text nodes of blocks that are a later run of their element's text (see
    /// [`Block`]), each with the index of its block: how a writer tells the runs of one
    /// element apart.
    pub run_texts: HashMap<NodeId, usize>,
    /// Whether the DOM is the second reading, as a parser without scripts reads the page
    /// (see [`Page::from_html`]): a writer serialises it as such, and what a browser
    /// reads as text (an unclosed title's, a `<noscript>`'s) may be markup in it.
    pub without_scripts: bool,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("blocks", &self.blocks.len())
            .field("title", &self.title)
            .finish()
    }
}

impl Page {
    /// Read an HTML page from raw bytes (gzip, any encoding).
    pub fn from_html_bytes(
        bytes: Vec<u8>,
        transport_charset: Option<&str>,
        limits: PageLimits,
    ) -> Result<Page> {
        check_size(bytes.len(), limits)?;
        let bytes = decode::gunzip_if_needed(bytes, limits.max_bytes)?;
        let decoded = decode::decode_html(&bytes, transport_charset)?;
        Page::from_html(&decoded.text, limits)
    }

    /// Read a plain-text page from raw bytes: each non-empty line is a block.
    pub fn from_text_bytes(bytes: Vec<u8>, limits: PageLimits) -> Result<Page> {
        check_size(bytes.len(), limits)?;
        let bytes = decode::gunzip_if_needed(bytes, limits.max_bytes)?;
        Page::from_text(&decode::decode_text(&bytes)?.text, limits)
    }

    /// Segment a plain-text page.
    pub fn from_text(text: &str, limits: PageLimits) -> Result<Page> {
        let mut blocks = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if blocks.len() == limits.max_blocks {
                return Err(Error::TooManyBlocks {
                    limit: limits.max_blocks,
                });
            }
            blocks.push(Block::from_line(line));
        }
        Ok(Page {
            blocks,
            title: String::new(),
            url: None,
            dom: None,
            bad_labels: Vec::new(),
            run_texts: HashMap::new(),
            without_scripts: false,
        })
    }

    /// Parse and segment an HTML document.
    ///
    /// A page a browser would show (nearly) empty — fewer than [`RESCUE_WORDS`] words in
    /// its blocks, such as a forum's "loading" notice — is read a second time as a parser
    /// without scripts reads it, the way most extractors (lxml) see pages: `<noscript>`
    /// content is markup and text (forums that serve their posts to crawlers there), and a
    /// `<title>` that is never closed ends at the next tag instead of swallowing the whole
    /// document. The second reading is kept when it holds more than twice the words of the
    /// first, so a short page keeps its "enable JavaScript" notices out.
    pub fn from_html(html: &str, limits: PageLimits) -> Result<Page> {
        check_size(html.len(), limits)?;
        let page = Page::parse(html, false, limits)?;
        let words = |p: &Page| p.blocks.iter().map(|b| b.words).sum::<usize>();
        if words(&page) >= RESCUE_WORDS {
            return Ok(page);
        }
        // the second reading differs only in <noscript> content and in an unclosed title
        let repaired = close_unclosed_title(html);
        let has_noscript = html
            .as_bytes()
            .windows(9)
            .any(|w| w.eq_ignore_ascii_case(b"<noscript"));
        if !has_noscript && matches!(repaired, std::borrow::Cow::Borrowed(_)) {
            return Ok(page);
        }
        let rescued = Page::parse(&repaired, true, limits)?;
        Ok(if words(&rescued) > 2 * words(&page) {
            rescued
        } else {
            page
        })
    }

    /// Parse and segment an HTML document, as a browser with scripts does, or (`rescue`)
    /// as a parser without scripts does, reading `<noscript>` content.
    fn parse(html: &str, rescue: bool, limits: PageLimits) -> Result<Page> {
        let dom = crate::parse::parse_document(html, !rescue);
        let mut seg = Segmenter {
            read_noscript: rescue,
            ..Segmenter::default()
        };
        seg.run(&dom, limits)?;
        // slots of blocks that turned out empty are dropped: number the others
        let mut index = Vec::with_capacity(seg.blocks.len());
        let mut kept = 0;
        for b in &seg.blocks {
            index.push(kept);
            kept += b.is_some() as usize;
        }
        let run_texts = seg
            .run_texts
            .iter()
            .filter(|(_, slot)| seg.blocks[*slot].is_some())
            .map(|&(node, slot)| (node, index[slot]))
            .collect();
        Ok(Page {
            blocks: seg.blocks.into_iter().flatten().collect(),
            title: seg.title,
            url: seg.url,
            dom: Some(dom),
            bad_labels: seg.bad_labels,
            run_texts,
            without_scripts: rescue,
        })
    }

    /// Whether an element of the page carries [`LABEL_ATTR`]: a labelled page, whose
    /// blocks' `gold` is its labels (on another HTML page every block's is `other`; a
    /// plain-text page's blocks have none).
    pub fn carries_labels(&self) -> bool {
        self.dom.as_ref().is_some_and(|dom| {
            dom.tree.nodes().any(|n| {
                n.value()
                    .as_element()
                    .is_some_and(|el| el.attr(LABEL_ATTR).is_some())
            })
        })
    }

    /// A stable path to each block's element, such as `/html[1]/body[1]/div[3]/p[1]`
    /// (1-based positions among siblings of the same name); `/line[N]` for a plain-text
    /// page. Computed for all blocks at once, in time linear in the page; paths deeper than
    /// [`MAX_PATH_DEPTH`] keep their last steps behind `/…`.
    pub fn paths(&self) -> Vec<String> {
        let Some(dom) = &self.dom else {
            return (1..=self.blocks.len())
                .map(|i| format!("/line[{i}]"))
                .collect();
        };
        // the position of an element among its parent's element children of the same
        // name, counted for the parents on the blocks' paths only, each parent once
        let mut position: HashMap<NodeId, usize> = HashMap::new();
        let mut counted: HashSet<NodeId> = HashSet::new();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut steps: Vec<(&str, usize)> = Vec::new();
        self.blocks
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let Some(id) = b.node else {
                    return format!("/line[{}]", i + 1);
                };
                steps.clear();
                let mut cut = false;
                let mut node = dom.tree.get(id);
                while let Some(n) = node {
                    if steps.len() == MAX_PATH_DEPTH {
                        cut = true;
                        break;
                    }
                    if let Some(el) = n.value().as_element() {
                        let parent = n.parent();
                        if let Some(p) = parent.filter(|p| counted.insert(p.id())) {
                            seen.clear();
                            for child in p.children() {
                                if let Some(e) = child.value().as_element() {
                                    let k = seen.entry(e.name()).or_insert(0);
                                    *k += 1;
                                    position.insert(child.id(), *k);
                                }
                            }
                        }
                        steps.push((el.name(), position.get(&n.id()).copied().unwrap_or(1)));
                    }
                    node = n.parent();
                }
                let mut path = String::with_capacity(16 * steps.len() + 4);
                if cut {
                    path.push_str("/…");
                }
                for (name, pos) in steps.iter().rev() {
                    let _ = write!(path, "/{name}[{pos}]");
                }
                path
            })
            .collect()
    }
}

/// Most steps a block's path spells out.
pub const MAX_PATH_DEPTH: usize = 64;

fn check_size(size: usize, limits: PageLimits) -> Result<()> {
    if size > limits.max_bytes {
        return Err(Error::PageTooLarge {
            size: Some(size as u64),
            limit: limits.max_bytes,
        });
    }
    Ok(())
}

/// An element open during the walk.
struct Frame {
    /// Index of the block this element started, if it is a block element.
    slot: Option<usize>,
    /// Which of SEMANTIC_TAGS this element is.
    semantic: Option<usize>,
    /// Its hashed class/id tokens.
    tokens: Vec<u32>,
    /// Hash of tag and class.
    signature: u64,
    /// Index of this element in document order.
    ordinal: u32,
    /// Whether this element is an `<a>`.
    link: bool,
    /// The label it carries, if any.
    label: Option<Label>,
    /// For a block element: whether a nested block element with text has come since its
    /// current run of text began (its next text starts a new run).
    interrupted: bool,
    /// For a block element: whether it or a block nested in it has shown text so far.
    shown: bool,
    /// For a block element: links opened since the interruption, for the next run.
    pending_links: usize,
}

/// Link targets a block remembers.
pub const MAX_HREFS: usize = 8;

#[derive(Default)]
struct Segmenter {
    blocks: Vec<Option<Block>>,
    raw: Vec<String>,
    frames: Vec<Frame>,
    skip_depth: usize,
    links_open: usize,
    /// `href` of each open `<a>`, innermost last.
    link_targets: Vec<Option<String>>,
    elements: u32,
    live: usize,
    semantic_open: [u32; SEMANTIC_TAGS.len()],
    labels_open: Vec<Label>,
    title: String,
    url: Option<String>,
    bad_labels: Vec<String>,
    /// Read `<noscript>` content as page text (a rescue reading, see [`Page::from_html`]).
    read_noscript: bool,
    /// Text nodes of later runs, with their block's slot.
    run_texts: Vec<(NodeId, usize)>,
}

impl Segmenter {
    fn run(&mut self, dom: &Html, limits: PageLimits) -> Result<()> {
        // the title, and the page's own address from its head
        let mut title = None;
        let mut in_head = true;
        for n in dom.tree.root().descendants() {
            let Some(el) = n.value().as_element() else {
                continue;
            };
            match el.name() {
                "title" if title.is_none() => title = Some(n),
                "body" => in_head = false,
                "link" if in_head && self.url.is_none() => {
                    let canonical = el.attr("rel").is_some_and(|r| {
                        r.split_ascii_whitespace()
                            .any(|t| t.eq_ignore_ascii_case("canonical"))
                    });
                    if canonical {
                        self.url = el.attr("href").map(|h| h.trim().to_string());
                    }
                }
                "meta"
                    if in_head
                        && self.url.is_none()
                        && el
                            .attr("property")
                            .is_some_and(|p| p.eq_ignore_ascii_case("og:url")) =>
                {
                    self.url = el.attr("content").map(|h| h.trim().to_string());
                }
                _ => {}
            }
            if title.is_some() && (!in_head || self.url.is_some()) {
                break;
            }
        }
        self.url = self.url.take().filter(|u| !u.is_empty());
        if let Some(t) = title {
            let text: String = t
                .descendants()
                .filter_map(|d| d.value().as_text().map(|x| &**x))
                .collect();
            self.title = crate::text::collapse_whitespace(&text);
        }
        for edge in dom.tree.root().traverse() {
            match edge {
                Edge::Open(node) => match node.value() {
                    Node::Element(ref el) => {
                        let skipped = SKIP.contains(&el.name())
                            && !(self.read_noscript && el.name() == "noscript");
                        if self.skip_depth > 0 || skipped {
                            self.skip_depth += 1;
                            continue;
                        }
                        self.open(node.id(), el, limits)?;
                    }
                    Node::Text(ref t) if self.skip_depth == 0 => self.text(node.id(), t, limits)?,
                    _ => {}
                },
                Edge::Close(node) => {
                    if let Node::Element(_) = node.value() {
                        if self.skip_depth > 0 {
                            self.skip_depth -= 1;
                            continue;
                        }
                        self.close();
                    }
                }
            }
        }
        Ok(())
    }

    /// The innermost open block element, as an index into `frames`.
    fn block_frame(&self) -> Option<usize> {
        self.frames.iter().rposition(|f| f.slot.is_some())
    }

    /// The block that text arriving now belongs to.
    fn current_slot(&self) -> Option<usize> {
        self.block_frame().and_then(|f| self.frames[f].slot)
    }

    fn check_blocks(&self, limits: PageLimits) -> Result<()> {
        if self.live >= limits.max_blocks {
            return Err(Error::TooManyBlocks {
                limit: limits.max_blocks,
            });
        }
        Ok(())
    }

    fn open(&mut self, id: NodeId, el: &scraper::node::Element, limits: PageLimits) -> Result<()> {
        let name = el.name();
        self.elements += 1;
        let label = el.attr(LABEL_ATTR).and_then(|v| match v.parse::<Label>() {
            Ok(l) => Some(l),
            Err(_) => {
                self.bad_labels.push(v.to_string());
                None
            }
        });
        let class = el.attr("class").unwrap_or("");
        let mut tokens = Vec::new();
        attribute_tokens(class, &mut tokens);
        attribute_tokens(el.attr("id").unwrap_or(""), &mut tokens);
        let signature = xxh3_64(format!("{name}.{class}").as_bytes());
        let is_link = name == "a";
        if is_link {
            self.links_open += 1;
            self.link_targets
                .push(el.attr("href").map(|h| h.trim().to_string()));
            if let Some(f) = self.block_frame() {
                if self.frames[f].interrupted {
                    self.frames[f].pending_links += 1;
                } else if let Some(slot) = self.frames[f].slot {
                    if let Some(b) = self.blocks[slot].as_mut() {
                        b.links += 1;
                    }
                }
            }
        }
        if BREAKS.contains(&name) {
            if let Some(slot) = self.current_slot() {
                self.raw[slot].push(' ');
            }
        }
        let slot = if BLOCK.contains(&name) {
            self.check_blocks(limits)?;
            Some(self.start_block(id, name, &tokens, signature, label))
        } else {
            None
        };
        let semantic = SEMANTIC_TAGS.iter().position(|t| *t == name);
        if let Some(s) = semantic {
            self.semantic_open[s] += 1;
        }
        if let Some(l) = label {
            self.labels_open.push(l);
        }
        self.frames.push(Frame {
            slot,
            semantic,
            tokens,
            signature,
            ordinal: self.elements,
            link: is_link,
            label,
            interrupted: false,
            shown: false,
            pending_links: 0,
        });
        Ok(())
    }

    fn start_block(
        &mut self,
        id: NodeId,
        name: &str,
        tokens: &[u32],
        signature: u64,
        label: Option<Label>,
    ) -> usize {
        let within = self.semantic_open.map(|n| n > 0);
        let mut ancestor_tokens = Vec::new();
        for f in self.frames.iter().rev().take(TOKEN_LEVELS) {
            ancestor_tokens.extend_from_slice(&f.tokens);
        }
        let mut containers = [None; CONTAINER_LEVELS];
        let mut signatures = [0u64; CONTAINER_LEVELS];
        let mut chain = signature;
        for (k, f) in self.frames.iter().rev().take(CONTAINER_LEVELS).enumerate() {
            containers[k] = Some(f.ordinal);
            signatures[k] = chain;
            chain = chain.rotate_left(7) ^ f.signature;
        }
        let gold = label.or_else(|| self.labels_open.last().copied());
        self.blocks.push(Some(Block {
            text: String::new(),
            words: 0,
            chars: 0,
            link_chars: 0,
            links: 0,
            hrefs: Vec::new(),
            tag: name.to_string(),
            depth: self.frames.len() + 1,
            within,
            own_tokens: tokens.to_vec(),
            ancestor_tokens,
            containers,
            signatures,
            node: Some(id),
            run: 0,
            gold: Some(gold.unwrap_or(Label::Other)),
        }));
        self.raw.push(String::new());
        self.blocks.len() - 1
    }

    fn text(&mut self, node: NodeId, t: &str, limits: PageLimits) -> Result<()> {
        let Some(f) = self.block_frame() else {
            return Ok(());
        };
        let mut slot = self.frames[f].slot.unwrap_or_default();
        if self.frames[f].interrupted && !t.trim().is_empty() {
            // nested blocks came between this text and the element's earlier text: it
            // starts a new block, after them in document order
            self.check_blocks(limits)?;
            let template = self.blocks[slot].as_ref().map(|b| Block {
                text: String::new(),
                words: 0,
                chars: 0,
                link_chars: 0,
                links: std::mem::take(&mut self.frames[f].pending_links),
                hrefs: Vec::new(),
                run: b.run + 1,
                gold: Some(self.labels_open.last().copied().unwrap_or(Label::Other)),
                ..b.clone()
            });
            if self.finish(slot) {
                self.frames[f].shown = true;
            }
            self.frames[f].interrupted = false;
            if let Some(b) = template {
                self.blocks.push(Some(b));
                self.raw.push(String::new());
                slot = self.blocks.len() - 1;
                self.frames[f].slot = Some(slot);
            }
        }
        if self.blocks[slot].as_ref().is_some_and(|b| b.run > 0) {
            self.run_texts.push((node, slot));
        }
        self.raw[slot].push_str(t);
        if self.links_open > 0 {
            if let Some(b) = self.blocks[slot].as_mut() {
                let chars = t.chars().filter(|c| !c.is_whitespace()).count();
                b.link_chars += chars;
                if let Some(Some(href)) = self.link_targets.last() {
                    if chars > 0 && b.hrefs.len() < MAX_HREFS && b.hrefs.last() != Some(href) {
                        b.hrefs.push(href.clone());
                    }
                }
            }
        }
        Ok(())
    }

    fn close(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if frame.link {
            self.links_open = self.links_open.saturating_sub(1);
            self.link_targets.pop();
        }
        if let Some(s) = frame.semantic {
            self.semantic_open[s] -= 1;
        }
        if frame.label.is_some() {
            self.labels_open.pop();
        }
        if let Some(slot) = frame.slot {
            if let Some(b) = self.blocks[slot].as_mut() {
                b.links += frame.pending_links;
            }
            let shown = self.finish(slot) | frame.shown;
            // text shown inside a block interrupts its parent's run (an empty one does not)
            if let Some(parent) = self.block_frame().filter(|_| shown) {
                self.frames[parent].interrupted = true;
                self.frames[parent].shown = true;
            }
        }
    }

    /// Close a block's text: collapse it and count it, or drop the block when it is empty.
    /// Whether it had text.
    fn finish(&mut self, slot: usize) -> bool {
        let raw = std::mem::take(&mut self.raw[slot]);
        let text = crate::text::collapse_whitespace(&raw);
        if text.is_empty() {
            self.blocks[slot] = None;
            return false;
        }
        if let Some(b) = self.blocks[slot].as_mut() {
            self.live += 1;
            b.words = crate::text::word_count(&text);
            b.chars = text.chars().filter(|c| !c.is_whitespace()).count();
            b.link_chars = b.link_chars.min(b.chars);
            b.text = text;
        }
        true
    }
}

/// Split a class or id attribute into lowercase tokens (on punctuation, digits and
/// camelCase) and hash each one.
fn attribute_tokens(value: &str, out: &mut Vec<u32>) {
    for part in value.split(|c: char| !c.is_ascii_alphabetic()) {
        let mut start = 0;
        let bytes = part.as_bytes();
        for i in 1..=bytes.len() {
            let boundary = i == bytes.len()
                || (bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase());
            if boundary {
                let tok = part[start..i].to_ascii_lowercase();
                if (2..=24).contains(&tok.len()) {
                    out.push(xxh3_64(tok.as_bytes()) as u32);
                }
                start = i;
            }
        }
    }
}

/// Hash a class/id token the way blocks store them (for tests and inspection).
pub fn token_hash(token: &str) -> u32 {
    xxh3_64(token.to_ascii_lowercase().as_bytes()) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "The harbour reopened on Monday after three weeks of repairs, and the \
        first ferry left at dawn with two hundred passengers and a band on the deck.";

    fn words(p: &Page) -> usize {
        p.blocks.iter().map(|b| b.words).sum()
    }

    #[test]
    fn a_title_never_closed_does_not_swallow_the_page() {
        for end in ["", "</titlevalue=\"x\" -->"] {
            let html = format!(
                "<html><head><title>Ferry news{end}<script>var a = 1;</script></head>\
                 <body><h1>Ferries again</h1><p>{STORY}</p></body></html>"
            );
            let p = Page::from_html(&html, PageLimits::default()).unwrap();
            assert_eq!(p.title, "Ferry news", "{end:?}");
            assert!(p.blocks.iter().any(|b| b.text == STORY), "{end:?}: {p:?}");
        }
        // a closed title is left alone
        let closed = "<title>A</title ><p>x</p>";
        assert!(matches!(
            close_unclosed_title(closed),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn noscript_content_is_read_only_when_the_page_shows_nothing_else() {
        // a forum that serves its posts to clients without scripts inside <noscript>
        let forum = format!(
            "<body><div id=app></div><noscript><div class=post><p>{STORY}</p></div></noscript></body>"
        );
        let p = Page::from_html(&forum, PageLimits::default()).unwrap();
        assert!(p.blocks.iter().any(|b| b.text == STORY), "{p:?}");
        // a page with its own text keeps its noscript notice out
        let page = format!(
            "<body><p>{STORY}</p><noscript><p>Please enable JavaScript to see comments.</p></noscript></body>"
        );
        let p = Page::from_html(&page, PageLimits::default()).unwrap();
        assert!(
            words(&p) < RESCUE_WORDS,
            "read twice, the first reading kept"
        );
        assert!(
            !p.blocks.iter().any(|b| b.text.contains("JavaScript")),
            "{p:?}"
        );
        // a forum's app shell that says more than a few words while it loads
        let shell = format!(
            "<body><p>Something went wrong while trying to load the full version of this \
             site. Try hard-refreshing this page to fix the error.</p>\
             <noscript><div class=post><p>{STORY}</p><p>{STORY}</p></div></noscript></body>"
        );
        let p = Page::from_html(&shell, PageLimits::default()).unwrap();
        assert!(p.blocks.iter().any(|b| b.text == STORY), "{p:?}");
        // an empty page stays empty
        assert!(
            Page::from_html("<body><noscript></noscript></body>", PageLimits::default())
                .unwrap()
                .blocks
                .is_empty()
        );
    }

    fn page(html: &str) -> Page {
        Page::from_html(html, PageLimits::default()).unwrap()
    }

    #[test]
    fn blocks_in_document_order_with_inline_text() {
        let p = page(
            "<html><head><title> The  Title </title><script>var x=1;</script></head><body>\
             <div>Intro <b>bold</b> text<p>First <a href=x>link</a> para.</p>tail</div>\
             <ul><li><a href=a>One</a></li><li><a href=b>Two</a></li></ul>\
             <style>p{}</style><svg><text>no</text></svg></body></html>",
        );
        let texts: Vec<_> = p.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Intro bold text", "First link para.", "tail", "One", "Two"]
        );
        assert_eq!(p.title, "The Title");
        let para = &p.blocks[1];
        assert_eq!(para.tag, "p");
        assert_eq!(para.words, 3);
        assert_eq!(para.link_chars, 4);
        assert_eq!(para.links, 1);
        let li = &p.blocks[3];
        assert!(li.within[SEMANTIC_TAGS.iter().position(|t| *t == "ul").unwrap()]);
        assert_eq!(li.link_density(), 1.0);
        // the two list items repeat one structure inside one container
        assert_eq!(p.blocks[3].containers[0], p.blocks[4].containers[0]);
        assert_eq!(p.blocks[3].signatures[0], p.blocks[4].signatures[0]);
        assert_eq!(p.paths()[1], "/html[1]/body[1]/div[1]/p[1]");
        assert_eq!(p.paths()[4], "/html[1]/body[1]/ul[1]/li[2]");
        // the div's text after its paragraph is a second run of the same element
        assert_eq!((p.blocks[0].run, p.blocks[2].run), (0, 1));
        assert_eq!(p.paths()[2], p.paths()[0]);
        assert_eq!(p.blocks[2].containers, p.blocks[0].containers);
    }

    #[test]
    fn a_run_after_nested_blocks_takes_its_own_links_and_gold() {
        let p = page(
            "<body><div data-block-label=article>Lead <a href=/a>one</a>\
             <p>Body</p> <a href=/b><img src=x></a><span data-block-label=copyright>\
             <a href=/c>© 2024</a> Outlet</span></div><p>x</p></body>",
        );
        let texts: Vec<_> = p.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["Lead one", "Body", "© 2024 Outlet", "x"]);
        let lead = &p.blocks[0];
        assert_eq!(
            (lead.links, lead.hrefs.as_slice()),
            (1, &["/a".to_string()][..])
        );
        // the image link and the © link both opened after the paragraph
        let tail = &p.blocks[2];
        assert_eq!(
            (tail.links, tail.hrefs.as_slice()),
            (2, &["/c".to_string()][..])
        );
        let gold: Vec<_> = p.blocks.iter().map(|b| b.gold.unwrap()).collect();
        assert_eq!(
            gold,
            [
                Label::Article,
                Label::Article,
                Label::Copyright,
                Label::Other
            ]
        );
    }

    #[test]
    fn an_element_whose_text_all_follows_its_nested_blocks_is_one_block_after_them() {
        let p = page("<body><div><p>a</p><p>b</p>c <i>d</i></div></body>");
        let texts: Vec<_> = p.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c d"]);
    }

    #[test]
    fn only_nested_blocks_with_text_split_a_run() {
        // an empty <div> (an injected badge) inside a citation leaves it one block; text
        // deeper down (<div><p>) splits as text right inside does
        let p = page(
            "<body><li>\"Title\"<div class=badge><div></div></div>. Publisher, 2017.</li>\
             <div>before<div><section><p>inner</p></section></div>after</div></body>",
        );
        let texts: Vec<_> = p.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            ["\"Title\". Publisher, 2017.", "before", "inner", "after"]
        );
    }

    #[test]
    fn gold_labels_come_from_nearest_labelled_ancestor() {
        let p = page(
            "<body><div data-block-label=recent><p>a</p><p data-block-label=article>b</p></div>\
             <p>c</p><p data-block-label=bogus>d</p></body>",
        );
        let gold: Vec<_> = p.blocks.iter().map(|b| b.gold.unwrap()).collect();
        assert_eq!(
            gold,
            [Label::Recent, Label::Article, Label::Other, Label::Other]
        );
        assert_eq!(p.bad_labels, ["bogus"]);
    }

    #[test]
    fn breaks_separate_words() {
        let p = page("<p>one<br>two<img src=x>three</p>");
        assert_eq!(p.blocks[0].text, "one two three");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let n = 20_000;
        let html = format!("{}deep{}", "<div>".repeat(n), "</div>".repeat(n));
        let p = page(&html);
        assert_eq!(p.blocks.len(), 1);
        assert_eq!(p.blocks[0].text, "deep");
    }

    #[test]
    fn attributes_of_megabytes_are_fine() {
        let class = "aB-".repeat(2 << 20);
        let html = format!("<div class=\"{class}\" title=\"{class}\"><p>text here</p></div>");
        let p = page(&html);
        assert_eq!(p.blocks.len(), 1);
        assert_eq!(p.blocks[0].text, "text here");
        let rows = crate::FeatureRows::of_page(&p);
        assert!(rows.values.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn block_limit_is_enforced() {
        let html = "<p>x</p>".repeat(5000);
        let limits = PageLimits {
            max_blocks: 100,
            ..PageLimits::default()
        };
        assert!(matches!(
            Page::from_html(&html, limits),
            Err(Error::TooManyBlocks { limit: 100 })
        ));
        assert_eq!(page(&html).blocks.len(), 5000);
    }

    #[test]
    fn text_pages_have_one_block_per_line() {
        let p = Page::from_text("a b\n\n  \nc\r\n", PageLimits::default()).unwrap();
        assert_eq!(p.blocks.len(), 2);
        assert_eq!(p.paths()[1], "/line[2]");
    }

    #[test]
    fn class_tokens_split_camel_case_and_punctuation() {
        let mut t = Vec::new();
        attribute_tokens("relatedArticles most-read x1", &mut t);
        let want: Vec<u32> = ["related", "articles", "most", "read"]
            .iter()
            .map(|s| token_hash(s))
            .collect();
        assert_eq!(t, want);
    }
}
