//! The context stage's inputs: what a block's neighbours and containers look like to the
//! first stage.
//!
//! A block's label depends on its region: the heading above a list, the container it
//! shares with its siblings, what comes before and after. The context stage sees, next to a
//! block's own features, the first stage's probabilities of the blocks around it, the
//! word-weighted mean probabilities of its containers, and those of its region's heading,
//! and where it sits against the first stage's article: before it, inside it, or after it,
//! and how far (a list right after the article is more often related stories, one far from
//! it more often recent ones), and the mean probabilities of the list it is an item of
//! ([`lists`]: where its structure repeats, which for a teaser of several blocks is not
//! its nearest container).

use chaff_extract::block::CONTAINER_LEVELS;
use chaff_extract::Label;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, Slice};
use std::collections::HashMap;

use crate::PageFeatures;

const OFFSETS: [isize; 4] = [-2, -1, 1, 2];
/// Container levels whose mean probabilities are context.
const LEVELS: usize = 2;
/// How many blocks after a heading make up the region it introduces.
const REGION: usize = 6;

/// Names of the context columns, in order.
pub fn column_names() -> Vec<String> {
    let mut names = Vec::new();
    let mut group = |prefix: &str| {
        for l in Label::ALL {
            names.push(format!("ctx_{prefix}_{l}"));
        }
    };
    group("self");
    for off in OFFSETS {
        group(&format!("at{off:+}"));
    }
    for k in 1..=LEVELS {
        group(&format!("up{k}_mean"));
    }
    group("heading");
    group("region_after");
    names.extend(SPAN.iter().map(|s| format!("ctx_span_{s}")));
    names.extend(Label::ALL.iter().map(|l| format!("ctx_list_mean_{l}")));
    names.extend(LIST.iter().map(|s| format!("ctx_list_{s}")));
    names
}

/// The list columns after the list's mean probabilities.
const LIST: [&str; 2] = ["level", "log_items"];

/// The article-span columns: where a block sits against the first stage's article.
const SPAN: [&str; 5] = [
    "article_share_before",
    "inside",
    "log_blocks_since",
    "log_words_since",
    "log_blocks_until",
];

/// Where the article-span columns start.
const SPAN_START: usize = (1 + OFFSETS.len() + LEVELS + 2) * Label::COUNT;
/// Where the list columns start.
const LIST_START: usize = SPAN_START + SPAN.len();
/// How many context columns there are ([`column_names`]'s length).
pub const COLUMNS: usize = LIST_START + Label::COUNT + LIST.len();

/// The list a block belongs to: the nearest of its containers under which another block
/// with words has the same tag/class chain (the items of a teaser list, the paragraphs
/// of one body, the links of a menu). A story teaser of a title, a summary and a date
/// is three blocks in one item, whose nearest container is the item, not the list; the
/// list is where the items repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListOf {
    /// The container level (0 for the nearest) and the container.
    pub container: (usize, u32),
    /// How many blocks with words repeat the block's structure there, itself included.
    pub items: usize,
}

/// Each block's [`ListOf`], or none (no container level repeats its structure, or it has
/// no words).
pub fn lists(page: &PageFeatures) -> Vec<Option<ListOf>> {
    let n = page.len();
    let mut count: HashMap<(usize, u32, u64), usize> = HashMap::new();
    for i in (0..n).filter(|&i| page.words[i] > 0) {
        for k in 0..CONTAINER_LEVELS {
            if let Some(c) = page.containers[i][k] {
                *count.entry((k, c, page.signatures[i][k])).or_default() += 1;
            }
        }
    }
    (0..n)
        .map(|i| {
            if page.words[i] == 0 {
                return None;
            }
            (0..CONTAINER_LEVELS).find_map(|k| {
                let c = page.containers[i][k]?;
                let items = count[&(k, c, page.signatures[i][k])];
                (items >= 2).then_some(ListOf {
                    container: (k, c),
                    items,
                })
            })
        })
        .collect()
}

