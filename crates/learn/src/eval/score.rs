//! Scoring: precision, recall and F1 per label over words and blocks, article
//! bag-of-words scores per page, calibration, and the per-outlet rows a report keeps.

use std::collections::{BTreeMap, HashMap};

use chaff_extract::text::words;
use chaff_extract::Label;
use serde::Serialize;

use super::compare::Comparison;
use super::measures::{
    label_scores, macro_f1, middle, outlet_draws, sum_tables, Confusion, OutletRow, Prf, RESAMPLES,
};
use crate::dataset::{Dataset, LabelledPage, PageGold};
use crate::model::{fit_confidence_temperature, Model, Prediction};

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
pub(super) struct CalibrationRow {
    pub(super) probabilities: [f64; 6],
    pub(super) predicted: Label,
    pub(super) gold: Label,
    pub(super) outlet: String,
}

/// Expected calibration error and its bins over (confidence, right) pairs.
pub(super) fn calibration_bins(
    rows: impl Iterator<Item = (f64, bool)>,
) -> (f64, Vec<(f64, u64, f64, f64)>) {
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

pub(super) fn calibration(rows: &[CalibrationRow]) -> Calibration {
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
    /// ([`compare`](super::compare())).
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

pub(super) fn bag_prf(pred: &[String], gold: &[String]) -> (f64, f64, f64) {
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

/// The [`Interval`] of the scores of `per_outlet`'s confusion tables over words.
pub(super) fn outlet_interval(per_outlet: &BTreeMap<String, Confusion>) -> Option<Interval> {
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
