//! The model: parameters → check → fit → a fitted [`Model`] that predicts, saves and loads.
//!
//! A model has a head for HTML pages and one for plain-text pages (trained on the same
//! labelled pages rendered as lines, so no DOM cue is expected of them). Each head is a
//! first-stage classifier over a block's own feature row and, optionally, a context stage
//! over the row plus the first stage's probabilities around the block ([`crate::context`]).
//! The context stage is trained on out-of-fold first-stage probabilities (folds by outlet),
//! so it learns how far to trust the first stage on pages it has not seen.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use chaff_extract::features::SHORT_TEXT_WORDS;
use chaff_extract::{FeatureSchema, Label};
use ndarray::{concatenate, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use std::collections::{HashMap, HashSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::cues::CueTable;
use crate::dataset::{Dataset, LabelledPage, PageGold, Prepared};
use crate::eval::folds_by_outlet;
use crate::learner::{Classifier, LearnerParams};
use crate::{context, Error, Result};

/// The model file format's name, written in every model file.
pub const FORMAT: &str = "chaff-model";
/// The model file format's version.
pub const FORMAT_VERSION: u32 = 3;
/// The earlier version still read: one member's parts at the top level of the file.
const FORMAT_VERSION_ONE_MEMBER: u32 = 2;
/// Largest decompressed model accepted.
const MAX_MODEL_BYTES: u64 = 2 << 30;
/// Folds (by outlet) for the training pages' cue columns: each fold's from a table of the
/// others.
const CUE_FOLDS: usize = 5;

/// How to build a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelParams {
    /// The learner of both stages.
    pub learner: LearnerParams,
    /// Whether to add the context stage.
    pub context: bool,
    /// Folds (by outlet) for the out-of-fold first-stage probabilities.
    pub context_folds: usize,
    /// Rounds of the context stage: each later round sees the out-of-fold probabilities
    /// of the round before it instead of the first stage's.
    #[serde(default = "one")]
    pub context_rounds: usize,
    /// Whether to train the plain-text head.
    pub text_head: bool,
    /// Whether to learn an article-vs-rest prior from pages whose gold is article text only
    /// (when the training data has any); its probability is one more input of the HTML head.
    pub article_prior: bool,
    /// Most article-text-only pages the prior is trained on (chosen by the seed).
    pub article_prior_pages: usize,
    /// How far the six-class stages even out the labels' shares of the training weight:
    /// each label's blocks are weighted by `(mean label weight / label weight)^class_balance`,
    /// so 0 leaves the data as it is and 1 gives every label the same total weight.
    #[serde(default)]
    pub class_balance: f32,
    /// How far the six-class stages even out the pages' shares of the training weight:
    /// each page's blocks are weighted by `(mean page weight / page weight)^page_balance`,
    /// so 0 leaves the data as it is and 1 gives every page the same total weight (a page
    /// of 600 teaser links then counts no more than a page of 20 paragraphs). Applied
    /// before `class_balance`. Off by default: at 0.5 it lowered cross-validated
    /// macro-F1, related and recent most (models/README.md).
    #[serde(default)]
    pub page_balance: f32,
    /// Every page has main content: when no block of a page comes out article, the blocks
    /// whose article probability is at least this share of the page's highest are labelled
    /// article. 0 turns it off (and is what model files from before it read as).
    #[serde(default)]
    pub article_fallback: f64,
    /// Whether each head learns a temperature for its final probabilities from their
    /// out-of-fold values, so that `confidence` matches how often the label is right.
    /// Labels do not change. Older model files read it as off.
    #[serde(default)]
    pub calibrate: bool,
    /// Whether the HTML head reads the learned cue table of class/id tokens and heading
    /// words ([`crate::cues`]). Older model files read it as off.
    #[serde(default)]
    pub cues: bool,
    /// How far the blocks of one list settle related against recent together: each
    /// block's related-or-recent probability is split between the two by the list's
    /// word-weighted related share instead of its own, this far (0, the default, leaves
    /// every block as it is and is what model files from before it read as; 1 splits
    /// every block of the list alike). A list is the blocks with words of one nearest
    /// container, two at least; a block's probability of being related or recent at all,
    /// and so of every other label, does not change. Since the context stage reads the
    /// mean probabilities of each block's list, the vote adds nothing under
    /// cross-validation, so it is off by default.
    #[serde(default)]
    pub list_vote: f64,
    /// Pages whose content is a thread of posts (a forum) read to the six-class head as
    /// comments, which the labelled pages call `other`; the article prior, trained on
    /// article-text pages of every type, reads them as the page's content. When the
    /// blocks the HTML head labels article hold fewer words than this share of the words
    /// the prior expects to be article (the sum of its probability × words), the blocks
    /// the prior calls article (probability at least one half) and the head calls
    /// `other` become article. 0 turns it off (and is what older model files read as);
    /// 0.05 by default.
    #[serde(default)]
    pub prior_rescue: f64,
    /// A temperature for the probabilities the page rules leave, every label's (and so
    /// `confidence`): each becomes `p^(1/t)`, normalised. Below 1 sharpens. The heads'
    /// own temperatures are fitted on out-of-fold probabilities of models trained on
    /// fewer pages than the head, which leaves the head under-confident; this one is
    /// fitted on a cross-validation's held-out predictions (`chaff eval` reports it) and
    /// set for the model (`--confidence-temperature`). Labels do not change. 1 leaves
    /// the probabilities as they are (and is what older model files read as).
    #[serde(default = "one_f64")]
    pub confidence_temperature: f64,
    /// Members of the model: each a whole model (prior, cue table, heads) trained on the
    /// same pages with its own seed ([`member_seed`]); the model's probabilities are the
    /// normalised geometric mean of theirs ([`pool`]), before the page rules act. One
    /// member is a single model (and is what older model files read as); more even out
    /// the noise of one training draw, at that many times the training and prediction
    /// time.
    #[serde(default = "one")]
    pub members: usize,
    /// Self-training of the HTML head: up to this many article-text-only pages (one per
    /// outlet, none that the article prior trained on, drawn by the seed) join its
    /// training pages, so that it sees more outlets than the block-labelled pages come
    /// from. A block of such a page is `article` where the gold article text says so
    /// ([`article_targets`]); any other block takes the likeliest of the five other
    /// labels by a first HTML head trained on the block-labelled pages alone, and counts
    /// only when that head's article probability is below one half and the label's share
    /// of the five is at least [`self_training_confidence`](Self::self_training_confidence).
    /// 0 (the default, and what older model files read as) turns it off.
    #[serde(default)]
    pub self_training_pages: usize,
    /// Least share of the five non-article probabilities a self-trained block's label
    /// must have for the block to count (see [`self_training_pages`](Self::self_training_pages)).
    #[serde(default)]
    pub self_training_confidence: f64,
    /// Marked texts in the HTML head: the article-text pages whose source marked other
    /// regions than the article ([`MarkedText`](crate::dataset::MarkedText): Dragnet's
    /// comments, `other`; L3S-GN1's related content, `related`), none that the article
    /// prior trained on, join its training pages. A block of such a page is `article`
    /// where the gold article text says so ([`article_targets`]) and it has more than
    /// six words, else takes a marked text's label where at least half its words are
    /// found in that text ([`marked_targets`]); those blocks weigh this much per word (a
    /// gold page's block weighs 1), every other block 0, as its label is not known. 0
    /// (the default, and what older model files read as) turns it off; cross-validated
    /// at 0.5 it lost, with short article blocks and without (models/README.md, "Marked
    /// texts").
    #[serde(default)]
    pub marked_texts: f32,
    /// How the blocks of an article-text-only page are matched to its gold text
    /// ([`article_targets`]); the article prior and self-training learn from the result.
    /// Older model files read it as [`ArticleMatch::Words`], the only rule they knew.
    #[serde(default)]
    pub article_match: ArticleMatch,
    /// Seed for every random choice.
    pub seed: u64,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            learner: LearnerParams::boosted(),
            context: true,
            context_folds: 3,
            context_rounds: 1,
            text_head: true,
            article_prior: true,
            article_prior_pages: 1500,
            class_balance: 0.0,
            page_balance: 0.0,
            article_fallback: 0.5,
            calibrate: true,
            cues: true,
            list_vote: 0.0,
            prior_rescue: 0.05,
            confidence_temperature: 1.0,
            members: 1,
            self_training_pages: 0,
            self_training_confidence: 0.6,
            marked_texts: 0.0,
            article_match: ArticleMatch::Words,
            seed: 42,
        }
    }
}

fn one() -> usize {
    1
}

fn one_f64() -> f64 {
    1.0
}

/// How the blocks of an article-text-only page are matched to its gold article text, to
/// say which of them are article ([`article_targets`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleMatch {
    /// A word counts as found when the gold text holds it (each gold word used once, in
    /// page order). A menu link of one or two words that the story also uses is found.
    #[default]
    Words,
    /// A word counts as found when it is part of a run of [`RUN_WORDS`] consecutive page
    /// words (across block borders) that also occurs in the gold text; with a shorter
    /// gold text, a run of all of it.
    Runs,
}

/// Words in a run of [`ArticleMatch::Runs`].
pub const RUN_WORDS: usize = 3;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

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