/// How much a block of `words` words weighs in its container's mean: 1 + ln(1 + words),
/// so a long block counts more than a short one, but not in proportion.
pub fn container_weight(words: usize) -> f64 {
    1.0 + (words as f64).ln_1p()
}

/// The context columns ([`column_names`]) of one page from its first-stage probabilities
/// `p` (blocks × 6).
pub fn features(page: &PageFeatures, p: ArrayView2<f64>) -> Array2<f32> {
    let n = page.len();
    let mut out = Array2::zeros((n, COLUMNS));
    let k6 = Label::COUNT;

    // word-weighted mean probabilities per container
    let mut sums: Vec<HashMap<u32, (Vec<f64>, f64)>> = vec![HashMap::new(); LEVELS];
    for i in 0..n {
        let w = container_weight(page.words[i]);
        for (k, level) in sums.iter_mut().enumerate() {
            if let Some(c) = page.containers[i][k.min(CONTAINER_LEVELS - 1)] {
                let e = level.entry(c).or_insert_with(|| (vec![0.0; k6], 0.0));
                for j in 0..k6 {
                    e.0[j] += w * p[[i, j]];
                }
                e.1 += w;
            }
        }
    }

    let mut last_heading: Option<usize> = None;
    for i in 0..n {
        let mut c = 0;
        let mut row = out.row_mut(i);
        for j in 0..k6 {
            row[c + j] = p[[i, j]] as f32;
        }
        c += k6;
        for off in OFFSETS {
            let t = i as isize + off;
            if t >= 0 && (t as usize) < n {
                for j in 0..k6 {
                    row[c + j] = p[[t as usize, j]] as f32;
                }
            }
            c += k6;
        }
        for (k, level) in sums.iter().enumerate() {
            if let Some((s, w)) = page.containers[i][k].and_then(|id| level.get(&id)) {
                for j in 0..k6 {
                    row[c + j] = (s[j] / w) as f32;
                }
            }
            c += k6;
        }
        if let Some(h) = last_heading {
            for j in 0..k6 {
                row[c + j] = p[[h, j]] as f32;
            }
        }
        c += k6;
        if page.headings[i] {
            let end = (i + 1 + REGION).min(n);
            if end > i + 1 {
                for t in i + 1..end {
                    for j in 0..k6 {
                        row[c + j] += (p[[t, j]] / (end - i - 1) as f64) as f32;
                    }
                }
            }
            last_heading = Some(i);
        }
    }
    article_span(
        page,
        p,
        out.slice_axis_mut(Axis(1), Slice::from(SPAN_START..)),
    );
    list_columns(
        page,
        p,
        out.slice_axis_mut(Axis(1), Slice::from(LIST_START..)),
    );
    out
}

/// The [`SPAN`] columns: where each block sits against the blocks the first stage calls
/// article (probability at least ½; the likeliest block when none is).
fn article_span(page: &PageFeatures, p: ArrayView2<f64>, mut out: ArrayViewMut2<f32>) {
    let n = page.len();
    if n == 0 {
        return;
    }
    let art = Label::Article.index();
    let mut is_article: Vec<bool> = (0..n).map(|i| p[[i, art]] >= 0.5).collect();
    if !is_article.contains(&true) {
        let best = (0..n)
            .max_by(|&a, &b| p[[a, art]].total_cmp(&p[[b, art]]).then(b.cmp(&a)))
            .expect("a page with blocks");
        is_article[best] = true;
    }
    let first = is_article
        .iter()
        .position(|&a| a)
        .expect("an article block");
    let last = is_article
        .iter()
        .rposition(|&a| a)
        .expect("an article block");
    // word-weighted article probability mass, as a running sum
    let mass: Vec<f64> = (0..n).map(|i| page.words[i] as f64 * p[[i, art]]).collect();
    let total: f64 = mass.iter().sum();
    let mut before = 0.0;
    let mut since: Option<(usize, usize)> = None; // (blocks, words) since the last article block
    let mut until = vec![None; n];
    let mut next = None;
    for i in (0..n).rev() {
        until[i] = next.map(|j: usize| j - i);
        if is_article[i] {
            next = Some(i);
        }
    }
    let log = |v: Option<usize>| v.map_or(-1.0, |v| (v as f32).ln_1p());
    for i in 0..n {
        let mut row = out.row_mut(i);
        row[0] = if total > 0.0 {
            (before / total) as f32
        } else {
            0.0
        };
        row[1] = (first < i && i < last) as u8 as f32;
        row[2] = log(since.map(|s| s.0));
        row[3] = log(since.map(|s| s.1));
        row[4] = log(until[i]);
        before += mass[i];
        since = if is_article[i] {
            Some((1, 0))
        } else {
            since.map(|(b, w)| (b + 1, w + page.words[i]))
        };
    }
}

