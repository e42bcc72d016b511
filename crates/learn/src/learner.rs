//! Learners: the block classifiers a model can be built from.
//!
//! Two are offered and compared by cross-validation:
//! - `logistic`: linfa's multinomial logistic regression on standardised features, with
//!   an L2 penalty (`alpha`);
//! - `boosted`: gradient-boosted trees (forust-ml), one binary log-loss ensemble per label
//!   (one-vs-rest), whose sigmoid outputs are normalised to sum to 1.
//!
//! Both are deterministic for given data and seed and are stored in the model file.

use chaff_extract::Label;
use forust_ml::sampler::SampleMethod;
use forust_ml::{GradientBooster, Matrix};
use linfa::prelude::*;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use ndarray::{concatenate, Array1, Array2, ArrayView1, ArrayView2, Axis, CowArray, Ix2};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

use crate::error::{Param, ParamsError, TrainingError};
use crate::trees::{Ensemble, TreeTable, MAX_WEIGHT};
use crate::Result;

impl std::fmt::Display for LearnerParams {
    /// The learner and its settings in words, as `chaff model` shows them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LearnerParams::Boosted {
                iterations,
                learning_rate,
                max_depth,
                l2,
                min_leaf_weight,
                subsample,
                colsample,
            } => write!(
                f,
                "boosted trees ({iterations} per label and stage, depth {max_depth}, learning \
                 rate {learning_rate}, L2 {l2}, least leaf weight {min_leaf_weight}, subsample \
                 {subsample}, column sample {colsample})"
            ),
            LearnerParams::Logistic {
                alpha,
                max_iterations,
            } => write!(
                f,
                "logistic regression (alpha {alpha}, {max_iterations} iterations at most)"
            ),
        }
    }
}

/// Rows predicted at once.
pub const PREDICT_ROWS: usize = 256;

/// A learner and its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LearnerParams {
    /// Multinomial logistic regression (linfa-logistic).
    Logistic {
        /// L2 penalty.
        alpha: f64,
        /// Most L-BFGS iterations.
        max_iterations: u64,
    },
    /// Gradient-boosted trees, one-vs-rest (forust-ml).
    Boosted {
        /// Trees per label.
        iterations: usize,
        /// Shrinkage.
        learning_rate: f32,
        /// Depth of each tree.
        max_depth: usize,
        /// L2 penalty on leaf weights.
        l2: f32,
        /// Least hessian weight in a leaf.
        min_leaf_weight: f32,
        /// Fraction of rows each tree sees.
        subsample: f32,
        /// Fraction of columns each tree sees.
        colsample: f64,
    },
}

impl LearnerParams {
    /// Default logistic regression.
    pub fn logistic() -> LearnerParams {
        LearnerParams::Logistic {
            alpha: 1.0,
            max_iterations: 150,
        }
    }

    /// Default boosted trees.
    pub fn boosted() -> LearnerParams {
        LearnerParams::Boosted {
            iterations: 150,
            learning_rate: 0.15,
            max_depth: 6,
            l2: 3.0,
            min_leaf_weight: 5.0,
            subsample: 1.0,
            colsample: 0.6,
        }
    }

