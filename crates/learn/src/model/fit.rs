//! Fitting: [`ValidModelParams::fit`] trains each member's article prior, cue table and
//! heads.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use chaff_extract::{FeatureSchema, Label};
use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::predict::{predict_joined, rows_view, with_columns, with_prior};
use super::rules::{best_temperature, temper};
use super::targets::article_targets;
use super::{file, member_seed, Head, Member, Model, TrainingSummary, ValidModelParams};
use crate::cues::CueTable;
use crate::dataset::{Dataset, LabelledPage, PageGold};
use crate::error::TrainingError;
use crate::learner::{give_back_freed_memory, Classifier, Part};
use crate::outlet::folds_by_outlet;
use crate::PageFeatures;
use crate::{context, PageRules, Result};

/// Folds (by outlet) for the training pages' cue columns: each fold's from a table of the
/// others.
const CUE_FOLDS: usize = 5;

/// A page's rows and its blocks' labels, as a stage trains on them.
type View<'a> = (&'a PageFeatures, &'a [Label]);

/// The members' article priors (`None` for a member without one), how many pages they
/// were trained on (a page once for each prior that drew it) and those pages' outlets.
#[derive(Default)]
struct Priors {
    classifiers: Vec<Option<Classifier>>,
    pages: usize,
    outlets: Vec<String>,
}

/// Where a training run is, as [`ValidModelParams::fit`] reports it: at the start of each
/// stage and after each classifier it fits.
#[derive(Debug, Clone, Copy)]
pub struct TrainingStep<'a> {
    /// The stage under way (`"first stage"`, `"context folds"`, …).
    pub stage: &'a str,
    /// Classifiers fitted so far (a boosted ensemble per label, or one logistic model).
    pub fitted: usize,
    /// Classifiers the run fits in all.
    pub fits: usize,
}

impl std::fmt::Display for TrainingStep<'_> {
    /// `first stage (3 of 16 fits done)`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} of {} fits done)",
            self.stage, self.fitted, self.fits
        )
    }
}

/// Counts a run's fits and tells the caller's `report` of each step.
struct Tracker<'a> {
    report: &'a dyn Fn(TrainingStep),
    stage: RefCell<String>,
    fitted: Cell<usize>,
    fits: usize,
}

impl Tracker<'_> {
    fn stage(&self, stage: &str) {
        *self.stage.borrow_mut() = stage.to_string();
        self.emit();
    }

    fn fitted(&self) {
        self.fitted.set(self.fitted.get() + 1);
        self.emit();
    }

    fn emit(&self) {
        (self.report)(TrainingStep {
            stage: &self.stage.borrow(),
            fitted: self.fitted.get(),
            fits: self.fits,
        });
    }
}

