//! Comparing two runs on the same pages, outlet by outlet, over the same draws of the
//! outlets.

use std::collections::BTreeMap;

use chaff_extract::Label;
use serde::Serialize;

use super::measures::{
    label_scores, macro_f1, middle, outlet_draws, sum_tables, Confusion, OutletRow, RESAMPLES,
};
use crate::{Error, Result};

/// How one run's scores differ from another's on the same pages ([`compare`]): each
/// difference is this run's score minus the other's, observed over all outlets, and over
/// [`RESAMPLES`] draws of the outlets with replacement — the draws of [`Interval`](super::Interval), each
/// scoring both runs on the same outlets, so that what the outlets share (an easy outlet
/// is easy for both) cancels out.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    /// Draws.
    pub resamples: usize,
    /// The six-class scores over words, when the pages include block-labelled ones.
    pub six_class: Option<LabelDifferences>,
    /// Article bag-of-words F1 per page, averaged over all pages.
    pub article: ArticleDifference,
}

/// The six-class part of a [`Comparison`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LabelDifferences {
    /// Outlets with block-labelled pages, drawn from.
    pub outlets: usize,
    /// Macro-F1 over the five named labels.
    pub macro_f1_words: Difference,
    /// Per label F1.
    pub f1_words: BTreeMap<Label, Difference>,
}

/// The article part of a [`Comparison`]: the mean of article bag-of-words F1 over the
/// pages, each draw of the outlets weighing an outlet by its pages.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ArticleDifference {
    /// Outlets drawn from (all of them).
    pub outlets: usize,
    /// Pages.
    pub pages: usize,
    /// Article F1 per page, averaged.
    pub f1: Difference,
}

/// One score's difference between two runs (this one's minus the other's).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Difference {
    /// Over all outlets.
    pub observed: f64,
    /// The middle 95% of the differences over the draws.
    pub interval: (f64, f64),
    /// Share of the draws in which this run scored higher.
    pub higher: f64,
}

/// How the scores of `this` run differ from `that` run's, outlet by outlet (see
/// [`Comparison`]). Both must have scored the same pages, as two runs over the same
/// `--data` do: the same outlets (two at least), each with as many pages and, where
/// pages are block-labelled, the same gold words per label.
pub fn compare<'a>(this: &'a [OutletRow], that: &'a [OutletRow]) -> Result<Comparison> {
    let by_name = |rows: &'a [OutletRow]| -> BTreeMap<&'a str, &'a OutletRow> {
        rows.iter().map(|r| (r.outlet.as_str(), r)).collect()
    };
    let (a, b) = (by_name(this), by_name(that));
    if a.keys().ne(b.keys()) {
        let only = |x: &BTreeMap<&str, &OutletRow>, y: &BTreeMap<&str, &OutletRow>| {
            let names: Vec<&str> = x.keys().filter(|k| !y.contains_key(*k)).copied().collect();
            match names.len() {
                0 => "none".to_string(),
                n => format!("{n} ({})", some_of(&names)),
            }
        };
        return Err(Error::Incomparable(format!(
            "the runs scored different outlets: {} only in this one, {} only in the other \
             (score the same --data in both)",
            only(&a, &b),
            only(&b, &a)
        )));
    }
    if a.len() < 2 {
        return Err(Error::Incomparable(format!(
            "{} outlets: at least two are needed to draw from",
            a.len()
        )));
    }
    // the gold does not depend on the model: each outlet's pages, and each label's gold
    // words (a table's row sums), must agree, or the runs scored other pages
    let gold = |r: &OutletRow| {
        r.confusion_words
            .map(|t| t.map(|row| row.iter().sum::<u64>()))
    };
    let differ: Vec<&str> = a
        .iter()
        .filter(|(o, r)| r.pages != b[*o].pages || gold(r) != gold(b[*o]))
        .map(|(o, _)| *o)
        .collect();
    if !differ.is_empty() {
        let tables =
            |x: &BTreeMap<&str, &OutletRow>| x.values().any(|r| r.confusion_words.is_some());
        let why = if tables(&a) != tables(&b) {
            format!(
                "{} run's outlets have no confusion tables over words (a report of the same \
                 pages by a chaff that writes them is needed)",
                if tables(&a) { "the other" } else { "this" }
            )
        } else {
            "their pages or gold words differ".to_string()
        };
        return Err(Error::Incomparable(format!(
            "the runs scored other pages of {} outlets ({}): {why} (score the same --data in \
             both)",
            differ.len(),
            some_of(&differ)
        )));
    }
    let (ra, rb): (Vec<&OutletRow>, Vec<&OutletRow>) =
        (a.values().copied().collect(), b.values().copied().collect());
    Ok(Comparison {
        resamples: RESAMPLES,
        six_class: label_differences(&ra, &rb),
        article: article_difference(&ra, &rb),
    })
}