    /// The learner's name (`logistic` or `boosted`).
    pub fn name(&self) -> &'static str {
        match self {
            LearnerParams::Logistic { .. } => "logistic",
            LearnerParams::Boosted { .. } => "boosted",
        }
    }

    /// The default parameters of the learner called `name`.
    pub fn by_name(name: &str) -> Result<LearnerParams, ParamsError> {
        match name {
            "logistic" => Ok(LearnerParams::logistic()),
            "boosted" => Ok(LearnerParams::boosted()),
            _ => Err(ParamsError::UnknownLearner(name.to_string())),
        }
    }

    /// Check the parameters.
    pub fn check(&self) -> Result<(), ParamsError> {
        let bad = |param, expected, value: &dyn ToString| {
            Err(ParamsError::out_of_range(
                param,
                expected,
                value.to_string(),
            ))
        };
        match *self {
            LearnerParams::Logistic {
                alpha,
                max_iterations,
            } => {
                if !(alpha.is_finite() && alpha >= 0.0) {
                    return bad(Param::Alpha, "finite and at least 0", &alpha);
                }
                if max_iterations == 0 {
                    return bad(Param::MaxIterations, "above 0", &max_iterations);
                }
            }
            LearnerParams::Boosted {
                iterations,
                learning_rate,
                max_depth,
                l2,
                min_leaf_weight,
                subsample,
                colsample,
            } => {
                if iterations == 0 {
                    return bad(Param::Trees, "above 0", &iterations);
                }
                if max_depth == 0 {
                    return bad(Param::Depth, "above 0", &max_depth);
                }
                if !(learning_rate > 0.0 && learning_rate <= 1.0) {
                    return bad(Param::LearningRate, "in (0, 1]", &learning_rate);
                }
                if !(l2.is_finite() && l2 >= 0.0) {
                    return bad(Param::L2, "finite and at least 0", &l2);
                }
                if !(min_leaf_weight.is_finite() && min_leaf_weight >= 0.0) {
                    return bad(
                        Param::MinLeafWeight,
                        "finite and at least 0",
                        &min_leaf_weight,
                    );
                }
                if !(subsample > 0.0 && subsample <= 1.0) {
                    return bad(Param::Subsample, "in (0, 1]", &subsample);
                }
                if !(colsample > 0.0 && colsample <= 1.0) {
                    return bad(Param::Colsample, "in (0, 1]", &colsample);
                }
            }
        }
        Ok(())
    }

    /// Fit the learner to rows `x` (one per block) with labels `y` and weights `w`. The
    /// rows are taken, so their memory is given back as soon as the learner has its copy.
    pub fn fit(&self, x: Array2<f32>, y: &[Label], w: &[f32], seed: u64) -> Result<Classifier> {
        self.fit_parts(vec![x.into()], y, w, seed)
    }

    /// [`fit`](Self::fit) to the rows of `parts` one after the other (a page's rows each,
    /// borrowed or made for the fit, their columns in one or more blocks side by side),
    /// never joined into one array: the learner's own copy is made from them, and those
    /// that are owned are given back as soon as it is made.
    pub fn fit_parts(
        &self,
        parts: Vec<Part<'_>>,
        y: &[Label],
        w: &[f32],
        seed: u64,
    ) -> Result<Classifier> {
        self.check()?;
        let rows: usize = parts.iter().map(|p| p.nrows()).sum();
        if rows == 0 {
            return Err(TrainingError::NoBlocks.into());
        }
        let cols = parts[0].ncols();
        assert!(
            parts.iter().all(|p| p.ncols() == cols),
            "the same columns in every part"
        );
        assert!(
            rows == y.len() && y.len() == w.len(),
            "one label and one weight per row"
        );
        if let Some(only) = y.first().filter(|&&first| y.iter().all(|&l| l == first)) {
            return Err(TrainingError::OneLabel(*only).into());
        }
        let scaler = Standardizer::fit(&parts);
        let model = match *self {
            LearnerParams::Logistic {
                alpha,
                max_iterations,
            } => {
                let targets = Array1::from_iter(y.iter().map(|l| l.index()));
                let joined: Vec<CowArray<f32, Ix2>> = parts.iter().map(Part::joined).collect();
                let views: Vec<ArrayView2<f32>> = joined.iter().map(|p| p.view()).collect();
                let x = concatenate(Axis(0), &views).expect("the same columns");
                let data = linfa::Dataset::new(scaler.apply(x.view()), targets);
                let fitted = MultiLogisticRegression::default()
                    .alpha(alpha)
                    .max_iterations(max_iterations)
                    .fit(&data)
                    .map_err(|e| TrainingError::Learner(e.to_string()))?;
                Fitted::Logistic(fitted)
            }
            LearnerParams::Boosted {
                iterations,
                learning_rate,
                max_depth,
                l2,
                min_leaf_weight,
                subsample,
                colsample,
            } => {
                // straight into forust's column-major layout: no joined copy of the rows
                let values = scaler.apply_column_major(&parts);
                let matrix = Matrix::new(&values, rows, cols);
                drop(parts);
                // what the parts owned (rows taken from pages, columns made for the fit)
                give_back_freed_memory();
                let weights: Vec<f64> = w.iter().map(|&v| v as f64).collect();
                let present: Vec<Label> = Label::ALL
                    .into_iter()
                    .filter(|label| y.contains(label))
                    .collect();
                let fit_one = |label: Label| -> Result<Ensemble> {
                    let target: Vec<f64> = y.iter().map(|&l| (l == label) as u8 as f64).collect();
                    let mut b = GradientBooster::default()
                        .set_iterations(iterations)
                        .set_learning_rate(learning_rate)
                        .set_max_depth(max_depth)
                        .set_l2(l2)
                        .set_min_leaf_weight(min_leaf_weight)
                        .set_subsample(subsample)
                        // forust samples rows only when told how: below 1, at random
                        .set_sample_method(if subsample < 1.0 {
                            SampleMethod::Random
                        } else {
                            SampleMethod::None
                        })
                        .set_colsample_bytree(colsample)
                        .set_seed(seed.wrapping_add(label.index() as u64))
                        .set_parallel(true)
                        // histograms filled row by row over a tiled copy of the bins:
                        // on the default model's data the same trees as the column-wise
                        // fill (the same model file), in less than half the time
                        .set_tiled_histograms(true);
                    b.fit(&matrix, &target, &weights, None)
                        .map_err(|e| TrainingError::Learner(e.to_string()))?;
                    Ok(Ensemble::from_forust(&b).map_err(TrainingError::Learner)?)
                };
                if let [positive, negative] = present[..] {
                    // two labels: one ensemble says all (the other's is its mirror image)
                    Fitted::BoostedPair {
                        positive,
                        negative,
                        ensemble: fit_one(positive)?,
                    }
                } else {
                    Fitted::Boosted(
                        Label::ALL
                            .into_iter()
                            .map(|label| {
                                present.contains(&label).then(|| fit_one(label)).transpose()
                            })
                            .collect::<Result<_>>()?,
                    )
                }
            }
        };
        Ok(Classifier {
            scaler,
            model,
            table: OnceLock::new(),
        })
    }
}

