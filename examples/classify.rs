//! Classify one page with the default model: bytes → page → features → labelled blocks.
//!
//! ```sh
//! cargo run --example classify -- datasets/examples/news.html
//! ```

use chaff_extract::{Page, PageFeatures, PageLimits};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "datasets/examples/news.html".into());
    let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    // decoded as a browser would (byte-order mark, <meta charset>, else a guess), then
    // parsed and cut into blocks
    let page = Page::from_html_bytes(bytes, None, PageLimits::default())
        .map_err(|e| format!("{path}: {e}"))?;
    // the default model, as the `chaff` binary embeds it
    let model = chaff_default_model::load()?;
    let predictions = model.predict(&PageFeatures::of_page(&page), false);
    for (block, p) in page.blocks.iter().zip(&predictions) {
        let text: String = block.text.chars().take(70).collect();
        println!("{:<9} {:.2}  {text}", p.label.as_str(), p.confidence);
    }
    Ok(())
}
