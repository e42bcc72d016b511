//! The context stage's inputs: what a block's neighbours and containers look like to the
//! first stage.
//!
//! A block's label depends on its region: the heading above a list, the container it
//! shares with its siblings, what comes before and after. The context stage sees, next to a
//! block's own features, the first stage's probabilities of the blocks around it, the
//! word-weighted mean probabilities of its containers, and those of its region's heading.

use chaff_extract::block::CONTAINER_LEVELS;
use chaff_extract::Label;
use ndarray::{Array2, ArrayView2};
use std::collections::HashMap;

use crate::Prepared;

const OFFSETS: [isize; 4] = [-2, -1, 1, 2];
/// Container levels whose mean probabilities are context.
const LEVELS: usize = 2;
/// How many blocks after a heading make up the region it introduces.
const REGION: usize = 6;

/// Names of the context columns, in order.
pub fn column_names() -> Vec<String> {
    let mut names = Vec::new();
    let mut group = |prefix: &str| {
        for l in Label::ALL {
            names.push(format!("ctx_{prefix}_{l}"));
        }
    };
    group("self");
    for off in OFFSETS {
        group(&format!("at{off:+}"));
    }
    for k in 1..=LEVELS {
        group(&format!("up{k}_mean"));
    }
    group("heading");
    group("region_after");
    names
}

/// The context columns of one page from its first-stage probabilities `p` (blocks × 6).
pub fn features(page: &Prepared, p: ArrayView2<f64>) -> Array2<f32> {
    let n = page.len();
    let cols = column_names().len();
    let mut out = Array2::zeros((n, cols));
    let k6 = Label::COUNT;

    // word-weighted mean probabilities per container
    let mut sums: Vec<HashMap<u32, (Vec<f64>, f64)>> = vec![HashMap::new(); LEVELS];
    for i in 0..n {
        let w = 1.0 + (page.words[i] as f64).ln_1p();
        for (k, level) in sums.iter_mut().enumerate() {
            if let Some(c) = page.containers[i][k.min(CONTAINER_LEVELS - 1)] {
                let e = level.entry(c).or_insert_with(|| (vec![0.0; k6], 0.0));
                for j in 0..k6 {
                    e.0[j] += w * p[[i, j]];
                }
                e.1 += w;
            }
        }
    }

    let mut last_heading: Option<usize> = None;
    for i in 0..n {
        let mut c = 0;
        let mut row = out.row_mut(i);
        for j in 0..k6 {
            row[c + j] = p[[i, j]] as f32;
        }
        c += k6;
        for off in OFFSETS {
            let t = i as isize + off;
            if t >= 0 && (t as usize) < n {
                for j in 0..k6 {
                    row[c + j] = p[[t as usize, j]] as f32;
                }
            }
            c += k6;
        }
        for (k, level) in sums.iter().enumerate() {
            if let Some((s, w)) = page.containers[i][k].and_then(|id| level.get(&id)) {
                for j in 0..k6 {
                    row[c + j] = (s[j] / w) as f32;
                }
            }
            c += k6;
        }
        if let Some(h) = last_heading {
            for j in 0..k6 {
                row[c + j] = p[[h, j]] as f32;
            }
        }
        c += k6;
        if page.headings[i] {
            let end = (i + 1 + REGION).min(n);
            if end > i + 1 {
                for t in i + 1..end {
                    for j in 0..k6 {
                        row[c + j] += (p[[t, j]] / (end - i - 1) as f64) as f32;
                    }
                }
            }
            last_heading = Some(i);
        }
    }
    out
}
