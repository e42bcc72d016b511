//! Scoring predictions against gold, and leave-outlet-out cross-validation.
//!
//! Words are counted as the reference scorer counts them: lowercased Unicode `\w+` runs
//! ([`chaff_extract::text::words`]). Six-class quality is precision/recall/F1 per label over
//! words (and over blocks), with macro-F1 over the five named labels. Article quality is
//! bag-of-words precision/recall/F1 per page, averaged over pages.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use chaff_extract::text::words;
use chaff_extract::Label;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, LabelledPage, PageGold};
use crate::model::{
    fit_confidence_temperature, HeldOutFold, Model, ModelParams, Prediction, ValidModelParams,
};
use crate::{Error, Result};
use rayon::prelude::*;

/// The file name of fold `f`'s model (counted from 0) in a `save_folds` folder of
/// [`cross_validate`]: `fold-1.json.gz` for the first.
pub fn fold_file(f: usize) -> String {
    format!("fold-{}.json.gz", f + 1)
}

/// Assign each page to one of `k` folds so that no outlet is in two folds. Outlets are
/// shuffled by `seed`, then each goes to the fold with the fewest blocks so far.
pub fn folds_by_outlet(outlets: &[&str], sizes: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let mut per_outlet: BTreeMap<&str, usize> = BTreeMap::new();
    for (o, s) in outlets.iter().zip(sizes) {
        *per_outlet.entry(o).or_default() += s;
    }
    let mut order: Vec<(&str, usize)> = per_outlet.into_iter().collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut load = vec![0usize; k.max(1)];
    let mut fold_of: HashMap<&str, usize> = HashMap::new();
    for (o, s) in order {
        let f = (0..load.len()).min_by_key(|&f| (load[f], f)).unwrap_or(0);
        load[f] += s.max(1);
        fold_of.insert(o, f);
    }
    outlets.iter().map(|o| fold_of[o]).collect()
}

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
    fn new(tp: u64, fp: u64, fn_: u64) -> Prf {
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

/// Scores of six-class labelling.
#[derive(Debug, Clone, Serialize)]
pub struct SixClass {
    /// Per label, counted over words.
    pub words: BTreeMap<Label, Prf>,
    /// Per label, counted over blocks.
    pub blocks: BTreeMap<Label, Prf>,
    /// Macro-F1 over the five named labels, words.
    pub macro_f1_words: f64,
    /// Macro-F1 over the five named labels, blocks.
    pub macro_f1_blocks: f64,
    /// Confusion over words: `confusion[gold][predicted]`, in [`Label::ALL`] order.
    pub confusion_words: Confusion,
    /// How far the scores over words would move with other outlets: none when the
    /// block-labelled pages come from fewer than two outlets.
    pub interval: Option<Interval>,
}

/// How many times [`Interval`] resamples the outlets.
pub const RESAMPLES: usize = 1000;

/// A 95% interval of the six-class scores over words: the outlets with block-labelled
/// pages are drawn with replacement, as many as there are, [`RESAMPLES`] times (a fixed
/// seed, so a report is reproducible), and each draw's words are scored together; the
/// interval holds the middle 95% of those scores. Pages of one outlet are drawn
/// together, since they share markup and are not independent evidence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Interval {
    /// Outlets drawn from.
    pub outlets: usize,
    /// Draws.
    pub resamples: usize,
    /// Macro-F1 over the five named labels.
    pub macro_f1_words: (f64, f64),
    /// Per label F1.
    pub f1_words: BTreeMap<Label, (f64, f64)>,
}

/// Bag-of-words article scores averaged over pages.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ArticleScores {
    /// Pages scored.
    pub pages: usize,
    /// Mean precision.
    pub precision: f64,
    /// Mean recall.
    pub recall: f64,
    /// Mean F1.
    pub f1: f64,
    /// Median F1.
    pub f1_median: f64,
}

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
    /// [`compare`]d outlet by outlet with another; reports from before it have none.
    #[serde(default)]
    pub confusion_words: Option<Confusion>,
}

/// How one run's scores differ from another's on the same pages ([`compare`]): each
/// difference is this run's score minus the other's, observed over all outlets, and over
/// [`RESAMPLES`] draws of the outlets with replacement — the draws of [`Interval`], each
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

/// How well confidence matches accuracy.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    /// Expected calibration error over blocks (10 equal-width bins).
    pub ece: f64,
    /// Per bin: lower edge, blocks, mean confidence, accuracy.
    pub bins: Vec<(f64, u64, f64, f64)>,
    /// The temperature, on top of the scored models', that minimises the log-loss of the
    /// gold labels over these blocks ([`crate::model::fit_confidence_temperature`]): what
    /// `--confidence-temperature` should be multiplied by.
    pub temperature: f64,
    /// The expected calibration error when each of [`TEMPERATURE_GROUPS`] groups of
    /// outlets gets the temperature fitted on the others' blocks: what a fitted
    /// temperature does on outlets it was not fitted on.
    pub ece_tempered_held_out: f64,
}

