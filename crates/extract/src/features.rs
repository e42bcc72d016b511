//! Blocks → feature rows under a named, versioned [`FeatureSchema`].
//!
//! Every feature is built to carry across outlets and languages: the shape of the text,
//! links, where the block sits in the DOM, how its container repeats one structure, how
//! its words relate to the page's title and main text, and the same of its neighbours.
//! Words and class/id tokens enter only through feature hashing into a few buckets, so a
//! learner can pick up cues such as "related" or "footer" without memorising one site.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::block::{Block, CONTAINER_LEVELS, SEMANTIC_TAGS};
use crate::tokens::PageTokens;
use crate::Page;

/// Version of the feature schema; a model records it and refuses rows of another version.
pub const SCHEMA_VERSION: u32 = 5;

const CLASS_BUCKETS: usize = 128;
const ANCESTOR_BUCKETS: usize = 256;
/// A power of two, so the low 32 bits of a word's hash choose its bucket as all 64 would.
const HEADING_BUCKETS: usize = 128;
/// A power of two too (see [`short_text_words`]).
const SHORT_TEXT_BUCKETS: usize = 128;
/// Blocks of at most this many words are short: they contribute their words as hashed
/// features (and the learner does not take their article match on trust).
pub const SHORT_TEXT_WORDS: usize = 6;
/// Most words of a region title that describe the blocks under it.
const HEADING_WORDS: usize = 12;
/// How many blocks below its title a block still counts as in the title's region.
const HEADING_REACH: usize = 40;

/// Tag groups that get a one-hot feature each; anything else is `tag_other`.
const TAG_GROUPS: &[(&str, &[&str])] = &[
    ("p", &["p"]),
    ("div", &["div"]),
    ("li", &["li"]),
    ("cell", &["td", "th"]),
    ("h1", &["h1"]),
    ("h2", &["h2"]),
    ("h3", &["h3"]),
    ("h456", &["h4", "h5", "h6"]),
    ("dl", &["dd", "dt", "dl"]),
    ("caption", &["figcaption", "caption", "figure"]),
    ("quote", &["blockquote", "pre"]),
    (
        "option",
        &["option", "select", "legend", "fieldset", "form"],
    ),
    ("table", &["table", "tbody", "thead", "tfoot", "tr"]),
    ("list", &["ul", "ol", "menu"]),
    (
        "section",
        &[
            "section", "article", "main", "aside", "nav", "header", "footer",
        ],
    ),
    (
        "body",
        &["body", "html", "center", "address", "details", "summary"],
    ),
];

/// The names and version of the features a row holds, in column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSchema {
    /// Schema version ([`SCHEMA_VERSION`] for rows this crate makes).
    pub version: u32,
    /// Column names.
    pub names: Vec<String>,
}

