use std::fmt;
use std::path::PathBuf;

use chaff_extract::Label;

/// What can go wrong while reading data, training, loading a model or scoring.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A page could not be read.
    #[error("{path}: {source}")]
    Page {
        /// The page's file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: chaff_extract::Error,
    },
    /// A dataset (its manifest or its pages) is malformed.
    #[error("{path}: {message}")]
    Dataset {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A model file is malformed, truncated or incompatible.
    #[error("model {source_name}: {message}")]
    Model {
        /// Where the model came from (a path, or "embedded default").
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// A parameter is out of its range.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// Training could not start or the learner failed.
    #[error(transparent)]
    Training(#[from] TrainingError),
    /// Fold models are not the folds of one cross-validation, or do not fit the pages.
    #[error(transparent)]
    Folds(#[from] FoldsError),
    /// Two evaluation reports cannot be compared.
    #[error("{0}")]
    Incomparable(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn dataset(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Dataset {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A parameter of training, of the page rules or of a cross-validation, by the name of
/// its field. A front end says it in its own words (the CLI names its flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// The learner's name.
    Learner,
    /// Logistic regression's L2 penalty.
    Alpha,
    /// Logistic regression's iterations.
    MaxIterations,
    /// Trees per label.
    Trees,
    /// Depth of each tree.
    Depth,
    /// The boosting shrinkage.
    LearningRate,
    /// L2 penalty on leaf weights.
    L2,
    /// Least hessian weight in a leaf.
    MinLeafWeight,
    /// Share of rows each tree sees.
    Subsample,
    /// Share of columns each tree sees.
    Colsample,
    /// Folds of the context stage's out-of-fold probabilities.
    ContextFolds,
    /// Members of a model.
    Members,
    /// [`PageRules::article_fallback`](crate::PageRules::article_fallback).
    ArticleFallback,
    /// [`PageRules::prior_rescue`](crate::PageRules::prior_rescue).
    PriorRescue,
    /// [`PageRules::confidence_temperature`](crate::PageRules::confidence_temperature).
    ConfidenceTemperature,
    /// Folds of a cross-validation.
    Folds,
    /// The share of labelled outlets a cross-validation trains on.
    LabelledShare,
}

impl Param {
    /// The field's name, as in a model file.
    pub fn name(self) -> &'static str {
        match self {
            Param::Learner => "learner",
            Param::Alpha => "alpha",
            Param::MaxIterations => "max_iterations",
            Param::Trees => "iterations",
            Param::Depth => "max_depth",
            Param::LearningRate => "learning_rate",
            Param::L2 => "l2",
            Param::MinLeafWeight => "min_leaf_weight",
            Param::Subsample => "subsample",
            Param::Colsample => "colsample",
            Param::ContextFolds => "context_folds",
            Param::Members => "members",
            Param::ArticleFallback => "article_fallback",
            Param::PriorRescue => "prior_rescue",
            Param::ConfidenceTemperature => "confidence_temperature",
            Param::Folds => "folds",
            Param::LabelledShare => "labelled_share",
        }
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parameter that is not one a model can be built or used with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamsError {
    /// The value is outside the parameter's range.
    #[error("{param} must be {expected}, got {value}")]
    OutOfRange {
        /// The parameter.
        param: Param,
        /// Its range, in words ("in [0, 1]").
        expected: &'static str,
        /// The value given.
        value: String,
    },
    /// No learner has this name.
    #[error("unknown learner {0:?} (expected logistic or boosted)")]
    UnknownLearner(String),
}

impl ParamsError {
    pub(crate) fn out_of_range(param: Param, expected: &'static str, value: impl ToString) -> Self {
        ParamsError::OutOfRange {
            param,
            expected,
            value: value.to_string(),
        }
    }
}

/// Why a model could not be trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainingError {
    /// None of the pages is labelled block by block.
    #[error("no block-labelled pages to train on")]
    NoLabelledPages,
    /// The pages hold no block.
    #[error("no blocks to train on")]
    NoBlocks,
    /// Every block has one label.
    #[error("every training block is labelled {0}: a model needs two labels at least")]
    OneLabel(Label),
    /// A fold of a cross-validation has no block-labelled page to train on.
    #[error(
        "fold {fold} of {folds} has no block-labelled page to train on{}: block-labelled \
         pages of more outlets are needed",
        share.map(|s| format!(" at a labelled share of {s}")).unwrap_or_default()
    )]
    EmptyFold {
        /// The fold, from 1.
        fold: usize,
        /// Folds in all.
        folds: usize,
        /// The labelled share, when below 1.
        share: Option<f64>,
    },
    /// The learner failed.
    #[error("training failed: {0}")]
    Learner(String),
}

/// Fold models that cannot score a dataset's held-out pages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FoldsError {
    /// Fewer than two fold models.
    #[error("cross-validation folds need at least 2 fold models, got {0}")]
    TooFew(usize),
    /// [`Model::join`](crate::Model::join) was given no model.
    #[error("no models to join")]
    NothingToJoin,
    /// A fold model is not of the same cross-validation as the first.
    #[error("{file} {why}: not the folds of one cross-validation")]
    NotOneRun {
        /// The fold model's file name.
        file: String,
        /// What differs.
        why: String,
    },
    /// Models to join differ in more than their seeds.
    #[error(
        "model {model} differs from the first in its {what}: only models that differ in \
         their seeds can be joined"
    )]
    NotJoinable {
        /// The model, from 1.
        model: usize,
        /// What differs.
        what: &'static str,
    },
    /// A page's outlet was held out by no fold.
    #[error(
        "page {page} (outlet {outlet}) was held out by no fold: its outlet was not in the \
         cross-validation that made the fold models"
    )]
    PageInNoFold {
        /// The page's id.
        page: String,
        /// Its outlet.
        outlet: String,
    },
    /// The model of a page's fold trained on the page's outlet.
    #[error(
        "page {page} (outlet {outlet}) falls in fold {fold}, but that fold's model trained \
         on its outlet: the fold models were made from other pages or another number of folds"
    )]
    TrainedOnPage {
        /// The page's id.
        page: String,
        /// Its outlet.
        outlet: String,
        /// The fold, from 1.
        fold: usize,
    },
}
