//! How to build a model ([`ModelParams`] → [`ModelParams::check`] → [`ValidModelParams`]),
//! and the page rules that act on its predictions ([`PageRules`]).

use serde::{Deserialize, Serialize};

use crate::error::{Param, ParamsError};
use crate::learner::LearnerParams;

/// Most members a model may have.
pub const MAX_MEMBERS: usize = 16;
/// How far apart the seeds of a model's members are.
const MEMBER_SEED_STRIDE: u64 = 1000;

/// The seed member `k` (from 0) of a model trained with `seed` is trained with: `seed`
/// itself for the first, so a one-member model is the model `seed` trains, and steps of
/// 1,000 after it, clear of the small offsets each member adds for its stages.
pub fn member_seed(seed: u64, k: usize) -> u64 {
    seed.wrapping_add(MEMBER_SEED_STRIDE.wrapping_mul(k as u64))
}

/// How to train a model. Build it with the setters from [`ModelParams::default`], then
/// [`check`](ModelParams::check) it; only [`ValidModelParams`] can fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelParams {
    /// The learner of every stage.
    pub(crate) learner: LearnerParams,
    /// Whether to add the context stage.
    pub(crate) context: bool,
    /// Folds (by outlet) for the out-of-fold first-stage probabilities.
    pub(crate) context_folds: usize,
    /// Whether to train the plain-text head.
    pub(crate) text_head: bool,
    /// Whether to learn an article-vs-rest prior from pages whose gold is article text
    /// only (when the training data has any); its probability is one more input of the
    /// HTML head.
    pub(crate) article_prior: bool,
    /// Most article-text-only pages the prior is trained on (drawn by the seed).
    pub(crate) article_prior_pages: usize,
    /// Whether each head learns a temperature for its final probabilities from their
    /// out-of-fold values, so that `confidence` matches how often the label is right.
    pub(crate) calibrate: bool,
    /// Whether the HTML head reads the learned cue table ([`crate::cues`]).
    pub(crate) cues: bool,
    /// Members of the model: each a whole model (prior, cue table, heads) trained on the
    /// same pages with its own seed ([`member_seed`]); the model's probabilities are the
    /// normalised geometric mean of theirs, before the page rules act.
    pub(crate) members: usize,
    /// Seed for every random choice.
    pub(crate) seed: u64,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            learner: LearnerParams::boosted(),
            context: true,
            context_folds: 3,
            text_head: true,
            article_prior: true,
            article_prior_pages: 1500,
            calibrate: true,
            cues: true,
            members: 1,
            seed: 42,
        }
    }
}

/// Parameters that passed [`ModelParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidModelParams(pub(crate) ModelParams);

impl ModelParams {
    /// Set the learner.
    pub fn learner(mut self, learner: LearnerParams) -> Self {
        self.learner = learner;
        self
    }

    /// Turn the context stage on or off.
    pub fn context(mut self, on: bool) -> Self {
        self.context = on;
        self
    }

    /// Set the folds (by outlet, at least 2) of the out-of-fold first-stage probabilities
    /// the context stage is trained on.
    pub fn context_folds(mut self, folds: usize) -> Self {
        self.context_folds = folds;
        self
    }

    /// Turn the plain-text head on or off.
    pub fn text_head(mut self, on: bool) -> Self {
        self.text_head = on;
        self
    }

    /// Turn the article prior on or off.
    pub fn article_prior(mut self, on: bool) -> Self {
        self.article_prior = on;
        self
    }

    /// Set the most article-text-only pages the article prior is trained on.
    pub fn article_prior_pages(mut self, pages: usize) -> Self {
        self.article_prior_pages = pages;
        self
    }

    /// Turn the calibration of each head's final probabilities on or off.
    pub fn calibrate(mut self, on: bool) -> Self {
        self.calibrate = on;
        self
    }

    /// Turn the cue table on or off.
    pub fn cues(mut self, on: bool) -> Self {
        self.cues = on;
        self
    }

