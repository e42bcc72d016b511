//! Where a block's links go, as features.
//!
//! A teaser's text can look like an article paragraph, but its link goes to another story
//! on the same site: a long slug, an id or a date in the path. Menu items go to short
//! section paths, share buttons and ads to other sites, tables of contents to anchors in
//! the page. Tag and related links carry the page's topic in their slugs even when their
//! text is "Read more". None of this depends on the page's language.
//!
//! Hosts are compared by registrable domain (public suffix list), so `edition.cnn.com`
//! and `cnn.com` are one site. The page's own site is the host of the address it declares
//! (`<link rel=canonical>`, `og:url`), else the commonest host its absolute links name.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;
use url::Url;
use xxhash_rust::xxh3::xxh3_64;

use crate::Page;

/// Buckets of hashed path segments (`tag`, `author`, `sport`, ...).
pub const SEGMENT_BUCKETS: usize = 32;
/// Buckets of hashed other-site names (`facebook`, `twitter`, ...).
pub const HOST_BUCKETS: usize = 16;

/// Names of the per-block shares, in column order (hashed buckets follow).
pub const SHARES: &[&str] = &[
    "href_internal",
    "href_external",
    "href_in_page",
    "href_log_segments",
    "href_story",
    "href_dated",
    "href_query_id",
    "href_title_overlap",
    "href_url_overlap",
    "href_self",
    "page_declares_url",
];

/// Columns per block: [`SHARES`] then the two groups of buckets.
pub const COLUMNS: usize = SHARES.len() + SEGMENT_BUCKETS + HOST_BUCKETS;

/// Column names, in order.
pub fn column_names() -> Vec<String> {
    let mut n: Vec<String> = SHARES.iter().map(|s| s.to_string()).collect();
    n.extend((0..SEGMENT_BUCKETS).map(|i| format!("href_segment_h{i}")));
    n.extend((0..HOST_BUCKETS).map(|i| format!("href_host_h{i}")));
    n
}

struct Patterns {
    dated: Regex,
    long_number: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        dated: Regex::new(r"(^|/)(19|20)\d\d/(0?[1-9]|1[0-2])(/|$)|(19|20)\d\d-[01]\d-[0-3]\d|(^|/)(19|20)\d\d[01]\d[0-3]\d(/|$)")
            .expect("static regex"),
        long_number: Regex::new(r"\d{5,}").expect("static regex"),
    })
}

/// Registrable domain of a host (the host itself when it has none, such as an IP).
fn site(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&host).unwrap_or(&host).to_string()
}

/// Words of four or more characters in a path (slug words).
fn slug_words(path: &str) -> Vec<String> {
    crate::text::words(&path.replace(['-', '_', '+', '.', '/'], " "))
        .filter(|w| w.chars().count() >= 4 && !w.chars().all(|c| c.is_ascii_digit()))
        .collect()
}

/// The page's address and site, as far as they are known.
struct PageSite {
    base: Url,
    url: Option<Url>,
    site: Option<String>,
    url_words: HashSet<String>,
    title_words: HashSet<String>,
}

impl PageSite {
    fn of(page: &Page) -> PageSite {
        let url = page
            .url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| u.host_str().is_some());
        let site = url
            .as_ref()
            .and_then(|u| u.host_str())
            .map(site)
            .or_else(|| {
                // the commonest host of the page's absolute links
                let mut count: HashMap<String, usize> = HashMap::new();
                for b in &page.blocks {
                    for h in &b.hrefs {
                        if let Some(host) = Url::parse(h).ok().as_ref().and_then(|u| u.host_str()) {
                            *count.entry(site(host)).or_default() += 1;
                        }
                    }
                }
                count
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .map(|(s, _)| s)
            });
        let base = url.clone().unwrap_or_else(|| {
            Url::parse("http://page.invalid/").expect("a static address parses")
        });
        PageSite {
            url_words: url
                .as_ref()
                .map(|u| slug_words(u.path()).into_iter().collect())
                .unwrap_or_default(),
            title_words: crate::text::words(&page.title)
                .filter(|w| w.chars().count() >= 4)
                .collect(),
            base,
            url,
            site,
        }
    }
}

/// Where one block's links go: its link-target columns ([`COLUMNS`] of them, zero when
/// it has no link) and its link tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockLinks {
    /// The link-target columns of the feature row.
    pub columns: [f32; COLUMNS],
    /// The link tokens, for the learned cue table of `chaff-learn`: per link, the
    /// leading path segments of a link to the page's own site (those
    /// [`SEGMENT_BUCKETS`] hash), the name of another site, the names of the query's
    /// parameters, the name of an anchor in the page (`#comments`), and the scheme of a
    /// link that opens no web page (`mailto`, `javascript`). Each token is the low 32
    /// bits of the xxh3 hash of a kind-prefixed string, so `sport` the segment and
    /// `sport` the site stay apart; in link order, with repeats.
    pub tokens: Vec<u32>,
}