/// Parameters that passed [`ModelParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidModelParams(ModelParams);

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

    /// Set the most article-text-only pages the article prior is trained on.
    pub fn article_prior_pages(mut self, pages: usize) -> Self {
        self.article_prior_pages = pages;
        self
    }

    /// Set the folds (by outlet, at least 2) of the out-of-fold first-stage probabilities
    /// the context stage is trained on.
    pub fn context_folds(mut self, folds: usize) -> Self {
        self.context_folds = folds;
        self
    }

    /// Set the rounds of the context stage (at least 1).
    pub fn context_rounds(mut self, rounds: usize) -> Self {
        self.context_rounds = rounds;
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

    /// Set how far the six-class stages even out the labels' weights (0 to 1).
    pub fn class_balance(mut self, exponent: f32) -> Self {
        self.class_balance = exponent;
        self
    }

    /// Set how far the six-class stages even out the pages' weights (0 to 1).
    pub fn page_balance(mut self, exponent: f32) -> Self {
        self.page_balance = exponent;
        self
    }

    /// Set the share of a page's highest article probability that a block needs to be
    /// labelled article when none is (0 to 1; 0 turns the fallback off).
    pub fn article_fallback(mut self, share: f64) -> Self {
        self.article_fallback = share;
        self
    }

    /// Turn the calibration of the final probabilities on or off.
    pub fn calibrate(mut self, on: bool) -> Self {
        self.calibrate = on;
        self
    }

    /// Set how far the blocks of one list settle related against recent together (0 to
    /// 1; see [`ModelParams::list_vote`]).
    pub fn list_vote(mut self, share: f64) -> Self {
        self.list_vote = share;
        self
    }

    /// Set the share of the prior's expected article words below which the prior's
    /// article blocks that the head calls `other` become article (0 to 1; see
    /// [`ModelParams::prior_rescue`]).
    pub fn prior_rescue(mut self, share: f64) -> Self {
        self.prior_rescue = share;
        self
    }

    /// Set the temperature of the final probabilities (see
    /// [`ModelParams::confidence_temperature`]).
    pub fn confidence_temperature(mut self, t: f64) -> Self {
        self.confidence_temperature = t;
        self
    }

    /// Turn the cue table on or off.
    pub fn cues(mut self, on: bool) -> Self {
        self.cues = on;
        self
    }

    /// Set the number of members, each trained with its own seed (at least 1).
    pub fn members(mut self, members: usize) -> Self {
        self.members = members;
        self
    }

    /// Set the most article-text-only pages the HTML head self-trains on (0 turns
    /// self-training off; see [`ModelParams::self_training_pages`]).
    pub fn self_training_pages(mut self, pages: usize) -> Self {
        self.self_training_pages = pages;
        self
    }

    /// Set the least share of the five non-article probabilities a self-trained block's
    /// label needs (0 to 1; see [`ModelParams::self_training_confidence`]).
    pub fn self_training_confidence(mut self, share: f64) -> Self {
        self.self_training_confidence = share;
        self
    }

    /// Set the weight of the blocks of article-text pages that their gold or marked
    /// texts label for the HTML head (0 turns it off; see [`ModelParams::marked_texts`]).
    pub fn marked_texts(mut self, weight: f32) -> Self {
        self.marked_texts = weight;
        self
    }

    /// Set how the blocks of article-text-only pages are matched to their gold text.
    pub fn article_match(mut self, rule: ArticleMatch) -> Self {
        self.article_match = rule;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Validate the parameters.
    pub fn check(self) -> Result<ValidModelParams> {
        self.learner.check()?;
        if self.context && self.context_folds < 2 {
            return Err(Error::Params("context_folds must be at least 2".into()));
        }
        if self.context_rounds == 0 {
            return Err(Error::Params("context_rounds must be at least 1".into()));
        }
        if !(1..=MAX_MEMBERS).contains(&self.members) {
            return Err(Error::Params(format!("members must be 1 to {MAX_MEMBERS}")));
        }
        if !(0.0..=1.0).contains(&self.class_balance) {
            return Err(Error::Params("class_balance must be in [0, 1]".into()));
        }
        if !(0.0..=1.0).contains(&self.page_balance) {
            return Err(Error::Params("page_balance must be in [0, 1]".into()));
        }
        if !(0.0..=1.0).contains(&self.article_fallback) {
            return Err(Error::Params("article_fallback must be in [0, 1]".into()));
        }
        if !(0.0..=1.0).contains(&self.list_vote) {
            return Err(Error::Params("list_vote must be in [0, 1]".into()));
        }
        if !(0.0..=1.0).contains(&self.prior_rescue) {
            return Err(Error::Params("prior_rescue must be in [0, 1]".into()));
        }
        if !(0.05..=20.0).contains(&self.confidence_temperature) {
            return Err(Error::Params(
                "confidence_temperature must be in [0.05, 20]".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.self_training_confidence) {
            return Err(Error::Params(
                "self_training_confidence must be in [0, 1]".into(),
            ));
        }
        if !(self.marked_texts.is_finite() && self.marked_texts >= 0.0) {
            return Err(Error::Params(
                "marked_texts must be a finite weight of at least 0".into(),
            ));
        }
        Ok(ValidModelParams(self))
    }
}

/// One head: first stage and optional context stage (in one or more rounds).
#[derive(Debug, Serialize, Deserialize)]
pub struct Head {
    first: Classifier,
    context: Option<Classifier>,
    /// Later rounds of the context stage, each over the round before's probabilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    refine: Vec<Classifier>,
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
    /// Article-text-only pages the HTML head self-trained on
    /// ([`ModelParams::self_training_pages`]; with several members, a page counts once for
    /// each member that drew it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub self_trained_pages: usize,
    /// Article-text pages whose marked texts the HTML head trained on
    /// ([`ModelParams::marked_texts`]; counted per member, as above).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub marked_pages: usize,
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
    /// be found again when the pages read differ from the run's (a page that can no
    /// longer be read moves the folds drawn anew). Empty in fold models written before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outlets: Vec<String>,
}

impl HeldOutFold {
    /// The same fold of the same cross-validation: fold, number of folds and seed agree,
    /// and the held-out outlets where both record them.
    fn same_fold(&self, other: &HeldOutFold) -> bool {
        (self.fold, self.folds, self.seed) == (other.fold, other.folds, other.seed)
            && (self.outlets.is_empty()
                || other.outlets.is_empty()
                || self.outlets == other.outlets)
    }
}

/// A fitted model, as stored in a model file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(try_from = "StoredModel")]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The version of chaff that wrote the file.
    pub chaff_version: String,
    /// The feature schema the first stage reads.
    pub feature_schema: FeatureSchema,
    /// Names of the context columns the context stage adds.
    pub context_columns: Vec<String>,
    /// The labels, in the order of the classifiers' outputs.
    pub labels: Vec<Label>,
    /// The parameters it was built with.
    pub params: ModelParams,
    /// Summary of the training data.
    pub training: TrainingSummary,
    /// The members, whose probabilities are pooled (`params.members` of them).
    members: Vec<Member>,
}

/// One member of a model: everything one training draw makes.
#[derive(Debug, Serialize, Deserialize)]
struct Member {
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

/// A model file as read: format version 3 keeps its members in a list, version 2 had one
/// member's parts at the top level.
#[derive(Deserialize)]
struct StoredModel {
    format: String,
    format_version: u32,
    chaff_version: String,
    feature_schema: FeatureSchema,
    context_columns: Vec<String>,
    labels: Vec<Label>,
    params: ModelParams,
    training: TrainingSummary,
    #[serde(default)]
    members: Option<Vec<Member>>,
    #[serde(default)]
    article_prior: Option<Classifier>,
    #[serde(default)]
    cues: Option<CueTable>,
    #[serde(default)]
    html: Option<Head>,
    #[serde(default)]
    text: Option<Head>,
}

impl TryFrom<StoredModel> for Model {
    type Error = String;

    fn try_from(s: StoredModel) -> std::result::Result<Model, String> {
        let top_level =
            s.html.is_some() || s.text.is_some() || s.article_prior.is_some() || s.cues.is_some();
        let members = match (s.format_version, s.html, s.members) {
            (FORMAT_VERSION_ONE_MEMBER, Some(html), None) => vec![Member {
                seed: s.params.seed,
                article_prior: s.article_prior,
                cues: s.cues,
                html,
                text: s.text,
            }],
            (FORMAT_VERSION_ONE_MEMBER, _, _) => {
                return Err(format!(
                    "a version {FORMAT_VERSION_ONE_MEMBER} model file needs an \"html\" head and no \"members\""
                ))
            }
            (_, _, Some(members)) if !top_level => members,
            _ => {
                return Err(format!(
                    "a version {} model file keeps its heads in \"members\"",
                    s.format_version
                ))
            }
        };
        Ok(Model {
            format: s.format,
            // a version 2 file read is written again as this version
            format_version: if s.format_version == FORMAT_VERSION_ONE_MEMBER {
                FORMAT_VERSION
            } else {
                s.format_version
            },
            chaff_version: s.chaff_version,
            feature_schema: s.feature_schema,
            context_columns: s.context_columns,
            labels: s.labels,
            params: s.params,
            training: s.training,
            members,
        })
    }
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
        temper(&mut self.probabilities, t);
        self.confidence = self.probabilities[self.label.index()];
    }
}

impl ValidModelParams {
    /// The parameters.
    pub fn params(&self) -> &ModelParams {
        &self.0
    }

    /// Fit a model to the block-labelled pages of `data`. `progress` hears of each step.
    pub fn fit(&self, data: &Dataset, progress: &dyn Fn(&str)) -> Result<Model> {
        self.fit_pages(&data.pages.iter().collect::<Vec<_>>(), progress)
    }

    /// [`fit`](Self::fit) over borrowed pages (cross-validation trains each fold on a
    /// subset without copying it).
    pub fn fit_pages(&self, all: &[&LabelledPage], progress: &dyn Fn(&str)) -> Result<Model> {
        let pages: Vec<&LabelledPage> = all
            .iter()
            .copied()
            .filter(|pg| pg.block_labels().is_some())
            .collect();
        if pages.is_empty() {
            return Err(Error::Training(
                "no block-labelled pages to train on".into(),
            ));
        }
        let p = &self.0;
        let mut members = Vec::with_capacity(p.members);
        let mut prior_pages: Vec<&LabelledPage> = Vec::new();
        let mut self_trained = 0;
        let mut marked = 0;
        for k in 0..p.members {
            if p.members > 1 {
                progress(&format!("member {} of {}", k + 1, p.members));
            }
            let member = ValidModelParams(ModelParams {
                seed: member_seed(p.seed, k),
                ..p.clone()
            });
            let (m, pages_of_prior, (drawn, marked_pages)) =
                member.fit_member(all, &pages, progress)?;
            members.push(m);
            prior_pages.extend(pages_of_prior);
            self_trained += drawn;
            marked += marked_pages;
        }
        let mut words_per_label = BTreeMap::new();
        let mut blocks = 0;
        for pg in &pages {
            if let Some(labels) = pg.block_labels() {
                for (l, w) in labels.iter().zip(&pg.html.words) {
                    *words_per_label.entry(*l).or_insert(0u64) += *w as u64;
                }
                blocks += labels.len();
            }
        }
        let mut outlets: Vec<String> = pages.iter().map(|p| p.outlet.clone()).collect();
        outlets.sort();
        outlets.dedup();
        Ok(Model {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            chaff_version: env!("CARGO_PKG_VERSION").to_string(),
            feature_schema: FeatureSchema::current().clone(),
            context_columns: context::column_names(),
            labels: Label::ALL.to_vec(),
            params: p.clone(),
            training: TrainingSummary {
                pages: pages.len(),
                blocks,
                words_per_label,
                outlets,
                article_prior_pages: prior_pages.len(),
                article_prior_outlets: {
                    let mut o: Vec<String> = prior_pages.iter().map(|p| p.outlet.clone()).collect();
                    o.sort();
                    o.dedup();
                    o
                },
                self_trained_pages: self_trained,
                marked_pages: marked,
                held_out_fold: None,
            },
            members,
        })
    }

    /// One member, trained with these parameters' seed: its article prior (from the
    /// article-text-only pages of `all`, which it returns), cue table and heads (from the
    /// block-labelled `pages`, and the marked or self-trained pages of `all`, whose
    /// numbers it returns).
    fn fit_member<'a>(
        &self,
        all: &[&'a LabelledPage],
        pages: &[&LabelledPage],
        progress: &dyn Fn(&str),
    ) -> Result<(Member, Vec<&'a LabelledPage>, (usize, usize))> {
        let p = &self.0;
        let (article_prior, prior_pages) = if p.article_prior {
            self.fit_article_prior(all, progress)?
        } else {
            (None, Vec::new())
        };
        let outlets: Vec<&str> = pages.iter().map(|pg| pg.outlet.as_str()).collect();
        progress("html head");
        let with_priors: Vec<Prepared> = pages
            .iter()
            .map(|pg| with_prior(article_prior.as_ref(), &pg.html))
            .collect();
        let (cues, augmented) = if p.cues {
            progress("cue table");
            self.fit_cues(with_priors, pages, &outlets)
        } else {
            (None, with_priors)
        };
        // the rows the HTML head reads for a page it did not see in the cue table: the
        // prior's column and the full cue table's, neither of which trained on the page
        let head_rows = |pg: &LabelledPage| {
            let r = with_prior(article_prior.as_ref(), &pg.html);
            match &cues {
                Some(table) => with_columns(&r, table.columns(&pg.html).view()),
                None => r,
            }
        };
        let marked = if p.marked_texts > 0.0 {
            draw_marked(all, &prior_pages)
        } else {
            Vec::new()
        };
        let marked_rows: Vec<Prepared> = marked.iter().map(|pg| head_rows(pg)).collect();
        let marked_labels: Vec<(Vec<Label>, Vec<f32>)> = marked
            .iter()
            .map(|pg| {
                let (labels, known) = marked_targets(pg, p.article_match);
                let weights = known.into_iter().map(|k| k * p.marked_texts).collect();
                (labels, weights)
            })
            .collect();
        let mut html_views: Vec<(&Prepared, &[Label])> = augmented
            .iter()
            .zip(pages)
            .filter_map(|(v, pg)| Some((v, pg.block_labels()?)))
            .collect();
        let mut html_scales: Vec<&[f32]> = vec![&[]; html_views.len()];
        let mut html_outlets = outlets.clone();
        if !marked.is_empty() {
            progress(&format!("marked texts of {} pages", marked.len()));
            html_views.extend(
                marked_rows
                    .iter()
                    .zip(&marked_labels)
                    .map(|(r, (l, _))| (r, l.as_slice())),
            );
            html_scales.extend(marked_labels.iter().map(|(_, w)| w.as_slice()));
            html_outlets.extend(marked.iter().map(|pg| pg.outlet.as_str()));
        }
        let mut html = self.fit_head(&html_views, &html_scales, &html_outlets, progress)?;
        let drawn = if p.self_training_pages > 0 {
            self.draw_self_training(all, &prior_pages, &marked)
        } else {
            Vec::new()
        };
        if !drawn.is_empty() {
            progress(&format!("self-training on {} pages", drawn.len()));
            let rows: Vec<Prepared> = drawn.iter().map(|pg| head_rows(pg)).collect();
            let labelled: Vec<(Vec<Label>, Vec<f32>)> = drawn
                .iter()
                .zip(&rows)
                .map(|(pg, r)| {
                    let probs = html.probabilities(&[rows_view(r)], r, context::COLUMNS);
                    self_training_labels(
                        &article_targets(pg, p.article_match),
                        &probs,
                        p.self_training_confidence,
                    )
                })
                .collect();
            let mut views = html_views.clone();
            views.extend(
                rows.iter()
                    .zip(&labelled)
                    .map(|(r, (l, _))| (r, l.as_slice())),
            );
            let mut scales = html_scales.clone();
            scales.extend(labelled.iter().map(|(_, w)| w.as_slice()));
            let mut all_outlets = html_outlets.clone();
            all_outlets.extend(drawn.iter().map(|pg| pg.outlet.as_str()));
            html = self.fit_head(&views, &scales, &all_outlets, progress)?;
        }
        let text = if p.text_head {
            progress("text head");
            let text_views: Vec<(&Prepared, &[Label])> = pages
                .iter()
                .filter_map(|pg| Some((pg.text.as_ref()?, pg.block_labels()?)))
                .collect();
            if text_views.len() == pages.len() {
                Some(self.fit_head(&text_views, &[], &outlets, progress)?)
            } else {
                None
            }
        } else {
            None
        };
        Ok((
            Member {
                seed: p.seed,
                article_prior,
                cues,
                html,
                text,
            },
            prior_pages,
            (drawn.len(), marked.len()),
        ))
    }

    /// The article-text-only pages of `all` the HTML head self-trains on: up to
    /// [`ModelParams::self_training_pages`], one per outlet, none of `prior_pages` or
    /// `marked`, drawn by the seed.
    fn draw_self_training<'a>(
        &self,
        all: &[&'a LabelledPage],
        prior_pages: &[&LabelledPage],
        marked: &[&LabelledPage],
    ) -> Vec<&'a LabelledPage> {
        let p = &self.0;
        let taken: HashSet<&str> = prior_pages
            .iter()
            .chain(marked)
            .map(|pg| pg.id.as_str())
            .collect();
        let mut candidates: Vec<&LabelledPage> = all
            .iter()
            .copied()
            .filter(|pg| {
                matches!(pg.gold, PageGold::ArticleWords(_))
                    && !pg.html.is_empty()
                    && !taken.contains(pg.id.as_str())
            })
            .collect();
        candidates.sort_by(|a, b| a.id.cmp(&b.id));
        candidates.shuffle(&mut ChaCha8Rng::seed_from_u64(p.seed.wrapping_add(5)));
        let mut outlets = HashSet::new();
        candidates.retain(|pg| outlets.insert(pg.outlet.as_str()));
        candidates.truncate(p.self_training_pages);
        candidates
    }

    /// The cue table of all `pages`, and each page of `rows` with its cue columns from a
    /// table fitted on the other folds' outlets.
    fn fit_cues(
        &self,
        rows: Vec<Prepared>,
        pages: &[&LabelledPage],
        outlets: &[&str],
    ) -> (Option<CueTable>, Vec<Prepared>) {
        let p = &self.0;
        // one view per page, in the order of `rows` (a page without block labels, which
        // `fit_pages` does not pass, would add no votes)
        let views: Vec<(&Prepared, &[Label])> = pages
            .iter()
            .map(|pg| (&pg.html, pg.block_labels().unwrap_or(&[])))
            .collect();
        let sizes: Vec<usize> = views.iter().map(|(v, _)| v.len()).collect();
        let folds = folds_by_outlet(outlets, &sizes, CUE_FOLDS, p.seed.wrapping_add(3));
        let mut out: Vec<Option<Prepared>> = (0..rows.len()).map(|_| None).collect();
        let mut rows: Vec<Option<Prepared>> = rows.into_iter().map(Some).collect();
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

    /// Fit the article prior on up to `article_prior_pages` article-text-only pages.
    fn fit_article_prior<'a>(
        &self,
        all: &[&'a LabelledPage],
        progress: &dyn Fn(&str),
    ) -> Result<(Option<Classifier>, Vec<&'a LabelledPage>)> {
        let p = &self.0;
        let mut candidates: Vec<&LabelledPage> = all
            .iter()
            .copied()
            .filter(|pg| matches!(pg.gold, PageGold::ArticleWords(_)) && !pg.html.is_empty())
            .collect();
        if candidates.is_empty() {
            return Ok((None, Vec::new()));
        }
        candidates.sort_by(|a, b| a.id.cmp(&b.id));
        candidates.shuffle(&mut ChaCha8Rng::seed_from_u64(p.seed));
        candidates.truncate(p.article_prior_pages);
        progress(&format!("article prior on {} pages", candidates.len()));
        let targets: Vec<Vec<Label>> = candidates
            .iter()
            .map(|pg| article_targets(pg, p.article_match))
            .collect();
        let views: Vec<(&Prepared, &[Label])> = candidates
            .iter()
            .zip(&targets)
            .map(|(pg, t)| (&pg.html, t.as_slice()))
            .collect();
        let (x, y, w) = stack(&views, None);
        let prior = p.learner.fit(x, &y, &w, p.seed.wrapping_add(2))?;
        Ok((Some(prior), candidates))
    }

    /// A head trained on `views`, whose outlets are `outlets`. `scales` is empty, or holds
    /// one slice per view: empty for a page whose labels are gold, else a weight per block
    /// (a self-trained page's, [`self_training_labels`]); only gold pages calibrate.
    fn fit_head(
        &self,
        views: &[(&Prepared, &[Label])],
        scales: &[&[f32]],
        outlets: &[&str],
        progress: &dyn Fn(&str),
    ) -> Result<Head> {
        let p = &self.0;
        let (x, y, mut w) = stack(views, None);
        scale_blocks(views, scales, &mut w);
        balance_pages(views, &mut w, p.page_balance);
        balance(&y, &mut w, p.class_balance);
        progress("first stage");
        let first = p.learner.fit(x, &y, &w, p.seed)?;
        let sizes: Vec<usize> = views.iter().map(|(v, _)| v.len()).collect();
        let folds = folds_by_outlet(outlets, &sizes, p.context_folds, p.seed);
        if !p.context {
            let temperature = if p.calibrate {
                progress("calibration");
                let oof = self.out_of_fold(views, scales, &folds, None, &first)?;
                Some(fit_temperature(&oof, views, scales))
            } else {
                None
            };
            return Ok(Head {
                first,
                context: None,
                refine: Vec::new(),
                temperature,
            });
        }
        progress("context folds");
        let mut probs = self.out_of_fold(views, scales, &folds, None, &first)?;
        let mut rounds = Vec::with_capacity(p.context_rounds);
        let mut temperature = None;
        for r in 0..p.context_rounds {
            progress(&format!("context stage, round {}", r + 1));
            let (x2, y2, mut w2) = stack(views, Some(&probs));
            scale_blocks(views, scales, &mut w2);
            balance_pages(views, &mut w2, p.page_balance);
            balance(&y2, &mut w2, p.class_balance);
            let model = p
                .learner
                .fit(x2, &y2, &w2, p.seed.wrapping_add(1 + r as u64))?;
            if r + 1 < p.context_rounds {
                probs = self.out_of_fold(views, scales, &folds, Some(&probs), &model)?;
            } else if p.calibrate {
                progress("calibration");
                let oof = self.out_of_fold(views, scales, &folds, Some(&probs), &model)?;
                temperature = Some(fit_temperature(&oof, views, scales));
            }
            rounds.push(model);
        }
        let mut rounds = rounds.into_iter();
        Ok(Head {
            first,
            context: rounds.next(),
            refine: rounds.collect(),
            temperature,
        })
    }

    /// Out-of-fold probabilities of every page of `views`: for each fold, a classifier
    /// trained on the other folds' pages (their rows, plus the context of `previous`
    /// probabilities when given) predicts the fold's pages. `whole` (trained on all pages)
    /// predicts a page when its fold leaves nothing to train on.
    fn out_of_fold(
        &self,
        views: &[(&Prepared, &[Label])],
        scales: &[&[f32]],
        folds: &[usize],
        previous: Option<&[Array2<f64>]>,
        whole: &Classifier,
    ) -> Result<Vec<Array2<f64>>> {
        let p = &self.0;
        let rows = |i: usize| -> Array2<f32> {
            let v = views[i].0;
            match previous {
                Some(pr) => with_context(v, &pr[i], context::COLUMNS),
                None => rows_view(v).to_owned(),
            }
        };
        let mut oof: Vec<Option<Array2<f64>>> = vec![None; views.len()];
        for f in 0..p.context_folds {
            let train: Vec<usize> = (0..views.len()).filter(|&i| folds[i] != f).collect();
            if train.is_empty() {
                continue;
            }
            let train_views: Vec<(&Prepared, &[Label])> = train.iter().map(|&i| views[i]).collect();
            let train_probs: Option<Vec<Array2<f64>>> =
                previous.map(|pr| train.iter().map(|&i| pr[i].clone()).collect());
            let (xf, yf, mut wf) = stack(&train_views, train_probs.as_deref());
            let train_scales: Vec<&[f32]> = train
                .iter()
                .filter_map(|&i| scales.get(i).copied())
                .collect();
            scale_blocks(&train_views, &train_scales, &mut wf);
            balance_pages(&train_views, &mut wf, p.page_balance);
            balance(&yf, &mut wf, p.class_balance);
            let model = p.learner.fit(xf, &yf, &wf, p.seed)?;
            for (i, o) in oof.iter_mut().enumerate() {
                if folds[i] == f {
                    *o = Some(model.predict_proba(rows(i).view()));
                }
            }
        }
        Ok(oof
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.unwrap_or_else(|| whole.predict_proba(rows(i).view())))
            .collect())
    }
}

/// Block targets of an article-text-only page: a block is `article` when at least half of
/// its words are found in the gold article text, as `rule` says, and `other` otherwise. No
/// finer label is pretended. A page with block labels gives them as they are.
pub fn article_targets(page: &LabelledPage, rule: ArticleMatch) -> Vec<Label> {
    let PageGold::ArticleWords(gold) = &page.gold else {
        return page
            .block_labels()
            .map(<[Label]>::to_vec)
            .unwrap_or_default();
    };
    article_blocks(&block_words(page), gold, rule)
        .into_iter()
        .map(|a| if a { Label::Article } else { Label::Other })
        .collect()
}

/// Each block's words, as the scorer counts them.
fn block_words(page: &LabelledPage) -> Vec<Vec<String>> {
    page.texts
        .iter()
        .map(|t| chaff_extract::text::words(t).collect())
        .collect()
}

/// Whether each of `blocks` is article by the `gold` text, as `rule` says
/// ([`article_targets`]).
fn article_blocks(blocks: &[Vec<String>], gold: &[String], rule: ArticleMatch) -> Vec<bool> {
    let found = match rule {
        ArticleMatch::Words => words_found(blocks, gold),
        ArticleMatch::Runs => words_in_runs(blocks, gold, RUN_WORDS),
    };
    half_found(blocks, &found)
}

/// Whether at least half the words of each of `blocks` (and one at least) are `found`
/// (one flag per word of `blocks` in page order).
fn half_found(blocks: &[Vec<String>], found: &[bool]) -> Vec<bool> {
    let mut at = 0;
    blocks
        .iter()
        .map(|words| {
            let hits = found[at..at + words.len()].iter().filter(|&&f| f).count();
            at += words.len();
            !words.is_empty() && hits * 2 >= words.len()
        })
        .collect()
}

/// The article-text pages of `all` with marked texts ([`ModelParams::marked_texts`]),
/// none of `prior_pages`, in id order.
fn draw_marked<'a>(
    all: &[&'a LabelledPage],
    prior_pages: &[&LabelledPage],
) -> Vec<&'a LabelledPage> {
    let taken: HashSet<&str> = prior_pages.iter().map(|pg| pg.id.as_str()).collect();
    let mut pages: Vec<&LabelledPage> = all
        .iter()
        .copied()
        .filter(|pg| {
            matches!(pg.gold, PageGold::ArticleWords(_))
                && !pg.marked.is_empty()
                && !pg.html.is_empty()
                && !taken.contains(pg.id.as_str())
        })
        .collect();
    pages.sort_by(|a, b| a.id.cmp(&b.id));
    pages
}

