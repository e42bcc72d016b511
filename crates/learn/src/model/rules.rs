//! What acts on the classifiers' probabilities: the members' pool, temperatures, and the
//! [`PageRules`] that label a page's blocks from them.

use chaff_extract::Label;
use ndarray::{Array2, ArrayView1};

use super::{PageRules, Prediction};

/// Raise each probability to `1 / t` and renormalise: `t > 1` softens, `t < 1` sharpens;
/// the order of the labels never changes.
pub(crate) fn temper(p: &mut [f64], t: f64) {
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
/// arithmetic mean, which is less sure than either member wherever they differ.
pub(super) fn pool(members: &[Array2<f64>]) -> Array2<f64> {
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

/// The temperature, from e^−3 to e^3, whose logarithm minimises `loss` (golden-section
/// search).
pub(super) fn best_temperature(loss: impl Fn(f64) -> f64) -> f64 {
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
/// [`PageRules::confidence_temperature`] from a cross-validation's held-out predictions.
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

/// The labels of a page's blocks from their pooled probabilities `probs`: the most
/// probable of each, then the page rules. `prior` is the article prior's probability of
/// each block, when the head read one; `words` each block's words.
pub(super) fn label(
    probs: &Array2<f64>,
    prior: Option<ArrayView1<f32>>,
    words: &[usize],
    rules: &PageRules,
) -> Vec<Prediction> {
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
    article_fallback(&mut preds, words, rules.article_fallback);
    if let Some(prior) = prior {
        prior_rescue(&mut preds, prior, words, rules.prior_rescue);
    }
    if rules.confidence_temperature != 1.0 {
        for p in &mut preds {
            p.temper(rules.confidence_temperature);
        }
    }
    preds
}

/// Every page has main content ([`PageRules::article_fallback`]): when no block with
/// words came out article, label article those whose article probability is at least
/// `share` of the page's highest.
pub(super) fn article_fallback(preds: &mut [Prediction], words: &[usize], share: f64) {
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
/// one, gets the prior's ([`PageRules::prior_rescue`]): `prior` is the prior's article
/// probability of each block.
pub(super) fn prior_rescue(
    preds: &mut [Prediction],
    prior: ArrayView1<f32>,
    words: &[usize],
    share: f64,
) {
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
