//! Leave-outlet-out cross-validation, and the fold models it can save to score its
//! held-out pages again without training.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::score::Scorer;
use crate::dataset::{Dataset, LabelledPage};
use crate::error::{FoldsError, Param, ParamsError, TrainingError};
use crate::model::{HeldOutFold, Model, PageRules, Prediction, ValidModelParams};
use crate::outlet::folds_by_outlet;
use crate::{Error, Result};

/// The file name of fold `f`'s model (counted from 0) in a fold folder: `fold-1.json.gz`
/// for the first.
pub fn fold_file(f: usize) -> String {
    format!("fold-{}.json.gz", f + 1)
}

/// How a cross-validation is run: `folds` folds drawn by `fold_seed`, training on
/// `labelled_share` of the block-labelled outlets.
#[derive(Debug, Clone, PartialEq)]
pub struct Folds {
    /// Number of folds (at least 2).
    pub folds: usize,
    /// The seed that draws the folds and the labelled share's outlets.
    pub fold_seed: u64,
    /// Share of the block-labelled outlets the folds train on, in (0, 1]: every held-out
    /// page is still scored, so runs at several shares on one fold seed draw a learning
    /// curve over labelled outlets.
    pub labelled_share: f64,
}

impl Folds {
    /// Check the numbers, before any page is read.
    pub fn check(self) -> Result<Folds, ParamsError> {
        if self.folds < 2 {
            return Err(ParamsError::out_of_range(
                Param::Folds,
                "at least 2",
                self.folds,
            ));
        }
        if !(self.labelled_share > 0.0 && self.labelled_share <= 1.0) {
            return Err(ParamsError::out_of_range(
                Param::LabelledShare,
                "above 0 and at most 1",
                self.labelled_share,
            ));
        }
        Ok(self)
    }
}

/// Make `dir` ready to receive the fold models of a `folds`-fold cross-validation: the
/// folder is created, and fold models beyond the `folds`th, left by an earlier run with
/// more folds, are removed (they would be read with these).
pub fn prepare_fold_dir(dir: &Path, folds: usize) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut f = folds;
    while dir.join(fold_file(f)).exists() {
        let stale = dir.join(fold_file(f));
        std::fs::remove_file(&stale).map_err(|e| Error::io(&stale, e))?;
        f += 1;
    }
    Ok(())
}