/// Where each block's links go, every link read once.
pub fn block_links(page: &Page) -> Vec<BlockLinks> {
    let ps = PageSite::of(page);
    let declares = ps.url.is_some() as u8 as f32;
    page.blocks
        .iter()
        .map(|b| {
            let mut columns = [0f32; COLUMNS];
            columns[SHARES.len() - 1] = declares;
            let mut tokens = Vec::new();
            if b.hrefs.is_empty() {
                return BlockLinks { columns, tokens };
            }
            let n = b.hrefs.len() as f32;
            let mut sums = [0f32; SHARES.len() - 1];
            for href in &b.hrefs {
                link(
                    href,
                    &ps,
                    &mut sums,
                    &mut columns[SHARES.len()..],
                    &mut tokens,
                );
            }
            for (r, s) in columns.iter_mut().zip(sums) {
                *r = s / n;
            }
            BlockLinks { columns, tokens }
        })
        .collect()
}

/// A name short and plain enough to be a token: letters, `_` and `-`, at most 24 bytes.
fn short_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 24 && s.chars().all(|c| c.is_alphabetic() || c == '_' || c == '-')
}

/// A token of a kind (`segment`, `site`, `query`, `anchor`, `scheme`) and a name.
fn token(kind: &str, name: &str) -> u32 {
    xxh3_64(format!("{kind}:{name}").as_bytes()) as u32
}

/// Read one link: add its shares to `sums`, set its bucket flags in `buckets` and push
/// its tokens to `tokens`. An empty `href` counts as an in-page action in the shares and
/// as a link to the page's own address in the tokens.
fn link(href: &str, ps: &PageSite, sums: &mut [f32], buckets: &mut [f32], tokens: &mut Vec<u32>) {
    if let Some(anchor) = href.strip_prefix('#') {
        sums[2] += 1.0;
        if short_name(anchor) {
            tokens.push(token("anchor", &anchor.to_lowercase()));
        }
        return;
    }
    let columns = !href.is_empty();
    if !columns {
        sums[2] += 1.0;
    }
    let Ok(u) = ps.base.join(href) else {
        return;
    };
    if !matches!(u.scheme(), "http" | "https") {
        // javascript:, mailto:, tel:, whatsapp: ... act on the page, not another page
        if columns {
            sums[2] += 1.0;
        }
        tokens.push(token("scheme", u.scheme()));
        return;
    }
    let host = u.host_str().unwrap_or("");
    let relative = host == "page.invalid" && ps.url.is_none();
    let link_site = site(host);
    let internal = relative || ps.site.as_deref() == Some(link_site.as_str());
    let path = u.path();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let name = link_site.split('.').next().unwrap_or("");
    if internal {
        tokens.extend(leading_segments(&segments).map(|s| token("segment", &s)));
    } else {
        tokens.push(token("site", name));
    }
    tokens.extend(
        u.query_pairs()
            .map(|(k, _)| k.to_lowercase())
            .filter(|k| short_name(k))
            .map(|k| token("query", &k)),
    );
    if !columns {
        return;
    }
    if internal {
        sums[0] += 1.0;
    } else {
        sums[1] += 1.0;
        buckets[SEGMENT_BUCKETS + (xxh3_64(name.as_bytes()) % HOST_BUCKETS as u64) as usize] = 1.0;
    }
    sums[3] += (segments.len() as f32).ln_1p();
    let p = patterns();
    let last = segments.last().copied().unwrap_or("");
    let stem = last.rsplit_once('.').map_or(last, |(s, _)| s);
    let parts = stem
        .split(['-', '_', '+', ','])
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    if parts >= 3 || p.long_number.is_match(path) {
        sums[4] += 1.0;
    }
    if p.dated.is_match(path) {
        sums[5] += 1.0;
    }
    if u.query().is_some_and(|q| p.long_number.is_match(q)) {
        sums[6] += 1.0;
    }
    let words = slug_words(path);
    if !words.is_empty() {
        let n = words.len() as f32;
        sums[7] += words.iter().filter(|w| ps.title_words.contains(*w)).count() as f32 / n;
        sums[8] += words.iter().filter(|w| ps.url_words.contains(*w)).count() as f32 / n;
    }
    if ps
        .url
        .as_ref()
        .is_some_and(|pu| pu.host_str() == u.host_str() && pu.path() == u.path())
    {
        sums[9] += 1.0;
    }
    for seg in leading_segments(&segments) {
        buckets[(xxh3_64(seg.as_bytes()) % SEGMENT_BUCKETS as u64) as usize] = 1.0;
    }
}

