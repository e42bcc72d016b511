use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a block of a page is for. The meaning of each label is in the corpus's LABELS.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// The content the page exists for.
    Article,
    /// Links and teasers chosen for this page's topic.
    Related,
    /// Feeds of other stories not chosen for this page's topic.
    Recent,
    /// Site navigation and link directories.
    Directory,
    /// Copyright and rights notices.
    Copyright,
    /// Everything else.
    Other,
}

impl Label {
    /// All labels, in their canonical order (the order of class indices in a model).
    pub const ALL: [Label; 6] = [
        Label::Article,
        Label::Related,
        Label::Recent,
        Label::Directory,
        Label::Copyright,
        Label::Other,
    ];
    /// The five named labels that macro-F1 is averaged over.
    pub const NAMED: [Label; 5] = [
        Label::Article,
        Label::Related,
        Label::Recent,
        Label::Directory,
        Label::Copyright,
    ];
    /// Number of labels.
    pub const COUNT: usize = 6;

    /// The label's name as written in `data-block-label`.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Article => "article",
            Label::Related => "related",
            Label::Recent => "recent",
            Label::Directory => "directory",
            Label::Copyright => "copyright",
            Label::Other => "other",
        }
    }

    /// Position of the label in [`Label::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label at position `i` of [`Label::ALL`].
    pub fn from_index(i: usize) -> Option<Label> {
        Label::ALL.get(i).copied()
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Label {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Label> {
        Label::ALL
            .into_iter()
            .find(|l| l.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| crate::Error::UnknownLabel(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in Label::ALL {
            assert_eq!(l.as_str().parse::<Label>().unwrap(), l);
            assert_eq!(Label::from_index(l.index()), Some(l));
        }
        assert!("articles".parse::<Label>().is_err());
        assert_eq!(" Recent ".parse::<Label>().unwrap(), Label::Recent);
    }
}