/// Groups of outlets (by sorted name, in turn) for [`Calibration::ece_tempered_held_out`].
pub const TEMPERATURE_GROUPS: usize = 5;

/// A block as calibration sees it.
#[derive(Debug, Clone)]
struct CalibrationRow {
    probabilities: [f64; 6],
    predicted: Label,
    gold: Label,
    outlet: String,
}

/// Expected calibration error and its bins over (confidence, right) pairs.
fn calibration_bins(rows: impl Iterator<Item = (f64, bool)>) -> (f64, Vec<(f64, u64, f64, f64)>) {
    let mut bins = vec![(0u64, 0f64, 0u64); 10];
    for (c, ok) in rows {
        let b = ((c * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += c;
        bins[b].2 += ok as u64;
    }
    let total: u64 = bins.iter().map(|b| b.0).sum();
    let mut ece = 0.0;
    let rows = bins
        .iter()
        .enumerate()
        .map(|(i, &(cnt, conf, ok))| {
            let (mc, acc) = if cnt > 0 {
                (conf / cnt as f64, ok as f64 / cnt as f64)
            } else {
                (0.0, 0.0)
            };
            ece += cnt as f64 / total.max(1) as f64 * (mc - acc).abs();
            (i as f64 / 10.0, cnt, mc, acc)
        })
        .collect();
    (ece, rows)
}

fn calibration(rows: &[CalibrationRow]) -> Calibration {
    let (ece, bins) = calibration_bins(
        rows.iter()
            .map(|r| (r.probabilities[r.predicted.index()], r.predicted == r.gold)),
    );
    let fit = |keep: &dyn Fn(&CalibrationRow) -> bool| {
        let gold: Vec<([f64; 6], Label)> = rows
            .iter()
            .filter(|r| keep(r))
            .map(|r| (r.probabilities, r.gold))
            .collect();
        // with too few outlets for every group, a group has no others to fit on
        if gold.is_empty() {
            1.0
        } else {
            fit_confidence_temperature(&gold)
        }
    };
    let temperature = fit(&|_| true);
    let mut outlets: Vec<&str> = rows.iter().map(|r| r.outlet.as_str()).collect();
    outlets.sort_unstable();
    outlets.dedup();
    let group: HashMap<&str, usize> = outlets
        .iter()
        .enumerate()
        .map(|(i, o)| (*o, i % TEMPERATURE_GROUPS))
        .collect();
    let mut tempered = Vec::with_capacity(rows.len());
    for g in 0..TEMPERATURE_GROUPS {
        let t = fit(&|r| group[r.outlet.as_str()] != g);
        for r in rows.iter().filter(|r| group[r.outlet.as_str()] == g) {
            let mut p = Prediction {
                label: r.predicted,
                confidence: 0.0,
                probabilities: r.probabilities,
            };
            p.temper(t);
            tempered.push((p.confidence, r.predicted == r.gold));
        }
    }
    let (ece_tempered_held_out, _) = calibration_bins(tempered.into_iter());
    Calibration {
        ece,
        bins,
        temperature,
        ece_tempered_held_out,
    }
}

/// A block labelled wrong, for error analysis.
#[derive(Debug, Clone, Serialize)]
pub struct Mistake {
    /// Page id.
    pub page: String,
    /// Block index.
    pub index: usize,
    /// Gold label.
    pub gold: Label,
    /// Predicted label.
    pub predicted: Label,
    /// Words in the block.
    pub words: usize,
    /// The block's text (cut to 160 characters).
    pub text: String,
}

/// Everything `chaff eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Pages scored.
    pub pages: usize,
    /// Six-class scores (when any page is labelled block by block).
    pub six_class: Option<SixClass>,
    /// Article bag-of-words scores over all pages.
    pub article: ArticleScores,
    /// The same, over block-labelled pages and over article-text-only pages apart.
    pub article_by_gold: BTreeMap<String, ArticleScores>,
    /// Per outlet.
    pub outlets: Vec<OutletRow>,
    /// Against another run's report on the same outlets, when one was given
    /// ([`compare`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared: Option<Comparison>,
    /// Calibration of `confidence` (block-labelled pages).
    pub calibration: Option<Calibration>,
    /// Pages with the lowest word accuracy (or article F1), worst first: (page, score).
    pub worst_pages: Vec<(String, f64)>,
    /// The largest mistakes (by words), per confusion pair, most words first.
    pub mistakes: Vec<Mistake>,
}

/// Accumulates predictions page by page and produces an [`EvalReport`].
#[derive(Debug, Default)]
pub struct Scorer {
    words: Confusion,
    blocks: Confusion,
    article: Vec<(f64, f64, f64)>,
    article_kind: Vec<&'static str>,
    /// Pages and summed article F1 per outlet.
    per_outlet: BTreeMap<String, (usize, f64)>,
    /// Confusion over words per outlet (block-labelled pages).
    outlet_words: BTreeMap<String, Confusion>,
    calibration: Vec<CalibrationRow>,
    page_scores: Vec<(String, f64)>,
    mistakes: Vec<Mistake>,
}

fn bag_prf(pred: &[String], gold: &[String]) -> (f64, f64, f64) {
    let mut g: HashMap<&str, i64> = HashMap::new();
    for w in gold {
        *g.entry(w).or_default() += 1;
    }
    let mut hit = 0u64;
    for w in pred {
        if let Some(c) = g.get_mut(w.as_str()) {
            if *c > 0 {
                *c -= 1;
                hit += 1;
            }
        }
    }
    let p = if pred.is_empty() {
        0.0
    } else {
        hit as f64 / pred.len() as f64
    };
    let r = if gold.is_empty() {
        0.0
    } else {
        hit as f64 / gold.len() as f64
    };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f)
}