/// The leading segments of a path, lowercased, which name sections, tags and authors: not
/// the story's slug (a segment with a hyphen), nor a number, nor a long code.
fn leading_segments<'a>(segments: &'a [&str]) -> impl Iterator<Item = String> + 'a {
    segments.iter().take(3).filter_map(|seg| {
        let seg = seg.to_lowercase();
        (seg.len() <= 24 && !seg.chars().all(|c| c.is_ascii_digit()) && !seg.contains('-'))
            .then_some(seg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageLimits;

    fn columns(html: &str) -> Vec<[f32; COLUMNS]> {
        block_links(&Page::from_html(html, PageLimits::default()).unwrap())
            .into_iter()
            .map(|l| l.columns)
            .collect()
    }

    fn col(name: &str) -> usize {
        SHARES.iter().position(|s| *s == name).unwrap()
    }

    #[test]
    fn targets_are_told_apart() {
        let rows = columns(
            r##"<html><head><title>Storm floods the valley</title>
            <link rel="canonical" href="https://www.example.com/news/2024/05/storm-floods-the-valley">
            </head><body>
            <p><a href="/news/2024/05/valley-residents-count-the-cost">Residents count the cost</a></p>
            <li><a href="/sport">Sport</a></li>
            <li><a href="https://www.facebook.com/share?u=x">Share</a></li>
            <li><a href="#comments">Comments</a></li>
            <li><a href="https://edition.example.com/tag/floods">Floods</a></li>
            <p>No link here.</p>
            </body></html>"##,
        );
        assert_eq!(rows.len(), 6);
        let [story, menu, share, anchor, tag, plain] = [0, 1, 2, 3, 4, 5].map(|i| rows[i]);
        assert_eq!(story[col("href_internal")], 1.0);
        assert_eq!(story[col("href_story")], 1.0);
        assert_eq!(story[col("href_dated")], 1.0);
        assert!(
            story[col("href_url_overlap")] > 0.0,
            "shares 'valley' with the page's slug"
        );
        assert_eq!(menu[col("href_internal")], 1.0);
        assert_eq!(menu[col("href_story")], 0.0);
        assert_eq!(share[col("href_external")], 1.0);
        assert_eq!(anchor[col("href_in_page")], 1.0);
        assert_eq!(
            tag[col("href_internal")],
            1.0,
            "a subdomain is the same site"
        );
        assert_eq!(
            tag[col("href_title_overlap")],
            1.0,
            "'floods' is in the title"
        );
        assert!(plain[..col("page_declares_url")].iter().all(|&v| v == 0.0));
        assert_eq!(plain[col("page_declares_url")], 1.0);
    }

    #[test]
    fn link_tokens_name_sections_sites_parameters_and_anchors() {
        let page = Page::from_html(
            r##"<html><head><link rel="canonical" href="https://www.example.com/news/a-story">
            </head><body>
            <p><a href="/sport/football/2024/05/a-long-story-slug?ref=related">A teaser</a></p>
            <p><a href="https://sport.example.com/sport">Sport</a></p>
            <p><a href="https://www.facebook.com/sharer?u=x">Share</a> <a href="#comments">Comments</a></p>
            <p>No link here. <a href="mailto:desk@example.com">Write to us</a></p>
            </body></html>"##,
            PageLimits::default(),
        )
        .unwrap();
        let tokens: Vec<Vec<u32>> = block_links(&page).into_iter().map(|l| l.tokens).collect();
        let h = |kind: &str, name: &str| xxh3_64(format!("{kind}:{name}").as_bytes()) as u32;
        assert_eq!(
            tokens,
            vec![
                vec![
                    h("segment", "sport"),
                    h("segment", "football"),
                    h("query", "ref")
                ],
                vec![h("segment", "sport")],
                vec![
                    h("site", "facebook"),
                    h("query", "u"),
                    h("anchor", "comments")
                ],
                vec![h("scheme", "mailto")],
            ]
        );
        assert_ne!(h("segment", "sport"), h("site", "sport"));
    }

    #[test]
    fn without_a_declared_address_the_commonest_host_is_the_site() {
        let rows = columns(
            r#"<p><a href="https://news.site.org/a">A</a></p>
            <p><a href="https://site.org/b">B</a></p>
            <p><a href="https://other.net/c">C</a></p>
            <p><a href="/d">D</a></p>"#,
        );
        let internal = col("href_internal");
        assert_eq!(
            [
                rows[0][internal],
                rows[1][internal],
                rows[2][internal],
                rows[3][internal]
            ],
            [1.0, 1.0, 0.0, 1.0]
        );
        assert!(rows.iter().all(|r| r[col("page_declares_url")] == 0.0));
    }
}