impl ValidModelParams {
    /// Fit a model to the block-labelled pages of `data` (its article-text pages train
    /// the article prior). The model gets the default [`PageRules`]. `progress` hears of
    /// each stage and each fitted classifier ([`TrainingStep`]). The pages are taken so
    /// that those no prior draws are given back before any classifier is fitted, the
    /// drawn pages' rows as soon as their prior's fit has its copy, and the rest of them
    /// once the priors are fitted: the heads train on the block-labelled pages alone.
    pub fn fit(&self, data: Dataset, progress: &dyn Fn(TrainingStep)) -> Result<Model> {
        let mut pages = data.pages;
        let all: Vec<&LabelledPage> = pages.iter().collect();
        let draws = self.prior_draws(&all);
        let tracker = self.tracker(&all, &draws, progress)?;
        let mut used: Vec<bool> = all.iter().map(|pg| pg.block_labels().is_some()).collect();
        for &i in draws.iter().flatten() {
            used[i] = true;
        }
        // where each page used is once the others are given back
        let mut index = Vec::with_capacity(used.len());
        let mut kept = 0;
        for &u in &used {
            index.push(kept);
            kept += u as usize;
        }
        let mut flags = used.into_iter();
        pages.retain(|_| flags.next().expect("one flag per page"));
        give_back_freed_memory();
        // the prior pages' rows are taken from them (no head reads those pages), and
        // each is given to the fit of the last prior that draws it, which lets it go as
        // soon as it has its copy; the priors before it get a copy of their own
        let draws: Vec<Vec<usize>> = draws
            .iter()
            .map(|d| d.iter().map(|&i| index[i]).collect())
            .collect();
        let mut last = vec![None; pages.len()];
        for (k, d) in draws.iter().enumerate() {
            d.iter().for_each(|&i| last[i] = Some(k));
        }
        let mut taken: Vec<Option<Array2<f32>>> = pages
            .iter_mut()
            .zip(&last)
            .map(|(pg, l)| l.map(|_| take_rows(&mut pg.html)))
            .collect();
        let all: Vec<&LabelledPage> = pages.iter().collect();
        let drawn: Vec<Vec<&LabelledPage>> = draws
            .iter()
            .map(|d| d.iter().map(|&i| all[i]).collect())
            .collect();
        let rows_of = |k: usize| -> Vec<Part<'static>> {
            draws[k]
                .iter()
                .map(|&i| {
                    let rows = if last[i] == Some(k) {
                        taken[i].take()
                    } else {
                        taken[i].clone()
                    };
                    rows.expect("a page's rows are taken once, by its last prior")
                        .into()
                })
                .collect()
        };
        let priors = self.fit_priors(&drawn, rows_of, &tracker)?;
        drop(drawn);
        pages.retain(|pg| pg.block_labels().is_some());
        give_back_freed_memory();
        self.fit_heads(&pages.iter().collect::<Vec<_>>(), priors, &tracker)
    }

    /// [`fit`](Self::fit) over borrowed pages (cross-validation trains each fold on a
    /// subset without copying it).
    pub fn fit_pages(
        &self,
        all: &[&LabelledPage],
        progress: &dyn Fn(TrainingStep),
    ) -> Result<Model> {
        let draws = self.prior_draws(all);
        let tracker = self.tracker(all, &draws, progress)?;
        let drawn: Vec<Vec<&LabelledPage>> = draws
            .iter()
            .map(|d| d.iter().map(|&i| all[i]).collect())
            .collect();
        let rows_of = |k: usize| -> Vec<Part> {
            drawn[k]
                .iter()
                .map(|pg| rows_view(&pg.html).into())
                .collect()
        };
        let priors = self.fit_priors(&drawn, rows_of, &tracker)?;
        let pages: Vec<&LabelledPage> = all
            .iter()
            .copied()
            .filter(|pg| pg.block_labels().is_some())
            .collect();
        self.fit_heads(&pages, priors, &tracker)
    }

    /// The pages each member's article prior trains on, as indices into `all`: up to
    /// `article_prior_pages` of its article-text pages, drawn by the member's seed, in
    /// the order the prior reads them (none when the parameters ask for no prior).
    fn prior_draws(&self, all: &[&LabelledPage]) -> Vec<Vec<usize>> {
        let p = &self.0;
        let mut candidates: Vec<usize> = (0..all.len())
            .filter(|&i| is_article_text(all[i]))
            .collect();
        candidates.sort_by(|&a, &b| all[a].id.cmp(&all[b].id));
        (0..p.members)
            .map(|k| {
                if !p.article_prior {
                    return Vec::new();
                }
                let mut drawn = candidates.clone();
                drawn.shuffle(&mut ChaCha8Rng::seed_from_u64(member_seed(p.seed, k)));
                drawn.truncate(p.article_prior_pages);
                drawn
            })
            .collect()
    }

    /// The tracker of a run over `all` pages whose priors draw `draws`, which counts its
    /// fits ahead; an error when none of the pages is labelled block by block.
    fn tracker<'a>(
        &self,
        all: &[&LabelledPage],
        draws: &[Vec<usize>],
        progress: &'a dyn Fn(TrainingStep),
    ) -> Result<Tracker<'a>> {
        let pages: Vec<&LabelledPage> = all
            .iter()
            .copied()
            .filter(|pg| pg.block_labels().is_some())
            .collect();
        if pages.is_empty() {
            return Err(TrainingError::NoLabelledPages.into());
        }
        Ok(Tracker {
            report: progress,
            stage: RefCell::new(String::new()),
            fitted: Cell::new(0),
            fits: draws
                .iter()
                .map(|d| self.fits_per_member(!d.is_empty(), &pages))
                .sum(),
        })
    }

    /// Each member's article prior, trained with the member's seed on its `drawn` pages
    /// (`None` for a member that drew none), whose rows `rows_of` gives for member `k`.
    fn fit_priors<'a>(
        &self,
        drawn: &[Vec<&LabelledPage>],
        mut rows_of: impl FnMut(usize) -> Vec<Part<'a>>,
        progress: &Tracker,
    ) -> Result<Priors> {
        let p = &self.0;
        let mut priors = Priors::default();
        for (k, pages) in drawn.iter().enumerate() {
            if pages.is_empty() {
                priors.classifiers.push(None);
                continue;
            }
            if p.members > 1 {
                progress.stage(&format!("member {} of {}", k + 1, p.members));
            }
            let member = self.with_seed(member_seed(p.seed, k));
            priors.classifiers.push(Some(member.fit_article_prior(
                pages,
                rows_of(k),
                progress,
            )?));
            priors.pages += pages.len();
            priors
                .outlets
                .extend(pages.iter().map(|pg| pg.outlet.clone()));
        }
        Ok(priors)
    }

    /// The model whose members have these `priors` and the cue tables and heads trained
    /// on the block-labelled `pages`.
    fn fit_heads(
        &self,
        pages: &[&LabelledPage],
        priors: Priors,
        tracker: &Tracker,
    ) -> Result<Model> {
        let p = &self.0;
        let mut members = Vec::with_capacity(p.members);
        for (k, prior) in priors.classifiers.into_iter().enumerate() {
            if p.members > 1 {
                tracker.stage(&format!("member {} of {}", k + 1, p.members));
            }
            let member = self.with_seed(member_seed(p.seed, k));
            members.push(member.fit_member(prior, pages, tracker)?);
        }
        let mut words_per_label = BTreeMap::new();
        let mut blocks = 0;
        for pg in pages {
            if let Some(labels) = pg.block_labels() {
                for (l, w) in labels.iter().zip(&pg.html.words) {
                    *words_per_label.entry(*l).or_insert(0u64) += *w as u64;
                }
                blocks += labels.len();
            }
        }
        let sorted = |outlets: Vec<String>| {
            let mut o = outlets;
            o.sort();
            o.dedup();
            o
        };
        Ok(Model {
            chaff_version: file::CHAFF_VERSION.to_string(),
            feature_schema: FeatureSchema::current().clone(),
            context_columns: context::column_names(),
            params: self.clone(),
            rules: PageRules::default(),
            training: TrainingSummary {
                pages: pages.len(),
                blocks,
                words_per_label,
                outlets: sorted(pages.iter().map(|p| p.outlet.clone()).collect()),
                article_prior_pages: priors.pages,
                article_prior_outlets: sorted(priors.outlets),
                held_out_fold: None,
            },
            members,
        })
    }

    /// Classifiers one member fits: the article prior's (when it drew pages to train
    /// on), and each head's first stage, its out-of-fold models for the context stage
    /// and for calibration, and its context stage.
    fn fits_per_member(&self, prior: bool, pages: &[&LabelledPage]) -> usize {
        let p = &self.0;
        let folds = p.context_folds;
        let head = 1 + match (p.context, p.calibrate) {
            (true, true) => 2 * folds + 1,
            (true, false) => folds + 1,
            (false, true) => folds,
            (false, false) => 0,
        };
        let text = p.text_head && pages.iter().all(|pg| pg.text.is_some());
        prior as usize + head * (1 + text as usize)
    }

    /// One member, trained with these parameters' seed around its `article_prior`: its
    /// cue table and heads (from the block-labelled `pages`).
    fn fit_member(
        &self,
        article_prior: Option<Classifier>,
        pages: &[&LabelledPage],
        progress: &Tracker,
    ) -> Result<Member> {
        let p = &self.0;
        let outlets: Vec<&str> = pages.iter().map(|pg| pg.outlet.as_str()).collect();
        progress.stage("html head");
        let with_priors: Vec<PageFeatures> = pages
            .iter()
            .map(|pg| with_prior(article_prior.as_ref(), &pg.html))
            .collect();
        let (cues, augmented) = if p.cues {
            progress.stage("cue table");
            self.fit_cues(with_priors, pages, &outlets)
        } else {
            (None, with_priors)
        };
        let html_views: Vec<View> = augmented
            .iter()
            .zip(pages)
            .filter_map(|(v, pg)| Some((v, pg.block_labels()?)))
            .collect();
        let html = self.fit_head(&html_views, &outlets, progress)?;
        // the text head does not read them
        drop(html_views);
        drop(augmented);
        let text = if p.text_head {
            progress.stage("text head");
            let text_views: Vec<View> = pages
                .iter()
                .filter_map(|pg| Some((pg.text.as_ref()?, pg.block_labels()?)))
                .collect();
            if text_views.len() == pages.len() {
                Some(self.fit_head(&text_views, &outlets, progress)?)
            } else {
                None
            }
        } else {
            None
        };
        Ok(Member {
            seed: p.seed,
            article_prior,
            cues,
            html,
            text,
        })
    }

    /// The cue table of all `pages`, and each page of `rows` with its cue columns from a
    /// table fitted on the other folds' outlets.
    fn fit_cues(
        &self,
        rows: Vec<PageFeatures>,
        pages: &[&LabelledPage],
        outlets: &[&str],
    ) -> (Option<CueTable>, Vec<PageFeatures>) {
        let p = &self.0;
        // one view per page, in the order of `rows` (a page without block labels, which
        // `fit_pages` does not pass, would add no votes)
        let views: Vec<View> = pages
            .iter()
            .map(|pg| (&pg.html, pg.block_labels().unwrap_or(&[])))
            .collect();
        let sizes: Vec<usize> = views.iter().map(|(v, _)| v.len()).collect();
        let folds = folds_by_outlet(outlets, &sizes, CUE_FOLDS, p.seed.wrapping_add(3));
        let mut out: Vec<Option<PageFeatures>> = (0..rows.len()).map(|_| None).collect();
        let mut rows: Vec<Option<PageFeatures>> = rows.into_iter().map(Some).collect();
        for f in 0..CUE_FOLDS {
            let train: Vec<usize> = (0..views.len()).filter(|&i| folds[i] != f).collect();
            let table = CueTable::fit(
                &train.iter().map(|&i| views[i]).collect::<Vec<_>>(),
                &train.iter().map(|&i| outlets[i]).collect::<Vec<_>>(),
            );
            for i in (0..views.len()).filter(|&i| folds[i] == f) {
                let page = rows[i].take().expect("each page is in one fold");
                out[i] = Some(with_columns(&page, table.columns(views[i].0).view()));
            }
        }
        let table = CueTable::fit(&views, outlets);
        let out = out
            .into_iter()
            .map(|o| o.expect("every page is in a fold"))
            .collect();
        (Some(table), out)
    }

    /// Fit the article prior on its drawn article-text `pages`, whose rows are `rows`.
    fn fit_article_prior(
        &self,
        pages: &[&LabelledPage],
        rows: Vec<Part>,
        progress: &Tracker,
    ) -> Result<Classifier> {
        let p = &self.0;
        progress.stage(&format!("article prior on {} pages", pages.len()));
        let y: Vec<Label> = pages.iter().flat_map(|pg| article_targets(pg)).collect();
        let w: Vec<f32> = pages.iter().flat_map(|pg| weights(&pg.html)).collect();
        let prior = p.learner.fit_parts(rows, &y, &w, p.seed.wrapping_add(2))?;
        progress.fitted();
        Ok(prior)
    }

    /// A head trained on `views`, whose outlets are `outlets`.
    fn fit_head(&self, views: &[View], outlets: &[&str], progress: &Tracker) -> Result<Head> {
        let p = &self.0;
        let (x, y, w) = stack(views, None);
        progress.stage("first stage");
        let first = p.learner.fit_parts(x, &y, &w, p.seed)?;
        progress.fitted();
        let sizes: Vec<usize> = views.iter().map(|(v, _)| v.len()).collect();
        let folds = folds_by_outlet(outlets, &sizes, p.context_folds, p.seed);
        if !p.context {
            let temperature = if p.calibrate {
                progress.stage("calibration");
                let oof = self.out_of_fold(views, &folds, None, &first, progress)?;
                Some(fit_temperature(&oof, views))
            } else {
                None
            };
            return Ok(Head {
                first,
                context: None,
                temperature,
            });
        }
        progress.stage("context folds");
        let probs = self.out_of_fold(views, &folds, None, &first, progress)?;
        progress.stage("context stage");
        let (x2, y2, w2) = stack(views, Some(&probs));
        let context = p.learner.fit_parts(x2, &y2, &w2, p.seed.wrapping_add(1))?;
        progress.fitted();
        let temperature = if p.calibrate {
            progress.stage("calibration");
            let oof = self.out_of_fold(views, &folds, Some(&probs), &context, progress)?;
            Some(fit_temperature(&oof, views))
        } else {
            None
        };
        Ok(Head {
            first,
            context: Some(context),
            temperature,
        })
    }

    /// Out-of-fold probabilities of every page of `views`: for each fold, a classifier
    /// trained on the other folds' pages (their rows, plus the context of `previous`
    /// probabilities when given) predicts the fold's pages. `whole` (trained on all pages)
    /// predicts a page when its fold leaves nothing to train on.
    fn out_of_fold(
        &self,
        views: &[View],
        folds: &[usize],
        previous: Option<&[Array2<f64>]>,
        whole: &Classifier,
        progress: &Tracker,
    ) -> Result<Vec<Array2<f64>>> {
        let p = &self.0;
        // a page's probabilities by `c`, its context columns (when `previous` gives
        // them) beside its rows, as a model predicts it
        let predict = |c: &Classifier, i: usize| -> Array2<f64> {
            let v = views[i].0;
            match previous {
                Some(pr) => {
                    let ctx = context::features(v, pr[i].view());
                    predict_joined(c, &[rows_view(v), ctx.view()])
                }
                None => c.predict_proba(rows_view(v)),
            }
        };
        let mut oof: Vec<Option<Array2<f64>>> = vec![None; views.len()];
        for f in 0..p.context_folds {
            let train: Vec<usize> = (0..views.len()).filter(|&i| folds[i] != f).collect();
            if train.is_empty() {
                // counted all the same: the run's count of fits was made before it
                progress.fitted();
                continue;
            }
            let train_views: Vec<View> = train.iter().map(|&i| views[i]).collect();
            let train_probs: Option<Vec<Array2<f64>>> =
                previous.map(|pr| train.iter().map(|&i| pr[i].clone()).collect());
            let (xf, yf, wf) = stack(&train_views, train_probs.as_deref());
            let model = p.learner.fit_parts(xf, &yf, &wf, p.seed)?;
            progress.fitted();
            for (i, o) in oof.iter_mut().enumerate() {
                if folds[i] == f {
                    *o = Some(predict(&model, i));
                }
            }
        }
        Ok(oof
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.unwrap_or_else(|| predict(whole, i)))
            .collect())
    }
}

