//! Properties that hold for any page: every visible word lands in exactly one block, feature
//! rows are finite and of the schema's width, and nothing panics on arbitrary bytes.

use chaff_extract::{decode, FeatureRows, FeatureSchema, Page, PageLimits};
use proptest::prelude::*;

/// Cases per property: `PROPTEST_CASES` when set (for long fuzzing runs), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const TAGS: &[&str] = &[
    "div", "p", "span", "a", "li", "ul", "b", "h2", "section", "td", "tr", "table", "nav", "em",
    "footer", "script", "style", "br",
];

/// A random tree of elements with words in them, as HTML, plus the words a reader sees.
fn tree(depth: u32) -> BoxedStrategy<(String, Vec<String>)> {
    let word = "[a-zA-Z]{1,8}|[0-9]{1,4}|é[a-z]{0,3}|東京"
        .prop_map(|w| (format!(" {w} "), vec![w.to_lowercase()]));
    if depth == 0 {
        return word.boxed();
    }
    let leaf = word.clone();
    let node = (
        prop::sample::select(TAGS),
        prop::collection::vec(tree(depth - 1), 0..4),
    )
        .prop_map(|(tag, kids)| {
            let mut html = format!("<{tag} class=\"k{}\">", tag.len());
            let mut words = Vec::new();
            for (h, w) in kids {
                html.push_str(&h);
                words.extend(w);
            }
            if tag == "br" {
                // a void element: its "children" follow it
                return (html, words);
            }
            html.push_str(&format!("</{tag}>"));
            if tag == "script" || tag == "style" {
                words.clear(); // not visible
                html = format!("<{tag}></{tag}>");
            }
            (html, words)
        });
    prop_oneof![leaf, node].boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(200), ..ProptestConfig::default() })]

    #[test]
    fn every_visible_word_lands_in_exactly_one_block((html, words) in tree(4)) {
        let page = Page::from_html(&format!("<html><body>{html}</body></html>"), PageLimits::default()).unwrap();
        let mut got: Vec<String> = page.blocks.iter().flat_map(|b| chaff_extract::text::words(&b.text).collect::<Vec<_>>()).collect();
        let mut want: Vec<String> = words.iter().flat_map(|w| chaff_extract::text::words(w).collect::<Vec<_>>()).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn feature_rows_are_finite_and_full((html, _) in tree(4)) {
        let page = Page::from_html(&html, PageLimits::default()).unwrap();
        let rows = FeatureRows::of_page(&page);
        prop_assert_eq!(rows.cols, FeatureSchema::current().len());
        prop_assert_eq!(rows.rows(), page.blocks.len());
        prop_assert!(rows.values.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let limits = PageLimits::default();
        // without NUL bytes, so that the page is not refused as binary and its rows are made
        let text: Vec<u8> = bytes.iter().map(|&b| b.max(1)).collect();
        let page = Page::from_html_bytes(text, None, limits);
        prop_assert!(page.is_ok(), "{:?}", page.err());
        let rows = FeatureRows::of_page(&page.unwrap());
        prop_assert!(rows.values.iter().all(|v| v.is_finite()));
        let _ = Page::from_html_bytes(bytes.clone(), None, limits);
        let _ = Page::from_text_bytes(bytes.clone(), limits);
        let _ = decode::decode_html(&bytes, Some("utf-16"));
    }
}
