//! Properties of classification on arbitrary pages: probabilities are finite and sum to 1,
//! the label is the most probable of the six, and the same page gives the same answer.

use std::path::Path;
use std::sync::OnceLock;

use chaff_extract::{Page, PageLimits};
use chaff_learn::{Dataset, LearnerParams, Model, ModelParams, Prepared};
use proptest::prelude::*;

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
            .fit(&data, &|_| {})
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
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn predictions_are_distributions_and_deterministic(html in page_strategy(), plain in any::<bool>()) {
        let page = if plain {
            Page::from_text(&html.replace('>', ">\n"), PageLimits::default()).unwrap()
        } else {
            Page::from_html(&html, PageLimits::default()).unwrap()
        };
        let prepared = Prepared::of_page(&page);
        let a = model().predict(&prepared, plain);
        prop_assert_eq!(a.len(), page.blocks.len());
        for p in &a {
            prop_assert!(p.probabilities.iter().all(|v| v.is_finite() && *v >= 0.0));
            prop_assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            prop_assert_eq!(p.probabilities[p.label.index()], p.confidence);
            prop_assert!(p.probabilities.iter().all(|v| *v <= p.confidence));
        }
        let b = model().predict(&Prepared::of_page(&page), plain);
        prop_assert_eq!(a, b);
    }
}