/// Labels and weights of the blocks of a page with marked texts
/// ([`ModelParams::marked_texts`]): `article` where [`article_targets`] says so, weight
/// 1 for a block of more than [`SHORT_TEXT_WORDS`] words and 0 for a shorter one (a menu
/// link whose words the story happens to use is not known to be article); else the
/// label of the first marked text that holds at least half the block's words, weight 1;
/// else `other`, weight 0. A marked text's words are used once each, in
/// page order, by the blocks that are not article (so a story's words do not use up
/// those of a related headline that repeats them).
pub fn marked_targets(page: &LabelledPage, rule: ArticleMatch) -> (Vec<Label>, Vec<f32>) {
    let blocks = block_words(page);
    let article = match &page.gold {
        PageGold::ArticleWords(gold) => article_blocks(&blocks, gold, rule),
        PageGold::Blocks(_) => vec![false; blocks.len()],
    };
    let lengths: Vec<usize> = blocks.iter().map(Vec::len).collect();
    // the blocks a marked text may hold: every one but the article's
    let rest: Vec<Vec<String>> = blocks
        .into_iter()
        .zip(&article)
        .map(|(words, &a)| if a { Vec::new() } else { words })
        .collect();
    let held: Vec<(Label, Vec<bool>)> = page
        .marked
        .iter()
        .map(|m| (m.label, half_found(&rest, &words_found(&rest, &m.words))))
        .collect();
    (0..rest.len())
        .map(|i| {
            if article[i] {
                let long = lengths[i] > SHORT_TEXT_WORDS;
                return (Label::Article, if long { 1.0 } else { 0.0 });
            }
            held.iter()
                .find(|(_, h)| h[i])
                .map_or((Label::Other, 0.0), |(label, _)| (*label, 1.0))
        })
        .unzip()
}