/// K-fold cross-validation with no outlet on both sides of a fold: train on the other
/// folds' block-labelled pages, predict the fold's pages (of any kind) with the page
/// rules `rules`, score them all.
/// The folds are drawn by the fold seed, the models trained with the params' seed: with
/// another training seed and the same fold seed, the same pages are held out, so two
/// runs' difference shows the training's own noise. `progress` hears which fold runs.
/// Folds are fitted in parallel (rayon), and the held-out pages are scored by the HTML
/// head, so no text head is trained. With `save_folds` (a folder made ready by
/// [`prepare_fold_dir`]), each fold's model is written there as [`fold_file`], so the
/// same held-out predictions can be made again ([`FoldModels`]) without training.
pub fn cross_validate(
    params: &ValidModelParams,
    rules: &PageRules,
    data: &Dataset,
    folds: &Folds,
    save_folds: Option<&Path>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Scorer> {
    let Folds {
        folds: k,
        fold_seed,
        labelled_share,
    } = folds.clone().check()?;
    let outlets: Vec<&str> = data.pages.iter().map(|p| p.outlet.as_str()).collect();
    let sizes: Vec<usize> = data.pages.iter().map(|p| p.html.len()).collect();
    let fold_of = folds_by_outlet(&outlets, &sizes, k, fold_seed);
    let kept = labelled_outlets(data, labelled_share, fold_seed);
    // held-out pages are scored through the HTML head only: no text head to train
    let params = params.without_text_head();
    // folds are independent: they run in parallel, each deterministic as alone
    let fold_preds: Vec<Vec<(usize, Vec<Prediction>)>> = (0..k)
        .into_par_iter()
        .map(|f| {
            progress(&format!("fold {}/{k}", f + 1));
            let train: Vec<&LabelledPage> = data
                .pages
                .iter()
                .zip(&fold_of)
                .filter(|(p, &g)| {
                    g != f && (p.block_labels().is_none() || kept.contains(p.outlet.as_str()))
                })
                .map(|(p, _)| p)
                .collect();
            if !train.iter().any(|p| p.block_labels().is_some()) {
                // its pages would go unscored, and the report would not say so
                return Err(TrainingError::EmptyFold {
                    fold: f + 1,
                    folds: k,
                    share: (labelled_share < 1.0).then_some(labelled_share),
                }
                .into());
            }
            let mut model = params.fit_pages(&train, &|_| {})?.with_rules(*rules)?;
            let held_out: BTreeSet<String> = outlets
                .iter()
                .zip(&fold_of)
                .filter(|(_, &g)| g == f)
                .map(|(o, _)| o.to_string())
                .collect();
            model.set_held_out_fold(HeldOutFold {
                fold: f + 1,
                folds: k,
                seed: fold_seed,
                outlets: held_out.into_iter().collect(),
            });
            if let Some(dir) = save_folds {
                model.save(&dir.join(fold_file(f)))?;
            }
            Ok(data
                .pages
                .iter()
                .enumerate()
                .filter(|(i, _)| fold_of[*i] == f)
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

/// The block-labelled pages' outlets that `share` of them keeps: the first of the
/// sorted outlets shuffled by `seed` (at least one).
fn labelled_outlets(data: &Dataset, share: f64, seed: u64) -> HashSet<&str> {
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
    all.into_iter().take(n).collect()
}

/// The fold models of one cross-validation (fold `f`'s at `f`), each recording the
/// outlets it held out: they score the held-out pages again without training, with
/// other page rules if wanted.
#[derive(Debug)]
pub struct FoldModels {
    models: Vec<Model>,
}

impl FoldModels {
    /// Check that `models` are the folds of one cross-validation, in order: each says
    /// which fold of how many it is, drawn by one seed, and they were trained with the
    /// same seeds.
    pub fn new(models: Vec<Model>) -> Result<FoldModels> {
        let k = models.len();
        if k < 2 {
            return Err(FoldsError::TooFew(k).into());
        }
        let not_one = |f: usize, why: String| FoldsError::NotOneRun {
            file: fold_file(f),
            why,
        };
        let seeds = |s: &[u64]| match s {
            [one] => format!("seed {one}"),
            _ => format!(
                "seeds {}",
                s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        let training_seeds = models[0].member_seeds();
        let mut fold_seed = None;
        for (f, m) in models.iter().enumerate() {
            if m.member_seeds() != training_seeds {
                return Err(not_one(
                    f,
                    format!(
                        "was trained with {}, {} with {}",
                        seeds(&m.member_seeds()),
                        fold_file(0),
                        seeds(&training_seeds)
                    ),
                )
                .into());
            }
            let Some(h) = &m.training().held_out_fold else {
                return Err(not_one(f, "does not say which fold it is".into()).into());
            };
            let seed = *fold_seed.get_or_insert(h.seed);
            if (h.fold, h.folds, h.seed) != (f + 1, k, seed) {
                return Err(not_one(
                    f,
                    format!(
                        "is fold {} of {} drawn by seed {}, where fold {} of {k} drawn by \
                         seed {seed} was expected",
                        h.fold,
                        h.folds,
                        h.seed,
                        f + 1
                    ),
                )
                .into());
            }
        }
        Ok(FoldModels { models })
    }

    /// Read the fold models that [`cross_validate`] saved in each of `dirs` ([`fold_file`]
    /// 1, 2, … up to the first missing). With several folders — cross-validations on the
    /// same folds with other training seeds — each fold's models are joined into one
    /// model of their members ([`Model::join`]).
    pub fn load(dirs: &[PathBuf]) -> Result<FoldModels> {
        let mut runs: Vec<Vec<Model>> = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let mut models = Vec::new();
            loop {
                let path = dir.join(fold_file(models.len()));
                if !path.exists() {
                    break;
                }
                models.push(Model::load(&path)?);
            }
            if models.len() < 2 {
                return Err(Error::dataset(
                    dir,
                    format!(
                        "holds {} fold models ({}, …): a cross-validation that saves its \
                         folds writes them",
                        models.len(),
                        fold_file(0)
                    ),
                ));
            }
            let run = FoldModels::new(models)
                .map_err(|e| Error::dataset(dir, format!("cannot be read as fold models: {e}")))?;
            if let Some(first) = runs.first() {
                if first.len() != run.models.len() {
                    return Err(Error::dataset(
                        dir,
                        format!(
                            "holds {} fold models, {} holds {}: not cross-validations on \
                             the same folds",
                            run.models.len(),
                            dirs[0].display(),
                            first.len()
                        ),
                    ));
                }
            }
            runs.push(run.models);
        }
        let mut folds: Vec<Vec<Model>> = Vec::new();
        for run in runs {
            for (f, model) in run.into_iter().enumerate() {
                if f == folds.len() {
                    folds.push(Vec::new());
                }
                folds[f].push(model);
            }
        }
        let models = folds
            .into_iter()
            .enumerate()
            .map(|(f, models)| {
                Model::join(models).map_err(|e| {
                    FoldsError::NotOneRun {
                        file: fold_file(f),
                        why: format!("cannot be joined ({e})"),
                    }
                    .into()
                })
            })
            .collect::<Result<Vec<Model>>>()?;
        FoldModels::new(models)
    }

    /// The fold models with the page rules `rules` makes of each one's.
    pub fn with_rules(self, rules: impl Fn(PageRules) -> PageRules) -> Result<FoldModels> {
        let models = self
            .models
            .into_iter()
            .map(|m| {
                let r = rules(m.rules());
                m.with_rules(r)
            })
            .collect::<Result<_>>()?;
        Ok(FoldModels { models })
    }

    /// Score the held-out pages again: each page is predicted by the model whose fold
    /// held out its outlet. With the page rules unchanged, the scores are the
    /// cross-validation's. Fails when a page's outlet was in none of the folds, or when
    /// a page's fold model trained on the page's outlet.
    pub fn evaluate(&self, data: &Dataset) -> Result<Scorer> {
        let fold_of = data
            .pages
            .iter()
            .map(|page| {
                let f = self
                    .models
                    .iter()
                    .position(|m| {
                        m.training()
                            .held_out_fold
                            .as_ref()
                            .is_some_and(|h| h.outlets.binary_search(&page.outlet).is_ok())
                    })
                    .ok_or_else(|| FoldsError::PageInNoFold {
                        page: page.id.clone(),
                        outlet: page.outlet.clone(),
                    })?;
                let t = self.models[f].training();
                if t.outlets.binary_search(&page.outlet).is_ok()
                    || t.article_prior_outlets.binary_search(&page.outlet).is_ok()
                {
                    return Err(FoldsError::TrainedOnPage {
                        page: page.id.clone(),
                        outlet: page.outlet.clone(),
                        fold: f + 1,
                    });
                }
                Ok(f)
            })
            .collect::<Result<Vec<usize>, FoldsError>>()?;
        let preds: Vec<Vec<Prediction>> = data
            .pages
            .par_iter()
            .zip(&fold_of)
            .map(|(p, &f)| self.models[f].predict(&p.html, false))
            .collect();
        let mut scorer = Scorer::default();
        for (p, pr) in data.pages.iter().zip(&preds) {
            scorer.add(p, pr);
        }
        Ok(scorer)
    }
}
