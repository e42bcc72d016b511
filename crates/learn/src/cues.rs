//! A learned table of cue tokens: what a block's class/id tokens, the words of the
//! heading above it, where its links go and the words of a short block said about the
//! label on the outlets a model was trained on.
//!
//! The hashed buckets of the feature rows mix many tokens in one column, so a tree cannot
//! tell `related` from the other tokens that share its bucket. This table keeps each token
//! apart and stores what it meant on the training outlets: for every token seen on at
//! least [`MIN_OUTLETS`] outlets, the share of each label among the blocks that carry it.
//! Each outlet casts one vote per token, spread over the labels its blocks had, so a site
//! that repeats one class name on a thousand blocks counts as one site; the shares are
//! smoothed towards the labels' overall shares. A block then gets, for each group of its
//! tokens and each label, the highest share among its known tokens: a language's words
//! count only through the outlets that use them, never through a word list. The groups
//! ([`GROUPS`]) are the block's own class/id tokens, its ancestors', the words of its
//! region heading, its links' tokens (leading path segments on the page's own site, other
//! sites' names, query parameter names, in-page anchors, `mailto`-like schemes:
//! [`chaff_extract::targets::BlockLinks::tokens`]) and, for a block of at most six words,
//! its words.
//!
//! The columns follow the article prior's at the end of a row of the HTML head. For
//! training, each labelled page's columns come from a table fitted on the other folds'
//! outlets (as the context stage does), so the first stage learns how far a table
//! fitted elsewhere can be trusted.

use std::collections::{BTreeMap, HashMap};

use chaff_extract::Label;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use chaff_extract::tokens::GROUPS;

use crate::PageFeatures;

/// Outlets a token must be seen on to enter the table.
pub const MIN_OUTLETS: u32 = 2;
/// Weight, in outlets, of the labels' overall shares in a token's smoothed shares.
const SMOOTHING: f64 = 3.0;
/// Each known token's smoothed label shares, per group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CueTable {
    /// The labels' shares of all training blocks, in [`Label::ALL`] order.
    prior: [f32; 6],
    /// Per group of [`GROUPS`]: token → smoothed label shares.
    #[serde(deserialize_with = "groups_of_any_keys")]
    groups: Vec<BTreeMap<u32, [f32; 6]>>,
}

/// The groups as a model file holds them: JSON writes each token, a map key, as a string;
/// MessagePack made from that JSON keeps the string. Either reads as the number.
fn groups_of_any_keys<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<BTreeMap<u32, [f32; 6]>>, D::Error> {
    /// A token, as a number or as the string of one.
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    struct Token(u32);
    impl<'de> Deserialize<'de> for Token {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Token, D::Error> {
            struct Visit;
            impl serde::de::Visitor<'_> for Visit {
                type Value = Token;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a token: a 32-bit number, or its decimal string")
                }
                fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Token, E> {
                    u32::try_from(v).map(Token).map_err(E::custom)
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Token, E> {
                    v.parse().map(Token).map_err(E::custom)
                }
            }
            d.deserialize_any(Visit)
        }
    }
    let groups: Vec<BTreeMap<Token, [f32; 6]>> = Deserialize::deserialize(d)?;
    Ok(groups
        .into_iter()
        .map(|g| g.into_iter().map(|(Token(t), s)| (t, s)).collect())
        .collect())
}

