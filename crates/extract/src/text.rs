//! Words as the scorer counts them: lowercased runs of Unicode word characters.
//!
//! A word character is what Python's `\w` matches: a letter (Lu, Ll, Lt, Lm, Lo), a number
//! (Nd, Nl, No) or `_`. Combining marks split words, exactly as in the reference scorer.

use std::borrow::Cow;

use unicode_general_category::{get_general_category, GeneralCategory as G};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Characters that are invisible in a text and split the word a search looks for: the
/// soft hyphen, the zero-width space, the word joiner and the byte-order mark. The
/// zero-width (non-)joiners stay: they shape Persian, Indic scripts and emoji.
const INVISIBLE: [char; 4] = ['\u{ad}', '\u{200b}', '\u{2060}', '\u{feff}'];

/// Text as people search it: without soft hyphens and zero-width spaces, in Unicode
/// normalisation form C (`u` + combining diaeresis becomes `ü`). Borrowed when there is
/// nothing to change.
pub fn searchable(text: &str) -> Cow<'_, str> {
    let invisible = text.contains(INVISIBLE);
    if !invisible && is_nfc_quick(text.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter(|c| !INVISIBLE.contains(c))
            .nfc()
            .collect(),
    )
}

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
    fn searchable_text_is_nfc_without_soft_hyphens() {
        // "Wäh­rend" with a soft hyphen and the a-umlaut decomposed
        let raw = "Wa\u{308}h\u{ad}rend\u{200b}er";
        assert_eq!(searchable(raw), "Währender");
        assert!(matches!(searchable("plain text"), Cow::Borrowed(_)));
        // the zero-width non-joiner of Persian stays
        assert_eq!(searchable("می\u{200c}خواهم"), "می\u{200c}خواهم");
    }

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
