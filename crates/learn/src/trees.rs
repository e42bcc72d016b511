//! Fitted boosted ensembles: how the model file stores them and how prediction walks them.
//!
//! forust-ml keeps a tree as a vector of wide nodes (gains, hessians, depths: what
//! training needs) and predicts one tree at a time over all rows. A fitted [`Ensemble`]
//! keeps only what prediction reads — split column, threshold, children, leaf value — so
//! the model file is a fifth of forust's and loads that much faster. [`TreeTable`] lays
//! all ensembles of a classifier out for speed: classifying a page walks six ensembles of
//! a hundred and more trees per block, so the layout decides the cost.
//!
//! The arithmetic is forust's, step for step: the same comparisons (`value < threshold`,
//! NaN down the missing branch), leaf weights widened from `f32` the same way, and each
//! label's sum taken in tree order from the same base score. The trees were fitted on
//! standardised rows; the table moves each threshold back onto the raw `f32` value
//! instead ([`raw_threshold`]: the least value whose standardised form reaches it), so
//! prediction reads the feature rows as they are, with no standardised copy, and decides
//! every split as a walk over the standardised row would. Predictions are therefore
//! identical, bit for bit (tested against forust's own `predict`).

use forust_ml::GradientBooster;
use serde::{Deserialize, Serialize};

use crate::learner::Standardizer;

/// Largest weight or leaf value a model file may hold: far above anything training
/// makes, far below what would overflow a sum of thousands of them.
pub(crate) const MAX_WEIGHT: f64 = 1e6;

/// One fitted tree, node `0` the root; node `i`'s children come after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Split column of each node; `None` for a leaf.
    column: Vec<Option<u32>>,
    /// Threshold of each split (left when the value is below it), or the leaf's value.
    value: Vec<f64>,
    /// Children of each split: below the threshold, at or above it, and missing (NaN).
    /// Zero for a leaf.
    left: Vec<u32>,
    right: Vec<u32>,
    missing: Vec<u32>,
}

/// One label's fitted boosted ensemble: a base score plus the sum of its trees' leaves
/// gives the label's log-odds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ensemble {
    base_score: f64,
    trees: Vec<Tree>,
}

impl Ensemble {
    /// Keep what prediction needs of a forust booster.
    pub fn from_forust(b: &GradientBooster) -> Result<Ensemble, String> {
        if !b.missing.is_nan() {
            return Err("only NaN can mark a missing value".into());
        }
        let n_trees = b.prediction_iteration.unwrap_or(b.trees.len());
        let trees = b.trees[..n_trees.min(b.trees.len())]
            .iter()
            .map(|tree| {
                let mut t = Tree {
                    column: Vec::with_capacity(tree.nodes.len()),
                    value: Vec::with_capacity(tree.nodes.len()),
                    left: Vec::with_capacity(tree.nodes.len()),
                    right: Vec::with_capacity(tree.nodes.len()),
                    missing: Vec::with_capacity(tree.nodes.len()),
                };
                for node in &tree.nodes {
                    let split = !node.is_leaf;
                    let index = |i: usize| if split { i as u32 } else { 0 };
                    t.column.push(split.then_some(node.split_feature as u32));
                    t.value.push(if split {
                        node.split_value
                    } else {
                        node.weight_value as f64
                    });
                    t.left.push(index(node.left_child));
                    t.right.push(index(node.right_child));
                    t.missing.push(index(node.missing_node));
                }
                t
            })
            .collect();
        let e = Ensemble {
            base_score: b.base_score,
            trees,
        };
        e.validate(usize::MAX)?;
        Ok(e)
    }