/// For each word of `blocks` in page order: whether the bag of `gold` words still holds
/// it (each gold word is used once).
fn words_found(blocks: &[Vec<String>], gold: &[String]) -> Vec<bool> {
    let mut bag: HashMap<&str, u32> = HashMap::new();
    for w in gold {
        *bag.entry(w.as_str()).or_default() += 1;
    }
    blocks
        .iter()
        .flatten()
        .map(|w| match bag.get_mut(w.as_str()) {
            Some(c) if *c > 0 => {
                *c -= 1;
                true
            }
            _ => false,
        })
        .collect()
}

/// For each word of `blocks` in page order: whether it is part of a run of `run`
/// consecutive page words (or of all the gold words, when there are fewer) that also
/// occurs in `gold`.
fn words_in_runs(blocks: &[Vec<String>], gold: &[String], run: usize) -> Vec<bool> {
    let page: Vec<&str> = blocks.iter().flatten().map(String::as_str).collect();
    let mut found = vec![false; page.len()];
    let run = run.min(gold.len());
    if run == 0 {
        return found;
    }
    let gold: Vec<&str> = gold.iter().map(String::as_str).collect();
    let runs: HashSet<&[&str]> = gold.windows(run).collect();
    for (i, window) in page.windows(run).enumerate() {
        if runs.contains(window) {
            found[i..i + run].fill(true);
        }
    }
    found
}

/// The page's rows with the article prior's probability appended (unchanged without one).
fn with_prior(prior: Option<&Classifier>, page: &Prepared) -> Prepared {
    let Some(prior) = prior else {
        return page.clone();
    };
    with_columns(page, prior_column(prior, page).view())
}

/// The article prior's probability of each block, as one column.
fn prior_column(prior: &Classifier, page: &Prepared) -> Array2<f32> {
    prior
        .predict_proba(rows_view(page))
        .column(Label::Article.index())
        .mapv(|p| p as f32)
        .insert_axis(Axis(1))
}

/// The page with `extra` (one row per block) appended to its rows. Its cue tokens are left
/// behind (nothing reads them after the cue columns are made; on a page of ten thousand
/// blocks a copy is over a megabyte).
fn with_columns(page: &Prepared, extra: ArrayView2<f32>) -> Prepared {
    let cols = page.rows.cols + extra.ncols();
    let mut values = Vec::with_capacity(page.len() * cols);
    for (i, more) in extra.rows().into_iter().enumerate().take(page.len()) {
        values.extend_from_slice(page.rows.row(i));
        values.extend(more.iter().copied());
    }
    Prepared {
        rows: chaff_extract::FeatureRows { cols, values },
        containers: page.containers.clone(),
        signatures: page.signatures.clone(),
        headings: page.headings.clone(),
        words: page.words.clone(),
        tokens: Default::default(),
    }
}

/// Probabilities of rows made of `parts` side by side (one row per block in each), joined
/// a slice of rows at a time: a page's rows are never copied whole to append a few columns.
/// Each row's probabilities depend on that row alone, so they equal those of the whole
/// joined matrix.
fn predict_joined(c: &Classifier, parts: &[ArrayView2<f32>]) -> Array2<f64> {
    let n = parts[0].nrows();
    if parts.len() == 1 {
        return c.predict_proba(parts[0]);
    }
    let mut out = Array2::zeros((n, Label::COUNT));
    let mut start = 0;
    while start < n {
        let end = (start + crate::learner::PREDICT_ROWS).min(n);
        let slices: Vec<ArrayView2<f32>> = parts
            .iter()
            .map(|p| p.slice_axis(Axis(0), (start..end).into()))
            .collect();
        let joined = concatenate(Axis(1), &slices).expect("one row per block in each part");
        out.slice_axis_mut(Axis(0), (start..end).into())
            .assign(&c.predict_proba(joined.view()));
        start = end;
    }
    out
}

fn rows_view(p: &Prepared) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((p.len(), p.rows.cols), &p.rows.values).expect("rows match their shape")
}

/// Block weight in training: scores count words, so long blocks weigh more, with
/// diminishing returns so that one giant block does not outweigh a page of short ones.
fn weight(words: usize) -> f32 {
    1.0 + (words as f32).sqrt()
}

/// Raise each probability to `1 / t` and renormalise: `t > 1` softens, `t < 1` sharpens;
/// the order of the labels never changes.
fn temper(p: &mut [f64], t: f64) {
    for v in p.iter_mut() {
        *v = v.max(1e-300).ln() / t;
    }
    normalise_logs(p);
}

/// Turn log-probabilities (up to a constant) into probabilities that sum to 1, in place;
/// the largest is subtracted before exponentiating, so nothing underflows.
fn normalise_logs(logs: &mut [f64]) {
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for l in logs.iter_mut() {
        *l = (*l - top).exp();
    }
    let sum: f64 = logs.iter().sum();
    for l in logs.iter_mut() {
        *l /= sum;
    }
}

/// The members' probabilities pooled: for each block, the geometric mean of the members'
/// probabilities of each label, normalised to sum to 1 (a logarithmic opinion pool). A
/// label one member finds unlikely stays unlikely, so the pool is sharper than the
/// arithmetic mean, which is less sure than either member wherever they differ; the
/// members are under-confident already, and under cross-validation the pool was the
/// better calibrated of the two (models/README.md, "Pooling the members").
fn pool(members: &[Array2<f64>]) -> Array2<f64> {
    // probabilities are never exactly 0 after boosting and a temperature, but a floor keeps
    // a hand-edited model from turning a label's pooled probability into NaN
    let mut logs = members[0].mapv(|p| p.max(1e-300).ln());
    for m in &members[1..] {
        logs.zip_mut_with(m, |l, &p| *l += p.max(1e-300).ln());
    }
    logs /= members.len() as f64;
    for mut row in logs.rows_mut() {
        normalise_logs(row.as_slice_mut().expect("standard layout"));
    }
    logs
}