/// Hand freed memory back to the system: glibc's allocator keeps freed heap memory
/// between live blocks in the process (resident) until told to release it.
#[allow(unsafe_code)]
pub(crate) fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas
    unsafe {
        libc::malloc_trim(0);
    }
}

fn sigmoid(r: f64) -> f64 {
    1.0 / (1.0 + (-r).exp())
}

/// Scale each row of one-vs-rest sigmoid outputs to sum to 1 (uniform when they cannot).
fn normalise(out: &mut Array2<f64>) {
    for mut row in out.rows_mut() {
        let s: f64 = row.sum();
        if s > 0.0 && s.is_finite() {
            row /= s;
        } else {
            row.fill(1.0 / Label::COUNT as f64);
        }
    }
}

/// The rows of one part of a fit's data (a page's, as a stage reads them): blocks of
/// columns side by side, each borrowed or owned, so that the columns a stage adds to a
/// page's feature rows need not be joined with a copy of them.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    blocks: Vec<CowArray<'a, f32, Ix2>>,
}

impl<'a> Part<'a> {
    /// The rows of `blocks` side by side: the columns of the first, then the second's….
    /// Panics when they differ in their number of rows, or when there is no block.
    pub fn side_by_side(blocks: Vec<CowArray<'a, f32, Ix2>>) -> Part<'a> {
        let rows = blocks
            .first()
            .expect("at least one block of columns")
            .nrows();
        assert!(
            blocks.iter().all(|b| b.nrows() == rows),
            "the same rows in every block"
        );
        Part { blocks }
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.blocks[0].nrows()
    }

    /// Number of columns, all blocks together.
    pub fn ncols(&self) -> usize {
        self.blocks.iter().map(|b| b.ncols()).sum()
    }

    /// Column `j`, counted over all blocks.
    fn column(&self, j: usize) -> ArrayView1<'_, f32> {
        let mut at = j;
        for b in &self.blocks {
            if at < b.ncols() {
                return b.column(at);
            }
            at -= b.ncols();
        }
        panic!("column {j} past the part's {} columns", self.ncols())
    }

