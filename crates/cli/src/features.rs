//! `chaff features`: print a page's feature rows.

use std::io::Write;
use std::process::ExitCode;

use chaff_extract::{FeatureRows, FeatureSchema};

use crate::flags::{FeaturesArgs, RowFormat};
use crate::input::{expand, jobs, Tally};

pub fn run(args: FeaturesArgs) -> anyhow::Result<ExitCode> {
    if args.path.is_dir() {
        anyhow::bail!("{}: give one page, not a folder", args.path.display());
    }
    let inputs = expand(std::slice::from_ref(&args.path));
    if let Some(problem) = inputs.problems.first() {
        anyhow::bail!("{problem}");
    }
    let files = inputs.files;
    let limits = args.limits.limits();
    let mut job = jobs(files, args.input, limits, Tally::default())
        .next()
        .ok_or_else(|| anyhow::anyhow!("{}: no page found", args.path.display()))?;
    let page = job
        .page(limits)
        .map_err(|e| anyhow::anyhow!("{}: {}", job.name, crate::one_line(&e)))?;
    let rows = FeatureRows::of_page(&page);
    let schema = FeatureSchema::current();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        RowFormat::Csv => {
            write!(out, "index,schema_version")?;
            for n in &schema.names {
                write!(out, ",{n}")?;
            }
            writeln!(out)?;
            for i in 0..rows.rows() {
                write!(out, "{i},{}", schema.version)?;
                for v in rows.row(i) {
                    write!(out, ",{v}")?;
                }
                writeln!(out)?;
            }
        }
        RowFormat::Jsonl => {
            let paths = page.paths();
            let labelled = page.carries_labels();
            for (i, (b, path)) in page.blocks.iter().zip(paths).enumerate() {
                let features: serde_json::Map<String, serde_json::Value> = schema
                    .names
                    .iter()
                    .zip(rows.row(i))
                    .map(|(n, v)| (n.clone(), serde_json::json!(v)))
                    .collect();
                let row = serde_json::json!({
                    "index": i,
                    "schema_version": schema.version,
                    "tag": b.tag,
                    "path": path,
                    "text": b.text,
                    "gold": b.gold.filter(|_| labelled).map(|l| l.as_str()),
                    "features": features,
                });
                serde_json::to_writer(&mut out, &row)?;
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
