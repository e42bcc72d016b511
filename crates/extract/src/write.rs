//! Pages back out: the DOM with a label on every block, optionally as a safe overlay.

use std::collections::HashMap;
use std::io::Write;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use html5ever::serialize::{HtmlSerializer, SerializeOpts, Serializer, TraversalScope};
use html5ever::{LocalName, QualName};
use scraper::Node;

use crate::page::LABEL_ATTR;
use crate::{Error, Label, Page, Result};

/// How to write a labelled page.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlOptions {
    /// Make a self-contained page that shows each block outlined in its label's colour,
    /// with a legend; scripts, event handlers and external loads are removed.
    pub overlay: bool,
    /// With `overlay`: give each labelled element the numbers of the blocks it stands for
    /// (`data-blocks="3 7"`, from 0 in document order), so that a script of the page it
    /// is shown in (the annotator's) can tell which blocks a click means.
    pub block_numbers: bool,
}

/// The attribute [`HtmlOptions::block_numbers`] writes.
pub const BLOCKS_ATTR: &str = "data-blocks";

/// Colour of each label in the overlay.
pub fn label_colour(label: Label) -> &'static str {
    match label {
        Label::Article => "#1b9e3e",
        Label::Related => "#1f6feb",
        Label::Recent => "#d97706",
        Label::Directory => "#8b5cf6",
        Label::Copyright => "#dc2626",
        Label::Other => "#9ca3af",
    }
}

/// Elements that load or run something: dropped from an overlay with their content.
const UNSAFE_ELEMENTS: &[&str] = &[
    "script", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet", "link",
    "base", "meta", "template", "portal", "style", "svg", "math",
];
/// Attributes that load something: dropped from an overlay.
const LOADING_ATTRS: &[&str] = &[
    "src",
    "srcset",
    "href",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "ping",
    "xlink:href",
    "style",
    "manifest",
    "dynsrc",
    "lowsrc",
];
/// Elements that run or load something on their own: dropped, with their content, from
/// a page written in its second reading, where text a browser would not run may have
/// become markup.
const ACTIVE_ELEMENTS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "link",
    "meta",
];
/// Elements an overlay keeps, after the filters above, by the allow-list sanitizer: text
/// structure only. Any other element is dropped and its text kept.
const OVERLAY_TAGS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "article",
    "aside",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "i",
    "ins",
    "kbd",
    "li",
    "main",
    "mark",
    "nav",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
];
/// Attributes an overlay keeps on any element.
const OVERLAY_ATTRS: &[&str] = &[LABEL_ATTR, BLOCKS_ATTR, "lang", "dir", "colspan", "rowspan"];

/// Write `page` as HTML with `data-block-label` on each block's element, `labels[i]` being
/// the label of block `i`. Existing `data-block-label` attributes are replaced or removed.
/// A plain-text page is written as one `<p>` per block.
///
/// The page is serialised as it was parsed: a page kept in its second reading (a parser
/// without scripts, [`Page::without_scripts`]) is written as such, and without the
/// elements and attributes that run or load something on their own (links stay), since
/// markup there can be what a browser reads as text. An overlay is the labelled body,
/// cleaned by an allow-list sanitizer (`ammonia`: text structure and labels only, no
/// style, no address, no handler), inside chaff's own page with a legend and a
/// Content-Security-Policy: inert without that policy too.
pub fn write_html<W: Write>(
    page: &Page,
    labels: &[Label],
    mut out: W,
    opts: HtmlOptions,
) -> Result<()> {
    if page.dom.is_none() {
        let mut ser = serializer(out, false);
        return write_text_page(page, labels, &mut ser, opts).map_err(Error::Write);
    }
    if !opts.overlay {
        let filter = if page.without_scripts {
            Filter::Inert
        } else {
            Filter::None
        };
        return write_dom(page, labels, out, filter, None);
    }
    let mut body = Vec::new();
    write_dom(
        page,
        labels,
        &mut body,
        Filter::Overlay,
        Some(opts.block_numbers),
    )?;
    let clean = overlay_sanitizer()
        .clean(&String::from_utf8_lossy(&body))
        .to_string();
    let mut ser = serializer(&mut out, false);
    ser.write_doctype("html").map_err(Error::Write)?;
    ser.start_elem(qual("html"), std::iter::empty())
        .map_err(Error::Write)?;
    ser.start_elem(qual("head"), std::iter::empty())
        .map_err(Error::Write)?;
    write_overlay_head(&mut ser).map_err(Error::Write)?;
    ser.start_elem(qual("title"), std::iter::empty())
        .map_err(Error::Write)?;
    ser.write_text(&format!("chaff: {}", page.title))
        .map_err(Error::Write)?;
    ser.end_elem(qual("title")).map_err(Error::Write)?;
    ser.end_elem(qual("head")).map_err(Error::Write)?;
    ser.start_elem(qual("body"), std::iter::empty())
        .map_err(Error::Write)?;
    write_legend(&mut ser).map_err(Error::Write)?;
    drop(ser);
    out.write_all(clean.as_bytes()).map_err(Error::Write)?;
    out.write_all(b"</body></html>").map_err(Error::Write)
}

