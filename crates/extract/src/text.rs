//! Words as the scorer counts them: lowercased runs of Unicode word characters.
//!
//! A word character is what Python's `\w` matches: a letter (Lu, Ll, Lt, Lm, Lo), a number
//! (Nd, Nl, No) or `_`. Combining marks split words, exactly as in the reference scorer.

use unicode_general_category::{get_general_category, GeneralCategory as G};

/// Whether `c` is a word character in the sense of Python's `re` `\w`.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    matches!(
        get_general_category(c),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::DecimalNumber
            | G::LetterNumber
            | G::OtherNumber
    )
}

/// The words of `text`, lowercased, in order.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    raw_words(text).map(str::to_lowercase)
}

/// The word runs of `text` as slices, not lowercased.
pub fn raw_words(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
}

/// Number of words in `text`.
pub fn word_count(text: &str) -> usize {
    raw_words(text).count()
}

/// Collapse every run of white space to one space and trim the ends.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for w in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_python_w() {
        let w: Vec<_> = words("Hello, World! it's 2021_x — Ünïcode 東京").collect();
        assert_eq!(
            w,
            ["hello", "world", "it", "s", "2021_x", "ünïcode", "東京"]
        );
        // a combining mark (U+0301) splits a word, as Python's \w does
        assert_eq!(word_count("cafe\u{301}s"), 2);
        assert_eq!(word_count("   "), 0);
    }

    #[test]
    fn collapses_whitespace() {
        assert_eq!(collapse_whitespace("  a \n\t b\u{a0}c "), "a b c");
    }
}
