//! Block targets of a page whose gold is its article text: what the article prior learns.

use std::collections::HashMap;

use chaff_extract::Label;

use crate::dataset::{LabelledPage, PageGold};

/// Block targets of an article-text-only page: a block is `article` when at least half of
/// its words (and one at least) are found in the gold article text, each gold word used
/// once, in page order; `other` otherwise. No finer label is pretended. A page with block
/// labels gives them as they are.
pub fn article_targets(page: &LabelledPage) -> Vec<Label> {
    let PageGold::ArticleWords(gold) = &page.gold else {
        return page
            .block_labels()
            .map(<[Label]>::to_vec)
            .unwrap_or_default();
    };
    let blocks: Vec<Vec<String>> = page
        .texts
        .iter()
        .map(|t| chaff_extract::text::words(t).collect())
        .collect();
    let found = words_found(&blocks, gold);
    let mut at = 0;
    blocks
        .iter()
        .map(|words| {
            let hits = found[at..at + words.len()].iter().filter(|&&f| f).count();
            at += words.len();
            if !words.is_empty() && hits * 2 >= words.len() {
                Label::Article
            } else {
                Label::Other
            }
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        chaff_extract::text::words(s).collect()
    }

    #[test]
    fn each_gold_word_is_found_once_in_page_order() {
        let blocks = vec![words("the cat sat"), words("the cat")];
        let found = words_found(&blocks, &words("the cat sat"));
        assert_eq!(found, vec![true, true, true, false, false]);
    }
}
