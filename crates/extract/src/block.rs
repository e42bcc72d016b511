//! A block: a run of text that one block-level element owns, with what features need.

use ego_tree::NodeId;

use crate::Label;

/// Semantic containers a block can sit in; [`Block::within`] has one flag per entry.
pub const SEMANTIC_TAGS: [&str; 16] = [
    "nav",
    "header",
    "footer",
    "aside",
    "article",
    "main",
    "section",
    "li",
    "ul",
    "ol",
    "table",
    "form",
    "figure",
    "blockquote",
    "dl",
    "a",
];

/// How many levels of ancestors a block remembers for container features.
pub const CONTAINER_LEVELS: usize = 3;

/// A text block of a page: a run of text that a block-level element holds outside its
/// nested block-level elements (text in inline elements belongs to the enclosing block).
/// Where nested block elements interrupt an element's own text (`<div>intro<p>…</p>tail
/// </div>`), each uninterrupted run is a block of its own, in document order, sharing the
/// element (and its path) with the element's other runs.
#[derive(Debug, Clone)]
pub struct Block {
    /// The block's text, white space collapsed.
    pub text: String,
    /// Number of words (Unicode `\w+` runs) in `text`.
    pub words: usize,
    /// Non-white-space characters of `text`.
    pub chars: usize,
    /// Non-white-space characters of `text` that sit inside links.
    pub link_chars: usize,
    /// Number of links that open inside the block.
    pub links: usize,
    /// Targets (`href`) of the links whose text lies in the block, in order, at most
    /// [`crate::page::MAX_HREFS`].
    pub hrefs: Vec<String>,
    /// Name of the element the block came from (`p`, `li`, `h2`, ...).
    pub tag: String,
    /// Depth of the element in the DOM (the `html` element is 1).
    pub depth: usize,
    /// Which of [`SEMANTIC_TAGS`] enclose the element (the element itself excluded).
    pub within: [bool; SEMANTIC_TAGS.len()],
    /// Hashed tokens of the element's own `class` and `id`.
    pub own_tokens: Vec<u32>,
    /// Hashed tokens of the `class` and `id` of its nearest ancestors.
    pub ancestor_tokens: Vec<u32>,
    /// The ancestors 1, 2 and 3 levels up, as indices of elements in document order.
    pub containers: [Option<u32>; CONTAINER_LEVELS],
    /// Hash of the tag/class chain from each of those ancestors down to the element: blocks
    /// with equal container and signature repeat one structure (a teaser list).
    pub signatures: [u64; CONTAINER_LEVELS],
    /// The DOM node, for pages that have one.
    pub node: Option<NodeId>,
    /// Which run of the element's text this block is (0 for the first).
    pub run: usize,
    /// The gold label from `data-block-label`, when the page carries one. Never a feature.
    pub gold: Option<Label>,
}

impl Block {
    /// A block of a plain-text page: one line.
    pub fn from_line(text: &str) -> Block {
        let text = crate::text::collapse_whitespace(text);
        Block {
            words: crate::text::word_count(&text),
            chars: text.chars().filter(|c| !c.is_whitespace()).count(),
            text,
            link_chars: 0,
            links: 0,
            hrefs: Vec::new(),
            tag: "p".to_string(),
            depth: 3,
            within: [false; SEMANTIC_TAGS.len()],
            own_tokens: Vec::new(),
            ancestor_tokens: Vec::new(),
            containers: [None; CONTAINER_LEVELS],
            signatures: [0; CONTAINER_LEVELS],
            node: None,
            run: 0,
            gold: None,
        }
    }

    /// Whether the block is a heading (`h1`–`h6`).
    pub fn is_heading(&self) -> bool {
        matches!(self.tag.as_str(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
    }

    /// Fraction of the block's characters that are link text.
    pub fn link_density(&self) -> f32 {
        if self.chars == 0 {
            0.0
        } else {
            (self.link_chars as f32 / self.chars as f32).min(1.0)
        }
    }
}