/// The temperature that minimises the log-loss of the out-of-fold probabilities `oof` on
/// the gold labels of `views` (golden-section search over its logarithm, −3 to 3). Pages
/// with block weights in `scales` (self-trained, see [`ValidModelParams::fit_head`]) are
/// left out: their labels are the model's own.
fn fit_temperature(oof: &[Array2<f64>], views: &[(&Prepared, &[Label])], scales: &[&[f32]]) -> f64 {
    let loss = |log_t: f64| -> f64 {
        let t = log_t.exp();
        let mut p = [0f64; 6];
        let mut sum = 0.0;
        for (i, (probs, (_, labels))) in oof.iter().zip(views).enumerate() {
            if scales.get(i).is_some_and(|s| !s.is_empty()) {
                continue;
            }
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

/// The temperature, from e^−3 to e^3, whose logarithm minimises `loss` (golden-section
/// search).
fn best_temperature(loss: impl Fn(f64) -> f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (-3.0f64, 3.0f64);
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (loss(c), loss(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = loss(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = loss(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// The temperature that minimises the log-loss of the gold labels of `rows` (each a
/// block's six probabilities and its gold label) under their tempered probabilities:
/// [`ModelParams::confidence_temperature`] from a cross-validation's held-out
/// predictions.
pub fn fit_confidence_temperature(rows: &[([f64; 6], Label)]) -> f64 {
    best_temperature(|log_t| {
        let t = log_t.exp();
        rows.iter()
            .map(|(p, gold)| {
                let mut q = *p;
                temper(&mut q, t);
                -q[gold.index()].max(1e-300).ln()
            })
            .sum()
    })
}

/// Every page has main content ([`ModelParams::article_fallback`]): when no block with
/// words came out article, label article those whose article probability is at least
/// `share` of the page's highest.
fn article_fallback(preds: &mut [Prediction], words: &[usize], share: f64) {
    let a = Label::Article.index();
    let with_words = || preds.iter().zip(words).filter(|(_, &w)| w > 0);
    if share <= 0.0 || with_words().any(|(p, _)| p.label == Label::Article) {
        return;
    }
    let Some(top) = with_words()
        .map(|(p, _)| p.probabilities[a])
        .max_by(f64::total_cmp)
        .filter(|&t| t > 0.0)
    else {
        return;
    };
    for (p, _) in preds
        .iter_mut()
        .zip(words)
        .filter(|(p, &w)| w > 0 && p.probabilities[a] >= share * top)
    {
        p.label = Label::Article;
        p.confidence = p.probabilities[a];
    }
}

/// A page the head reads as nearly without article, where the article prior expects
/// one, gets the prior's ([`ModelParams::prior_rescue`]): `prior` is the prior's article
/// probability of each block.
fn prior_rescue(preds: &mut [Prediction], prior: ArrayView1<f32>, words: &[usize], share: f64) {
    if share <= 0.0 {
        return;
    }
    let expected: f64 = prior
        .iter()
        .zip(words)
        .map(|(&p, &w)| p as f64 * w as f64)
        .sum();
    let found: usize = preds
        .iter()
        .zip(words)
        .filter(|(p, _)| p.label == Label::Article)
        .map(|(_, &w)| w)
        .sum();
    if expected <= 0.0 || found as f64 >= share * expected {
        return;
    }
    for ((p, &q), &w) in preds.iter_mut().zip(prior).zip(words) {
        if w > 0 && q >= 0.5 && p.label == Label::Other {
            p.label = Label::Article;
            p.confidence = p.probabilities[Label::Article.index()];
        }
    }
}

/// The blocks of one list settle related against recent together
/// ([`ModelParams::list_vote`]): each block's related + recent probability is split by
/// `vote` × the list's related share + (1 − `vote`) × its own. A list's share weighs its
/// blocks as the context stage's container means do ([`context::container_weight`]).
fn list_vote(probs: &mut Array2<f64>, page: &Prepared, vote: f64) {
    if vote <= 0.0 {
        return;
    }
    let (rel, rec) = (Label::Related.index(), Label::Recent.index());
    // per list: (weighted related, weighted related + recent, blocks with words)
    let mut lists: HashMap<u32, (f64, f64, usize)> = HashMap::new();
    for i in 0..page.len() {
        if let (Some(c), true) = (page.containers[i][0], page.words[i] > 0) {
            let w = context::container_weight(page.words[i]);
            let e = lists.entry(c).or_default();
            e.0 += w * probs[[i, rel]];
            e.1 += w * (probs[[i, rel]] + probs[[i, rec]]);
            e.2 += 1;
        }
    }
    for i in (0..page.len()).filter(|&i| page.words[i] > 0) {
        let Some(&(r, both, blocks)) = page.containers[i][0].and_then(|c| lists.get(&c)) else {
            continue;
        };
        let own = probs[[i, rel]] + probs[[i, rec]];
        if blocks < 2 || both <= 0.0 || own <= 0.0 {
            continue;
        }
        let share = vote * (r / both) + (1.0 - vote) * probs[[i, rel]] / own;
        probs[[i, rel]] = own * share;
        probs[[i, rec]] = own - own * share;
    }
}

/// Even out the labels' shares of the total weight `w` by `exponent` (see
/// [`ModelParams::class_balance`]); labels absent from `y` are left out of the mean.
fn balance(y: &[Label], w: &mut [f32], exponent: f32) {
    if exponent == 0.0 {
        return;
    }
    let groups: Vec<usize> = y.iter().map(|l| l.index()).collect();
    even_out(&groups, w, exponent);
}

/// Multiply the weights `w` of the rows of `views` (page after page, as [`stack`] lays
/// them out) by each page's block weights in `scales` (see [`ValidModelParams::fit_head`]):
/// none when `scales` is empty, nor for a page whose slice is.
fn scale_blocks(views: &[(&Prepared, &[Label])], scales: &[&[f32]], w: &mut [f32]) {
    let mut at = 0;
    for (i, (v, _)) in views.iter().enumerate() {
        if let Some(s) = scales.get(i).filter(|s| !s.is_empty()) {
            for (x, f) in w[at..at + v.len()].iter_mut().zip(s.iter()) {
                *x *= f;
            }
        }
        at += v.len();
    }
}

/// Labels and weights of a self-trained page's blocks (see
/// [`ModelParams::self_training_pages`]) from its article targets and a first head's
/// probabilities: `article` (weight 1) where the targets say so; elsewhere the likeliest of
/// the five other labels, weight 1 when the head's article probability is below one half
/// and the label holds at least `confidence` of the five's probability, else 0.
fn self_training_labels(
    targets: &[Label],
    probs: &Array2<f64>,
    confidence: f64,
) -> (Vec<Label>, Vec<f32>) {
    targets
        .iter()
        .zip(probs.rows())
        .map(|(&t, row)| {
            if t == Label::Article {
                return (Label::Article, 1.0);
            }
            let others = Label::ALL.iter().filter(|l| **l != Label::Article);
            let rest: f64 = others.clone().map(|l| row[l.index()]).sum();
            let (best, p) = others.map(|l| (*l, row[l.index()])).fold(
                (Label::Other, f64::NEG_INFINITY),
                |a, b| if b.1 > a.1 { b } else { a },
            );
            let keep = row[Label::Article.index()] < 0.5 && rest > 0.0 && p / rest >= confidence;
            (best, if keep { 1.0 } else { 0.0 })
        })
        .unzip()
}

/// Even out the pages' shares of the total weight `w` (the rows of `views`, page after
/// page, as [`stack`] lays them out) by `exponent` (see [`ModelParams::page_balance`]).
fn balance_pages(views: &[(&Prepared, &[Label])], w: &mut [f32], exponent: f32) {
    if exponent == 0.0 {
        return;
    }
    let groups: Vec<usize> = views
        .iter()
        .enumerate()
        .flat_map(|(i, (v, _))| std::iter::repeat_n(i, v.len()))
        .collect();
    even_out(&groups, w, exponent);
}

/// Even out the total weights of groups of rows (`groups[i]` is row `i`'s group): each
/// group's rows are scaled by `(mean group total / group total)^exponent`; groups with
/// no weight are left out of the mean.
fn even_out(groups: &[usize], w: &mut [f32], exponent: f32) {
    let mut total = vec![0f64; groups.iter().max().map_or(0, |&g| g + 1)];
    for (&g, &v) in groups.iter().zip(w.iter()) {
        total[g] += v as f64;
    }
    let present: Vec<f64> = total.iter().copied().filter(|&t| t > 0.0).collect();
    let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
    let factor: Vec<f32> = total
        .iter()
        .map(|&t| {
            if t > 0.0 {
                (mean / t).powf(exponent as f64) as f32
            } else {
                1.0
            }
        })
        .collect();
    for (&g, v) in groups.iter().zip(w.iter_mut()) {
        *v *= factor[g];
    }
}

/// A page's rows with the first `cols` context columns of `probs` appended.
fn with_context(p: &Prepared, probs: &Array2<f64>, cols: usize) -> Array2<f32> {
    let ctx = context::features(p, probs.view(), cols);
    concatenate(Axis(1), &[rows_view(p), ctx.view()]).expect("same number of rows")
}

fn stack(
    views: &[(&Prepared, &[Label])],
    probs: Option<&[Array2<f64>]>,
) -> (Array2<f32>, Vec<Label>, Vec<f32>) {
    let parts: Vec<Array2<f32>> = views
        .iter()
        .enumerate()
        .map(|(i, (v, _))| match probs {
            Some(pr) => with_context(v, &pr[i], context::COLUMNS),
            None => rows_view(v).to_owned(),
        })
        .collect();
    let part_views: Vec<ArrayView2<f32>> = parts.iter().map(|a| a.view()).collect();
    let x = concatenate(Axis(0), &part_views).expect("same number of columns");
    let y: Vec<Label> = views.iter().flat_map(|(_, l)| l.iter().copied()).collect();
    let w: Vec<f32> = views
        .iter()
        .flat_map(|(v, _)| v.words.iter().map(|&n| weight(n)))
        .collect();
    (x, y, w)
}

impl Member {
    /// The member's final (tempered) probabilities of a page's blocks, and its prior's
    /// article column when the HTML head read it. `plain_text` selects the text head
    /// (falling back to the HTML head when there is none).
    fn probabilities(
        &self,
        page: &Prepared,
        plain_text: bool,
        context_columns: &[String],
    ) -> (Array2<f64>, Option<Array2<f32>>) {
        // the HTML head reads the prior's column and the cue table's after the rows
        let (head, prior, cues) = match (&self.text, plain_text) {
            (Some(t), true) => (t, None, None),
            _ => (
                &self.html,
                self.article_prior
                    .as_ref()
                    .map(|prior| prior_column(prior, page)),
                self.cues.as_ref().map(|table| table.columns(page)),
            ),
        };
        let parts: Vec<ArrayView2<f32>> = std::iter::once(rows_view(page))
            .chain(prior.iter().map(|e| e.view()))
            .chain(cues.iter().map(|e| e.view()))
            .collect();
        let probs = head.probabilities(&parts, page, context_columns.len());
        (probs, prior)
    }
}

impl Head {
    /// The head's final (tempered) probabilities of a page's blocks from the parts of
    /// their rows (`parts`, joined column-wise, are what the first stage reads) and
    /// `context_columns` context columns of the page.
    fn probabilities(
        &self,
        parts: &[ArrayView2<f32>],
        page: &Prepared,
        context_columns: usize,
    ) -> Array2<f64> {
        let mut probs = predict_joined(&self.first, parts);
        for c in self.context.iter().chain(&self.refine) {
            let ctx = context::features(page, probs.view(), context_columns);
            let with_ctx: Vec<ArrayView2<f32>> =
                parts.iter().map(|p| p.view()).chain([ctx.view()]).collect();
            probs = predict_joined(c, &with_ctx);
        }
        if let Some(t) = self.temperature {
            for mut row in probs.rows_mut() {
                temper(row.as_slice_mut().expect("standard layout"), t);
            }
        }
        probs
    }
}

impl Model {
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
            return Err(Error::Params("no models to join".into()));
        };
        for (k, model) in models.enumerate() {
            let differs = |what: &str| {
                Err(Error::Params(format!(
                    "model {} differs from the first in its {what}: only models that differ \
                     in their seeds can be joined",
                    k + 2
                )))
            };
            let same_params = ModelParams {
                seed: joined.params.seed,
                members: joined.params.members,
                ..model.params.clone()
            } == joined.params;
            let (a, b) = (&joined.training, &model.training);
            if model.feature_schema != joined.feature_schema
                || model.context_columns != joined.context_columns
                || model.labels != joined.labels
            {
                return differs("feature schema, context columns or labels");
            }
            if !same_params {
                return differs("parameters");
            }
            let same_fold = match (&a.held_out_fold, &b.held_out_fold) {
                (None, None) => true,
                (Some(x), Some(y)) => x.same_fold(y),
                _ => false,
            };
            if (a.pages, a.blocks, &a.words_per_label, &a.outlets)
                != (b.pages, b.blocks, &b.words_per_label, &b.outlets)
                || !same_fold
            {
                return differs("training pages");
            }
            joined.training.article_prior_pages += b.article_prior_pages;
            joined.training.self_trained_pages += b.self_trained_pages;
            joined.training.marked_pages += b.marked_pages;
            let outlets = &mut joined.training.article_prior_outlets;
            outlets.extend(b.article_prior_outlets.iter().cloned());
            outlets.sort();
            outlets.dedup();
            joined.params.members += model.members.len();
            joined.members.extend(model.members);
        }
        joined.check_members().map_err(Error::Params)?;
        Ok(joined)
    }

    /// The members agree with the parameters and with each other.
    fn check_members(&self) -> std::result::Result<(), String> {
        let Some(first) = self.members.first() else {
            return Err("no members".into());
        };
        if self.members.len() != self.params.members {
            return Err(format!(
                "{} members, but its parameters say {}",
                self.members.len(),
                self.params.members
            ));
        }
        if self.members.len() > MAX_MEMBERS {
            return Err(format!("more than {MAX_MEMBERS} members"));
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

    /// Predict the blocks of a prepared page. `plain_text` selects the text head (falling
    /// back to the HTML head when the model has none).
    pub fn predict(&self, page: &Prepared, plain_text: bool) -> Vec<Prediction> {
        if page.is_empty() {
            return Vec::new();
        }
        // the members' probabilities pooled, and their priors' article columns averaged
        let (mut all, priors): (Vec<Array2<f64>>, Vec<Option<Array2<f32>>>) = self
            .members
            .iter()
            .map(|m| m.probabilities(page, plain_text, &self.context_columns))
            .unzip();
        let mut probs = if all.len() == 1 {
            all.pop().expect("one member")
        } else {
            pool(&all)
        };
        let mut priors = priors.into_iter();
        let mut prior = priors
            .next()
            .expect("a model has at least one member (checked when read or fitted)");
        if self.members.len() > 1 {
            if let Some(sum) = prior.as_mut() {
                for pr in priors.flatten() {
                    *sum += &pr;
                }
                *sum /= self.members.len() as f32;
            }
        }
        list_vote(&mut probs, page, self.params.list_vote);
        let mut preds: Vec<Prediction> = probs
            .rows()
            .into_iter()
            .map(|row| {
                let mut probabilities = [0f64; 6];
                for (j, v) in row.iter().enumerate().take(6) {
                    probabilities[j] = *v;
                }
                let (best, &confidence) = probabilities
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
                    .expect("six labels");
                Prediction {
                    label: Label::ALL[best],
                    confidence,
                    probabilities,
                }
            })
            .collect();
        article_fallback(&mut preds, &page.words, self.params.article_fallback);
        if let Some(prior) = &prior {
            prior_rescue(
                &mut preds,
                prior.column(0),
                &page.words,
                self.params.prior_rescue,
            );
        }
        if self.params.confidence_temperature != 1.0 {
            for p in &mut preds {
                p.temper(self.params.confidence_temperature);
            }
        }
        preds
    }

    /// Serialise to JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Model {
            source_name: "in memory".into(),
            message: e.to_string(),
        })
    }

    /// Write the model file atomically: a temporary file beside `path`, then a rename.
    /// A path ending in `.gz` gets gzip-compressed JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut json = self.to_json()?.into_bytes();
        json.push(b'\n');
        if path.extension().is_some_and(|e| e == "gz") {
            // level 9, no timestamp or name in the header: the same model gives the same bytes
            let mut enc = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::best());
            enc.write_all(&json).map_err(|e| Error::io(path, e))?;
            json = enc.finish().map_err(|e| Error::io(path, e))?;
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        })
    }

    /// Read a model file.
    pub fn load(path: &Path) -> Result<Model> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Model::from_bytes(&bytes, &path.display().to_string())
    }

    /// Parse a model from bytes (JSON, or gzip-compressed JSON); `source_name` names it
    /// in errors.
    pub fn from_bytes(bytes: &[u8], source_name: &str) -> Result<Model> {
        let err = |message: String| Error::Model {
            source_name: source_name.to_string(),
            message,
        };
        let inflated;
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .take(MAX_MODEL_BYTES)
                .read_to_end(&mut out)
                .map_err(|e| err(format!("cannot decompress: {e}")))?;
            inflated = out;
            &inflated[..]
        } else {
            bytes
        };
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            format_version: Option<u32>,
        }
        let header_problem = |format: Option<&str>, version: Option<u32>| {
            if format != Some(FORMAT) {
                Some(err(
                    "not a chaff model file (no \"format\": \"chaff-model\")".into(),
                ))
            } else if version != Some(FORMAT_VERSION) && version != Some(FORMAT_VERSION_ONE_MEMBER)
            {
                Some(err(format!(
                    "model format version {version:?}, but this chaff reads versions {FORMAT_VERSION_ONE_MEMBER} and {FORMAT_VERSION}: retrain it with this chaff"
                )))
            } else {
                None
            }
        };
        // one pass over the (large) file when it is good; a second, for the header, to
        // say what is wrong when it is not
        let model: Model = match serde_json::from_slice(bytes) {
            Ok(model) => model,
            Err(e) => {
                let header: Header = serde_json::from_slice(bytes)
                    .map_err(|e| err(format!("not a chaff model file (invalid JSON: {e})")))?;
                return Err(
                    header_problem(header.format.as_deref(), header.format_version)
                        .unwrap_or_else(|| err(format!("malformed model file: {e}"))),
                );
            }
        };
        if let Some(problem) = header_problem(Some(&model.format), Some(model.format_version)) {
            return Err(problem);
        }
        let schema = FeatureSchema::current();
        if &model.feature_schema != schema {
            return Err(err(format!(
                "feature schema version {} with {} features, but this chaff extracts version {} with {}: retrain the model",
                model.feature_schema.version,
                model.feature_schema.len(),
                schema.version,
                schema.len()
            )));
        }
        if model.labels != Label::ALL {
            return Err(err("label set differs from this chaff's".into()));
        }
        // out-of-range options would act on every prediction (a list vote above 1 makes
        // negative probabilities)
        if let Err(e) = model.params.clone().check() {
            return Err(err(e.to_string()));
        }
        // models trained before the article-span columns read the columns before them
        let context_now = context::column_names();
        let known_width = [
            context::COLUMNS_BEFORE_SPAN,
            context::COLUMNS_BEFORE_LIST,
            context_now.len(),
        ]
        .contains(&model.context_columns.len());
        if !known_width || !context_now.starts_with(&model.context_columns) {
            return Err(err(format!(
                "its {} context columns are not ones this chaff makes ({} now, or the first {} or {} for models trained before the list or the article-span columns)",
                model.context_columns.len(),
                context_now.len(),
                context::COLUMNS_BEFORE_LIST,
                context::COLUMNS_BEFORE_SPAN
            )));
        }
        let check = |c: &Classifier, cols: usize| -> std::result::Result<(), String> {
            if c.cols() != cols {
                return Err(format!(
                    "has {} weights per label, expected {cols}",
                    c.cols()
                ));
            }
            c.validate()
        };
        model.check_members().map_err(err)?;
        for (k, member) in model.members.iter().enumerate() {
            // "member 2: html head: …" only where there is more than one
            let name = |part: &str| {
                if model.members.len() > 1 {
                    format!("member {}: {part}", k + 1)
                } else {
                    part.to_string()
                }
            };
            if let Some(prior) = &member.article_prior {
                check(prior, schema.len())
                    .map_err(|m| err(format!("{} {m}", name("article prior"))))?;
            }
            if let Some(cues) = &member.cues {
                cues.validate()
                    .map_err(|m| err(format!("{} {m}", name("cue table"))))?;
            }
            let extra = member.article_prior.is_some() as usize
                + member.cues.as_ref().map_or(0, CueTable::width);
            let heads = std::iter::once(("html head", &member.html, schema.len() + extra))
                .chain(member.text.iter().map(|t| ("text head", t, schema.len())));
            for (head_name, head, first_cols) in heads {
                let head_name = name(head_name);
                check(&head.first, first_cols)
                    .map_err(|m| err(format!("{head_name}: first stage {m}")))?;
                if head.context.is_none() && !head.refine.is_empty() {
                    return Err(err(format!(
                        "{head_name}: later context rounds without a first one"
                    )));
                }
                for (r, c) in head.context.iter().chain(&head.refine).enumerate() {
                    check(c, first_cols + model.context_columns.len()).map_err(|m| {
                        err(format!("{head_name}: context stage round {} {m}", r + 1))
                    })?;
                }
                if let Some(t) = head.temperature.filter(|t| !(t.is_finite() && *t > 0.0)) {
                    return Err(err(format!(
                        "{head_name}: temperature {t} is not a positive number"
                    )));
                }
            }
        }
        Ok(model)
    }
}

