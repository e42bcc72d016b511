//! Scoring predictions against gold, comparing two runs, and leave-outlet-out
//! cross-validation.
//!
//! Words are counted as the reference scorer counts them: lowercased Unicode `\w+` runs
//! ([`chaff_extract::text::words`]). Six-class quality is precision/recall/F1 per label over
//! words (and over blocks), with macro-F1 over the five named labels. Article quality is
//! bag-of-words precision/recall/F1 per page, averaged over pages.
//!
//! - `measures`: precision/recall/F1 from confusion tables, per-outlet rows, draws of
//!   outlets — what the two below share;
//! - `score`: the [`Scorer`] that pages are added to, and the [`EvalReport`] it makes;
//! - `compare`: how one run's per-outlet scores differ from another's ([`compare()`]);
//! - `cv`: [`cross_validate`], and the [`FoldModels`] it can save.

mod compare;
mod cv;
mod measures;
mod score;

pub use compare::{compare, ArticleDifference, Comparison, Difference, LabelDifferences};
pub use cv::{cross_validate, fold_file, prepare_fold_dir, FoldModels, Folds};
pub use measures::{Confusion, OutletRow, Prf, RESAMPLES};
pub use score::{
    evaluate, ArticleScores, Calibration, EvalReport, Interval, Mistake, Scorer, SixClass,
    TEMPERATURE_GROUPS,
};

#[cfg(test)]
mod tests;