    /// The rows as one array (copied only when they are in more than one block).
    fn joined(&self) -> CowArray<'_, f32, Ix2> {
        if let [only] = &self.blocks[..] {
            return only.view().into();
        }
        let views: Vec<ArrayView2<f32>> = self.blocks.iter().map(|b| b.view()).collect();
        concatenate(Axis(1), &views).expect("the same rows").into()
    }
}

impl<'a> From<CowArray<'a, f32, Ix2>> for Part<'a> {
    fn from(rows: CowArray<'a, f32, Ix2>) -> Part<'a> {
        Part { blocks: vec![rows] }
    }
}

impl<'a> From<ArrayView2<'a, f32>> for Part<'a> {
    fn from(rows: ArrayView2<'a, f32>) -> Part<'a> {
        CowArray::from(rows).into()
    }
}

impl From<Array2<f32>> for Part<'_> {
    fn from(rows: Array2<f32>) -> Self {
        CowArray::from(rows).into()
    }
}

/// Per-column mean and standard deviation of the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Column means.
    pub mean: Vec<f64>,
    /// Column standard deviations (1 where a column is constant).
    pub std: Vec<f64>,
}

impl Standardizer {
    /// The scaler that leaves `cols` columns as they are.
    #[cfg(test)]
    pub(crate) fn identity(cols: usize) -> Standardizer {
        Standardizer {
            mean: vec![0.0; cols],
            std: vec![1.0; cols],
        }
    }

    /// The scaler of the rows of `parts`, one after the other.
    fn fit(parts: &[Part]) -> Standardizer {
        let cols = parts.first().map_or(0, |x| x.ncols());
        let n = parts.iter().map(|x| x.nrows()).sum::<usize>().max(1) as f64;
        let mut mean = vec![0f64; cols];
        let mut sq = vec![0f64; cols];
        // each column's sums over the rows in their order, whatever blocks hold it
        for part in parts {
            let mut j0 = 0;
            for block in &part.blocks {
                for row in block.rows() {
                    for (j, &v) in row.iter().enumerate() {
                        mean[j0 + j] += v as f64;
                        sq[j0 + j] += (v as f64) * (v as f64);
                    }
                }
                j0 += block.ncols();
            }
        }
        let mut std = vec![1f64; cols];
        for j in 0..cols {
            mean[j] /= n;
            let var = (sq[j] / n - mean[j] * mean[j]).max(0.0);
            std[j] = if var > 1e-12 { var.sqrt() } else { 1.0 };
        }
        Standardizer { mean, std }
    }

    /// The standardised rows of `parts`, one after the other, column after column (the
    /// same values as [`Self::apply`]).
    fn apply_column_major(&self, parts: &[Part]) -> Vec<f64> {
        let len = parts.iter().map(|x| x.nrows() * x.ncols()).sum();
        let mut out = Vec::with_capacity(len);
        for j in 0..self.mean.len() {
            for x in parts {
                let col = x.column(j);
                out.extend(col.iter().map(|&v| (v as f64 - self.mean[j]) / self.std[j]));
            }
        }
        out
    }