    /// Set the number of members, each trained with its own seed (1 to [`MAX_MEMBERS`]).
    pub fn members(mut self, members: usize) -> Self {
        self.members = members;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validate the parameters.
    pub fn check(self) -> Result<ValidModelParams, ParamsError> {
        self.learner.check()?;
        if self.context && self.context_folds < 2 {
            return Err(ParamsError::out_of_range(
                Param::ContextFolds,
                "at least 2",
                self.context_folds,
            ));
        }
        if !(1..=MAX_MEMBERS).contains(&self.members) {
            return Err(ParamsError::out_of_range(
                Param::Members,
                "1 to 16",
                self.members,
            ));
        }
        Ok(ValidModelParams(self))
    }
}

/// The rules that act on a page's blocks after the classifiers, in this order. They
/// change no classifier, so a model's can be changed without training
/// ([`Model::with_rules`](crate::Model::with_rules)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PageRules {
    /// Every page has main content: when no block of a page comes out article, the
    /// blocks whose article probability is at least this share of the page's highest are
    /// labelled article. 0 turns it off.
    pub article_fallback: f64,
    /// Pages whose content is a thread of posts (a forum) read to the six-class head as
    /// comments, which the labelled pages call `other`; the article prior, trained on
    /// article-text pages of every type, reads them as the page's content. When the
    /// blocks the HTML head labels article hold fewer words than this share of the words
    /// the prior expects to be article (the sum of its probability × words), the blocks
    /// the prior calls article (probability at least one half) and the head calls
    /// `other` become article. 0 turns it off.
    pub prior_rescue: f64,
    /// A temperature for the final probabilities, every label's (and so `confidence`):
    /// each becomes `p^(1/t)`, normalised. Below 1 sharpens; labels do not change.
    /// `chaff eval` reports the one that fits held-out pages.
    pub confidence_temperature: f64,
}

impl Default for PageRules {
    fn default() -> Self {
        PageRules {
            article_fallback: 0.5,
            prior_rescue: 0.05,
            confidence_temperature: 1.0,
        }
    }
}

impl PageRules {
    /// Validate the rules: shares in [0, 1], the temperature in [0.05, 20].
    pub fn check(self) -> Result<PageRules, ParamsError> {
        if !(0.0..=1.0).contains(&self.article_fallback) {
            return Err(ParamsError::out_of_range(
                Param::ArticleFallback,
                "in [0, 1]",
                self.article_fallback,
            ));
        }
        if !(0.0..=1.0).contains(&self.prior_rescue) {
            return Err(ParamsError::out_of_range(
                Param::PriorRescue,
                "in [0, 1]",
                self.prior_rescue,
            ));
        }
        if !(0.05..=20.0).contains(&self.confidence_temperature) {
            return Err(ParamsError::out_of_range(
                Param::ConfidenceTemperature,
                "in [0.05, 20]",
                self.confidence_temperature,
            ));
        }
        Ok(self)
    }
}

impl ValidModelParams {
    /// The parameters.
    pub fn params(&self) -> &ModelParams {
        &self.0
    }

    /// The learner.
    pub fn learner(&self) -> &LearnerParams {
        &self.0.learner
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.0.seed
    }

    /// The number of members.
    pub fn members(&self) -> usize {
        self.0.members
    }

    /// These parameters without the plain-text head (cross-validation scores through the
    /// HTML head only).
    pub fn without_text_head(&self) -> ValidModelParams {
        ValidModelParams(ModelParams {
            text_head: false,
            ..self.0.clone()
        })
    }

    /// These parameters with another seed.
    pub(crate) fn with_seed(&self, seed: u64) -> ValidModelParams {
        ValidModelParams(ModelParams {
            seed,
            ..self.0.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_parameters_name_their_field() {
        let e = ModelParams::default().members(0).check().unwrap_err();
        assert_eq!(e.to_string(), "members must be 1 to 16, got 0");
        let e = ModelParams::default().context_folds(1).check().unwrap_err();
        assert!(matches!(
            e,
            ParamsError::OutOfRange {
                param: Param::ContextFolds,
                ..
            }
        ));
        // without the context stage its folds are not used
        assert!(ModelParams::default()
            .context(false)
            .context_folds(1)
            .check()
            .is_ok());
        let rules = PageRules {
            prior_rescue: 1.5,
            ..PageRules::default()
        };
        assert_eq!(
            rules.check().unwrap_err().to_string(),
            "prior_rescue must be in [0, 1], got 1.5"
        );
        let rules = PageRules {
            confidence_temperature: f64::NAN,
            ..PageRules::default()
        };
        assert!(rules.check().is_err());
    }
}