/// The allow-list sanitizer of an overlay's body.
fn overlay_sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::empty();
    b.tags(OVERLAY_TAGS.iter().copied().collect())
        .generic_attributes(OVERLAY_ATTRS.iter().copied().collect())
        .clean_content_tags(
            [
                "script", "style", "template", "noscript", "iframe", "object", "embed", "svg",
                "math",
            ]
            .into_iter()
            .collect(),
        )
        .link_rel(None)
        .strip_comments(true);
    b
}

/// What [`write_dom`] leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    /// Nothing: the page as it was.
    None,
    /// Elements and attributes that run or load something on their own; links stay.
    Inert,
    /// Everything that loads or runs something, and comments (an overlay's body).
    Overlay,
}

impl Filter {
    fn drops_element(self, name: &str) -> bool {
        match self {
            Filter::None => false,
            Filter::Inert => ACTIVE_ELEMENTS.contains(&name),
            Filter::Overlay => UNSAFE_ELEMENTS.contains(&name),
        }
    }

    fn keeps_attr(self, name: &str, value: &str) -> bool {
        if self == Filter::None {
            return true;
        }
        let name = name.to_ascii_lowercase();
        let value = value.trim_start().to_ascii_lowercase();
        let runs = name.starts_with("on")
            || ["javascript:", "vbscript:", "data:text/html"]
                .iter()
                .any(|s| value.starts_with(s));
        // a link stays in an inert page; an overlay keeps no address at all
        let loads =
            LOADING_ATTRS.contains(&name.as_str()) && !(self == Filter::Inert && name == "href");
        !(runs || loads)
    }
}

/// A serializer of whole nodes, with html5ever's scripting flag as the tree was parsed.
fn serializer<W: Write>(out: W, scripting: bool) -> HtmlSerializer<W> {
    HtmlSerializer::new(
        out,
        SerializeOpts {
            traversal_scope: TraversalScope::ChildrenOnly(None),
            scripting_enabled: scripting,
            ..SerializeOpts::default()
        },
    )
}

