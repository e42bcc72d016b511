//! Properties of classification on arbitrary pages: probabilities are finite and sum to 1,
//! the label is the most probable of the six (or article, by the article fallback, on a
//! page where no block's most probable label is article), and the same page gives the same
//! answer.

use std::path::Path;
use std::sync::OnceLock;

use chaff_extract::{Label, Page, PageLimits};
use chaff_learn::{Dataset, LearnerParams, Model, ModelParams, PageFeatures};
use proptest::prelude::*;

/// Cases per property: `PROPTEST_CASES` when set (for long fuzzing runs), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/mini");
        let data = Dataset::load(&dir, PageLimits::default()).unwrap().dataset;
        ModelParams::default()
            .learner(LearnerParams::Boosted {
                iterations: 15,
                learning_rate: 0.3,
                max_depth: 3,
                l2: 1.0,
                min_leaf_weight: 1.0,
                subsample: 1.0,
                colsample: 1.0,
            })
            .check()
            .unwrap()
            .fit(data.clone(), &|_| {})
            .unwrap()
    })
}

fn page_strategy() -> impl Strategy<Value = String> {
    let block = (
        prop::sample::select(vec!["p", "li", "div", "h2", "td", "footer", "nav", "a"]),
        "[A-Za-z0-9©|.,! ]{0,80}",
    )
        .prop_map(|(t, txt)| format!("<{t}>{txt}</{t}>"));
    prop::collection::vec(block, 0..40).prop_map(|b| b.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(100), ..ProptestConfig::default() })]

    #[test]
    fn predictions_are_distributions_and_deterministic(html in page_strategy(), plain in any::<bool>()) {
        let page = if plain {
            Page::from_text(&html.replace('>', ">\n"), PageLimits::default()).unwrap()
        } else {
            Page::from_html(&html, PageLimits::default()).unwrap()
        };
        let prepared = PageFeatures::of_page(&page);
        let a = model().predict(&prepared, plain);
        prop_assert_eq!(a.len(), page.blocks.len());
        let art = Label::Article.index();
        let most_probable = |p: &chaff_learn::Prediction| {
            p.probabilities.iter().all(|v| *v <= p.confidence)
        };
        let top = a
            .iter()
            .zip(&page.blocks)
            .filter(|(_, b)| b.words > 0)
            .map(|(p, _)| p.probabilities[art])
            .fold(0.0, f64::max);
        let fallback_page = !a.iter().zip(&page.blocks).any(|(p, b)| {
            b.words > 0 && p.probabilities.iter().all(|v| *v <= p.probabilities[art])
        });
        for p in &a {
            prop_assert!(p.probabilities.iter().all(|v| v.is_finite() && *v >= 0.0));
            prop_assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            prop_assert_eq!(p.probabilities[p.label.index()], p.confidence);
            if !most_probable(p) {
                prop_assert!(fallback_page);
                prop_assert_eq!(p.label, Label::Article);
                prop_assert!(p.confidence >= model().rules().article_fallback * top);
            }
        }
        let b = model().predict(&PageFeatures::of_page(&page), plain);
        prop_assert_eq!(a, b);
    }
}

/// Page bytes: raw junk, or a generated page with bytes overwritten (tags cut in half,
/// invalid UTF-8, stray `<`), through the whole path: decode, parse, features, predict.
fn page_bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..3000),
        (
            page_strategy(),
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16)
        )
            .prop_map(|(html, edits)| {
                let mut bytes = html.into_bytes();
                for (i, b) in edits {
                    if !bytes.is_empty() {
                        let k = i.index(bytes.len());
                        bytes[k] = b;
                    }
                }
                bytes
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(100), ..ProptestConfig::default() })]

    /// Any bytes classify without a panic, as HTML or as plain text, and every block gets
    /// a distribution.
    #[test]
    fn page_bytes_classify(bytes in page_bytes_strategy(), plain in any::<bool>()) {
        let limits = PageLimits::default();
        let page = if plain {
            Page::from_text_bytes(bytes, limits)
        } else {
            Page::from_html_bytes(bytes, None, limits)
        };
        if let Ok(page) = page {
            let predictions = model().predict(&PageFeatures::of_page(&page), plain);
            prop_assert_eq!(predictions.len(), page.blocks.len());
            for p in &predictions {
                prop_assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            }
        }
    }
}

fn model_json() -> &'static Vec<u8> {
    static J: OnceLock<Vec<u8>> = OnceLock::new();
    J.get_or_init(|| model().to_json().unwrap().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), ..ProptestConfig::default() })]

    /// A damaged model file is refused with an error, never a panic: cut short, bytes
    /// overwritten, or numbers replaced.
    #[test]
    fn damaged_model_files_never_panic(
        cut in 0usize..4096,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        number in prop::sample::select(vec!["1e999", "-1", "0", "18446744073709551616", "null", "\"x\"", "[]"]),
        at in any::<prop::sample::Index>(),
    ) {
        let json = model_json();
        let mut bytes = json[..json.len().saturating_sub(cut)].to_vec();
        for (i, b) in &edits {
            if !bytes.is_empty() {
                let k = i.index(bytes.len());
                bytes[k] = *b;
            }
        }
        let _ = Model::from_bytes(&bytes, "fuzz");
        // replace one number of the intact file
        let text = String::from_utf8_lossy(json).into_owned();
        let digits: Vec<usize> = text.match_indices(|c: char| c.is_ascii_digit()).map(|(i, _)| i).collect();
        let k = digits[at.index(digits.len())];
        let end = text[k..].find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == '-')).map_or(text.len(), |e| k + e);
        let changed = format!("{}{}{}", &text[..k], number, &text[end..]);
        if let Ok(m) = Model::from_bytes(changed.as_bytes(), "fuzz") {
            // whatever loads must still predict distributions
            let page = Page::from_html("<p>one two three</p><li><a href=x>link</a></li>", PageLimits::default()).unwrap();
            for p in m.predict(&PageFeatures::of_page(&page), false) {
                prop_assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-6);
            }
        }
    }
}