/// Up to three of `names`, with "…" when there are more.
fn some_of(names: &[&str]) -> String {
    let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        format!("{shown}, …")
    } else {
        shown
    }
}

/// The difference's observed value (the first of `v`) and its spread over the draws (the
/// rest).
fn difference(v: &[f64]) -> Difference {
    Difference {
        observed: v[0],
        interval: middle(v[1..].to_vec()),
        higher: v[1..].iter().filter(|&&d| d > 0.0).count() as f64 / RESAMPLES as f64,
    }
}

/// The six-class part of [`compare`] over the outlets with confusion tables (the same in
/// `a` and `b`, which are in the same order), if two at least.
fn label_differences<'a>(a: &[&'a OutletRow], b: &[&'a OutletRow]) -> Option<LabelDifferences> {
    let tables = |rows: &[&'a OutletRow]| -> Vec<&'a Confusion> {
        rows.iter()
            .filter_map(|r| r.confusion_words.as_ref())
            .collect()
    };
    let (ta, tb) = (tables(a), tables(b));
    let n = ta.len();
    if n < 2 {
        return None;
    }
    let all: Vec<usize> = (0..n).collect();
    // per draw (the first being all outlets once): macro-F1, then each label's F1
    let mut diffs: Vec<Vec<f64>> = (0..1 + Label::COUNT)
        .map(|_| Vec::with_capacity(RESAMPLES + 1))
        .collect();
    for picks in std::iter::once(all).chain(outlet_draws(n)) {
        let (sa, sb) = (
            label_scores(&sum_tables(&ta, &picks)),
            label_scores(&sum_tables(&tb, &picks)),
        );
        diffs[0].push(macro_f1(&sa) - macro_f1(&sb));
        for l in Label::ALL {
            diffs[1 + l.index()].push(sa[&l].f1 - sb[&l].f1);
        }
    }
    Some(LabelDifferences {
        outlets: n,
        macro_f1_words: difference(&diffs[0]),
        f1_words: Label::ALL
            .iter()
            .map(|&l| (l, difference(&diffs[1 + l.index()])))
            .collect(),
    })
}

/// The article part of [`compare`] over all outlets (the same in `a` and `b`, which are
/// in the same order, at least two).
fn article_difference(a: &[&OutletRow], b: &[&OutletRow]) -> ArticleDifference {
    let n = a.len();
    let all: Vec<usize> = (0..n).collect();
    // mean page F1 over the pages of the outlets picked
    let mean = |rows: &[&OutletRow], picks: &[usize]| {
        let (sum, pages) = picks.iter().fold((0.0, 0usize), |(s, p), &k| {
            (
                s + rows[k].article_f1 * rows[k].pages as f64,
                p + rows[k].pages,
            )
        });
        sum / pages.max(1) as f64
    };
    let diffs: Vec<f64> = std::iter::once(all)
        .chain(outlet_draws(n))
        .map(|picks| mean(a, &picks) - mean(b, &picks))
        .collect();
    ArticleDifference {
        outlets: n,
        pages: a.iter().map(|r| r.pages).sum(),
        f1: difference(&diffs),
    }
}