/// Write the labelled DOM of an HTML page, the whole document or (`body_only`, whether
/// with block numbers) the children of its body, leaving out what `filter` says.
fn write_dom<W: Write>(
    page: &Page,
    labels: &[Label],
    out: W,
    filter: Filter,
    body_only: Option<bool>,
) -> Result<()> {
    let numbered = body_only == Some(true);
    let body_only = body_only.is_some();
    let dom = page.dom.as_ref().expect("an HTML page has a DOM");
    // an element carries the label of its first block; a later run of its text with
    // another label has its text nodes wrapped in a labelled <span>
    let mut by_node: HashMap<NodeId, Label> = HashMap::new();
    for (b, &l) in page.blocks.iter().zip(labels) {
        if let Some(n) = b.node {
            by_node.entry(n).or_insert(l);
        }
    }
    // a run whose label is not its element's: written as a span of its own
    let wrapped = |i: usize| {
        let own = labels.get(i);
        let element = page
            .blocks
            .get(i)
            .and_then(|b| b.node)
            .and_then(|n| by_node.get(&n));
        own.is_some() && element != own
    };
    // the blocks each labelled element stands for, as `data-blocks` gives them
    let mut numbers: HashMap<NodeId, String> = HashMap::new();
    if numbered {
        let runs: std::collections::HashSet<usize> = page.run_texts.values().copied().collect();
        for (i, b) in page.blocks.iter().enumerate().take(labels.len()) {
            if let Some(n) = b.node {
                if !(runs.contains(&i) && wrapped(i)) {
                    let list = numbers.entry(n).or_default();
                    if !list.is_empty() {
                        list.push(' ');
                    }
                    list.push_str(&i.to_string());
                }
            }
        }
    }
    let span = QualName::new(None, html5ever::ns!(html), LocalName::from("span"));
    let mut ser = serializer(out, !page.without_scripts);
    let attr_name = QualName::new(None, "".into(), LocalName::from(LABEL_ATTR));
    let blocks_name = attr(BLOCKS_ATTR);
    let root = if body_only {
        let body = dom
            .root_element()
            .children()
            .find(|n| n.value().as_element().is_some_and(|e| e.name() == "body"));
        match body {
            Some(b) => b,
            None => return Ok(()),
        }
    } else {
        dom.tree.root()
    };
    let mut skipping = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if body_only && node.id() == root.id() {
                    // the body's own label, on a wrapper of its children
                    if let Some(l) = by_node.get(&node.id()) {
                        let mut attrs = vec![(&attr_name, l.as_str())];
                        if let Some(n) = numbers.get(&node.id()) {
                            attrs.push((&blocks_name, n));
                        }
                        ser.start_elem(qual("div"), attrs.into_iter())
                            .map_err(Error::Write)?;
                    }
                    continue;
                }
                if skipping > 0 {
                    if node.value().is_element() {
                        skipping += 1;
                    }
                    continue;
                }
                match node.value() {
                    Node::Doctype(d) => ser.write_doctype(d.name()).map_err(Error::Write)?,
                    Node::Comment(c) if filter != Filter::Overlay => {
                        ser.write_comment(c).map_err(Error::Write)?
                    }
                    Node::Text(t) => {
                        let run = page
                            .run_texts
                            .get(&node.id())
                            .filter(|&&i| wrapped(i))
                            .map(|&i| (i, labels[i]));
                        if let Some((i, l)) = run {
                            let number = i.to_string();
                            let mut attrs = vec![(&attr_name, l.as_str())];
                            if numbered {
                                attrs.push((&blocks_name, number.as_str()));
                            }
                            ser.start_elem(span.clone(), attrs.into_iter())
                                .map_err(Error::Write)?;
                        }
                        ser.write_text(t).map_err(Error::Write)?;
                        if run.is_some() {
                            ser.end_elem(span.clone()).map_err(Error::Write)?;
                        }
                    }
                    Node::Element(el) => {
                        if filter.drops_element(el.name()) {
                            skipping = 1;
                            continue;
                        }
                        let value = by_node.get(&node.id()).map(|l| l.as_str());
                        let mut attrs: Vec<(&QualName, &str)> = el
                            .attrs
                            .iter()
                            .filter(|(k, _)| &*k.local != LABEL_ATTR)
                            .filter(|(k, v)| filter.keeps_attr(&k.local, v))
                            .map(|(k, v)| (k, &**v))
                            .collect();
                        if let Some(v) = value {
                            attrs.push((&attr_name, v));
                        }
                        if let Some(n) = numbers.get(&node.id()) {
                            attrs.push((&blocks_name, n));
                        }
                        ser.start_elem(el.name.clone(), attrs.into_iter())
                            .map_err(Error::Write)?;
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if body_only && node.id() == root.id() {
                    if by_node.contains_key(&node.id()) {
                        ser.end_elem(qual("div")).map_err(Error::Write)?;
                    }
                    continue;
                }
                if let Node::Element(el) = node.value() {
                    if skipping > 0 {
                        skipping -= 1;
                        continue;
                    }
                    ser.end_elem(el.name.clone()).map_err(Error::Write)?;
                }
            }
        }
    }
    Ok(())
}

fn qual(name: &str) -> QualName {
    QualName::new(None, html5ever::ns!(html), LocalName::from(name))
}

fn attr(name: &str) -> QualName {
    QualName::new(None, "".into(), LocalName::from(name))
}

