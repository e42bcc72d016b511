//! The model: parameters → check → fit → a fitted [`Model`] that predicts, saves and loads.
//!
//! A model is one or more **members**, each a whole model trained with its own seed, whose
//! probabilities are pooled. A member has an article prior (article-vs-rest, trained on
//! pages whose gold is their article text), a cue table ([`crate::cues`]) and two heads:
//! one for HTML pages and one for plain-text pages (trained on the same labelled pages
//! rendered as lines, so no DOM cue is expected of them). Each head is a first-stage
//! classifier over a block's own feature row and a context stage over the row plus the
//! first stage's probabilities around the block ([`crate::context`]), trained on
//! out-of-fold first-stage probabilities (folds by outlet), so it learns how far to
//! trust the first stage on pages it has not seen. After the pool, the [`PageRules`] act.
//!
//! - [`params`]: [`ModelParams`] → [`ModelParams::check`] → [`ValidModelParams`], and
//!   [`PageRules`];
//! - `fit`: [`ValidModelParams::fit`] → [`Model`];
//! - `targets`: block targets of pages whose gold is their article text;
//! - `predict`: a page's probabilities, member by member, pooled;
//! - `rules`: the page rules and the probability arithmetic they share with pooling and
//!   calibration;
//! - `file`: the model file.

mod file;
mod fit;
pub mod params;
mod predict;
mod rules;
mod targets;

use std::collections::BTreeMap;

use chaff_extract::{FeatureSchema, Label};
use serde::{Deserialize, Serialize};

use crate::cues::CueTable;
use crate::error::FoldsError;
use crate::learner::Classifier;
use crate::Result;

pub use file::{FORMAT, FORMAT_VERSION};
pub use fit::TrainingStep;
pub use params::{member_seed, ModelParams, PageRules, ValidModelParams, MAX_MEMBERS};
pub use rules::fit_confidence_temperature;
pub use targets::article_targets;

/// One head: a first stage and an optional context stage.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Head {
    first: Classifier,
    context: Option<Classifier>,
    /// Temperature of the final probabilities (each raised to `1 / temperature`, then
    /// renormalised), learned from their out-of-fold values; none when not calibrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
}

/// What the model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Pages used.
    pub pages: usize,
    /// Blocks used.
    pub blocks: usize,
    /// Words per gold label.
    pub words_per_label: BTreeMap<Label, u64>,
    /// The outlets (registrable domains) trained on, sorted.
    pub outlets: Vec<String>,
    /// Article-text-only pages the article prior was trained on (with several members, a
    /// page counts once for each member's prior that drew it).
    pub article_prior_pages: usize,
    /// Their outlets, sorted.
    pub article_prior_outlets: Vec<String>,
    /// When the model is one fold's of a cross-validation: which fold, so that its
    /// held-out pages can be found again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_out_fold: Option<HeldOutFold>,
}

/// One fold of a cross-validation by outlet: the pages a fold model did not train on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldOutFold {
    /// The fold, counted from 1 (as in `fold-1.json.gz`).
    pub fold: usize,
    /// How many folds the cross-validation had.
    pub folds: usize,
    /// The seed that drew the folds.
    pub seed: u64,
    /// The outlets of the pages the fold held out, sorted, so that the held-out pages can
    /// be found again when the pages read differ from the run's.
    pub outlets: Vec<String>,
}

/// A fitted model, as stored in a model file.
#[derive(Debug)]
pub struct Model {
    /// The version of chaff that wrote it.
    chaff_version: String,
    /// The feature schema the first stage reads.
    feature_schema: FeatureSchema,
    /// Names of the context columns the context stage adds.
    context_columns: Vec<String>,
    /// The parameters it was trained with.
    params: ValidModelParams,
    /// The rules that act on its predictions.
    rules: PageRules,
    /// Summary of the training data.
    training: TrainingSummary,
    /// The members, whose probabilities are pooled.
    members: Vec<Member>,
}

/// One member of a model: everything one training draw makes.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Member {
    /// The seed it was trained with.
    seed: u64,
    /// Article-vs-rest classifier over a block's feature row, trained on article-text-only
    /// pages; its article probability is appended to the HTML head's rows.
    article_prior: Option<Classifier>,
    /// The cue table whose columns follow the prior's in the HTML head's rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cues: Option<CueTable>,
    html: Head,
    text: Option<Head>,
}