    fn apply(&self, x: ArrayView2<f32>) -> Array2<f64> {
        let mut z = Array2::zeros(x.raw_dim());
        for (mut zr, xr) in z.rows_mut().into_iter().zip(x.rows()) {
            for j in 0..xr.len() {
                zr[j] = (xr[j] as f64 - self.mean[j]) / self.std[j];
            }
        }
        z
    }
}

/// A fitted learner.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", content = "weights", rename_all = "snake_case")]
enum Fitted {
    Logistic(MultiFittedLogisticRegression<f64, usize>),
    Boosted(Vec<Option<Ensemble>>),
    /// Boosted trees for data with two labels: one ensemble, the log-odds of `positive`.
    BoostedPair {
        positive: Label,
        negative: Label,
        ensemble: Ensemble,
    },
}

/// A fitted classifier: standardisation plus a fitted learner.
#[derive(Serialize, Deserialize)]
pub struct Classifier {
    scaler: Standardizer,
    model: Fitted,
    /// The boosted ensembles laid out for prediction, built on first use.
    #[serde(skip)]
    table: OnceLock<TreeTable>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.model {
            Fitted::Logistic(_) => "logistic",
            Fitted::Boosted(_) | Fitted::BoostedPair { .. } => "boosted",
        };
        f.debug_struct("Classifier")
            .field("kind", &kind)
            .field("cols", &self.cols())
            .finish()
    }
}

impl Classifier {
    /// Number of input columns.
    pub fn cols(&self) -> usize {
        self.scaler.mean.len()
    }

    /// Check internal consistency (for a model read from a file).
    pub fn validate(&self) -> std::result::Result<(), String> {
        let cols = self.cols();
        if self.scaler.std.len() != cols {
            return Err("scaler has mismatched mean and std lengths".into());
        }
        if self
            .scaler
            .mean
            .iter()
            .chain(&self.scaler.std)
            .any(|v| !v.is_finite())
        {
            return Err("scaler has non-finite values".into());
        }
        // a standard deviation of 0 divides by zero: every probability would be lost
        if self.scaler.std.iter().any(|&v| v <= 0.0) {
            return Err("scaler has a standard deviation that is not above 0".into());
        }
        match &self.model {
            Fitted::Logistic(m) => {
                let p = m.params();
                if p.nrows() != cols
                    || p.ncols() != m.classes().len()
                    || m.intercept().len() != m.classes().len()
                {
                    return Err(format!(
                        "logistic weights are {}×{}, expected {cols} rows and one column per class",
                        p.nrows(),
                        p.ncols()
                    ));
                }
                if m.classes().iter().any(|&c| c >= Label::COUNT) {
                    return Err("logistic model has an unknown class".into());
                }
                if p.iter()
                    .chain(m.intercept())
                    .any(|v| !(v.is_finite() && v.abs() <= MAX_WEIGHT))
                {
                    return Err(format!(
                        "logistic weights are not finite numbers of at most {MAX_WEIGHT:e}"
                    ));
                }
            }
            Fitted::BoostedPair {
                positive,
                negative,
                ensemble,
            } => {
                if positive == negative {
                    return Err("a boosted pair names one label twice".into());
                }
                ensemble.validate(cols)?;
            }
            Fitted::Boosted(b) => {
                if b.len() != Label::COUNT {
                    return Err(format!(
                        "{} boosted ensembles, expected {}",
                        b.len(),
                        Label::COUNT
                    ));
                }
                for ensemble in b.iter().flatten() {
                    ensemble.validate(cols)?;
                }
            }
        }
        Ok(())
    }