/// A page whose gold is its article text only, with blocks to train the prior on.
fn is_article_text(pg: &LabelledPage) -> bool {
    matches!(pg.gold, PageGold::ArticleWords(_)) && !pg.html.is_empty()
}

/// Block weight in training: scores count words, so long blocks weigh more, with
/// diminishing returns so that one giant block does not outweigh a page of short ones.
fn weight(words: usize) -> f32 {
    1.0 + (words as f32).sqrt()
}

/// The rows (with the context of `probs`, when given), labels and weights of `views`,
/// page after page: the rows borrowed from the pages, beside their context columns.
fn stack<'a>(
    views: &[View<'a>],
    probs: Option<&[Array2<f64>]>,
) -> (Vec<Part<'a>>, Vec<Label>, Vec<f32>) {
    let parts: Vec<Part> = views
        .iter()
        .enumerate()
        .map(|(i, (v, _))| match probs {
            Some(pr) => Part::side_by_side(vec![
                rows_view(v).into(),
                context::features(v, pr[i].view()).into(),
            ]),
            None => rows_view(v).into(),
        })
        .collect();
    let y: Vec<Label> = views.iter().flat_map(|(_, l)| l.iter().copied()).collect();
    let w: Vec<f32> = views.iter().flat_map(|(v, _)| weights(v)).collect();
    (parts, y, w)
}

/// The training weight of each block of `page`.
fn weights(page: &PageFeatures) -> impl Iterator<Item = f32> + '_ {
    page.words.iter().map(|&n| weight(n))
}

/// The rows of `page`, taken from it (it keeps its other features).
fn take_rows(page: &mut PageFeatures) -> Array2<f32> {
    let values = std::mem::take(&mut page.rows.values);
    Array2::from_shape_vec((page.len(), page.rows.cols), values).expect("rows match their shape")
}

/// The temperature that minimises the log-loss of the out-of-fold probabilities `oof` on
/// the gold labels of `views`.
pub(super) fn fit_temperature(oof: &[Array2<f64>], views: &[View]) -> f64 {
    let loss = |log_t: f64| -> f64 {
        let t = log_t.exp();
        let mut p = [0f64; 6];
        let mut sum = 0.0;
        for (probs, (_, labels)) in oof.iter().zip(views) {
            for (row, l) in probs.rows().into_iter().zip(labels.iter()) {
                p.iter_mut().zip(row.iter()).for_each(|(a, b)| *a = *b);
                temper(&mut p, t);
                sum -= p[l.index()].max(1e-300).ln();
            }
        }
        sum
    };
    best_temperature(loss)
}