/// The list columns: the word-weighted mean probabilities of the blocks under the
/// block's [`ListOf`] container (all of them, whatever their structure: a teaser's title,
/// summary and date), the list's container level + 1 (0: no list) and ln(1 + items).
fn list_columns(page: &PageFeatures, p: ArrayView2<f64>, mut out: ArrayViewMut2<f32>) {
    let n = page.len();
    let k6 = Label::COUNT;
    let of = lists(page);
    // a list's blocks: every block with words the container holds within the levels a
    // block records (element ordinals are unique, so none is counted twice)
    let mut sums: HashMap<u32, ([f64; Label::COUNT], f64)> = HashMap::new();
    for l in of.iter().flatten() {
        sums.entry(l.container.1).or_default();
    }
    for i in (0..n).filter(|&i| page.words[i] > 0) {
        for c in page.containers[i].iter().flatten() {
            let Some(e) = sums.get_mut(c) else { continue };
            let w = container_weight(page.words[i]);
            for j in 0..k6 {
                e.0[j] += w * p[[i, j]];
            }
            e.1 += w;
        }
    }
    for (i, l) in of.iter().enumerate() {
        let Some(l) = l else { continue };
        let mut row = out.row_mut(i);
        let (s, w) = &sums[&l.container.1];
        for j in 0..k6 {
            row[j] = (s[j] / w) as f32;
        }
        row[k6] = (l.container.0 + 1) as f32;
        row[k6 + 1] = (l.items as f32).ln_1p();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaff_extract::{Page, PageLimits};

    /// A page of `n` paragraphs of three words each, and first-stage probabilities that
    /// call the blocks in `article` article (0.9) and the rest other.
    fn page_and_probs(n: usize, article: &[usize]) -> (PageFeatures, Array2<f64>) {
        let html: String = (0..n).map(|i| format!("<p>block number {i}</p>")).collect();
        let page = PageFeatures::of_page(&Page::from_html(&html, PageLimits::default()).unwrap());
        assert_eq!(page.len(), n);
        let (art, other) = (Label::Article.index(), Label::Other.index());
        let mut p = Array2::zeros((n, Label::COUNT));
        for i in 0..n {
            let a = if article.contains(&i) { 0.9 } else { 0.1 };
            p[[i, art]] = a;
            p[[i, other]] = 1.0 - a;
        }
        (page, p)
    }

    fn span(page: &PageFeatures, p: &Array2<f64>, i: usize, name: &str) -> f32 {
        let names = column_names();
        let col = names
            .iter()
            .position(|n| *n == format!("ctx_span_{name}"))
            .unwrap();
        features(page, p.view())[[i, col]]
    }

    #[test]
    fn span_columns_say_where_a_block_sits_against_the_article() {
        let (page, p) = page_and_probs(7, &[1, 2, 4]);
        // before the article: nothing of it before, no article block since, one until
        assert_eq!(span(&page, &p, 0, "article_share_before"), 0.0);
        assert_eq!(span(&page, &p, 0, "log_blocks_since"), -1.0);
        assert_eq!(span(&page, &p, 0, "log_blocks_until"), 1f32.ln_1p());
        assert_eq!(span(&page, &p, 0, "inside"), 0.0);
        // a gap inside the article
        assert_eq!(span(&page, &p, 3, "inside"), 1.0);
        assert_eq!(span(&page, &p, 3, "log_blocks_since"), 1f32.ln_1p());
        // after it: two blocks and three words since its last block, none until
        assert_eq!(span(&page, &p, 6, "inside"), 0.0);
        assert_eq!(span(&page, &p, 6, "log_blocks_since"), 2f32.ln_1p());
        assert_eq!(span(&page, &p, 6, "log_words_since"), 3f32.ln_1p());
        assert_eq!(span(&page, &p, 6, "log_blocks_until"), -1.0);
        // word-weighted article mass before: blocks 0-5 hold 0.1+0.9+0.9+0.1+0.9+0.1 of 3.1
        let share = span(&page, &p, 6, "article_share_before");
        assert!((share - 3.0 / 3.1).abs() < 1e-6, "{share}");
    }

    #[test]
    fn without_an_article_block_the_likeliest_block_is_the_span() {
        let (page, mut p) = page_and_probs(4, &[]);
        p[[2, Label::Article.index()]] = 0.3;
        assert_eq!(span(&page, &p, 3, "log_blocks_since"), 1f32.ln_1p());
        assert_eq!(span(&page, &p, 0, "log_blocks_until"), 2f32.ln_1p());
    }

    #[test]
    fn a_teaser_of_several_blocks_belongs_to_the_list_its_items_repeat() {
        let html = "<div><p>Body one here</p><p>Body two here</p></div>\
            <ul><li><a href=/a><h3>Title A</h3></a><p>Summary A</p></li>\
            <li><a href=/b><h3>Title B</h3></a><p>Summary B</p></li></ul><p>Alone</p>";
        let page = PageFeatures::of_page(&Page::from_html(html, PageLimits::default()).unwrap());
        assert_eq!(page.len(), 7);
        let of = lists(&page);
        // the body's paragraphs repeat under their parent
        assert_eq!(of[0].unwrap().container.0, 0);
        assert_eq!(of[0].unwrap().container, of[1].unwrap().container);
        assert_eq!(of[0].unwrap().items, 2);
        // titles (under a link, in an item) and summaries (in an item) repeat in the list
        let list = of[2].unwrap().container.1;
        for (i, item) in of.iter().enumerate().take(6).skip(2) {
            assert_eq!(item.unwrap().container.1, list, "block {i}");
            assert_eq!(item.unwrap().items, 2, "block {i}");
        }
        assert_ne!(list, of[0].unwrap().container.1);
        // the lone paragraph's structure repeats nowhere near it
        assert_eq!(of[6], None);
        // the list's mean probabilities are those of all four of its blocks
        let mut p = Array2::zeros((7, Label::COUNT));
        for i in 0..7 {
            p[[i, if i == 3 { 1 } else { 2 }]] = 1.0;
        }
        let names = column_names();
        let col = |n: &str| names.iter().position(|c| c == n).unwrap();
        let f = features(&page, p.view());
        let related = f[[2, col("ctx_list_mean_related")]];
        let w = |words: usize| container_weight(words) as f32;
        let want = w(page.words[3]) / (w(2) + w(2) + w(2) + w(2));
        assert!((related - want).abs() < 1e-6, "{related} against {want}");
        assert_eq!(f[[2, col("ctx_list_level")]], 3.0);
        assert_eq!(
            f[[4, col("ctx_list_level")]],
            1.0 + of[4].unwrap().container.0 as f32
        );
        assert_eq!(f[[6, col("ctx_list_level")]], 0.0);
    }
}
