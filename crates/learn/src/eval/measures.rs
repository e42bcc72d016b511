//! What scoring and comparing share: precision/recall/F1 from a confusion table, the
//! per-outlet rows a report keeps, and the draws of outlets that intervals and
//! comparisons resample.

use std::collections::BTreeMap;

use chaff_extract::Label;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
    /// Gold count (words or blocks).
    pub support: u64,
}

impl Prf {
    pub(crate) fn new(tp: u64, fp: u64, fn_: u64) -> Prf {
        let p = if tp + fp > 0 {
            tp as f64 / (tp + fp) as f64
        } else {
            0.0
        };
        let r = if tp + fn_ > 0 {
            tp as f64 / (tp + fn_) as f64
        } else {
            0.0
        };
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        Prf {
            precision: p,
            recall: r,
            f1: f,
            support: tp + fn_,
        }
    }
}

/// How many times an [`Interval`](super::Interval) or a [`Comparison`](super::Comparison)
/// resamples the outlets.
pub const RESAMPLES: usize = 1000;

/// A confusion table over words: `table[gold][predicted]`, in [`Label::ALL`] order.
pub type Confusion = [[u64; 6]; 6];

/// One outlet's scores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutletRow {
    /// The outlet.
    pub outlet: String,
    /// Its pages.
    pub pages: usize,
    /// Share of its words labelled right (block-labelled pages).
    pub word_accuracy: Option<f64>,
    /// Mean article F1 of its pages.
    pub article_f1: f64,
    /// Its confusion over words (block-labelled pages), so that a saved report can be
    /// compared ([`compare`](super::compare())) outlet by outlet with another; reports from before it
    /// have none.
    #[serde(default)]
    pub confusion_words: Option<Confusion>,
}

/// Precision, recall and F1 of every label from a confusion table
/// (`m[gold][predicted]`).
pub(crate) fn label_scores(m: &Confusion) -> BTreeMap<Label, Prf> {
    Label::ALL
        .iter()
        .map(|&l| {
            let i = l.index();
            let tp = m[i][i];
            let fn_: u64 = m[i].iter().sum::<u64>() - tp;
            let fp: u64 = (0..6).map(|g| m[g][i]).sum::<u64>() - tp;
            (l, Prf::new(tp, fp, fn_))
        })
        .collect()
}

/// Mean F1 of the five named labels.
pub(crate) fn macro_f1(scores: &BTreeMap<Label, Prf>) -> f64 {
    Label::NAMED.iter().map(|l| scores[l].f1).sum::<f64>() / 5.0
}

/// The draws of the outlets that [`Interval`](super::Interval) and
/// [`Comparison`](super::Comparison) score: [`RESAMPLES`]
/// times, `n` outlets drawn with replacement (as indices; a fixed seed).
pub(crate) fn outlet_draws(n: usize) -> impl Iterator<Item = Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (0..RESAMPLES).map(move |_| (0..n).map(|_| rng.gen_range(0..n)).collect())
}

/// The sum of the tables at `picks`.
pub(crate) fn sum_tables(tables: &[&Confusion], picks: &[usize]) -> Confusion {
    let mut m = [[0u64; 6]; 6];
    for &k in picks {
        for (row, add) in m.iter_mut().zip(tables[k]) {
            row.iter_mut().zip(add).for_each(|(a, b)| *a += b);
        }
    }
    m
}

/// The middle 95% of `v`.
pub(crate) fn middle(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let tail = v.len() / 40;
    (v[tail], v[v.len() - 1 - tail])
}