    /// Check an ensemble read from a file against the number of input columns: every
    /// split on an existing column, every child below its parent and inside its tree (so
    /// no walk can loop or run off), finite numbers.
    pub fn validate(&self, cols: usize) -> Result<(), String> {
        let bounded = |v: f64| v.is_finite() && v.abs() <= MAX_WEIGHT;
        if !bounded(self.base_score) {
            return Err(
                "a boosted ensemble's base score is not a finite number of at most 1e6".into(),
            );
        }
        for tree in &self.trees {
            let n = tree.column.len();
            if n == 0 {
                return Err("a boosted tree has no nodes".into());
            }
            if [&tree.left, &tree.right, &tree.missing]
                .iter()
                .any(|v| v.len() != n)
                || tree.value.len() != n
            {
                return Err("a boosted tree's node lists differ in length".into());
            }
            for i in 0..n {
                if !bounded(tree.value[i]) {
                    return Err(
                        "a boosted tree holds a number that is not finite or above 1e6".into(),
                    );
                }
                let Some(column) = tree.column[i] else {
                    continue;
                };
                if column as usize >= cols {
                    return Err("a boosted tree splits on a missing column".into());
                }
                let kids = [tree.left[i], tree.right[i], tree.missing[i]];
                if kids.iter().any(|&k| (k as usize) <= i || (k as usize) >= n) {
                    return Err(format!(
                        "a boosted tree's node {i} points to a node that is not below it"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The threshold on a raw value `v` that decides as `threshold` decides on its
/// standardised value `(v as f64 - mean) / std` (the arithmetic of [`Standardizer`]):
/// the least `f32` whose standardised value is at least `threshold`. Standardising is
/// monotone (a widening, then a subtraction and a division by `std > 0`, each correctly
/// rounded), so `v >= raw` exactly when the standardised `v` is `>= threshold`. Found by
/// bisection over the `f32`s in order, from −∞ to +∞ (no NaN lies between).
pub(crate) fn raw_threshold(threshold: f64, mean: f64, std: f64) -> f32 {
    let standardised = |v: f32| (v as f64 - mean) / std;
    // the f32s in increasing order are the u32s in increasing order under this map
    let key = |v: f32| {
        let b = v.to_bits();
        if b >> 31 == 1 {
            !b
        } else {
            b | 1 << 31
        }
    };
    let value = |k: u32| f32::from_bits(if k >> 31 == 1 { k & !(1 << 31) } else { !k });
    let (mut lo, mut hi) = (key(f32::NEG_INFINITY), key(f32::INFINITY));
    if standardised(f32::NEG_INFINITY) >= threshold {
        return f32::NEG_INFINITY;
    }
    // every f32 below `lo` falls short; `hi` reaches the threshold (+∞ does: it is finite)
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if standardised(value(mid)) >= threshold {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    value(hi)
}

/// Marks a leaf in [`Node::column`].
const LEAF: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Split threshold on the raw value (an `f32`, widened), or the leaf's value.
    value: f64,
    /// Split column, or [`LEAF`].
    column: u32,
    left: u32,
    right: u32,
    missing: u32,
}

/// Where one label's ensemble sits in the table: its base score and its trees' roots.
#[derive(Debug, Clone)]
struct Span {
    base_score: f64,
    /// Index of each tree's root in [`TreeTable::nodes`].
    roots: Vec<u32>,
}

/// Rows scored together by [`TreeTable::score_rows`].
const CHUNK_ROWS: usize = 32;

/// Deepest trees given the complete layout; deeper ensembles are walked node by node.
const MAX_COMPLETE_DEPTH: u32 = 10;

/// Every tree padded to a complete binary tree of one depth, so a walk is `depth` steps
/// of `index = 2 * index + 1 + (value >= threshold)` with no branch to mispredict, and
/// the walks of several rows through one tree overlap in the processor. A leaf above
/// the full depth is copied to every leaf below it (the splits in between do not
/// matter). This layout knows no missing values: rows holding a NaN take the node walk.
#[derive(Debug, Clone)]
struct Complete {
    depth: u32,
    /// Split columns, `2^depth - 1` per tree, trees in table order.
    columns: Vec<u16>,
    /// Split thresholds on the raw values, like `columns`.
    thresholds: Vec<f32>,
    /// Leaf values, `2^depth` per tree.
    leaves: Vec<f64>,
}

/// All the boosted ensembles of one classifier, laid out for prediction.
#[derive(Debug, Clone, Default)]
pub struct TreeTable {
    nodes: Vec<Node>,
    /// One entry per label; `None` where the label had no positive example.
    ensembles: Vec<Option<Span>>,
    /// The same trees in the complete layout, when they are shallow enough.
    complete: Option<Complete>,
}

impl TreeTable {
    /// Lay out fitted ensembles (one per label), fitted on rows standardised by `scaler`,
    /// to score raw rows. They must be valid ([`Ensemble::validate`]) for the scaler's
    /// columns.
    pub fn new<'a>(
        ensembles: impl IntoIterator<Item = Option<&'a Ensemble>>,
        scaler: &Standardizer,
    ) -> TreeTable {
        let mut nodes = Vec::new();
        let mut spans = Vec::new();
        for ensemble in ensembles {
            let Some(e) = ensemble else {
                spans.push(None);
                continue;
            };
            let mut roots = Vec::with_capacity(e.trees.len());
            for tree in &e.trees {
                let start = nodes.len() as u32;
                roots.push(start);
                for i in 0..tree.column.len() {
                    nodes.push(match tree.column[i] {
                        None => Node {
                            value: tree.value[i],
                            column: LEAF,
                            left: 0,
                            right: 0,
                            missing: 0,
                        },
                        Some(column) => Node {
                            value: raw_threshold(
                                tree.value[i],
                                scaler.mean[column as usize],
                                scaler.std[column as usize],
                            ) as f64,
                            column,
                            left: start + tree.left[i],
                            right: start + tree.right[i],
                            missing: start + tree.missing[i],
                        },
                    });
                }
            }
            spans.push(Some(Span {
                base_score: e.base_score,
                roots,
            }));
        }
        let ensembles = spans;
        let mut table = TreeTable {
            nodes,
            ensembles,
            complete: None,
        };
        table.complete = table.complete_layout();
        table
    }

    /// Roots of all trees, labels in order.
    fn roots(&self) -> impl Iterator<Item = u32> + '_ {
        self.ensembles
            .iter()
            .flatten()
            .flat_map(|e| e.roots.iter().copied())
    }

    /// Height of every node (a leaf is 0), in one pass from the last node back: children
    /// come after their parents, so theirs are known first. Linear even when a crafted
    /// file lets nodes share children, where walking every path would take 2^depth steps.
    fn heights(&self) -> Vec<u32> {
        let mut h = vec![0u32; self.nodes.len()];
        for i in (0..self.nodes.len()).rev() {
            let node = &self.nodes[i];
            if node.column != LEAF {
                h[i] = 1 + h[node.left as usize].max(h[node.right as usize]);
            }
        }
        h
    }

    fn complete_layout(&self) -> Option<Complete> {
        let heights = self.heights();
        let depth = self.roots().map(|r| heights[r as usize]).max().unwrap_or(0);
        if depth > MAX_COMPLETE_DEPTH {
            return None;
        }
        let internal = (1usize << depth) - 1;
        let trees = self.roots().count();
        let mut c = Complete {
            depth,
            columns: vec![0; trees * internal],
            thresholds: vec![0.0; trees * internal],
            leaves: vec![0.0; trees * (internal + 1)],
        };
        for (t, root) in self.roots().enumerate() {
            // (source node, position in the complete tree, its depth)
            let mut stack = vec![(root, 0usize, 0u32)];
            while let Some((i, pos, d)) = stack.pop() {
                let node = &self.nodes[i as usize];
                if d == depth {
                    c.leaves[t * (internal + 1) + pos - internal] = node.value;
                } else if node.column == LEAF {
                    // the leaf's value on every leaf below this position
                    let below = depth - d;
                    let first = ((pos + 1) << below) - 1 - internal;
                    let slots = &mut c.leaves[t * (internal + 1)..][first..first + (1 << below)];
                    slots.fill(node.value);
                } else {
                    c.columns[t * internal + pos] = u16::try_from(node.column).ok()?;
                    // exact: the node holds an f32 widened
                    c.thresholds[t * internal + pos] = node.value as f32;
                    stack.push((node.left, 2 * pos + 1, d + 1));
                    stack.push((node.right, 2 * pos + 2, d + 1));
                }
            }
        }
        Some(c)
    }

    /// Raw scores of many rows (`rows.len() / width` of them, row-major) for every label,
    /// into `out` (row-major, one column per label; labels without an ensemble get
    /// `None`). Same values as [`TreeTable::score_row`] on each row.
    pub fn score_rows(&self, rows: &[f32], width: usize, out: &mut [Option<f64>]) {
        // a few dozen rows at a time: their values stay in cache while every tree runs
        let labels = self.labels();
        for (r, o) in rows
            .chunks(width.max(1) * CHUNK_ROWS)
            .zip(out.chunks_mut(labels * CHUNK_ROWS))
        {
            self.score_chunk(r, width, o);
        }
    }

    fn score_chunk(&self, rows: &[f32], width: usize, out: &mut [Option<f64>]) {
        let labels = self.labels();
        let n = rows.len().checked_div(width).unwrap_or(0);
        let Some(c) = &self.complete else {
            for (row, o) in rows
                .chunks_exact(width.max(1))
                .zip(out.chunks_exact_mut(labels))
            {
                self.score_row(row, o);
            }
            return;
        };
        let has_nan: Vec<bool> = rows
            .chunks_exact(width.max(1))
            .map(|r| r.iter().any(|v| v.is_nan()))
            .collect();
        let internal = (1usize << c.depth) - 1;
        let mut sums = vec![0f64; n];
        let mut tree = 0;
        for (k, ensemble) in self.ensembles.iter().enumerate() {
            let Some(e) = ensemble else {
                for o in out.chunks_exact_mut(labels) {
                    o[k] = None;
                }
                continue;
            };
            sums.fill(e.base_score);
            for _ in &e.roots {
                let columns = &c.columns[tree * internal..][..internal];
                let thresholds = &c.thresholds[tree * internal..][..internal];
                let leaves = &c.leaves[tree * (internal + 1)..][..internal + 1];
                for (r, sum) in sums.iter_mut().enumerate() {
                    let row = &rows[r * width..][..width];
                    let mut pos = 0usize;
                    for _ in 0..c.depth {
                        // `>=` is `!(<)` here: rows holding a NaN are redone below
                        let go_right = row[columns[pos] as usize] >= thresholds[pos];
                        pos = 2 * pos + 1 + go_right as usize;
                    }
                    *sum += leaves[pos - internal];
                }
                tree += 1;
            }
            for (o, sum) in out.chunks_exact_mut(labels).zip(&sums) {
                o[k] = Some(*sum);
            }
        }
        // rows with a missing value: the node walk, which knows the missing branches
        for (r, nan) in has_nan.iter().enumerate() {
            if *nan {
                self.score_row(
                    &rows[r * width..][..width],
                    &mut out[r * labels..][..labels],
                );
            }
        }
    }

    /// Number of ensembles (labels).
    pub fn labels(&self) -> usize {
        self.ensembles.len()
    }

    /// Raw scores (log-odds) of one row for every label, into `out`; labels without an
    /// ensemble get `None`.
    pub fn score_row(&self, row: &[f32], out: &mut [Option<f64>]) {
        for (slot, ensemble) in out.iter_mut().zip(&self.ensembles) {
            *slot = ensemble.as_ref().map(|e| {
                let mut sum = e.base_score;
                for &root in &e.roots {
                    sum += self.leaf(root, row);
                }
                sum
            });
        }
    }

    #[inline]
    fn leaf(&self, root: u32, row: &[f32]) -> f64 {
        let mut node = &self.nodes[root as usize];
        while node.column != LEAF {
            let v = row[node.column as usize];
            let next = if v.is_nan() {
                node.missing
            } else if (v as f64) < node.value {
                node.left
            } else {
                node.right
            };
            node = &self.nodes[next as usize];
        }
        node.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain of splits whose both children are the next node: valid (children below
    /// their parent), 60 levels deep, and 2^60 paths. It must lay out and score at once.
    #[test]
    fn nodes_sharing_children_do_not_explode() {
        let n = 61;
        let tree = Tree {
            column: (0..n).map(|i| (i < n - 1).then_some(0)).collect(),
            value: (0..n).map(|i| if i < n - 1 { 0.5 } else { 2.0 }).collect(),
            left: (0..n as u32)
                .map(|i| if i < n as u32 - 1 { i + 1 } else { 0 })
                .collect(),
            right: (0..n as u32)
                .map(|i| if i < n as u32 - 1 { i + 1 } else { 0 })
                .collect(),
            missing: (0..n as u32)
                .map(|i| if i < n as u32 - 1 { i + 1 } else { 0 })
                .collect(),
        };
        let e = Ensemble {
            base_score: 1.0,
            trees: vec![tree],
        };
        e.validate(1).unwrap();
        let table = TreeTable::new([Some(&e)], &Standardizer::identity(1));
        assert!(table.complete.is_none(), "60 levels take the node walk");
        let mut out = vec![None; 2];
        table.score_rows(&[0.0, 1.0], 1, &mut out);
        assert_eq!(out, vec![Some(3.0), Some(3.0)]);
    }

    /// A raw threshold decides every value as the standardised threshold does: random
    /// scalers and thresholds, the values around the raw threshold, and extremes.
    #[test]
    fn raw_thresholds_decide_as_standardised_ones() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..2000 {
            let mean = rng.gen_range(-1e3..1e3) * rng.gen::<f64>().powi(4);
            let std = rng.gen_range(1e-4..1e3);
            let threshold = rng.gen_range(-50.0..50.0);
            let raw = raw_threshold(threshold, mean, std);
            let mut values = vec![
                raw,
                f32::from_bits(raw.to_bits().wrapping_add(1)),
                f32::from_bits(raw.to_bits().wrapping_sub(1)),
                0.0,
                -0.0,
                1.0,
                f32::MAX,
                f32::MIN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                (threshold * std + mean) as f32,
            ];
            values.extend((0..20).map(|_| rng.gen_range(-1e4f32..1e4)));
            for v in values.into_iter().filter(|v| !v.is_nan()) {
                assert_eq!(
                    v >= raw,
                    (v as f64 - mean) / std >= threshold,
                    "v {v} raw {raw} threshold {threshold} mean {mean} std {std}"
                );
            }
        }
    }
}