impl FeatureSchema {
    /// The schema this build of chaff extracts.
    pub fn current() -> &'static FeatureSchema {
        static SCHEMA: OnceLock<FeatureSchema> = OnceLock::new();
        SCHEMA.get_or_init(|| FeatureSchema {
            version: SCHEMA_VERSION,
            names: column_names(),
        })
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the schema has no columns.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Per-block values that neighbours and containers reuse.
const BASE: &[&str] = &[
    "log_words",
    "log_chars",
    "mean_word_len",
    "log_sentence_marks",
    "ends_with_stop",
    "punct_ratio",
    "digit_ratio",
    "upper_ratio",
    "capitalised_words",
    "link_density",
    "log_links",
    "log_words_per_link",
    "has_copyright_sign",
    "has_year",
    "has_clock_time",
    "has_date",
    "short_with_digit",
    "title_overlap",
    "title_coverage",
    "article_pool_overlap",
    "is_heading",
    "is_region_title",
    "log_segments",
    "words_per_segment",
];

const NEIGHBOURS: &[(&str, isize)] = &[("prev", -1), ("next", 1), ("prev2", -2), ("next2", 2)];
/// Base features that are repeated for each neighbour.
const NEIGHBOUR_BASE: &[&str] = &[
    "log_words",
    "link_density",
    "ends_with_stop",
    "has_copyright_sign",
    "article_pool_overlap",
    "is_heading",
    "is_region_title",
    "log_segments",
];

fn column_names() -> Vec<String> {
    let mut n: Vec<String> = BASE.iter().map(|s| s.to_string()).collect();
    n.extend(
        [
            "rel_position",
            "rel_word_position",
            "rel_depth",
            "log_depth",
            "words_vs_page_max",
            "log_page_words",
            "log_page_blocks",
            "heading_distance",
            "heading_link_density",
            "heading_level",
            "heading_log_words",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    for (g, _) in TAG_GROUPS {
        n.push(format!("tag_{g}"));
    }
    n.push("tag_other".into());
    for t in SEMANTIC_TAGS {
        n.push(format!("within_{t}"));
    }
    for k in 1..=CONTAINER_LEVELS {
        for f in [
            "log_blocks",
            "log_words",
            "link_density",
            "log_repeats",
            "repeat_share",
            "text_share",
            "mean_pool_overlap",
            "heading_share",
            "story_link_share",
        ] {
            n.push(format!("up{k}_{f}"));
        }
    }
    for (name, _) in NEIGHBOURS {
        for f in NEIGHBOUR_BASE {
            n.push(format!("{name}_{f}"));
        }
        n.push(format!("{name}_same_container"));
        n.push(format!("{name}_exists"));
    }
    n.extend(crate::targets::column_names());
    for i in 0..CLASS_BUCKETS {
        n.push(format!("class_h{i}"));
    }
    for i in 0..ANCESTOR_BUCKETS {
        n.push(format!("ancestor_class_h{i}"));
    }
    for i in 0..HEADING_BUCKETS {
        n.push(format!("heading_word_h{i}"));
    }
    for i in 0..SHORT_TEXT_BUCKETS {
        n.push(format!("short_text_word_h{i}"));
    }
    n
}

/// Whether each block titles a region: a heading element, or a short line (one to five
/// words, no link, no digit, no closing punctuation) such as "Most read" or "Tags" — which
/// is how plain-text pages and div-built pages show headings.
pub fn region_titles(page: &Page) -> Vec<bool> {
    page.blocks
        .iter()
        .map(|b| {
            b.is_heading()
                || ((1..=5).contains(&b.words)
                    && b.link_chars == 0
                    && !b.text.chars().any(|c| c.is_numeric())
                    && !b
                        .text
                        .chars()
                        .last()
                        .is_some_and(|c| matches!(c, '.' | '!' | '?' | '。' | ',' | ';')))
        })
        .collect()
}

/// The hashed words of the region title each block sits under: the nearest title (see
/// [`region_titles`], which gives `titles`) above the block and at most `HEADING_REACH` (40)
/// blocks before it, none without one. Every teaser of a "Most read" list gets the words
/// of "Most read". A word's hash is the low 32 bits of its xxh3 hash.
pub fn region_heading_words(page: &Page, titles: &[bool]) -> Vec<Vec<u32>> {
    let mut last: Option<usize> = None;
    let mut out = Vec::with_capacity(page.blocks.len());
    for (i, &is_title) in titles.iter().enumerate().take(page.blocks.len()) {
        out.push(match last.filter(|&h| i - h <= HEADING_REACH) {
            Some(h) => crate::text::words(&page.blocks[h].text)
                .take(HEADING_WORDS)
                .map(|w| xxh3_64(w.as_bytes()) as u32)
                .collect(),
            None => Vec::new(),
        });
        if is_title {
            last = Some(i);
        }
    }
    out
}

/// The hashed words of a short block (at most six words: "Read more", "Most read",
/// "Advertisement"), none for a longer one. A word's hash is the low 32 bits of its xxh3
/// hash, as in [`region_heading_words`].
pub fn short_text_words(block: &Block) -> Vec<u32> {
    if block.words > SHORT_TEXT_WORDS {
        return Vec::new();
    }
    crate::text::words(&block.text)
        .map(|w| xxh3_64(w.as_bytes()) as u32)
        .collect()
}

/// Separators that join items of a list written on one line ("Home | News | Sport").
const SEPARATORS: &[&str] = &[
    " | ", " - ", " · ", " • ", " / ", " » ", " › ", " – ", " :: ",
];

fn segments(text: &str) -> usize {
    1 + SEPARATORS
        .iter()
        // most blocks hold none of the marks: a search for one character is cheap, a
        // substring searcher's setup is not
        .filter(|s| s.chars().nth(1).is_some_and(|mark| text.contains(mark)))
        .map(|s| text.matches(s).count())
        .sum::<usize>()
}

/// Feature rows of one page: one row per block, in block order.
#[derive(Debug, Clone)]
pub struct FeatureRows {
    /// Number of columns (the schema's length).
    pub cols: usize,
    /// Row-major values, `blocks × cols`.
    pub values: Vec<f32>,
}

impl FeatureRows {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len().checked_div(self.cols).unwrap_or(0)
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }

    /// Extract the rows of a page.
    pub fn of_page(page: &Page) -> FeatureRows {
        extract(page).rows
    }
}

/// Everything a model reads of a page, made in one pass over its blocks: the feature
/// rows, the block structure the context stage needs, and the cue tokens.
#[derive(Debug, Clone)]
pub struct PageFeatures {
    /// One feature row per block.
    pub rows: FeatureRows,
    /// Each block's ancestor containers (see [`Block::containers`]).
    pub containers: Vec<[Option<u32>; CONTAINER_LEVELS]>,
    /// Each block's tag/class chain below each of those containers (see
    /// [`Block::signatures`]): blocks sharing both repeat one structure.
    pub signatures: Vec<[u64; CONTAINER_LEVELS]>,
    /// Whether each block titles a region ([`region_titles`]).
    pub headings: Vec<bool>,
    /// Words per block.
    pub words: Vec<usize>,
    /// Each block's cue tokens ([`crate::tokens`]); empty once the rows have been joined
    /// with the columns the tokens make.
    pub tokens: PageTokens,
}

impl PageFeatures {
    /// The features of a page.
    pub fn of_page(page: &Page) -> PageFeatures {
        extract(page)
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the page has no blocks.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

struct Patterns {
    year: Regex,
    clock: Regex,
    date: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        year: Regex::new(r"\b(1[89]|20)\d\d\b").expect("static regex"),
        clock: Regex::new(r"\b\d{1,2}:\d\d\b").expect("static regex"),
        date: Regex::new(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b").expect("static regex"),
    })
}

fn bucket(h: u64, n: usize) -> usize {
    (h % n as u64) as usize
}

/// Content words: long enough to carry topic in most scripts.
fn content_words(text: &str) -> impl Iterator<Item = String> + '_ {
    crate::text::words(text).filter(|w| w.chars().count() >= 4)
}

fn overlap(words: &[String], set: &HashMap<String, u32>) -> f32 {
    if words.is_empty() {
        return 0.0;
    }
    words.iter().filter(|w| set.contains_key(*w)).count() as f32 / words.len() as f32
}

fn extract(page: &Page) -> PageFeatures {
    let schema = FeatureSchema::current();
    let cols = schema.len();
    let blocks = &page.blocks;
    let n = blocks.len();
    let mut values = vec![0f32; n * cols];
    let mut tokens = PageTokens::default();
    let structure = |values: Vec<f32>, headings: Vec<bool>, tokens: PageTokens| PageFeatures {
        rows: FeatureRows { cols, values },
        containers: blocks.iter().map(|b| b.containers).collect(),
        signatures: blocks.iter().map(|b| b.signatures).collect(),
        headings,
        words: blocks.iter().map(|b| b.words).collect(),
        tokens,
    };
    if n == 0 {
        return structure(values, Vec::new(), tokens);
    }

    // page-level context
    let title_words: HashMap<String, u32> = content_words(&page.title).map(|w| (w, 1)).collect();
    let block_words: Vec<Vec<String>> = blocks
        .iter()
        .map(|b| content_words(&b.text).collect())
        .collect();
    let in_pool = |b: &Block| b.words >= 15 && b.link_density() < 0.3;
    let mut pool: HashMap<String, u32> = HashMap::new();
    for (b, ws) in blocks.iter().zip(&block_words) {
        if in_pool(b) {
            for w in ws {
                *pool.entry(w.clone()).or_default() += 1;
            }
        }
    }
    let pool_overlap: Vec<f32> = blocks
        .iter()
        .zip(&block_words)
        .map(|(b, ws)| {
            if ws.is_empty() {
                return 0.0;
            }
            let own: HashMap<&String, u32> = if in_pool(b) {
                let mut m = HashMap::new();
                for w in ws {
                    *m.entry(w).or_default() += 1;
                }
                m
            } else {
                HashMap::new()
            };
            let hits = ws
                .iter()
                .filter(|w| pool.get(*w).copied().unwrap_or(0) > own.get(w).copied().unwrap_or(0))
                .count();
            hits as f32 / ws.len() as f32
        })
        .collect();

    let titles = region_titles(page);
    let heading_words = region_heading_words(page, &titles);
    let links = crate::targets::block_links(page);
    let story = crate::targets::SHARES
        .iter()
        .position(|s| *s == "href_story")
        .expect("a share named href_story");
    let base: Vec<Vec<f32>> = blocks
        .iter()
        .zip(&block_words)
        .zip(&pool_overlap)
        .zip(&titles)
        .map(|(((b, ws), &po), &t)| base_features(b, ws, &title_words, po, t))
        .collect();

    let total_words: usize = blocks.iter().map(|b| b.words).sum();
    let max_words = blocks.iter().map(|b| b.words).max().unwrap_or(0).max(1);
    let max_depth = blocks.iter().map(|b| b.depth).max().unwrap_or(1).max(1);
    let total_text: f32 = blocks
        .iter()
        .map(|b| (b.chars - b.link_chars.min(b.chars)) as f32)
        .sum::<f32>()
        .max(1.0);

    // containers: aggregate blocks that share an ancestor at each level
    #[derive(Default, Clone, Copy)]
    struct Agg {
        blocks: u32,
        words: u32,
        chars: u32,
        link_chars: u32,
        pool_overlap: f32,
        headings: u32,
        story_links: f32,
    }
    let mut aggs: Vec<HashMap<u32, Agg>> = vec![HashMap::new(); CONTAINER_LEVELS];
    let mut repeats: Vec<HashMap<(u32, u64), u32>> = vec![HashMap::new(); CONTAINER_LEVELS];
    for (i, b) in blocks.iter().enumerate() {
        for k in 0..CONTAINER_LEVELS {
            if let Some(c) = b.containers[k] {
                let a = aggs[k].entry(c).or_default();
                a.blocks += 1;
                a.words += b.words as u32;
                a.chars += b.chars as u32;
                a.link_chars += b.link_chars as u32;
                a.pool_overlap += pool_overlap[i];
                a.headings += b.is_heading() as u32;
                a.story_links += links[i].columns[story];
                *repeats[k].entry((c, b.signatures[k])).or_default() += 1;
            }
        }
    }

    let base_idx = |name: &str| BASE.iter().position(|b| *b == name).expect("base feature");
    let neighbour_cols: Vec<usize> = NEIGHBOUR_BASE.iter().map(|f| base_idx(f)).collect();

    let mut words_before = 0usize;
    let mut last_heading: Option<usize> = None;
    for (i, b) in blocks.iter().enumerate() {
        let row = &mut values[i * cols..(i + 1) * cols];
        let mut c = 0;
        let mut put = |v: f32| {
            row[c] = v;
            c += 1;
        };
        for &v in &base[i] {
            put(v);
        }
        put(i as f32 / n as f32);
        put(words_before as f32 / total_words.max(1) as f32);
        put(b.depth as f32 / max_depth as f32);
        put((b.depth as f32).ln_1p());
        put(b.words as f32 / max_words as f32);
        put((total_words as f32).ln_1p());
        put((n as f32).ln_1p());
        match last_heading {
            Some(h) => {
                let hb = &blocks[h];
                put(((i - h) as f32).ln_1p());
                put(hb.link_density());
                put(hb
                    .tag
                    .get(1..)
                    .and_then(|t| t.parse::<f32>().ok())
                    .unwrap_or(7.0)
                    / 7.0);
                put((hb.words as f32).ln_1p());
            }
            None => {
                put(6.0);
                put(0.0);
                put(0.0);
                put(0.0);
            }
        }
        let group = TAG_GROUPS
            .iter()
            .position(|(_, tags)| tags.contains(&b.tag.as_str()))
            .unwrap_or(TAG_GROUPS.len());
        for g in 0..=TAG_GROUPS.len() {
            put((g == group) as u8 as f32);
        }
        for &w in &b.within {
            put(w as u8 as f32);
        }
        for k in 0..CONTAINER_LEVELS {
            match b.containers[k].and_then(|c| aggs[k].get(&c).map(|a| (c, *a))) {
                Some((cid, a)) => {
                    let rep = repeats[k]
                        .get(&(cid, b.signatures[k]))
                        .copied()
                        .unwrap_or(1);
                    put((a.blocks as f32).ln_1p());
                    put((a.words as f32).ln_1p());
                    put(a.link_chars as f32 / a.chars.max(1) as f32);
                    put((rep as f32).ln_1p());
                    put(rep as f32 / a.blocks.max(1) as f32);
                    put((a.chars - a.link_chars.min(a.chars)) as f32 / total_text);
                    put(a.pool_overlap / a.blocks.max(1) as f32);
                    put(a.headings as f32 / a.blocks.max(1) as f32);
                    put(a.story_links / a.blocks.max(1) as f32);
                }
                None => {
                    for _ in 0..9 {
                        put(0.0);
                    }
                }
            }
        }
        for &(_, off) in NEIGHBOURS {
            let j = i as isize + off;
            if j >= 0 && (j as usize) < n {
                let j = j as usize;
                for &col in &neighbour_cols {
                    put(base[j][col]);
                }
                put(
                    (blocks[j].containers[0] == b.containers[0] && b.containers[0].is_some()) as u8
                        as f32,
                );
                put(1.0);
            } else {
                for _ in 0..neighbour_cols.len() + 2 {
                    put(0.0);
                }
            }
        }
        for &v in &links[i].columns {
            put(v);
        }
        let hashed = c;
        for &t in &b.own_tokens {
            row[hashed + bucket(t as u64, CLASS_BUCKETS)] = 1.0;
        }
        let off = hashed + CLASS_BUCKETS;
        for &t in &b.ancestor_tokens {
            row[off + bucket(t as u64, ANCESTOR_BUCKETS)] = 1.0;
        }
        let off = off + ANCESTOR_BUCKETS;
        for &w in &heading_words[i] {
            row[off + bucket(w as u64, HEADING_BUCKETS)] = 1.0;
        }
        let off = off + HEADING_BUCKETS;
        let short = short_text_words(b);
        for &w in &short {
            row[off + bucket(w as u64, SHORT_TEXT_BUCKETS)] = 1.0;
        }
        debug_assert_eq!(off + SHORT_TEXT_BUCKETS, cols);
        tokens.push([
            &b.own_tokens,
            &b.ancestor_tokens,
            &heading_words[i],
            &links[i].tokens,
            &short,
        ]);

        words_before += b.words;
        if titles[i] {
            last_heading = Some(i);
        }
    }
    structure(values, titles, tokens)
}

fn base_features(
    b: &Block,
    content: &[String],
    title: &HashMap<String, u32>,
    pool_overlap: f32,
    region_title: bool,
) -> Vec<f32> {
    let p = patterns();
    let text = &b.text;
    let chars = b.chars.max(1) as f32;
    let words = b.words.max(1) as f32;
    let mut punct = 0usize;
    let mut digits = 0usize;
    let mut letters = 0usize;
    let mut upper = 0usize;
    let mut marks = 0usize;
    for ch in text.chars() {
        if ch.is_alphabetic() {
            letters += 1;
            upper += ch.is_uppercase() as usize;
        } else if ch.is_numeric() {
            digits += 1;
        } else if !ch.is_whitespace() {
            punct += 1;
        }
        marks += matches!(ch, '.' | '!' | '?' | '。' | '！' | '？' | '؟' | '।') as usize;
    }
    let capitalised = crate::text::raw_words(text)
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    let last = text.chars().last().unwrap_or(' ');
    let segments = segments(text) as f32;
    let title_cov = if title.is_empty() || content.is_empty() {
        0.0
    } else {
        let mut seen: Vec<&String> = content.iter().filter(|w| title.contains_key(*w)).collect();
        seen.sort();
        seen.dedup();
        seen.len() as f32 / title.len() as f32
    };
    vec![
        (b.words as f32).ln_1p(),
        (b.chars as f32).ln_1p(),
        (chars / words).min(20.0) / 10.0,
        (marks as f32).ln_1p(),
        matches!(
            last,
            '.' | '!' | '?' | '。' | '！' | '？' | '"' | '”' | '»' | ':' | '؟' | '।'
        ) as u8 as f32,
        punct as f32 / chars,
        digits as f32 / chars,
        upper as f32 / letters.max(1) as f32,
        capitalised as f32 / words,
        b.link_density(),
        (b.links as f32).ln_1p(),
        (words / b.links.max(1) as f32).ln_1p(),
        (text.contains('©') || text.contains("(c)") || text.contains("(C)")) as u8 as f32,
        p.year.is_match(text) as u8 as f32,
        p.clock.is_match(text) as u8 as f32,
        p.date.is_match(text) as u8 as f32,
        (b.words <= 6 && digits > 0) as u8 as f32,
        overlap(content, title),
        title_cov,
        pool_overlap,
        b.is_heading() as u8 as f32,
        region_title as u8 as f32,
        segments.ln(),
        (words / segments).ln_1p(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageLimits;

    #[test]
    fn one_row_per_block_with_schema_width() {
        let page = Page::from_html(
            "<title>Big news today</title><h1>Big news today</h1><p>The big news today is that a \
             long paragraph of text exists here, with many words in it, to be sure of it.</p>\
             <footer><p>© 2021 Outlet</p></footer>",
            PageLimits::default(),
        )
        .unwrap();
        let rows = FeatureRows::of_page(&page);
        let schema = FeatureSchema::current();
        assert_eq!(rows.rows(), 3);
        assert_eq!(rows.cols, schema.len());
        let col = |name: &str| schema.names.iter().position(|n| n == name).unwrap();
        assert_eq!(rows.row(2)[col("has_copyright_sign")], 1.0);
        assert_eq!(rows.row(2)[col("has_year")], 1.0);
        assert_eq!(rows.row(2)[col("within_footer")], 1.0);
        assert_eq!(rows.row(0)[col("is_heading")], 1.0);
        assert_eq!(rows.row(0)[col("title_coverage")], 1.0);
        assert_eq!(rows.row(1)[col("prev_is_heading")], 1.0);
        assert_eq!(rows.row(0)[col("prev_exists")], 0.0);
        assert!(rows.values.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn blocks_under_a_heading_carry_its_words_within_reach() {
        let mut html = String::from("<p>Intro text of the page, a sentence.</p><h2>Most read</h2>");
        for i in 0..HEADING_REACH + 1 {
            html.push_str(&format!(
                "<li><a href=\"/s{i}\">Story number {i} today</a></li>"
            ));
        }
        let page = Page::from_html(&html, PageLimits::default()).unwrap();
        let titles = region_titles(&page);
        let words = region_heading_words(&page, &titles);
        let most_read: Vec<u32> = ["most", "read"]
            .iter()
            .map(|w| xxh3_64(w.as_bytes()) as u32)
            .collect();
        assert!(
            words[0].is_empty() && words[1].is_empty(),
            "nothing above them"
        );
        assert_eq!(words[2], most_read);
        assert_eq!(words[1 + HEADING_REACH], most_read);
        assert!(words[2 + HEADING_REACH].is_empty(), "out of reach");
        // the row's heading buckets are the same words
        let rows = FeatureRows::of_page(&page);
        let schema = FeatureSchema::current();
        let first = schema
            .names
            .iter()
            .position(|n| n == "heading_word_h0")
            .unwrap();
        for w in &most_read {
            assert_eq!(rows.row(2)[first + bucket(*w as u64, HEADING_BUCKETS)], 1.0);
        }
    }

    #[test]
    fn schema_names_are_unique() {
        let names = &FeatureSchema::current().names;
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }

    #[test]
    fn empty_page_has_no_rows() {
        let page = Page::from_html("", PageLimits::default()).unwrap();
        assert_eq!(FeatureRows::of_page(&page).rows(), 0);
    }
}