impl Scorer {
    /// Score one page's predictions.
    pub fn add(&mut self, page: &LabelledPage, preds: &[Prediction]) {
        let predicted_article: Vec<String> = page
            .texts
            .iter()
            .zip(preds)
            .filter(|(_, p)| p.label == Label::Article)
            .flat_map(|(t, _)| words(t))
            .collect();
        let (gold_article, labels): (Vec<String>, Option<&[Label]>) = match &page.gold {
            PageGold::Blocks(labels) => (
                page.texts
                    .iter()
                    .zip(labels)
                    .filter(|(_, l)| **l == Label::Article)
                    .flat_map(|(t, _)| words(t))
                    .collect(),
                Some(labels),
            ),
            PageGold::ArticleWords(w) => (w.clone(), None),
        };
        let prf = bag_prf(&predicted_article, &gold_article);
        self.article.push(prf);
        self.article_kind.push(if labels.is_some() {
            "block-labelled"
        } else {
            "article-text"
        });
        let entry = self.per_outlet.entry(page.outlet.clone()).or_default();
        entry.0 += 1;
        entry.1 += prf.2;
        let Some(labels) = labels else {
            self.page_scores.push((page.id.clone(), prf.2));
            return;
        };
        let (mut right, mut total) = (0u64, 0u64);
        let outlet_words = self.outlet_words.entry(page.outlet.clone()).or_default();
        for (i, ((gold, pred), text)) in labels.iter().zip(preds).zip(&page.texts).enumerate() {
            let n = words(text).count() as u64;
            self.words[gold.index()][pred.label.index()] += n;
            outlet_words[gold.index()][pred.label.index()] += n;
            self.blocks[gold.index()][pred.label.index()] += 1;
            self.calibration.push(CalibrationRow {
                probabilities: pred.probabilities,
                predicted: pred.label,
                gold: *gold,
                outlet: page.outlet.clone(),
            });
            total += n;
            if *gold == pred.label {
                right += n;
            } else if n > 0 {
                self.mistakes.push(Mistake {
                    page: page.id.clone(),
                    index: i,
                    gold: *gold,
                    predicted: pred.label,
                    words: n as usize,
                    text: text.chars().take(160).collect(),
                });
            }
        }
        let acc = if total > 0 {
            right as f64 / total as f64
        } else {
            1.0
        };
        self.page_scores.push((page.id.clone(), acc));
    }

    /// The report; `worst` bounds the worst pages and mistakes listed.
    pub fn report(&self, worst: usize) -> EvalReport {
        let has_blocks = self.blocks.iter().flatten().any(|&c| c > 0);
        let six_class = has_blocks.then(|| {
            let w = label_scores(&self.words);
            let b = label_scores(&self.blocks);
            SixClass {
                macro_f1_words: macro_f1(&w),
                macro_f1_blocks: macro_f1(&b),
                words: w,
                blocks: b,
                confusion_words: self.words,
                interval: outlet_interval(&self.outlet_words),
            }
        });
        let n = self.article.len();
        let article = article_scores(self.article.iter());
        let mut article_by_gold = BTreeMap::new();
        for kind in ["block-labelled", "article-text"] {
            let scores = self
                .article
                .iter()
                .zip(&self.article_kind)
                .filter(|(_, k)| **k == kind)
                .map(|(a, _)| a);
            let s = article_scores(scores);
            if s.pages > 0 {
                article_by_gold.insert(kind.to_string(), s);
            }
        }
        let outlets = self
            .per_outlet
            .iter()
            .map(|(o, &(pages, f1))| OutletRow {
                outlet: o.clone(),
                pages,
                word_accuracy: self.outlet_words.get(o).and_then(|m| {
                    let total: u64 = m.iter().flatten().sum();
                    let right: u64 = (0..6).map(|i| m[i][i]).sum();
                    (total > 0).then(|| right as f64 / total as f64)
                }),
                article_f1: f1 / pages.max(1) as f64,
                confusion_words: self.outlet_words.get(o).copied(),
            })
            .collect();
        let calibration = (!self.calibration.is_empty()).then(|| calibration(&self.calibration));
        let mut worst_pages = self.page_scores.clone();
        worst_pages.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        worst_pages.truncate(worst);
        let mut mistakes = self.mistakes.clone();
        mistakes.sort_by(|a, b| {
            b.words
                .cmp(&a.words)
                .then(a.page.cmp(&b.page))
                .then(a.index.cmp(&b.index))
        });
        mistakes.truncate(worst);
        EvalReport {
            pages: n,
            six_class,
            article,
            article_by_gold,
            outlets,
            compared: None,
            calibration,
            worst_pages,
            mistakes,
        }
    }
}