impl CueTable {
    /// Fit the table to block-labelled pages; `outlets[i]` is the outlet of `views[i]`.
    pub fn fit(views: &[(&PageFeatures, &[Label])], outlets: &[&str]) -> CueTable {
        let mut by_outlet: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, o) in outlets.iter().enumerate().take(views.len()) {
            by_outlet.entry(o).or_default().push(i);
        }
        let mut prior = [0f64; 6];
        // per group: token → (summed per-outlet shares, outlets)
        let mut votes: Vec<BTreeMap<u32, ([f64; 6], u32)>> = vec![BTreeMap::new(); GROUPS.len()];
        for pages in by_outlet.values() {
            for (g, group_votes) in votes.iter_mut().enumerate() {
                let mut counts: HashMap<u32, [f64; 6]> = HashMap::new();
                for &i in pages {
                    let (page, labels) = views[i];
                    for (b, label) in labels.iter().enumerate().take(page.tokens.len()) {
                        for &t in page.tokens.group(b, g) {
                            counts.entry(t).or_default()[label.index()] += 1.0;
                        }
                    }
                }
                for (t, c) in counts {
                    let sum: f64 = c.iter().sum();
                    let v = group_votes.entry(t).or_insert(([0.0; 6], 0));
                    for (s, n) in v.0.iter_mut().zip(c) {
                        *s += n / sum;
                    }
                    v.1 += 1;
                }
            }
            for &i in pages {
                for l in views[i].1 {
                    prior[l.index()] += 1.0;
                }
            }
        }
        let total: f64 = prior.iter().sum::<f64>().max(1.0);
        let prior = prior.map(|c| c / total);
        let groups = votes
            .into_iter()
            .map(|group| {
                group
                    .into_iter()
                    .filter(|(_, (_, n))| *n >= MIN_OUTLETS)
                    .map(|(t, (shares, n))| {
                        let mut p = [0f32; 6];
                        for l in 0..6 {
                            p[l] = ((shares[l] + SMOOTHING * prior[l]) / (n as f64 + SMOOTHING))
                                as f32;
                        }
                        (t, p)
                    })
                    .collect()
            })
            .collect();
        CueTable {
            prior: prior.map(|p| p as f32),
            groups,
        }
    }

    /// Whether a table read from a model file has the shape this build reads.
    pub fn validate(&self) -> Result<(), String> {
        if self.groups.len() != GROUPS.len() {
            return Err(format!(
                "has {} groups of tokens, expected {}",
                self.groups.len(),
                GROUPS.len()
            ));
        }
        let finite = |p: &[f32; 6]| p.iter().all(|v| v.is_finite());
        if !finite(&self.prior) || !self.groups.iter().flat_map(|g| g.values()).all(finite) {
            return Err("holds a share that is not a finite number".into());
        }
        Ok(())
    }

    /// Tokens in the table, per group.
    pub fn known_tokens(&self) -> Vec<usize> {
        self.groups.iter().map(BTreeMap::len).collect()
    }

    /// Names of the table's columns, in order: per group, the highest share of each label
    /// among the block's known tokens (the labels' overall shares when it has none), then
    /// how many of its tokens the table knows.
    pub fn column_names(&self) -> Vec<String> {
        let mut n = Vec::new();
        for g in GROUPS {
            for l in Label::ALL {
                n.push(format!("cue_{g}_{}", l.as_str()));
            }
            n.push(format!("cue_{g}_known"));
        }
        n
    }

    /// Number of the table's columns.
    pub fn width(&self) -> usize {
        self.groups.len() * (Label::ALL.len() + 1)
    }

    /// The page's cue columns ([`CueTable::column_names`] order), one row per block.
    pub fn columns(&self, page: &PageFeatures) -> Array2<f32> {
        let width = self.width();
        let mut out = Array2::zeros((page.len(), width));
        for (b, mut row) in out
            .rows_mut()
            .into_iter()
            .enumerate()
            .take(page.tokens.len())
        {
            let mut c = 0;
            for (g, table) in self.groups.iter().enumerate() {
                let group = page.tokens.group(b, g);
                let mut best = [0f32; 6];
                let mut known = 0usize;
                for shares in group.iter().filter_map(|t| table.get(t)) {
                    known += 1;
                    for (b, s) in best.iter_mut().zip(shares) {
                        *b = b.max(*s);
                    }
                }
                if known == 0 {
                    best = self.prior;
                }
                for b in best {
                    row[c] = b;
                    c += 1;
                }
                row[c] = (known as f32).ln_1p();
                c += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaff_extract::FeatureRows;

    /// A page whose blocks have one own class/id token each (0: none).
    fn page(own: Vec<u32>) -> PageFeatures {
        let n = own.len();
        let mut tokens = chaff_extract::tokens::PageTokens::default();
        for t in own {
            let t: &[u32] = if t == 0 { &[] } else { &[t] };
            tokens.push([t, &[], &[], &[], &[]]);
        }
        PageFeatures {
            rows: FeatureRows {
                cols: 1,
                values: vec![0.0; n],
            },
            containers: vec![[None; chaff_extract::block::CONTAINER_LEVELS]; n],
            signatures: vec![[0; chaff_extract::block::CONTAINER_LEVELS]; n],
            headings: vec![false; n],
            words: vec![5; n],
            tokens,
        }
    }

    #[test]
    fn a_table_of_other_groups_is_refused() {
        let a = page(vec![7, 1]);
        let labels = [Label::Related, Label::Article];
        let mut table = CueTable::fit(&[(&a, &labels[..]), (&a, &labels[..])], &["a.com", "b.com"]);
        assert_eq!(table.columns(&a).ncols(), GROUPS.len() * 7);
        assert_eq!(table.validate(), Ok(()));
        table.groups.truncate(3);
        assert_eq!(
            table.validate(),
            Err("has 3 groups of tokens, expected 5".to_string())
        );
    }

    #[test]
    fn tokens_of_one_outlet_stay_out_and_shared_ones_say_their_label() {
        // token 7 marks related blocks on two outlets; token 9 appears on one only
        let a = page(vec![7, 7, 9, 1]);
        let b = page(vec![7, 1]);
        let la = [
            Label::Related,
            Label::Related,
            Label::Recent,
            Label::Article,
        ];
        let lb = [Label::Related, Label::Article];
        let table = CueTable::fit(&[(&a, &la[..]), (&b, &lb[..])], &["a.com", "b.com"]);
        assert_eq!(table.known_tokens(), vec![2, 0, 0, 0, 0]);
        let cols = table.columns(&page(vec![7, 9, 0]));
        let related = Label::Related.index();
        let known = Label::ALL.len();
        // two outlets voted all-related for token 7: (2 + 3 * prior) / (2 + 3)
        let prior_related = 3.0 / 6.0;
        let want = (2.0 + 3.0 * prior_related) / 5.0;
        assert!((cols[[0, related]] - want as f32).abs() < 1e-6);
        assert_eq!(cols[[0, known]], 1f32.ln_1p());
        // token 9 is unknown: the block gets the prior and no known token
        assert!((cols[[1, related]] - prior_related as f32).abs() < 1e-6);
        assert_eq!(cols[[1, known]], 0.0);
        assert_eq!(cols.row(1), cols.row(2));
    }

    #[test]
    fn one_outlet_repeating_a_token_counts_once() {
        // a.com puts token 5 on ten other blocks, b.com and c.com on one recent block each
        let mut ta = vec![5; 10];
        ta.push(2);
        let la: Vec<Label> = (0..11).map(|_| Label::Other).collect();
        let b = page(vec![5]);
        let c = page(vec![5]);
        let table = CueTable::fit(
            &[
                (&page(ta), &la[..]),
                (&b, &[Label::Recent][..]),
                (&c, &[Label::Recent][..]),
            ],
            &["a.com", "b.com", "c.com"],
        );
        let cols = table.columns(&page(vec![5]));
        // two outlets of three say recent: well above recent's 2 blocks in 13
        let (recent, other) = (Label::Recent.index(), Label::Other.index());
        assert!(cols[[0, recent]] > 2.0 * table.prior[recent]);
        assert!(cols[[0, other]] < table.prior[other]);
    }
}
