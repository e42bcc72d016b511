//! Prediction: each member's heads give a page's probabilities, the pool joins them, the
//! page rules label the blocks.

use chaff_extract::Label;
use ndarray::{Array2, ArrayView2, Axis};

use super::rules::{label, pool, temper};
use super::{Head, Member, Model, Prediction};
use crate::learner::Classifier;
use crate::PageFeatures;
use crate::{context, learner};

impl Model {
    /// Predict the blocks of a prepared page. `plain_text` selects the text head (falling
    /// back to the HTML head when the model has none).
    pub fn predict(&self, page: &PageFeatures, plain_text: bool) -> Vec<Prediction> {
        if page.is_empty() {
            return Vec::new();
        }
        // the members' probabilities pooled, and their priors' article columns averaged
        let (mut all, priors): (Vec<Array2<f64>>, Vec<Option<Array2<f32>>>) = self
            .members
            .iter()
            .map(|m| m.probabilities(page, plain_text))
            .unzip();
        let probs = if all.len() == 1 {
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
        label(
            &probs,
            prior.as_ref().map(|p| p.column(0)),
            &page.words,
            &self.rules,
        )
    }
}

impl Member {
    /// The member's final (tempered) probabilities of a page's blocks, and its prior's
    /// article column when the HTML head read it. `plain_text` selects the text head
    /// (falling back to the HTML head when there is none).
    pub(super) fn probabilities(
        &self,
        page: &PageFeatures,
        plain_text: bool,
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
        (head.probabilities(&parts, page), prior)
    }
}

impl Head {
    /// The head's final (tempered) probabilities of a page's blocks from the parts of
    /// their rows (`parts`, joined column-wise, are what the first stage reads).
    pub(super) fn probabilities(
        &self,
        parts: &[ArrayView2<f32>],
        page: &PageFeatures,
    ) -> Array2<f64> {
        let mut probs = predict_joined(&self.first, parts);
        if let Some(c) = &self.context {
            let ctx = context::features(page, probs.view());
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

/// The page's rows with the article prior's probability appended (unchanged without one).
pub(super) fn with_prior(prior: Option<&Classifier>, page: &PageFeatures) -> PageFeatures {
    let Some(prior) = prior else {
        return page.clone();
    };
    with_columns(page, prior_column(prior, page).view())
}

/// The article prior's probability of each block, as one column.
fn prior_column(prior: &Classifier, page: &PageFeatures) -> Array2<f32> {
    prior
        .predict_proba(rows_view(page))
        .column(Label::Article.index())
        .mapv(|p| p as f32)
        .insert_axis(Axis(1))
}

/// The page with `extra` (one row per block) appended to its rows. Its cue tokens are left
/// behind (nothing reads them after the cue columns are made; on a page of ten thousand
/// blocks a copy is over a megabyte).
pub(super) fn with_columns(page: &PageFeatures, extra: ArrayView2<f32>) -> PageFeatures {
    let cols = page.rows.cols + extra.ncols();
    let mut values = Vec::with_capacity(page.len() * cols);
    for (i, more) in extra.rows().into_iter().enumerate().take(page.len()) {
        values.extend_from_slice(page.rows.row(i));
        values.extend(more.iter().copied());
    }
    PageFeatures {
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
pub(super) fn predict_joined(c: &Classifier, parts: &[ArrayView2<f32>]) -> Array2<f64> {
    let n = parts[0].nrows();
    if parts.len() == 1 {
        return c.predict_proba(parts[0]);
    }
    let mut out = Array2::zeros((n, Label::COUNT));
    let mut start = 0;
    while start < n {
        let end = (start + learner::PREDICT_ROWS).min(n);
        // row-major, as the trees read it (a concatenation along columns would be
        // column-major, and copied again)
        let cols = parts.iter().map(|p| p.ncols()).sum();
        let mut joined = Array2::<f32>::zeros((end - start, cols));
        let mut at = 0;
        for p in parts {
            joined
                .slice_axis_mut(Axis(1), (at..at + p.ncols()).into())
                .assign(&p.slice_axis(Axis(0), (start..end).into()));
            at += p.ncols();
        }
        out.slice_axis_mut(Axis(0), (start..end).into())
            .assign(&c.predict_proba(joined.view()));
        start = end;
    }
    out
}

/// A page's feature rows as a matrix.
pub(super) fn rows_view(p: &PageFeatures) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((p.len(), p.rows.cols), &p.rows.values).expect("rows match their shape")
}