/// A block's predicted label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// The most probable label.
    pub label: Label,
    /// Its probability.
    pub confidence: f64,
    /// All six probabilities, in [`Label::ALL`] order.
    pub probabilities: [f64; 6],
}

impl Prediction {
    /// The probabilities at temperature `t` (each `p^(1/t)`, normalised), the label kept
    /// and `confidence` its new probability.
    pub fn temper(&mut self, t: f64) {
        rules::temper(&mut self.probabilities, t);
        self.confidence = self.probabilities[self.label.index()];
    }
}

impl Model {
    /// The parameters the model was trained with.
    pub fn params(&self) -> &ValidModelParams {
        &self.params
    }

    /// The rules that act on its predictions.
    pub fn rules(&self) -> PageRules {
        self.rules
    }

    /// The model with other page rules (checked): the classifiers do not depend on them,
    /// so no training is needed.
    pub fn with_rules(mut self, rules: PageRules) -> Result<Model> {
        self.rules = rules.check()?;
        Ok(self)
    }

    /// What the model was trained on.
    pub fn training(&self) -> &TrainingSummary {
        &self.training
    }

    /// The version of chaff that wrote the model.
    pub fn chaff_version(&self) -> &str {
        &self.chaff_version
    }

    /// The feature schema the model reads.
    pub fn feature_schema(&self) -> &FeatureSchema {
        &self.feature_schema
    }

    /// Record the fold of a cross-validation the model was trained for.
    pub(crate) fn set_held_out_fold(&mut self, fold: HeldOutFold) {
        self.training.held_out_fold = Some(fold);
    }

    /// The seeds the members were trained with, in order.
    pub fn member_seeds(&self) -> Vec<u64> {
        self.members.iter().map(|m| m.seed).collect()
    }

    /// One model whose members are all of `models`' (in order): models trained on the
    /// same pages with the same parameters but other seeds, as the fold models of two
    /// cross-validations on the same folds, so that averaging draws can be measured
    /// without training again. Fails when they differ in anything but their seeds.
    pub fn join(models: Vec<Model>) -> Result<Model> {
        let mut models = models.into_iter();
        let Some(mut joined) = models.next() else {
            return Err(FoldsError::NothingToJoin.into());
        };
        for (k, model) in models.enumerate() {
            let differs =
                |what: &'static str| Err(FoldsError::NotJoinable { model: k + 2, what }.into());
            let same_params = ModelParams {
                seed: joined.params.0.seed,
                members: joined.params.0.members,
                ..model.params.0.clone()
            } == joined.params.0;
            let (a, b) = (&joined.training, &model.training);
            if model.feature_schema != joined.feature_schema
                || model.context_columns != joined.context_columns
            {
                return differs("feature schema or context columns");
            }
            if !same_params || model.rules != joined.rules {
                return differs("parameters");
            }
            if (
                a.pages,
                a.blocks,
                &a.words_per_label,
                &a.outlets,
                &a.held_out_fold,
            ) != (
                b.pages,
                b.blocks,
                &b.words_per_label,
                &b.outlets,
                &b.held_out_fold,
            ) {
                return differs("training pages");
            }
            joined.training.article_prior_pages += b.article_prior_pages;
            let outlets = &mut joined.training.article_prior_outlets;
            outlets.extend(b.article_prior_outlets.iter().cloned());
            outlets.sort();
            outlets.dedup();
            joined.params.0.members += model.members.len();
            joined.members.extend(model.members);
        }
        joined
            .check_members()
            .map_err(|message| crate::Error::Model {
                source_name: "joined".into(),
                message,
            })?;
        Ok(joined)
    }

    /// The members agree with the parameters and with each other.
    fn check_members(&self) -> std::result::Result<(), String> {
        let Some(first) = self.members.first() else {
            return Err("no members".into());
        };
        if self.members.len() != self.params.0.members {
            return Err(format!(
                "{} members, but its parameters say {}",
                self.members.len(),
                self.params.0.members
            ));
        }
        for (k, m) in self.members.iter().enumerate().skip(1) {
            if m.article_prior.is_some() != first.article_prior.is_some()
                || m.text.is_some() != first.text.is_some()
            {
                return Err(format!(
                    "member {} and member 1 differ in having an article prior or a text head",
                    k + 1
                ));
            }
            if let Some(j) = self.members[..k].iter().position(|o| o.seed == m.seed) {
                return Err(format!(
                    "members {} and {} were both trained with seed {}",
                    j + 1,
                    k + 1,
                    m.seed
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests;
