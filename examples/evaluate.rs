//! Leave-outlet-out cross-validation of a configuration on a dataset folder: per-label
//! precision, recall and F1 over words on pages of outlets the fold models never saw.
//!
//! ```sh
//! cargo run --release --example evaluate -- datasets/mini
//! ```

use chaff_extract::{Label, PageLimits};
use chaff_learn::eval::{cross_validate, Folds};
use chaff_learn::{Dataset, LearnerParams, ModelParams, PageRules};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "datasets/mini".into());
    let loaded = Dataset::load(data.as_ref(), PageLimits::default())?;
    let params = ModelParams::default()
        .learner(LearnerParams::logistic())
        .check()?;
    let folds = Folds {
        folds: 2,
        fold_seed: 42,
        labelled_share: 1.0,
    };
    let scorer = cross_validate(
        &params,
        &PageRules::default(),
        &loaded.dataset,
        &folds,
        None,
        &|step| eprintln!("cross-validation {step}"),
    )?;
    let report = scorer.report(0);
    println!("{} pages held out", report.pages);
    if let Some(six) = &report.six_class {
        for label in Label::ALL {
            let s = six.words[&label];
            println!(
                "{:<10} P {:.3}  R {:.3}  F1 {:.3}  ({} words)",
                label.as_str(),
                s.precision,
                s.recall,
                s.f1,
                s.support
            );
        }
        println!(
            "macro-F1 over the five named labels: {:.3}",
            six.macro_f1_words
        );
    }
    println!("article bag-of-words F1 per page: {:.3}", report.article.f1);
    Ok(())
}
