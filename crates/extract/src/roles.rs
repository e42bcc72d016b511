//! What each article block is to the article: its headline, a caption of one of its
//! images, or its body. LABELS.md counts all three as `article`; benchmarks of "main
//! text" (and trafilatura's and Readability's output) leave the headline and captions
//! out, so a user can build either from the roles.

use serde::Serialize;

use crate::block::SEMANTIC_TAGS;
use crate::{Label, Page};

/// The part of the article a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The article's title as the page shows it.
    Headline,
    /// A caption (or credit) of one of the article's images or tables.
    Caption,
    /// The rest: standfirst, paragraphs, subheadings, lists, quotes.
    Body,
}

impl Role {
    /// The role's name, as JSONL prints it: `headline`, `caption` or `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Headline => "headline",
            Role::Caption => "caption",
            Role::Body => "body",
        }
    }
}

/// Most words a headline has.
const HEADLINE_WORDS: usize = 30;
/// Words from which a block starts the body: the headline comes before it.
const BODY_START_WORDS: usize = 20;

/// The role of each block labelled article (`labels[i]` is block `i`'s), none for the
/// others. The headline is the first article block before the body starts (the first
/// article block of at least 20 words) that is an `h1`–`h3` element, or, when none is, that
/// shares at least half of the page title's words and has at most 30; captions are
/// article blocks of `figcaption` or `caption` elements or inside a `figure`.
pub fn article_roles(page: &Page, labels: &[Label]) -> Vec<Option<Role>> {
    let figure = SEMANTIC_TAGS
        .iter()
        .position(|t| *t == "figure")
        .expect("figure is a semantic tag");
    let article: Vec<usize> = (0..page.blocks.len().min(labels.len()))
        .filter(|&i| labels[i] == Label::Article)
        .collect();
    let body_start = article
        .iter()
        .position(|&i| page.blocks[i].words >= BODY_START_WORDS)
        .unwrap_or(article.len());
    let title: Vec<String> = crate::text::words(&page.title).collect();
    let shares_title = |i: usize| {
        let words: Vec<String> = crate::text::words(&page.blocks[i].text).collect();
        !title.is_empty()
            && words.len() <= HEADLINE_WORDS
            && 2 * title.iter().filter(|w| words.contains(w)).count() >= title.len()
    };
    let before_body = &article[..body_start];
    let headline = before_body
        .iter()
        .copied()
        .find(|&i| matches!(page.blocks[i].tag.as_str(), "h1" | "h2" | "h3"))
        .or_else(|| before_body.iter().copied().find(|&i| shares_title(i)));
    let mut roles = vec![None; page.blocks.len()];
    for &i in &article {
        let b = &page.blocks[i];
        roles[i] = Some(if Some(i) == headline {
            Role::Headline
        } else if matches!(b.tag.as_str(), "figcaption" | "caption") || b.within[figure] {
            Role::Caption
        } else {
            Role::Body
        });
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageLimits;

    fn roles(html: &str, labels: &[Label]) -> Vec<Option<Role>> {
        let page = Page::from_html(html, PageLimits::default()).unwrap();
        article_roles(&page, labels)
    }

    #[test]
    fn headline_captions_and_body() {
        use Label::*;
        let story = "The council met on Tuesday and decided about the bridge, the school, \
                     the library and the new market square after a long debate.";
        let html = format!(
            "<html><head><title>Council backs bridge | Gazette</title></head><body>\
             <nav><a href=/>Home</a></nav><h1>Council backs bridge</h1><p>{story}</p>\
             <figure><img src=a.jpg><figcaption>The old bridge</figcaption></figure>\
             <h2>What comes next</h2><p>{story}</p></body></html>"
        );
        let got = roles(
            &html,
            &[Directory, Article, Article, Article, Article, Article],
        );
        use Role::*;
        assert_eq!(
            got,
            [
                None,
                Some(Headline),
                Some(Body),
                Some(Caption),
                Some(Body),
                Some(Body)
            ]
        );
        // a headline that is no heading element: the block that shares the title's words
        let html = format!(
            "<html><head><title>Council backs bridge</title></head><body>\
             <div class=title>Council backs bridge</div><p>{story}</p></body></html>"
        );
        assert_eq!(
            roles(&html, &[Article, Article]),
            [Some(Headline), Some(Body)]
        );
        // a page without a headline before its body has none
        let html = format!("<p>{story}</p><h2>Council backs bridge</h2>");
        assert_eq!(roles(&html, &[Article, Article]), [Some(Body), Some(Body)]);
    }
}