fn overlay_css() -> String {
    let mut css = String::from(
        "[data-block-label]{outline:2px solid var(--c);outline-offset:-1px}\
         #chaff-legend{position:fixed;top:8px;right:8px;z-index:2147483647;background:#fff;\
         color:#111;border:1px solid #111;padding:6px 10px;font:13px sans-serif}\
         #chaff-legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;\
         vertical-align:middle}",
    );
    for l in Label::ALL {
        css.push_str(&format!(
            "[data-block-label={l}]{{--c:{c}}} #chaff-legend .{l}{{background:{c}}}",
            c = label_colour(l)
        ));
    }
    css
}

fn write_overlay_head<W: Write>(ser: &mut HtmlSerializer<W>) -> std::io::Result<()> {
    let http_equiv = attr("http-equiv");
    let content = attr("content");
    let charset = attr("charset");
    ser.start_elem(qual("meta"), [(&charset, "utf-8")].into_iter())?;
    ser.end_elem(qual("meta"))?;
    ser.start_elem(
        qual("meta"),
        [
            (&http_equiv, "Content-Security-Policy"),
            (
                &content,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ),
        ]
        .into_iter(),
    )?;
    ser.end_elem(qual("meta"))?;
    ser.start_elem(qual("style"), std::iter::empty())?;
    ser.write_text(&overlay_css())?;
    ser.end_elem(qual("style"))
}

fn write_legend<W: Write>(ser: &mut HtmlSerializer<W>) -> std::io::Result<()> {
    let id = attr("id");
    let class = attr("class");
    ser.start_elem(qual("div"), [(&id, "chaff-legend")].into_iter())?;
    ser.write_text("chaff")?;
    for l in Label::ALL {
        ser.start_elem(qual("span"), [(&class, l.as_str())].into_iter())?;
        ser.end_elem(qual("span"))?;
        ser.write_text(l.as_str())?;
    }
    ser.end_elem(qual("div"))
}

fn write_text_page<W: Write>(
    page: &Page,
    labels: &[Label],
    ser: &mut HtmlSerializer<W>,
    opts: HtmlOptions,
) -> std::io::Result<()> {
    let label_attr = attr(LABEL_ATTR);
    ser.write_doctype("html")?;
    ser.start_elem(qual("html"), std::iter::empty())?;
    ser.start_elem(qual("head"), std::iter::empty())?;
    if opts.overlay {
        write_overlay_head(ser)?;
    } else {
        let charset = attr("charset");
        ser.start_elem(qual("meta"), [(&charset, "utf-8")].into_iter())?;
        ser.end_elem(qual("meta"))?;
    }
    ser.end_elem(qual("head"))?;
    ser.start_elem(qual("body"), std::iter::empty())?;
    if opts.overlay {
        write_legend(ser)?;
    }
    let blocks_attr = attr(BLOCKS_ATTR);
    for (i, (b, l)) in page.blocks.iter().zip(labels).enumerate() {
        let number = i.to_string();
        let mut attrs = vec![(&label_attr, l.as_str())];
        if opts.overlay && opts.block_numbers {
            attrs.push((&blocks_attr, number.as_str()));
        }
        ser.start_elem(qual("p"), attrs.into_iter())?;
        ser.write_text(&b.text)?;
        ser.end_elem(qual("p"))?;
    }
    ser.end_elem(qual("body"))?;
    ser.end_elem(qual("html"))
}

