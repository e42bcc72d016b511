//! Train a model on a dataset folder and save it: params → check → fit → model.
//!
//! ```sh
//! cargo run --release --example train -- datasets/mini /tmp/mini-model.json
//! ```

use std::path::PathBuf;

use chaff_extract::PageLimits;
use chaff_learn::{Dataset, LearnerParams, ModelParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data: PathBuf = args.next().unwrap_or_else(|| "datasets/mini".into()).into();
    let out: PathBuf = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("chaff-example-model.json"));
    // every page that can be read loads; each one that cannot is reported
    let loaded = Dataset::load(&data, PageLimits::default())?;
    for failure in &loaded.failures {
        eprintln!("skipped: {failure}");
    }
    // a small, quick configuration: logistic regression instead of boosted trees
    let params = ModelParams::default()
        .learner(LearnerParams::logistic())
        .seed(42)
        .check()?;
    let model = params.fit(loaded.dataset, &|step| eprintln!("training: {step}"))?;
    model.save(&out)?;
    let t = model.training();
    println!(
        "wrote {} ({} pages, {} blocks, {} outlets)",
        out.display(),
        t.pages,
        t.blocks,
        t.outlets.len()
    );
    Ok(())
}