/// A label drawn from the probabilities `q`: the gold of a test block whose true
/// probabilities are known.
#[cfg(test)]
pub(crate) fn draw_label(rng: &mut impl rand::Rng, q: &[f64; 6]) -> Label {
    let mut u: f64 = rng.gen();
    for (j, v) in q.iter().enumerate() {
        if u < *v {
            return Label::ALL[j];
        }
        u -= v;
    }
    Label::ALL[q.iter().rposition(|&v| v > 0.0).unwrap_or(0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temperature_undoes_overconfidence() {
        use rand::Rng;
        // true probabilities of three labels, gold labels drawn from them, and a model that
        // reports them sharpened (temperature 0.5): the fit should find about 2
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut probs = Array2::zeros((4000, 6));
        let mut labels = Vec::new();
        for i in 0..4000 {
            let mut q = [0.0; 6];
            for v in q.iter_mut().take(3) {
                *v = rng.gen_range(0.05..1.0);
            }
            let sum: f64 = q.iter().sum();
            q.iter_mut().for_each(|v| *v /= sum);
            labels.push(draw_label(&mut rng, &q));
            temper(&mut q, 0.5);
            for j in 0..6 {
                probs[[i, j]] = q[j];
            }
        }
        let page = Prepared {
            rows: chaff_extract::FeatureRows {
                cols: 0,
                values: Vec::new(),
            },
            containers: Vec::new(),
            signatures: Vec::new(),
            headings: Vec::new(),
            words: Vec::new(),
            tokens: Default::default(),
        };
        let t = fit_temperature(&[probs], &[(&page, labels.as_slice())], &[]);
        assert!((t - 2.0).abs() < 0.2, "temperature {t}");
        // tempering keeps a distribution and the order of the labels
        let mut p = [0.5, 0.3, 0.2, 0.0, 0.0, 0.0];
        temper(&mut p, 2.0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > p[1] && p[1] > p[2] && p[2] > p[3]);
        assert!(p[0] < 0.5, "softened");
    }

    #[test]
    fn the_blocks_of_one_list_settle_related_against_recent_together() {
        // a list of three stories of three words each, and one paragraph after it
        let html = "<ul><li>story number one</li><li>story number two</li>\
                    <li>story number three</li></ul><p>a paragraph alone</p>";
        let page = Prepared::of_page(
            &chaff_extract::Page::from_html(html, chaff_extract::PageLimits::default()).unwrap(),
        );
        assert_eq!(page.len(), 4);
        let (rel, rec, other) = (
            Label::Related.index(),
            Label::Recent.index(),
            Label::Other.index(),
        );
        let mut probs = Array2::zeros((4, Label::COUNT));
        for (i, (r, c)) in [(0.2, 0.6), (0.1, 0.5), (0.5, 0.3), (0.3, 0.4)]
            .into_iter()
            .enumerate()
        {
            probs[[i, rel]] = r;
            probs[[i, rec]] = c;
            probs[[i, other]] = 1.0 - r - c;
        }
        let before = probs.clone();
        list_vote(&mut probs, &page, 0.0);
        assert_eq!(probs, before, "0 leaves every block alone");
        list_vote(&mut probs, &page, 1.0);
        // the list's related share: (0.2 + 0.1 + 0.5) / (0.8 + 0.6 + 0.8), all weights equal
        let share = 0.8 / 2.2;
        for i in 0..3 {
            let own = before[[i, rel]] + before[[i, rec]];
            assert!((probs[[i, rel]] - own * share).abs() < 1e-12, "{probs:?}");
            assert!((probs[[i, rel]] + probs[[i, rec]] - own).abs() < 1e-12);
            assert_eq!(probs[[i, other]], before[[i, other]]);
        }
        // the third story leaned related alone, and now follows its list
        assert!(probs[[2, rec]] > probs[[2, rel]]);
        // a block alone in its container is left as it is
        assert_eq!(probs.row(3), before.row(3));
        // halfway: half the list's share, half the block's own
        let mut half = before.clone();
        list_vote(&mut half, &page, 0.5);
        let expected = 0.8 * (0.5 * share + 0.5 * 0.5 / 0.8);
        assert!((half[[2, rel]] - expected).abs() < 1e-12, "{half:?}");
    }

    #[test]
    fn a_thread_the_head_reads_as_other_gets_the_priors_article() {
        let pred = |label: Label| {
            let mut probabilities = [0.0; 6];
            probabilities[label.index()] = 0.7;
            probabilities[Label::Article.index()] += 0.2;
            Prediction {
                label,
                confidence: 0.7,
                probabilities,
            }
        };
        // a five-word title the head calls article, then posts it calls other, a menu,
        // and an empty block; the prior calls the title and posts article
        let page = || {
            vec![
                pred(Label::Article),
                pred(Label::Other),
                pred(Label::Other),
                pred(Label::Directory),
                pred(Label::Other),
                pred(Label::Other),
            ]
        };
        let words = [5, 100, 100, 20, 30, 0];
        let prior = ndarray::arr1(&[0.9f32, 0.8, 0.6, 0.7, 0.2, 0.9]);
        // expected article words: 4.5 + 80 + 60 + 14 + 6 = 164.5; the head found 5
        let labels = |share: f64| {
            let mut preds = page();
            prior_rescue(&mut preds, prior.view(), &words, share);
            preds.iter().map(|p| p.label).collect::<Vec<_>>()
        };
        let before: Vec<Label> = page().iter().map(|p| p.label).collect();
        assert_eq!(labels(0.0), before, "0 turns it off");
        assert_eq!(labels(0.03), before, "5 words are not below 0.03 × 164.5");
        // the posts the prior calls article become article; the menu keeps its label, as
        // do the post the prior doubts and the block without words
        use Label::*;
        assert_eq!(
            labels(0.05),
            [Article, Article, Article, Directory, Other, Other]
        );
        let mut preds = page();
        prior_rescue(&mut preds, prior.view(), &words, 0.05);
        assert_eq!(
            preds[1].confidence, 0.2,
            "confidence is the article probability"
        );
    }

    #[test]
    fn a_page_with_no_article_block_gets_its_likeliest_ones() {
        let pred = |article: f64, other: f64| {
            let mut probabilities = [0.0; 6];
            probabilities[Label::Article.index()] = article;
            probabilities[Label::Other.index()] = other;
            Prediction {
                label: Label::Other,
                confidence: other,
                probabilities,
            }
        };
        let page = || {
            vec![
                pred(0.4, 0.6),
                pred(0.3, 0.7),
                pred(0.1, 0.9),
                pred(0.9, 0.1),
            ]
        };
        // the fourth block has no words: it neither sets the top nor is promoted
        let words = [10, 10, 10, 0];
        let mut preds = page();
        article_fallback(&mut preds, &words, 0.5);
        let labels: Vec<Label> = preds.iter().map(|p| p.label).collect();
        assert_eq!(
            labels,
            [Label::Article, Label::Article, Label::Other, Label::Other]
        );
        assert_eq!(preds[1].confidence, 0.3);
        // off, or a page that already has article, is left alone
        let mut off = page();
        article_fallback(&mut off, &words, 0.0);
        assert!(off.iter().all(|p| p.label == Label::Other));
        let mut has = page();
        has[2].label = Label::Article;
        article_fallback(&mut has, &words, 0.5);
        assert_eq!(has[0].label, Label::Other);
        assert!(ModelParams::default()
            .article_fallback(1.5)
            .check()
            .is_err());
    }

    #[test]
    fn page_balance_evens_out_page_weights() {
        // three pages of 2, 1 and 3 rows with totals 4, 1 and 9
        let pages = [0, 0, 1, 2, 2, 2];
        let mut w = [1.0, 3.0, 1.0, 3.0, 3.0, 3.0];
        let totals = |w: &[f32]| [w[0] + w[1], w[2], w[3] + w[4] + w[5]];
        even_out(&pages, &mut w, 1.0);
        for t in totals(&w) {
            assert!((t - 14.0 / 3.0).abs() < 1e-4, "{t}");
        }
        // within a page, blocks keep their proportions
        assert!((w[1] / w[0] - 3.0).abs() < 1e-5);
        let mut half = [1.0, 3.0, 1.0, 3.0, 3.0, 3.0];
        even_out(&pages, &mut half, 0.5);
        let t = totals(&half);
        assert!((t[2] / t[1] - 3.0).abs() < 1e-3, "{t:?}");
        assert!(ModelParams::default().page_balance(1.5).check().is_err());
        assert!(ModelParams::default().page_balance(0.5).check().is_ok());
    }

    #[test]
    fn class_balance_evens_out_label_weights() {
        let y = [
            Label::Article,
            Label::Article,
            Label::Article,
            Label::Recent,
        ];
        let total = |w: &[f32], l: Label| -> f32 {
            y.iter()
                .zip(w)
                .filter(|(y, _)| **y == l)
                .map(|(_, w)| w)
                .sum()
        };
        let mut w = [2.0, 3.0, 5.0, 1.0];
        balance(&y, &mut w, 0.0);
        assert_eq!(w, [2.0, 3.0, 5.0, 1.0]);
        balance(&y, &mut w, 1.0);
        assert!((total(&w, Label::Article) - total(&w, Label::Recent)).abs() < 1e-4);
        // within a label, blocks keep their proportions
        assert!((w[2] / w[0] - 2.5).abs() < 1e-5);
        let mut half = [2.0, 3.0, 5.0, 1.0];
        balance(&y, &mut half, 0.5);
        let ratio = total(&half, Label::Article) / total(&half, Label::Recent);
        assert!((ratio - 10f32.sqrt()).abs() < 1e-3, "{ratio}");
        assert!(ModelParams::default().class_balance(1.5).check().is_err());
    }
    use chaff_extract::PageLimits;
    use ndarray::Slice;

    fn mini() -> Dataset {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/mini");
        let loaded = Dataset::load(&dir, PageLimits::default()).unwrap();
        assert!(loaded.failures.is_empty(), "{:?}", loaded.failures);
        loaded.dataset
    }

    fn small(learner: LearnerParams) -> ValidModelParams {
        ModelParams::default()
            .learner(learner)
            .seed(7)
            .check()
            .unwrap()
    }

    fn quick_boosted() -> LearnerParams {
        LearnerParams::Boosted {
            iterations: 20,
            learning_rate: 0.3,
            max_depth: 3,
            l2: 1.0,
            min_leaf_weight: 1.0,
            subsample: 0.8,
            colsample: 0.6,
        }
    }

    #[test]
    fn rows_joined_slice_by_slice_predict_as_the_whole_matrix() {
        // more rows than one slice, columns in three parts of different widths
        let n = crate::learner::PREDICT_ROWS * 2 + 37;
        let cell = |i: usize, j: usize| ((i * 31 + j * 17) % 23) as f32 / 7.0;
        let x = Array2::from_shape_fn((n, 9), |(i, j)| cell(i, j));
        let y: Vec<Label> = (0..n).map(|i| Label::ALL[(i * 7 + i / 5) % 6]).collect();
        let c = quick_boosted()
            .fit(x.clone(), &y, &vec![1.0; n], 3)
            .unwrap();
        let parts = [
            x.slice_axis(Axis(1), Slice::from(..4)),
            x.slice_axis(Axis(1), Slice::from(4..5)),
            x.slice_axis(Axis(1), Slice::from(5..)),
        ];
        let whole = c.predict_proba(x.view());
        assert_eq!(predict_joined(&c, &parts), whole);
        assert_eq!(predict_joined(&c, &[x.view()]), whole);
    }

    #[test]
    fn save_load_predict_round_trip_is_exact() {
        let data = mini();
        let two_rounds = ModelParams::default()
            .learner(quick_boosted())
            .context_rounds(2)
            .class_balance(0.5)
            .seed(7)
            .check()
            .unwrap();
        let uncalibrated = ModelParams::default()
            .learner(quick_boosted())
            .calibrate(false)
            .check()
            .unwrap();
        for params in [
            small(quick_boosted()),
            small(LearnerParams::logistic()),
            two_rounds,
            uncalibrated,
        ] {
            let model = params.fit(&data, &|_| {}).unwrap();
            assert_eq!(
                model.members[0].html.refine.len(),
                model.params.context_rounds - 1,
                "one classifier per context round"
            );
            assert_eq!(
                model.members[0].html.temperature.is_some(),
                model.params.calibrate
            );
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("m.json.gz");
            model.save(&path).unwrap();
            let again = Model::load(&path).unwrap();
            let plain = dir.path().join("m.json");
            model.save(&plain).unwrap();
            assert_eq!(
                Model::load(&plain).unwrap().to_json().unwrap(),
                again.to_json().unwrap()
            );
            std::fs::remove_file(&plain).unwrap();
            for page in &data.pages {
                for plain in [false, true] {
                    let a = model.predict(&page.html, plain);
                    let b = again.predict(&page.html, plain);
                    assert_eq!(a, b, "predictions changed after save/load");
                    for p in &a {
                        assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                    }
                }
            }
            // no temporary file is left behind
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }

    #[test]
    fn self_trained_blocks_take_the_gold_article_and_the_heads_confident_labels() {
        use Label::*;
        // rows in Label::ALL order: article, related, recent, directory, copyright, other
        let probs = ndarray::arr2(&[
            [0.9, 0.02, 0.02, 0.02, 0.02, 0.02], // gold article
            [0.1, 0.7, 0.1, 0.05, 0.0, 0.05],    // related holds 0.78 of the five
            [0.1, 0.4, 0.4, 0.0, 0.0, 0.1],      // related and recent tie at 0.44 of the five
            [0.6, 0.0, 0.0, 0.0, 0.4, 0.0],      // the head calls it article: the gold says not
            [0.05, 0.0, 0.0, 0.0, 0.0, 0.95],    // other
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],      // no probability left for the five
        ]);
        let targets = [Article, Other, Other, Other, Other, Other];
        let (labels, weights) = self_training_labels(&targets, &probs, 0.6);
        assert_eq!(labels[0], Article);
        assert_eq!(labels[1], Related);
        assert_eq!(labels[3], Copyright);
        assert_eq!(labels[4], Other);
        assert_eq!(weights, [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]);
        // a looser confidence keeps the tie, still not the block the head calls article
        let (_, weights) = self_training_labels(&targets, &probs, 0.4);
        assert_eq!(weights, [1.0, 1.0, 1.0, 0.0, 1.0, 0.0]);
    }

    /// Article-text-only pages of three outlets (two pages of one) for the article prior
    /// and self-training.
    fn article_text_pages(dir: &Path) -> Dataset {
        let mut manifest = String::new();
        for (i, outlet) in ["a.example", "b.example", "c.example", "c.example"]
            .iter()
            .enumerate()
        {
            let body = format!(
                "Story {i} tells how the council met on Tuesday and what it decided \
                 about the bridge, the school and the new market square."
            );
            let html = format!(
                "<html><body><nav><a href=/>Home</a> <a href=/world>World</a></nav>\
                 <h1>Headline {i}</h1><p>{body}</p><p>{body} More of story {i}.</p>\
                 <h2>Read more</h2><ul><li><a href=/x>Another story about a fire</a></li>\
                 <li><a href=/y>Yet another story about a game</a></li></ul>\
                 <footer>Copyright 2026 Outlet {i}</footer></body></html>"
            );
            std::fs::write(dir.join(format!("{i}.html")), html).unwrap();
            std::fs::write(
                dir.join(format!("{i}.txt")),
                format!("{body}\n{body} More of story {i}."),
            )
            .unwrap();
            manifest.push_str(&format!(
                "{{\"id\":\"p{i}\",\"html\":\"{i}.html\",\"article\":\"{i}.txt\",\
                 \"domain\":\"www.{outlet}\"}}\n"
            ));
        }
        std::fs::write(dir.join("manifest.jsonl"), manifest).unwrap();
        let loaded = Dataset::load(dir, PageLimits::default()).unwrap();
        assert!(loaded.failures.is_empty(), "{:?}", loaded.failures);
        assert_eq!(loaded.dataset.pages.len(), 4);
        loaded.dataset
    }

    #[test]
    fn runs_of_words_leave_out_short_blocks_whose_words_the_story_uses() {
        let dir = tempfile::tempdir().unwrap();
        let data = article_text_pages(dir.path());
        let page = &data.pages[0];
        let by_words = article_targets(page, ArticleMatch::Words);
        let by_runs = article_targets(page, ArticleMatch::Runs);
        let label = |targets: &[Label], text: &str| {
            let i = page.texts.iter().position(|t| t == text);
            targets[i.unwrap_or_else(|| panic!("no block {text:?} in {:?}", page.texts))]
        };
        // half the words of the headline ("0") are in the story, but in no run of three
        // words the story has
        assert_eq!(label(&by_words, "Headline 0"), Label::Article);
        assert_eq!(label(&by_runs, "Headline 0"), Label::Other);
        // the story's paragraphs are article by either rule, the menu, the teasers and the
        // footer by neither
        let story = page.texts.iter().filter(|t| t.starts_with("Story 0 tells"));
        assert_eq!(story.clone().count(), 2);
        for text in story {
            assert_eq!(label(&by_words, text), Label::Article, "{text}");
            assert_eq!(label(&by_runs, text), Label::Article, "{text}");
        }
        for text in [
            "Home World",
            "Read more",
            "Another story about a fire",
            "Copyright 2026 Outlet 0",
        ] {
            assert_eq!(label(&by_words, text), Label::Other, "{text}");
            assert_eq!(label(&by_runs, text), Label::Other, "{text}");
        }
    }

    #[test]
    fn a_run_crosses_block_borders_and_a_short_gold_text_is_one_run() {
        let blocks = |b: &[&[&str]]| -> Vec<Vec<String>> {
            b.iter()
                .map(|ws| ws.iter().map(|w| w.to_string()).collect())
                .collect()
        };
        let gold = |g: &[&str]| -> Vec<String> { g.iter().map(|w| w.to_string()).collect() };
        // "council met today" runs from the first block into the second
        let page = blocks(&[&["the", "council"], &["met", "today"], &["council"]]);
        assert_eq!(
            words_in_runs(&page, &gold(&["council", "met", "today", "again"]), 3),
            [false, true, true, true, false]
        );
        // a gold text of two words is found as those two together, never one alone
        assert_eq!(
            words_in_runs(&page, &gold(&["met", "today"]), 3),
            [false, false, true, true, false]
        );
        assert_eq!(words_in_runs(&page, &[], 3), [false; 5]);
        // the bag, by contrast, finds every word the gold text holds, once each
        assert_eq!(
            words_found(&page, &gold(&["council", "met"])),
            [false, true, true, false, false]
        );
    }

    #[test]
    fn parameters_from_before_the_article_match_read_as_words() {
        let runs = ModelParams::default().article_match(ArticleMatch::Runs);
        let mut json = serde_json::to_value(&runs).unwrap();
        assert_eq!(json["article_match"], "runs");
        json.as_object_mut().unwrap().remove("article_match");
        let read: ModelParams = serde_json::from_value(json).unwrap();
        assert_eq!(read.article_match, ArticleMatch::Words);
    }

    /// Quick parameters under which the article prior draws one article-text page, with
    /// `set` setting the option under test.
    fn one_prior_page(set: impl FnOnce(ModelParams) -> ModelParams) -> ValidModelParams {
        set(ModelParams::default()
            .learner(quick_boosted())
            .article_prior_pages(1)
            .seed(7))
        .check()
        .unwrap()
    }

    /// Each block's six probabilities of `page` by `model`.
    fn probabilities(model: &Model, page: &Prepared) -> Vec<[f64; 6]> {
        model
            .predict(page, false)
            .iter()
            .map(|p| p.probabilities)
            .collect()
    }

    /// Article-text pages of three outlets whose manifest also names their comments'
    /// and related content's texts.
    fn marked_pages(dir: &Path) -> Dataset {
        let mut manifest = String::new();
        for (i, outlet) in ["a.example", "b.example", "c.example"].iter().enumerate() {
            let body = format!(
                "Story {i} tells how the council met on Tuesday and what it decided \
                 about the bridge, the school and the new market square."
            );
            let comment = format!("I walked across that bridge every day for {i} years, lovely");
            let html = format!(
                "<html><body><nav><a href=/>Home</a> <a href=/world>World</a></nav>\
                 <div><a href=/school>The school</a></div><p>{body}</p><h2>Related</h2><ul><li><a href=/x>Council votes on \
                 bridge</a></li></ul><div class=comments><p>{comment}</p>\
                 <p>Reply</p></div><footer>Copyright 2026</footer></body></html>"
            );
            for (name, text) in [
                ("html", html),
                ("txt", body),
                ("comments", format!("{comment}\nposted by reader {i}")),
                ("related", "Council votes on bridge".to_string()),
            ] {
                std::fs::write(dir.join(format!("{i}.{name}")), text).unwrap();
            }
            manifest.push_str(&format!(
                "{{\"id\":\"m{i}\",\"html\":\"{i}.html\",\"article\":\"{i}.txt\",\
                 \"comments\":\"{i}.comments\",\"related\":\"{i}.related\",\
                 \"domain\":\"{outlet}\"}}\n"
            ));
        }
        std::fs::write(dir.join("manifest.jsonl"), manifest).unwrap();
        let loaded = Dataset::load(dir, PageLimits::default()).unwrap();
        assert!(loaded.failures.is_empty(), "{:?}", loaded.failures);
        loaded.dataset
    }

    #[test]
    fn marked_texts_label_the_blocks_they_hold_and_leave_the_rest_out() {
        let dir = tempfile::tempdir().unwrap();
        let data = marked_pages(dir.path());
        let page = &data.pages[1];
        let (labels, weights) = marked_targets(page, ArticleMatch::Words);
        let got: Vec<(&str, Label, f32)> = page
            .texts
            .iter()
            .zip(labels.iter().zip(&weights))
            .map(|(t, (l, w))| (t.as_str(), *l, *w))
            .collect();
        let want = [
            ("Home World", Label::Other, 0.0),
            // the story's words, but a short block: not known
            ("The school", Label::Article, 0.0),
            (data.pages[1].texts[2].as_str(), Label::Article, 1.0),
            ("Related", Label::Other, 0.0),
            ("Council votes on bridge", Label::Related, 1.0),
            (data.pages[1].texts[5].as_str(), Label::Other, 1.0),
            // one word, not in the comments' text: not known
            ("Reply", Label::Other, 0.0),
            ("Copyright 2026", Label::Other, 0.0),
        ];
        assert_eq!(got, want);
        assert!(got[2].0.starts_with("Story 1 tells"));
        assert!(got[5].0.starts_with("I walked across"));
    }

    #[test]
    fn marked_texts_train_the_html_head_on_pages_the_prior_did_not_draw() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = mini();
        data.pages.extend(marked_pages(dir.path()).pages);
        let params = |weight: f32| one_prior_page(|p| p.marked_texts(weight));
        let plain = params(0.0).fit(&data, &|_| {}).unwrap();
        let marked = params(1.0).fit(&data, &|_| {}).unwrap();
        assert_eq!(plain.training.marked_pages, 0);
        // the prior drew one of the three pages
        assert_eq!(marked.training.article_prior_pages, 1);
        assert_eq!(marked.training.marked_pages, 2);
        let page = &data.pages[0].html;
        assert_ne!(probabilities(&plain, page), probabilities(&marked, page));
        let again = params(1.0).fit(&data, &|_| {}).unwrap();
        assert!(again.to_json().unwrap() == marked.to_json().unwrap());
        // joined with a second seed's, it is the two-member model, counts included
        let second = one_prior_page(|p| p.marked_texts(1.0).seed(member_seed(7, 1)))
            .fit(&data, &|_| {})
            .unwrap();
        let two = one_prior_page(|p| p.marked_texts(1.0).members(2))
            .fit(&data, &|_| {})
            .unwrap();
        assert_eq!(two.training.marked_pages, 4);
        let joined = Model::join(vec![marked, second]).unwrap();
        assert!(joined.to_json().unwrap() == two.to_json().unwrap());
        assert!(ModelParams::default().marked_texts(-1.0).check().is_err());
        assert!(ModelParams::default()
            .marked_texts(f32::NAN)
            .check()
            .is_err());
    }

    #[test]
    fn self_training_adds_article_text_pages_of_outlets_the_prior_did_not_draw() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = mini();
        data.pages.extend(article_text_pages(dir.path()).pages);
        let params = |pages: usize| one_prior_page(|p| p.self_training_pages(pages));
        let plain = params(0).fit(&data, &|_| {}).unwrap();
        let trained = params(10).fit(&data, &|_| {}).unwrap();
        assert_eq!(plain.training.self_trained_pages, 0);
        // the prior drew one page; of the other three, one per outlet self-trains
        let prior = &trained.training.article_prior_outlets;
        assert_eq!(prior.len(), 1);
        let expected = if prior[0] == "c.example" { 3 } else { 2 };
        assert_eq!(trained.training.self_trained_pages, expected);
        // at most as many as asked
        assert_eq!(
            params(1)
                .fit(&data, &|_| {})
                .unwrap()
                .training
                .self_trained_pages,
            1
        );
        // the self-trained pages changed the HTML head, and the same seed trains the same
        // model again
        let page = &data.pages[0].html;
        assert_ne!(probabilities(&plain, page), probabilities(&trained, page));
        let again = params(10).fit(&data, &|_| {}).unwrap();
        assert!(again.to_json().unwrap() == trained.to_json().unwrap());
    }

    #[test]
    fn training_is_deterministic() {
        let data = mini();
        let a = small(quick_boosted())
            .fit(&data, &|_| {})
            .unwrap()
            .to_json()
            .unwrap();
        let b = small(quick_boosted())
            .fit(&data, &|_| {})
            .unwrap()
            .to_json()
            .unwrap();
        assert!(a == b, "two fits with one seed differ");
    }

    /// A model of two members is the join of the models their seeds train alone, byte
    /// for byte, and its probabilities are the normalised geometric mean of theirs.
    #[test]
    fn two_members_pool_the_models_of_their_seeds() {
        let data = mini();
        // no page rules, so that the probabilities are the members' pool as it is
        let params = |seed: u64, members: usize| {
            ModelParams::default()
                .learner(quick_boosted())
                .article_fallback(0.0)
                .prior_rescue(0.0)
                .seed(seed)
                .members(members)
                .check()
                .unwrap()
        };
        let both = params(7, 2).fit(&data, &|_| {}).unwrap();
        assert_eq!(both.member_seeds(), [7, 1007]);
        let alone: Vec<Model> = [7, 1007]
            .map(|seed| params(seed, 1).fit(&data, &|_| {}).unwrap())
            .into();
        let a = alone[0].predict(&data.pages[0].html, false);
        let b = alone[1].predict(&data.pages[0].html, false);
        assert_ne!(a, b, "two seeds should train two different models");
        for page in &data.pages {
            for plain in [false, true] {
                let pooled = both.predict(&page.html, plain);
                let parts: Vec<Vec<Prediction>> =
                    alone.iter().map(|m| m.predict(&page.html, plain)).collect();
                for (i, p) in pooled.iter().enumerate() {
                    let geometric: Vec<f64> = (0..Label::COUNT)
                        .map(|j| {
                            (parts[0][i].probabilities[j] * parts[1][i].probabilities[j]).sqrt()
                        })
                        .collect();
                    let sum: f64 = geometric.iter().sum();
                    for j in 0..Label::COUNT {
                        assert!((p.probabilities[j] - geometric[j] / sum).abs() < 1e-12);
                    }
                }
            }
        }
        let joined = Model::join(alone).unwrap();
        assert!(joined.to_json().unwrap() == both.to_json().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.json.gz");
        both.save(&path).unwrap();
        let again = Model::load(&path).unwrap();
        assert_eq!(
            again.predict(&data.pages[1].html, false),
            both.predict(&data.pages[1].html, false)
        );
    }

    /// The confidence temperature tempers every block's final probabilities, after the
    /// page rules, and changes no label; it is checked like the other rules.
    #[test]
    fn the_confidence_temperature_sharpens_and_keeps_every_label() {
        let data = mini();
        let mut model = small(quick_boosted()).fit(&data, &|_| {}).unwrap();
        assert_eq!(model.params.confidence_temperature, 1.0);
        let before: Vec<Vec<Prediction>> = data
            .pages
            .iter()
            .map(|p| model.predict(&p.html, false))
            .collect();
        model.params = model.params.clone().confidence_temperature(0.5);
        let mut sharper = 0;
        for (page, before) in data.pages.iter().zip(&before) {
            for (b, a) in before.iter().zip(model.predict(&page.html, false)) {
                assert_eq!(a.label, b.label);
                let mut want = b.probabilities;
                temper(&mut want, 0.5);
                for j in 0..Label::COUNT {
                    assert!((a.probabilities[j] - want[j]).abs() < 1e-12);
                }
                assert_eq!(a.confidence, a.probabilities[a.label.index()]);
                sharper += (a.confidence > b.confidence) as usize;
            }
        }
        assert!(sharper > 0, "no block grew surer at temperature 0.5");
        for t in [0.0, -1.0, f64::NAN, 50.0] {
            let err = ModelParams::default()
                .confidence_temperature(t)
                .check()
                .unwrap_err();
            assert!(err.to_string().contains("confidence_temperature"), "{err}");
        }
    }

    #[test]
    fn only_models_that_differ_in_their_seeds_join() {
        let data = mini();
        let fit = |p: ModelParams| p.check().unwrap().fit(&data, &|_| {}).unwrap();
        let base = || {
            ModelParams::default()
                .learner(quick_boosted())
                .text_head(false)
        };
        let err = Model::join(vec![fit(base().seed(1)), fit(base().seed(1))]).unwrap_err();
        assert!(
            err.to_string().contains("both trained with seed 1"),
            "{err}"
        );
        let err = Model::join(vec![
            fit(base().seed(1)),
            fit(base().seed(2).context(false)),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("model 2 differs"), "{err}");
        let fewer = Dataset {
            pages: data.pages[1..].to_vec(),
        };
        let other = base()
            .seed(2)
            .check()
            .unwrap()
            .fit(&fewer, &|_| {})
            .unwrap();
        let err = Model::join(vec![fit(base().seed(1)), other]).unwrap_err();
        assert!(err.to_string().contains("training pages"), "{err}");
        assert!(Model::join(Vec::new()).is_err());
    }

    /// A file of format version 2 (one member's parts at the top level) reads as a
    /// model of one member and predicts as it did.
    #[test]
    fn version_2_files_read_as_one_member() {
        let data = mini();
        let model = small(quick_boosted()).fit(&data, &|_| {}).unwrap();
        let mut obj: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&model.to_json().unwrap()).unwrap();
        let mut members = obj.remove("members").unwrap();
        let member = members.as_array_mut().unwrap().remove(0);
        for (key, value) in member.as_object().unwrap() {
            if key != "seed" {
                obj.insert(key.clone(), value.clone());
            }
        }
        obj.insert("format_version".into(), 2.into());
        let v2 = serde_json::to_vec(&obj).unwrap();
        let read = Model::from_bytes(&v2, "v2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.format_version, FORMAT_VERSION);
        assert!(read.to_json().unwrap() == model.to_json().unwrap());
        // a version 2 file with a members list, or a version 3 one without, is refused
        obj.insert("members".into(), serde_json::json!([]));
        let err = Model::from_bytes(&serde_json::to_vec(&obj).unwrap(), "v2").unwrap_err();
        assert!(err.to_string().contains("version 2 model file"), "{err}");
        obj.remove("members");
        obj.insert("format_version".into(), 3.into());
        let err = Model::from_bytes(&serde_json::to_vec(&obj).unwrap(), "v3").unwrap_err();
        assert!(err.to_string().contains("keeps its heads in"), "{err}");
    }

    #[test]
    fn model_learns_the_training_pages() {
        let data = mini();
        let model = small(quick_boosted()).fit(&data, &|_| {}).unwrap();
        let report = crate::eval::evaluate(&model, &data).report(0);
        let six = report.six_class.unwrap();
        assert!(six.words[&Label::Article].f1 > 0.9, "{:?}", six.words);
        assert_eq!(model.training.pages, 4);
        assert_eq!(model.training.outlets.len(), 4);
    }

    #[test]
    fn bad_model_files_are_refused_with_reasons() {
        let data = mini();
        let model = ModelParams::default()
            .learner(quick_boosted())
            .context(false)
            .text_head(false)
            .check()
            .unwrap()
            .fit(&data, &|_| {})
            .unwrap();
        let json = model.to_json().unwrap();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (json.as_bytes()[..json.len() / 2].to_vec(), "invalid JSON"),
            (b"{\"hello\": 1}".to_vec(), "not a chaff model"),
            (
                json.replace("\"format_version\":3", "\"format_version\":99")
                    .into_bytes(),
                "version Some(99)",
            ),
            (
                json.replacen("\"names\":[\"log_words\",", "\"names\":[", 1)
                    .into_bytes(),
                "feature schema",
            ),
            (Vec::new(), "invalid JSON"),
        ];
        for (bytes, want) in cases {
            let err = Model::from_bytes(&bytes, "test").unwrap_err().to_string();
            assert!(err.contains(want), "{want:?} not in {err:?}");
        }
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mean = &mut v["members"][0]["html"]["first"]["scaler"]["mean"];
        mean.as_array_mut().unwrap().pop();
        let std = &mut v["members"][0]["html"]["first"]["scaler"]["std"];
        std.as_array_mut().unwrap().pop();
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("weights per label"), "{err}");
        assert!(Model::load(Path::new("/nonexistent/model.json")).is_err());
        // the members the parameters promise are the members the file holds
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["params"]["members"] = 2.into();
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 members, but its parameters say 2"), "{err}");
        // a cue table with more groups than this chaff reads, one with fewer than the head
        // was trained on, or none although the head reads its columns
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let groups = v["members"][0]["cues"]["groups"].as_array_mut().unwrap();
        groups.push(groups[0].clone());
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cue table has 6 groups"), "{err}");
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["members"][0]["cues"]["groups"]
            .as_array_mut()
            .unwrap()
            .pop();
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("weights per label"), "{err}");
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["members"][0].as_object_mut().unwrap().remove("cues");
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("weights per label"), "{err}");
        // context columns: all of this chaff's, or those before the list or the
        // article-span columns (models trained before them); any other list is refused
        let with_context = |cols: &[String]| {
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            v["context_columns"] = serde_json::json!(cols);
            Model::from_bytes(v.to_string().as_bytes(), "test")
        };
        let now = context::column_names();
        assert!(with_context(&now[..context::COLUMNS_BEFORE_SPAN]).is_ok());
        assert!(with_context(&now[..context::COLUMNS_BEFORE_LIST]).is_ok());
        for cols in [&now[..now.len() - 1], &now[1..]] {
            let err = with_context(cols).unwrap_err().to_string();
            assert!(err.contains("context columns are not ones"), "{err}");
        }
        // options out of range are refused on load, naming the option
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["params"]["list_vote"] = serde_json::json!(2.0);
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("list_vote"), "{err}");
        // a tree whose node points back up would loop forever: refused on load
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let tree = &mut v["members"][0]["html"]["first"]["model"]["weights"][0]["trees"][0];
        assert!(tree["column"][0].is_number(), "the root splits");
        tree["left"][0] = serde_json::json!(0);
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not below it"), "{err}");
        // node lists of different lengths, and a split on a column the rows do not have
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let tree = &mut v["members"][0]["html"]["first"]["model"]["weights"][0]["trees"][0];
        tree["value"].as_array_mut().unwrap().pop();
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("differ in length"), "{err}");
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["members"][0]["html"]["first"]["model"]["weights"][0]["trees"][0]["column"][0] =
            serde_json::json!(100_000);
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing column"), "{err}");
        // a temperature must be a positive number
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(
            v["members"][0]["html"]["temperature"].is_number(),
            "calibrated by default"
        );
        v["members"][0]["html"]["temperature"] = serde_json::json!(-1.0);
        let err = Model::from_bytes(v.to_string().as_bytes(), "test")
            .unwrap_err()
            .to_string();
        assert!(err.contains("temperature -1"), "{err}");
    }
}