/// [`write_html`] into a string.
pub fn html_string(page: &Page, labels: &[Label], opts: HtmlOptions) -> Result<String> {
    let mut buf = Vec::new();
    write_html(page, labels, &mut buf, opts)?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PageLimits;

    #[test]
    fn labels_land_on_block_elements_and_reread() {
        let src = "<!DOCTYPE html><html><head><title>t</title></head><body>\
                   <p data-block-label=other>Story <b>text</b></p><ul><li><a href=/x>Link</a></li></ul></body></html>";
        let page = Page::from_html(src, PageLimits::default()).unwrap();
        let labels = [Label::Article, Label::Recent];
        let out = html_string(&page, &labels, HtmlOptions::default()).unwrap();
        assert!(
            out.contains(r#"<p data-block-label="article">Story <b>text</b></p>"#),
            "{out}"
        );
        assert!(out.contains(r#"<li data-block-label="recent">"#), "{out}");
        let again = Page::from_html(&out, PageLimits::default()).unwrap();
        let gold: Vec<_> = again.blocks.iter().map(|b| b.gold.unwrap()).collect();
        assert_eq!(gold, labels);
    }

    #[test]
    fn runs_of_one_element_keep_their_own_labels() {
        // the body's text before and after the paragraph is two blocks of one element
        let src = "<html><body>Intro <b>words</b><p>Story</p>tail <a href=/c>©</a> 2024\
                   <p>More</p>end</body></html>";
        let page = Page::from_html(src, PageLimits::default()).unwrap();
        let texts: Vec<_> = page.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Intro words", "Story", "tail © 2024", "More", "end"]
        );
        let labels = [
            Label::Directory,
            Label::Article,
            Label::Copyright,
            Label::Article,
            Label::Directory,
        ];
        let out = html_string(&page, &labels, HtmlOptions::default()).unwrap();
        assert!(
            out.contains(r#"<body data-block-label="directory">Intro"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<span data-block-label="copyright">tail </span>"#),
            "{out}"
        );
        let again = Page::from_html(&out, PageLimits::default()).unwrap();
        let gold: Vec<_> = again.blocks.iter().map(|b| b.gold.unwrap()).collect();
        assert_eq!(gold, labels);
    }

    #[test]
    fn overlay_removes_scripts_handlers_and_loads() {
        let src = "<html><head><script>alert(1)</script><link rel=stylesheet href=http://x/y.css>\
                   </head><body onload=evil()><p onclick=bad() style=\"background:url(http://t)\">Hi \
                   <a href=\"javascript:alert(1)\">there</a><img src=http://track/x.gif></p>\
                   <iframe src=http://x></iframe><noscript><img src=http://y></noscript></body></html>";
        let page = Page::from_html(src, PageLimits::default()).unwrap();
        let out = html_string(
            &page,
            &[Label::Article],
            HtmlOptions {
                overlay: true,
                ..HtmlOptions::default()
            },
        )
        .unwrap();
        let lower = out.to_lowercase();
        for bad in [
            "<script",
            "onload",
            "onclick",
            "javascript:",
            "http://",
            "<iframe",
            "<link",
        ] {
            assert!(!lower.contains(bad), "{bad} survived: {out}");
        }
        assert!(out.contains("Content-Security-Policy"));
        assert!(out.contains("chaff-legend"));
        assert!(out.contains(r#"data-block-label="article""#));
    }

    #[test]
    fn text_pages_become_paragraphs() {
        let page = Page::from_text("one\ntwo <b>\n", PageLimits::default()).unwrap();
        let out = html_string(
            &page,
            &[Label::Article, Label::Other],
            HtmlOptions::default(),
        )
        .unwrap();
        assert!(
            out.contains(r#"<p data-block-label="other">two &lt;b&gt;</p>"#),
            "{out}"
        );
    }

    /// With block numbers, every block is named by exactly one element of the overlay,
    /// runs of one element's text apart when their labels differ.
    #[test]
    fn block_numbers_name_each_block_once() {
        let html =
            "<html><body>Intro<p>Story <b>text</b> here</p>tail<ul><li><a href=/x>Link</a></li>\
                    <li>Two</li></ul></body></html>";
        let page = Page::from_html(html, crate::PageLimits::default()).unwrap();
        let n = page.blocks.len();
        assert!(n >= 4, "{n}");
        for labels in [
            vec![Label::Article; n],
            (0..n).map(|i| Label::ALL[i % 6]).collect::<Vec<_>>(),
        ] {
            let out = html_string(
                &page,
                &labels,
                HtmlOptions {
                    overlay: true,
                    block_numbers: true,
                },
            )
            .unwrap();
            let mut named: Vec<usize> = out
                .split("data-blocks=\"")
                .skip(1)
                .flat_map(|s| {
                    s[..s.find('"').unwrap()]
                        .split(' ')
                        .map(|x| x.parse::<usize>().unwrap())
                        .collect::<Vec<_>>()
                })
                .collect();
            named.sort();
            assert_eq!(named, (0..n).collect::<Vec<_>>(), "{out}");
        }
    }
}
