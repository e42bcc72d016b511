//! The cue tokens of a page's blocks: what the learned cue table of `chaff-learn` reads —
//! hashed class/id tokens of a block and of its ancestors, the words of its region title,
//! where its links go ([`crate::targets::BlockLinks::tokens`]) and the words of a short
//! block.

/// The groups of tokens, in column order.
pub const GROUPS: [&str; 5] = [
    "own_class",
    "ancestor_class",
    "heading_word",
    "link_target",
    "short_text",
];

/// The tokens the table reads of every block of a page, in one flat list: per block and
/// group of [`GROUPS`], sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageTokens {
    tokens: Vec<u32>,
    /// Where each block's group ends in `tokens` (block `i`'s group `g` at
    /// `GROUPS.len() * i + g`).
    ends: Vec<u32>,
}

impl PageTokens {
    /// Add the next block's tokens, one list per group of [`GROUPS`].
    pub fn push(&mut self, groups: [&[u32]; GROUPS.len()]) {
        for group in groups {
            let start = self.tokens.len();
            self.tokens.extend_from_slice(group);
            self.tokens[start..].sort_unstable();
            let mut kept = start;
            for i in start..self.tokens.len() {
                if kept == start || self.tokens[i] != self.tokens[kept - 1] {
                    self.tokens[kept] = self.tokens[i];
                    kept += 1;
                }
            }
            self.tokens.truncate(kept);
            self.ends.push(kept as u32);
        }
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.ends.len() / GROUPS.len()
    }

    /// Whether no block has been added.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The tokens of block `i` in group `g` (sorted, without repeats).
    pub fn group(&self, i: usize, g: usize) -> &[u32] {
        let k = i * GROUPS.len() + g;
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        &self.tokens[start..self.ends[k] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_sorted_without_repeats() {
        let mut t = PageTokens::default();
        t.push([&[5, 3, 5], &[], &[9, 1, 9, 1], &[], &[4, 4]]);
        t.push([&[], &[2, 2], &[7], &[], &[]]);
        assert_eq!(t.len(), 2);
        assert_eq!(
            [t.group(0, 0), t.group(0, 1), t.group(0, 2)],
            [&[3, 5][..], &[], &[1, 9]]
        );
        assert_eq!(
            [t.group(1, 0), t.group(1, 1), t.group(1, 2)],
            [&[][..], &[2], &[7]]
        );
        assert_eq!([t.group(0, 4), t.group(1, 4)], [&[4][..], &[]]);
    }
}