/// Precision, recall and F1 of every label from a confusion table
/// (`m[gold][predicted]`).
fn label_scores(m: &Confusion) -> BTreeMap<Label, Prf> {
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
fn macro_f1(scores: &BTreeMap<Label, Prf>) -> f64 {
    Label::NAMED.iter().map(|l| scores[l].f1).sum::<f64>() / 5.0
}

/// The draws of the outlets that [`Interval`] and [`Comparison`] score: [`RESAMPLES`]
/// times, `n` outlets drawn with replacement (as indices; a fixed seed).
fn outlet_draws(n: usize) -> impl Iterator<Item = Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (0..RESAMPLES).map(move |_| (0..n).map(|_| rng.gen_range(0..n)).collect())
}

/// The sum of the tables at `picks`.
fn sum_tables(tables: &[&Confusion], picks: &[usize]) -> Confusion {
    let mut m = [[0u64; 6]; 6];
    for &k in picks {
        for (row, add) in m.iter_mut().zip(tables[k]) {
            row.iter_mut().zip(add).for_each(|(a, b)| *a += b);
        }
    }
    m
}

/// The middle 95% of `v`.
fn middle(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let tail = v.len() / 40;
    (v[tail], v[v.len() - 1 - tail])
}

/// The [`Interval`] of the scores of `per_outlet`'s confusion tables over words.
fn outlet_interval(per_outlet: &BTreeMap<String, Confusion>) -> Option<Interval> {
    let tables: Vec<&Confusion> = per_outlet.values().collect();
    let n = tables.len();
    if n < 2 {
        return None;
    }
    let mut macros = Vec::with_capacity(RESAMPLES);
    let mut per_label: Vec<Vec<f64>> = (0..Label::COUNT)
        .map(|_| Vec::with_capacity(RESAMPLES))
        .collect();
    for picks in outlet_draws(n) {
        let s = label_scores(&sum_tables(&tables, &picks));
        macros.push(macro_f1(&s));
        for l in Label::ALL {
            per_label[l.index()].push(s[&l].f1);
        }
    }
    Some(Interval {
        outlets: n,
        resamples: RESAMPLES,
        macro_f1_words: middle(macros),
        f1_words: Label::ALL
            .iter()
            .zip(per_label)
            .map(|(&l, v)| (l, middle(v)))
            .collect(),
    })
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
        return Err(Error::Mismatch(format!(
            "the runs scored different outlets: {} only in this one, {} only in the other \
             (score the same --data in both)",
            only(&a, &b),
            only(&b, &a)
        )));
    }
    if a.len() < 2 {
        return Err(Error::Mismatch(format!(
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
        return Err(Error::Mismatch(format!(
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

fn article_scores<'a>(scores: impl Iterator<Item = &'a (f64, f64, f64)>) -> ArticleScores {
    let all: Vec<&(f64, f64, f64)> = scores.collect();
    let n = all.len();
    if n == 0 {
        return ArticleScores::default();
    }
    let mut f1s: Vec<f64> = all.iter().map(|a| a.2).collect();
    f1s.sort_by(f64::total_cmp);
    let mean = |k: fn(&(f64, f64, f64)) -> f64| all.iter().map(|a| k(a)).sum::<f64>() / n as f64;
    ArticleScores {
        pages: n,
        precision: mean(|a| a.0),
        recall: mean(|a| a.1),
        f1: mean(|a| a.2),
        f1_median: f1s[n / 2],
    }
}

/// Score `model` on every page of `data`.
pub fn evaluate(model: &Model, data: &Dataset) -> Scorer {
    let mut scorer = Scorer::default();
    for page in &data.pages {
        scorer.add(page, &model.predict(&page.html, false));
    }
    scorer
}

/// K-fold cross-validation with no outlet on both sides of a fold: train on the other
/// folds' block-labelled pages, predict the fold's pages (of any kind), score them all.
/// The folds are drawn by `fold_seed`, the models trained with the params' seed: with
/// another training seed and the same fold seed, the same pages are held out, so two
/// runs' difference shows the training's own noise. `progress` hears which fold runs.
/// Folds are fitted in parallel (rayon), and the held-out pages are scored by the HTML
/// head, so no text head is trained. With
/// `save_folds`, each fold's model is written there as `fold-N.json.gz` (N from 1), so
/// the same held-out predictions can be made again ([`evaluate_folds`]) without
/// training: options that act after prediction can then be tried in minutes.
/// `labelled_share` (in (0, 1]) keeps that share of the block-labelled outlets for
/// training, drawn by `fold_seed` (the same for every fold, and a smaller share's
/// outlets are among a larger one's); every held-out page is still scored and the
/// article-text pages all train, so runs at several shares on one fold seed draw a
/// learning curve over labelled outlets.
pub fn cross_validate(
    params: &ValidModelParams,
    data: &Dataset,
    k: usize,
    fold_seed: u64,
    labelled_share: f64,
    save_folds: Option<&Path>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Scorer> {
    if k < 2 {
        return Err(crate::Error::Params(
            "cross-validation needs at least 2 folds".into(),
        ));
    }
    let outlets: Vec<&str> = data.pages.iter().map(|p| p.outlet.as_str()).collect();
    let sizes: Vec<usize> = data.pages.iter().map(|p| p.html.len()).collect();
    let folds = folds_by_outlet(&outlets, &sizes, k, fold_seed);
    let kept = labelled_outlets(data, labelled_share, fold_seed)?;
    // held-out pages are scored through the HTML head only: no text head to train
    let params = ModelParams {
        text_head: false,
        ..params.params().clone()
    }
    .check()?;
    // folds are independent: they run in parallel, each deterministic as alone
    let fold_preds: Vec<Vec<(usize, Vec<Prediction>)>> = (0..k)
        .into_par_iter()
        .map(|f| {
            progress(&format!("fold {}/{k}", f + 1));
            let train: Vec<&LabelledPage> = data
                .pages
                .iter()
                .zip(&folds)
                .filter(|(p, &g)| {
                    g != f && (p.block_labels().is_none() || kept.contains(p.outlet.as_str()))
                })
                .map(|(p, _)| p)
                .collect();
            if !train.iter().any(|p| p.block_labels().is_some()) {
                // its pages would go unscored, and the report would not say so
                let share = if labelled_share < 1.0 {
                    format!(" at a labelled share of {labelled_share}")
                } else {
                    String::new()
                };
                return Err(Error::Training(format!(
                    "fold {} of {k} has no block-labelled page to train on{share}: \
                     block-labelled pages of more outlets are needed",
                    f + 1
                )));
            }
            let mut model = params.fit_pages(&train, &|_| {})?;
            let mut held_out: Vec<String> = outlets
                .iter()
                .zip(&folds)
                .filter(|(_, &g)| g == f)
                .map(|(o, _)| o.to_string())
                .collect();
            held_out.sort();
            held_out.dedup();
            model.training.held_out_fold = Some(HeldOutFold {
                fold: f + 1,
                folds: k,
                seed: fold_seed,
                outlets: held_out,
            });
            if let Some(dir) = save_folds {
                model.save(&dir.join(fold_file(f)))?;
            }
            Ok(data
                .pages
                .iter()
                .enumerate()
                .filter(|(i, _)| folds[*i] == f)
                .map(|(i, p)| (i, model.predict(&p.html, false)))
                .collect())
        })
        .collect::<Result<_>>()?;
    let mut preds: Vec<Option<Vec<Prediction>>> = vec![None; data.pages.len()];
    for (i, pr) in fold_preds.into_iter().flatten() {
        preds[i] = Some(pr);
    }
    let mut scorer = Scorer::default();
    for (p, pr) in data.pages.iter().zip(preds) {
        if let Some(pr) = pr {
            scorer.add(p, &pr);
        }
    }
    Ok(scorer)
}

/// Refuses a `labelled_share` for [`cross_validate`] outside (0, 1], so that a caller can
/// check it before loading any page.
pub fn check_labelled_share(share: f64) -> Result<()> {
    if share > 0.0 && share <= 1.0 {
        Ok(())
    } else {
        Err(Error::Params(format!(
            "the share of labelled outlets (--labelled-share) must be above 0 and at most \
             1, got {share}"
        )))
    }
}

/// The block-labelled pages' outlets that `share` of them keeps: the first of the
/// sorted outlets shuffled by `seed` (at least one).
fn labelled_outlets(data: &Dataset, share: f64, seed: u64) -> Result<HashSet<&str>> {
    check_labelled_share(share)?;
    let mut all: Vec<&str> = data
        .pages
        .iter()
        .filter(|p| p.block_labels().is_some())
        .map(|p| p.outlet.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    all.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n = ((share * all.len() as f64).round() as usize).max(1);
    Ok(all.into_iter().take(n).collect())
}

/// The seed that drew the folds of `models` (fold `f`'s model at `f`), checking that they
/// are the folds of one cross-validation (the same training seeds), in order. Fold models
/// written before they recorded their fold were drawn by their training seed.
/// [`evaluate_folds`] checks this itself; it is public so that fold models can be checked
/// before any page is read.
pub fn fold_seed(models: &[Model]) -> Result<u64> {
    let k = models.len();
    let Some(model_1) = models.first() else {
        return Err(crate::Error::Params("no fold models".into()));
    };
    let not_one = |f: usize, what: String| {
        crate::Error::Params(format!(
            "{} {what}: not the folds of one cross-validation",
            fold_file(f)
        ))
    };
    let training_seeds = model_1.member_seeds();
    let seeds = |s: &[u64]| match s {
        [one] => format!("seed {one}"),
        _ => format!(
            "seeds {}",
            s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ),
    };
    if let Some(f) = models
        .iter()
        .position(|m| m.member_seeds() != training_seeds)
    {
        return Err(not_one(
            f,
            format!(
                "was trained with {}, {} with {}",
                seeds(&models[f].member_seeds()),
                fold_file(0),
                seeds(&training_seeds)
            ),
        ));
    }
    match &model_1.training.held_out_fold {
        Some(first) => {
            for (f, m) in models.iter().enumerate() {
                match &m.training.held_out_fold {
                    Some(h) if (h.fold, h.folds, h.seed) == (f + 1, k, first.seed) => {}
                    Some(h) => {
                        return Err(not_one(
                            f,
                            format!(
                                "is fold {} of {} drawn by seed {}, where fold {} of {k} \
                                 drawn by seed {} was expected",
                                h.fold,
                                h.folds,
                                h.seed,
                                f + 1,
                                first.seed
                            ),
                        ))
                    }
                    None => return Err(not_one(f, "does not say which fold it is".into())),
                }
            }
            Ok(first.seed)
        }
        None => match models
            .iter()
            .position(|m| m.training.held_out_fold.is_some())
        {
            Some(f) => Err(not_one(
                f,
                format!("says which fold it is, {} does not", fold_file(0)),
            )),
            None => Ok(model_1.params.seed),
        },
    }
}

/// The fold that held out each page of `data`: looked up in the held-out outlets the
/// fold models record, or, for fold models written before they recorded them, drawn
/// again from `data`'s pages with `seed` (the same folds only when the pages are the
/// run's). A page whose outlet no fold held out was not in the cross-validation.
fn held_out_folds(models: &[Model], data: &Dataset, seed: u64) -> Result<Vec<usize>> {
    let recorded: Option<Vec<&[String]>> = models
        .iter()
        .map(|m| {
            m.training
                .held_out_fold
                .as_ref()
                .map(|h| h.outlets.as_slice())
                .filter(|o| !o.is_empty())
        })
        .collect();
    let Some(recorded) = recorded else {
        let outlets: Vec<&str> = data.pages.iter().map(|p| p.outlet.as_str()).collect();
        let sizes: Vec<usize> = data.pages.iter().map(|p| p.html.len()).collect();
        return Ok(folds_by_outlet(&outlets, &sizes, models.len(), seed));
    };
    data.pages
        .iter()
        .map(|page| {
            recorded
                .iter()
                .position(|o| o.binary_search(&page.outlet).is_ok())
                .ok_or_else(|| {
                    crate::Error::Params(format!(
                        "page {} (outlet {}) was held out by no fold: its outlet was not in \
                         the cross-validation that made the fold models",
                        page.id, page.outlet
                    ))
                })
        })
        .collect()
}

/// Score the held-out pages of a cross-validation again with the fold models it saved
/// (`save_folds` of [`cross_validate`]; `models[f]` is fold `f`'s): each page is
/// predicted by the model whose fold held it out, found in the outlets the fold models
/// record (older fold models do not: for them the folds are drawn again from the pages
/// and the seed that drew them, which finds the run's folds only on the run's pages).
/// Options that act after prediction (the models' `params`) can be changed
/// before the call; with them unchanged, the scores are the cross-validation's. Fails
/// when the models are not the folds of one cross-validation in order, when a page's
/// outlet was in none of the folds, or when a page's fold model trained on the page's
/// outlet (the models were made from other pages).
pub fn evaluate_folds(models: &[Model], data: &Dataset) -> Result<Scorer> {
    let k = models.len();
    if k < 2 {
        return Err(crate::Error::Params(format!(
            "cross-validation folds need at least 2 fold models, got {k}"
        )));
    }
    let seed = fold_seed(models)?;
    let folds = held_out_folds(models, data, seed)?;
    for (page, &f) in data.pages.iter().zip(&folds) {
        let t = &models[f].training;
        if t.outlets.binary_search(&page.outlet).is_ok()
            || t.article_prior_outlets.binary_search(&page.outlet).is_ok()
        {
            return Err(crate::Error::Params(format!(
                "page {} (outlet {}) falls in fold {}, but that fold's model trained on its \
                 outlet: the fold models were made from other pages or another number of \
                 folds, or, as they do not record the outlets they held out, a page of their \
                 run is missing and the folds drawn again moved",
                page.id,
                page.outlet,
                f + 1
            )));
        }
    }
    let preds: Vec<Vec<Prediction>> = data
        .pages
        .par_iter()
        .zip(&folds)
        .map(|(p, &f)| models[f].predict(&p.html, false))
        .collect();
    let mut scorer = Scorer::default();
    for (p, pr) in data.pages.iter().zip(&preds) {
        scorer.add(p, pr);
    }
    Ok(scorer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_never_split_an_outlet_and_are_balanced() {
        let outlets = ["a", "b", "a", "c", "d", "b", "e", "f"];
        let sizes = [10, 10, 10, 10, 10, 10, 10, 10];
        let folds = folds_by_outlet(&outlets, &sizes, 3, 1);
        for i in 0..outlets.len() {
            for j in 0..outlets.len() {
                if outlets[i] == outlets[j] {
                    assert_eq!(folds[i], folds[j]);
                }
            }
        }
        let mut per = [0; 3];
        for f in &folds {
            per[*f] += 1;
        }
        assert!(per.iter().all(|&c| c >= 2), "{per:?}");
        assert_eq!(folds, folds_by_outlet(&outlets, &sizes, 3, 1));
    }

    /// Under-confident blocks: the fitted temperature sharpens them, and fitted on the
    /// other outlets it brings the calibration error down on each; with one outlet there
    /// are no others, and the held-out figure is the error as it is.
    #[test]
    fn calibration_fits_a_temperature_on_other_outlets() {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let rows: Vec<CalibrationRow> = (0..5000)
            .map(|i| {
                let mut q = [0.0; 6];
                for v in q.iter_mut().take(3) {
                    *v = rng.gen_range(0.01..1.0f64).powi(4);
                }
                let sum: f64 = q.iter().sum();
                q.iter_mut().for_each(|v| *v /= sum);
                let gold = crate::model::draw_label(&mut rng, &q);
                let mut p = Prediction {
                    label: Label::Article,
                    confidence: 0.0,
                    probabilities: q,
                };
                p.temper(2.0); // reported flatter than the truth
                let best = (0..6)
                    .max_by(|&a, &b| p.probabilities[a].total_cmp(&p.probabilities[b]))
                    .unwrap();
                CalibrationRow {
                    probabilities: p.probabilities,
                    predicted: Label::ALL[best],
                    gold,
                    outlet: format!("outlet{}", i % 23),
                }
            })
            .collect();
        let c = calibration(&rows);
        assert!((c.temperature - 0.5).abs() < 0.05, "{}", c.temperature);
        assert!(c.ece > 0.1, "{}", c.ece);
        assert!(
            c.ece_tempered_held_out < 0.03,
            "{}",
            c.ece_tempered_held_out
        );
        let one: Vec<CalibrationRow> = rows
            .into_iter()
            .map(|r| CalibrationRow {
                outlet: "alone".into(),
                ..r
            })
            .collect();
        let c1 = calibration(&one);
        assert_eq!(c1.ece_tempered_held_out, c1.ece);
        assert_eq!(c1.temperature, c.temperature);
    }

    #[test]
    fn bag_of_words_counts_multiplicity() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (p, r, f) = bag_prf(&s(&["a", "a", "b"]), &s(&["a", "b", "c", "d"]));
        assert!((p - 2.0 / 3.0).abs() < 1e-12);
        assert!((r - 0.5).abs() < 1e-12);
        assert!((f - 2.0 * p * r / (p + r)).abs() < 1e-12);
        assert_eq!(bag_prf(&[], &s(&["a"])), (0.0, 0.0, 0.0));
    }

    /// A confusion table with `right` words of every label right and `wrong` related
    /// words read as recent.
    fn table(right: u64, wrong: u64) -> [[u64; 6]; 6] {
        let mut m = [[0u64; 6]; 6];
        for (i, row) in m.iter_mut().enumerate() {
            row[i] = right;
        }
        m[Label::Related.index()][Label::Recent.index()] = wrong;
        m
    }

    #[test]
    fn the_interval_resamples_outlets_and_is_reproducible() {
        let outlets = |tables: &[[[u64; 6]; 6]]| -> BTreeMap<String, [[u64; 6]; 6]> {
            tables
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("outlet{i}"), *t))
                .collect()
        };
        // one outlet: nothing to resample
        assert_eq!(outlet_interval(&outlets(&[table(10, 5)])), None);
        // outlets that all score alike give the score itself
        let same = outlet_interval(&outlets(&[table(10, 5); 4])).unwrap();
        let whole = macro_f1(&label_scores(&table(40, 20)));
        assert!((same.macro_f1_words.0 - whole).abs() < 1e-12);
        assert!((same.macro_f1_words.1 - whole).abs() < 1e-12);
        // outlets that differ spread it around the score of all of them together
        let mixed = [table(10, 0), table(10, 30), table(10, 0), table(10, 10)];
        let i = outlet_interval(&outlets(&mixed)).unwrap();
        let mut all = [[0u64; 6]; 6];
        for t in &mixed {
            for g in 0..6 {
                for p in 0..6 {
                    all[g][p] += t[g][p];
                }
            }
        }
        let whole = label_scores(&all);
        let (lo, hi) = i.macro_f1_words;
        assert!(lo < macro_f1(&whole) && macro_f1(&whole) < hi, "{lo} {hi}");
        let (lo, hi) = i.f1_words[&Label::Related];
        assert!(lo < whole[&Label::Related].f1 && whole[&Label::Related].f1 < hi);
        // article is never confused here, so it does not move
        assert_eq!(i.f1_words[&Label::Article], (1.0, 1.0));
        assert_eq!((i.outlets, i.resamples), (4, RESAMPLES));
        assert_eq!(outlet_interval(&outlets(&mixed)), Some(i));
    }

    #[test]
    fn a_comparison_draws_the_same_outlets_for_both_runs() {
        let rows = |tables: &[Confusion]| -> Vec<OutletRow> {
            tables
                .iter()
                .enumerate()
                .map(|(i, t)| OutletRow {
                    outlet: format!("outlet{i}"),
                    pages: 1 + i,
                    word_accuracy: None,
                    article_f1: 0.5,
                    confusion_words: Some(*t),
                })
                .collect()
        };
        let before = rows(&[table(10, 0), table(10, 30), table(10, 0), table(10, 10)]);
        // a run against itself differs by nothing, in every draw
        let same = compare(&before, &before).unwrap();
        for d in [same.six_class.unwrap().macro_f1_words, same.article.f1] {
            assert_eq!((d.observed, d.interval, d.higher), (0.0, (0.0, 0.0), 0.0));
        }
        // one outlet's related words read right: better in every draw that holds it
        let rel = Label::Related.index();
        let mut fixed = table(10, 0);
        fixed[rel][rel] = 40;
        let after = rows(&[table(10, 0), fixed, table(10, 0), table(10, 10)]);
        let c = compare(&after, &before).unwrap();
        let six = c.six_class.as_ref().unwrap();
        let score = |r: &[OutletRow]| {
            let all: Vec<&Confusion> = r
                .iter()
                .map(|o| o.confusion_words.as_ref().unwrap())
                .collect();
            macro_f1(&label_scores(&sum_tables(&all, &[0, 1, 2, 3])))
        };
        assert!((six.macro_f1_words.observed - (score(&after) - score(&before))).abs() < 1e-12);
        assert!(six.macro_f1_words.observed > 0.0);
        let (lo, hi) = six.macro_f1_words.interval;
        assert!(lo >= 0.0 && hi > 0.0, "{lo} {hi}");
        // about 1 − (3/4)^4 of the draws hold that outlet at least once
        assert!(
            (0.6..0.8).contains(&six.macro_f1_words.higher),
            "{}",
            six.macro_f1_words.higher
        );
        assert_eq!(six.f1_words[&Label::Article].observed, 0.0);
        assert!(six.f1_words[&Label::Related].observed > 0.0);
        assert_eq!((six.outlets, c.resamples), (4, RESAMPLES));
        // the other way round, the differences change sign
        let back = compare(&before, &after).unwrap();
        let back_six = back.six_class.unwrap();
        assert_eq!(
            back_six.macro_f1_words.observed,
            -six.macro_f1_words.observed
        );
        assert_eq!(back_six.macro_f1_words.interval, (-hi, -lo));
        // article F1 is a mean over pages: the last outlet's 4 pages at 1.0 instead of
        // 0.5 raise the mean over the 10 pages by 0.2, and every draw that holds it
        let mut better = before.clone();
        better[3].article_f1 = 1.0;
        let a = compare(&better, &before).unwrap().article;
        assert_eq!((a.outlets, a.pages), (4, 10));
        assert!((a.f1.observed - 0.2).abs() < 1e-12, "{}", a.f1.observed);
        assert!(
            a.f1.interval.0 >= 0.0 && a.f1.interval.1 > 0.2,
            "{:?}",
            a.f1.interval
        );
        assert!((0.6..0.8).contains(&a.f1.higher), "{}", a.f1.higher);
        // pages without block labels compare by article F1 alone
        let plain = |rows: &[OutletRow]| -> Vec<OutletRow> {
            rows.iter()
                .map(|r| OutletRow {
                    confusion_words: None,
                    ..r.clone()
                })
                .collect()
        };
        let c = compare(&plain(&better), &plain(&before)).unwrap();
        assert!(c.six_class.is_none());
        assert_eq!(c.article, a);
        // outlets on one side only are named
        let err = compare(&before[..3], &before).unwrap_err().to_string();
        assert!(
            err.contains("none only in this one, 1 (outlet3) only in the other"),
            "{err}"
        );
        assert!(compare(&before[..1], &before[..1]).is_err());
        // the same outlets with other gold words or pages: other pages were scored
        let mut other_pages = before.clone();
        other_pages[2].confusion_words = Some(table(11, 0));
        other_pages[3].pages = 5;
        let err = compare(&other_pages, &before).unwrap_err().to_string();
        assert!(
            err.contains("other pages of 2 outlets (outlet2, outlet3)"),
            "{err}"
        );
        // a report without confusion tables cannot be compared with one that has them
        let err = compare(&before, &plain(&before)).unwrap_err().to_string();
        assert!(
            err.contains("the other run's outlets have no confusion tables"),
            "{err}"
        );
    }

    #[test]
    fn prf_from_counts() {
        let p = Prf::new(8, 2, 8);
        assert!((p.precision - 0.8).abs() < 1e-12);
        assert!((p.recall - 0.5).abs() < 1e-12);
        assert_eq!(p.support, 16);
    }
}
