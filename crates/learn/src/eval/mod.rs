//! Scoring predictions against gold, comparing two runs, and leave-outlet-out
//! cross-validation.
//!
//! Words are counted as the reference scorer counts them: lowercased Unicode `\w+` runs
//! ([`chaff_extract::text::words`]). Six-class quality is precision/recall/F1 per label over
//! words (and over blocks), with macro-F1 over the five named labels. Article quality is
//! bag-of-words precision/recall/F1 per page, averaged over pages.
//!
//! - `score`: the [`Scorer`] that pages are added to, and the [`EvalReport`] it makes;
//! - `compare`: how one run's per-outlet scores differ from another's ([`compare()`]);
//! - `cv`: [`cross_validate`], and the [`FoldModels`] it can save.

mod compare;
mod cv;
mod score;

pub use compare::{compare, ArticleDifference, Comparison, Difference, LabelDifferences};
pub use cv::{cross_validate, fold_file, prepare_fold_dir, FoldModels, Folds};
pub use score::{
    evaluate, ArticleScores, Calibration, Confusion, EvalReport, Interval, Mistake, OutletRow, Prf,
    Scorer, SixClass, RESAMPLES, TEMPERATURE_GROUPS,
};

#[cfg(test)]
mod tests;
