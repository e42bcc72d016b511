//! Labelled pages → a model that labels blocks, and the measures of how well it does.
//!
//! `chaff-learn` is the half of chaff that knows about learning. It reads labelled
//! datasets ([`dataset`]), fits a two-stage block classifier with linfa's multinomial
//! logistic regression or gradient-boosted trees ([`learner`], [`model`]) — a first stage on
//! each block's features, then a context stage that also sees its neighbours' and
//! containers' first-stage probabilities ([`context`]), both also reading a learned table of
//! what class/id tokens and heading words meant on the training outlets ([`cues`]) — saves
//! and loads the versioned model file, and scores predictions against gold labels,
//! including leave-outlet-out cross-validation ([`eval`]).
// one exception, allowed where it is: handing freed memory back to the system
// (`malloc_trim`, learner.rs)
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod context;
pub mod cues;
pub mod dataset;
mod error;
pub mod eval;
pub mod learner;
pub mod model;
pub mod outlet;
mod trees;

pub use chaff_extract::PageFeatures;
pub use dataset::{Dataset, LabelledPage, PageGold};
pub use error::{Error, FoldsError, Param, ParamsError, Result, TrainingError};
pub use eval::{EvalReport, Scorer};
pub use learner::LearnerParams;
pub use model::{Model, ModelParams, PageRules, Prediction, TrainingStep, ValidModelParams};