    /// Class probabilities (one row per input row, columns in [`Label::ALL`] order).
    /// Rows go through in slices of [`PREDICT_ROWS`], so memory stays bounded on pages
    /// with very many blocks.
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), Label::COUNT));
        let mut start = 0;
        while start < x.nrows() {
            let end = (start + PREDICT_ROWS).min(x.nrows());
            let part = self.predict_slice(x.slice_axis(Axis(0), (start..end).into()));
            out.slice_axis_mut(Axis(0), (start..end).into())
                .assign(&part);
            start = end;
        }
        out
    }

    /// Raw scores of rows `x` as they are (the table standardises its thresholds
    /// instead), one slot per ensemble of `table`.
    fn scores(&self, table: &TreeTable, x: ArrayView2<f32>) -> Vec<Option<f64>> {
        let x = x.as_standard_layout();
        let flat = x.as_slice().expect("a standard-layout array is one slice");
        let mut scores = vec![None; x.nrows() * table.labels()];
        table.score_rows(flat, x.ncols(), &mut scores);
        scores
    }

    fn predict_slice(&self, x: ArrayView2<f32>) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), Label::COUNT));
        if x.nrows() == 0 {
            return out;
        }
        match &self.model {
            Fitted::Logistic(m) => {
                let p = m.predict_probabilities(&self.scaler.apply(x));
                for (k, &class) in m.classes().iter().enumerate() {
                    out.column_mut(class).assign(&p.column(k));
                }
            }
            Fitted::Boosted(boosters) => {
                let table = self.table.get_or_init(|| {
                    TreeTable::new(boosters.iter().map(Option::as_ref), &self.scaler)
                });
                for (s, mut row) in self
                    .scores(table, x)
                    .chunks_exact(table.labels())
                    .zip(out.rows_mut())
                {
                    for (k, score) in s.iter().enumerate() {
                        if let Some(r) = score {
                            row[k] = sigmoid(*r);
                        }
                    }
                }
                normalise(&mut out);
            }
            Fitted::BoostedPair {
                positive,
                negative,
                ensemble,
            } => {
                let table = self
                    .table
                    .get_or_init(|| TreeTable::new([Some(ensemble)], &self.scaler));
                for (s, mut row) in self.scores(table, x).iter().zip(out.rows_mut()) {
                    let p = s.map_or(0.5, sigmoid);
                    row[positive.index()] = p;
                    row[negative.index()] = 1.0 - p;
                }
            }
        }
        // guard against NaN from pathological inputs: fall back to uniform
        for mut row in out.rows_mut() {
            if row.iter().any(|v| !v.is_finite()) {
                row.fill(1.0 / Label::COUNT as f64);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn column_major(z: &Array2<f64>) -> Vec<f64> {
        let mut out = Vec::with_capacity(z.len());
        for col in z.axis_iter(Axis(1)) {
            out.extend(col.iter().copied());
        }
        out
    }

    fn toy() -> (Array2<f32>, Vec<Label>, Vec<f32>) {
        let x = array![
            [0.0f32, 1.0],
            [0.1, 0.9],
            [1.0, 0.0],
            [0.9, 0.1],
            [0.5, 0.5],
            [0.45, 0.55]
        ];
        let y = vec![
            Label::Article,
            Label::Article,
            Label::Directory,
            Label::Directory,
            Label::Copyright,
            Label::Copyright,
        ];
        (x, y, vec![1.0; 6])
    }

    /// Boosted trees small enough to fit six toy rows.
    fn small_boosted() -> LearnerParams {
        LearnerParams::Boosted {
            iterations: 20,
            learning_rate: 0.3,
            max_depth: 3,
            l2: 0.0,
            min_leaf_weight: 0.0,
            subsample: 1.0,
            colsample: 1.0,
        }
    }

    fn both_learners() -> [LearnerParams; 2] {
        [
            LearnerParams::Logistic {
                alpha: 0.01,
                max_iterations: 200,
            },
            small_boosted(),
        ]
    }

    #[test]
    fn rows_in_parts_fit_the_model_the_joined_rows_fit() {
        let (x, y, w) = toy();
        for p in both_learners() {
            let joined = p.fit(x.clone(), &y, &w, 7).unwrap();
            let rows = |r: std::ops::Range<usize>| x.slice_axis(Axis(0), r.into());
            // the middle rows as two blocks of columns side by side
            let middle = rows(2..5);
            let cols = x.ncols();
            let parts = vec![
                rows(0..2).into(),
                Part::side_by_side(vec![
                    middle.slice_axis(Axis(1), (0..1).into()).into(),
                    middle
                        .slice_axis(Axis(1), (1..cols).into())
                        .to_owned()
                        .into(),
                ]),
                rows(5..6).into(),
            ];
            let split = p.fit_parts(parts, &y, &w, 7).unwrap();
            assert_eq!(split.scaler, joined.scaler);
            assert_eq!(
                split.predict_proba(x.view()),
                joined.predict_proba(x.view())
            );
        }
    }

    #[test]
    fn a_subsample_below_one_samples_rows() {
        let (x, y, w) = toy();
        let with = |subsample: f32| {
            let LearnerParams::Boosted {
                iterations,
                learning_rate,
                max_depth,
                l2,
                colsample,
                ..
            } = small_boosted()
            else {
                unreachable!("small_boosted is boosted")
            };
            LearnerParams::Boosted {
                iterations,
                learning_rate,
                max_depth,
                l2,
                min_leaf_weight: 0.0,
                subsample,
                colsample,
            }
            .fit(x.clone(), &y, &w, 7)
            .unwrap()
            .predict_proba(x.view())
        };
        assert_eq!(with(1.0), with(1.0));
        assert_ne!(with(1.0), with(0.5));
    }

    #[test]
    fn both_learners_fit_and_give_probabilities() {
        let (x, y, w) = toy();
        for p in both_learners() {
            let c = p.fit(x.clone(), &y, &w, 7).unwrap();
            c.validate().unwrap();
            let probs = c.predict_proba(x.view());
            for (row, label) in probs.rows().into_iter().zip(&y) {
                assert!((row.sum() - 1.0).abs() < 1e-9);
                let best = row
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .unwrap()
                    .0;
                if *label != Label::Copyright {
                    assert_eq!(best, label.index(), "{} {row}", p.name());
                }
            }
        }
    }

    #[test]
    fn one_label_or_no_block_is_refused_by_name() {
        let (x, _, w) = toy();
        for p in both_learners() {
            let err = p.fit(x.clone(), &[Label::Other; 6], &w, 7).unwrap_err();
            assert!(
                err.to_string()
                    .contains("every training block is labelled other"),
                "{err}"
            );
            let none = Array2::<f32>::zeros((0, 2));
            let err = p.fit(none, &[], &[], 7).unwrap_err();
            assert!(err.to_string().contains("no blocks to train on"), "{err}");
        }
    }

    /// The tree table, reading raw rows, predicts exactly what forust's own `predict` does
    /// on the standardised rows, bit for bit, missing values included.
    #[test]
    fn tree_table_matches_forust() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 400;
        // three continuous columns, a 0/1 column and a count: splits between equal values
        let x = Array2::from_shape_fn((n, 5), |(_, j)| match j {
            3 => rng.gen_range(0..2) as f32,
            4 => rng.gen_range(0..4) as f32,
            _ => rng.gen_range(-2.0f32..2.0),
        });
        let y: Vec<Label> = x
            .rows()
            .into_iter()
            .map(
                |r| match (r[0] > 0.0 || r[3] == 1.0, r[1] + r[2] > 0.5 || r[4] >= 2.0) {
                    (true, true) => Label::Article,
                    (true, false) => Label::Related,
                    (false, true) => Label::Recent,
                    (false, false) => Label::Other,
                },
            )
            .collect();
        let c = LearnerParams::boosted()
            .fit(x.clone(), &y, &vec![1.0; n], 5)
            .unwrap();
        let mut z = c.scaler.apply(x.view());
        let cols = column_major(&z);
        let matrix = Matrix::new(&cols, z.nrows(), z.ncols());
        // forust's own boosters, kept to compare with
        let boosters: Vec<Option<GradientBooster>> = Label::ALL
            .iter()
            .map(|&label| {
                let target: Vec<f64> = y.iter().map(|&l| (l == label) as u8 as f64).collect();
                target.iter().any(|&t| t > 0.0).then(|| {
                    let mut b = GradientBooster::default()
                        .set_iterations(60)
                        .set_max_depth(5)
                        .set_parallel(false);
                    b.fit(&matrix, &target, &vec![1.0; n], None).unwrap();
                    b
                })
            })
            .collect();
        let ensembles: Vec<Option<Ensemble>> = boosters
            .iter()
            .map(|b| b.as_ref().map(|b| Ensemble::from_forust(b).unwrap()))
            .collect();
        let mut x = x;
        x[[0, 1]] = f32::NAN;
        x[[1, 3]] = f32::NAN;
        z[[0, 1]] = f64::NAN;
        z[[1, 3]] = f64::NAN;
        let cols = column_major(&z);
        let matrix = Matrix::new(&cols, z.nrows(), z.ncols());
        let table = TreeTable::new(ensembles.iter().map(Option::as_ref), &c.scaler);
        let mut scores = vec![None; Label::COUNT];
        let flat = x.as_standard_layout().as_slice().unwrap().to_vec();
        let mut all = vec![None; n * Label::COUNT];
        table.score_rows(&flat, x.ncols(), &mut all);
        for (k, b) in boosters.iter().enumerate() {
            let expected = b.as_ref().map(|b| b.predict(&matrix, false));
            for i in 0..n {
                table.score_row(x.row(i).as_slice().unwrap(), &mut scores);
                let want = expected.as_ref().map(|e| e[i].to_bits());
                assert_eq!(scores[k].map(f64::to_bits), want, "row {i} label {k}");
                assert_eq!(
                    all[i * Label::COUNT + k].map(f64::to_bits),
                    want,
                    "row {i} label {k}"
                );
            }
        }
    }

    /// Data with two labels fits one ensemble; its probabilities fall on those two.
    #[test]
    fn two_labels_fit_one_ensemble() {
        let (x, y, w) = toy();
        let y: Vec<Label> = y
            .into_iter()
            .map(|l| if l == Label::Article { l } else { Label::Other })
            .collect();
        let c = small_boosted().fit(x.clone(), &y, &w, 1).unwrap();
        assert!(matches!(
            c.model,
            Fitted::BoostedPair {
                positive: Label::Article,
                negative: Label::Other,
                ..
            }
        ));
        c.validate().unwrap();
        let probs = c.predict_proba(x.view());
        for (row, label) in probs.rows().into_iter().zip(&y) {
            assert!((row.sum() - 1.0).abs() < 1e-12);
            assert_eq!(
                row[Label::Article.index()] + row[Label::Other.index()],
                row.sum()
            );
            assert!(row[label.index()] > 0.5, "{row}");
        }
        let json = serde_json::to_string(&c).unwrap();
        let back: Classifier = serde_json::from_str(&json).unwrap();
        assert_eq!(back.predict_proba(x.view()), probs);
    }

    #[test]
    fn bad_params_are_refused() {
        assert!(LearnerParams::Logistic {
            alpha: -1.0,
            max_iterations: 1
        }
        .check()
        .is_err());
        assert_eq!(
            LearnerParams::by_name("forest").unwrap_err().to_string(),
            "unknown learner \"forest\" (expected logistic or boosted)"
        );
        let (x, y, w) = toy();
        let one_label = vec![y[0]; y.len()];
        assert!(matches!(
            LearnerParams::logistic().fit(x, &one_label, &w, 0),
            Err(crate::Error::Training(crate::TrainingError::OneLabel(_)))
        ));
    }
}
