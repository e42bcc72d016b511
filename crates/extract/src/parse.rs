//! Text to DOM: html5ever's tokenizer and tree builder into a `scraper` document, with a
//! cap on nesting as browsers have.
//!
//! html5ever checks the stack of open elements on every start tag, so a page of a
//! hundred thousand nested elements costs time in the square of its depth. Browsers cap
//! the depth their parser builds (Chromium at 512); so does chaff: a start tag that
//! would open an element deeper than [`MAX_DEPTH`] is left out before the tree builder
//! sees it (its end tag too), and what it held goes to the element at the cap — the
//! page is flattened there, its text kept. Raw-text elements (`<script>`, `<style>`,
//! `<title>`, …) and void elements always pass, so the tokenizer reads what follows them
//! as it would.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts};
use html5ever::{LocalName, TokenizerResult};
use scraper::{Html, HtmlTreeSink};

/// Deepest element the parser builds.
pub const MAX_DEPTH: usize = 512;

/// Elements whose content the tokenizer reads as text: never left out.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "title",
    "textarea",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
];
/// Elements without content: they never make the page deeper.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr",
];

/// Parse a document as a browser with scripts does (`scripting`), or as a parser without
/// scripts does (`<noscript>` content is markup), nesting capped at [`MAX_DEPTH`].
pub fn parse_document(html: &str, scripting: bool) -> Html {
    let builder = TreeBuilder::new(
        HtmlTreeSink::new(Html::new_document()),
        TreeBuilderOpts {
            scripting_enabled: scripting,
            ..TreeBuilderOpts::default()
        },
    );
    let tokenizer = Tokenizer::new(
        Capped {
            builder,
            left_out: RefCell::new(Vec::new()),
        },
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html));
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    let Capped { builder, .. } = tokenizer.sink;
    builder.sink.0.into_inner()
}

/// The tree builder behind a filter that leaves out start tags past the cap.
struct Capped {
    builder: TreeBuilder<ego_tree::NodeId, HtmlTreeSink>,
    /// Names of the start tags left out, whose end tags are left out too.
    left_out: RefCell<Vec<LocalName>>,
}

impl Capped {
    /// The depth of the newest node: where the next element goes, give or take one.
    fn depth(&self) -> usize {
        let html = self.builder.sink.0.borrow();
        html.tree
            .nodes()
            .next_back()
            .map_or(0, |n| n.ancestors().count())
    }
}

impl TokenSink for Capped {
    type Handle = ego_tree::NodeId;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<Self::Handle> {
        if let Token::TagToken(tag) = &token {
            let name: &str = &tag.name;
            match tag.kind {
                TagKind::StartTag
                    if !tag.self_closing
                        && !RAW_TEXT.contains(&name)
                        && !VOID.contains(&name)
                        && self.depth() >= MAX_DEPTH =>
                {
                    self.left_out.borrow_mut().push(tag.name.clone());
                    return TokenSinkResult::Continue;
                }
                TagKind::EndTag if self.left_out.borrow().last() == Some(&tag.name) => {
                    self.left_out.borrow_mut().pop();
                    return TokenSinkResult::Continue;
                }
                _ => {}
            }
        }
        self.builder.process_token(token, line_number)
    }

    fn end(&self) {
        self.builder.end()
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_of_deepest(html: &Html) -> usize {
        html.tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn nesting_past_the_cap_is_flattened_and_its_text_kept() {
        let n = 5_000;
        let page = format!(
            "<html><body>{}deep text{}<p>after</p></body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let html = parse_document(&page, true);
        assert!(depth_of_deepest(&html) <= MAX_DEPTH + 2);
        let text: String = html.root_element().text().collect();
        assert!(
            text.contains("deep text") && text.contains("after"),
            "{text}"
        );
    }

    #[test]
    fn pages_within_the_cap_parse_as_html5ever_parses_them() {
        let page = "<!DOCTYPE html><html><head><title>T</title><noscript><p>x</p></noscript>\
                    </head><body><table><tr><td>a<td>b</table><p>one<p>two<ul><li>i<li>j</ul>\
                    <b><i>bold</b> italic</i><script>if (a<b) {}</script></body></html>";
        for scripting in [true, false] {
            let ours = parse_document(page, scripting);
            let opts = html5ever::ParseOpts {
                tree_builder: TreeBuilderOpts {
                    scripting_enabled: scripting,
                    ..TreeBuilderOpts::default()
                },
                ..Default::default()
            };
            use html5ever::tendril::TendrilSink;
            let theirs =
                html5ever::parse_document(HtmlTreeSink::new(Html::new_document()), opts).one(page);
            assert_eq!(ours.html(), theirs.html(), "scripting {scripting}");
        }
    }
}
