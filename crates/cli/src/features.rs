//! `chaff features`: print a page's feature rows.

use std::io::Write;
use std::process::ExitCode;

use chaff_extract::{FeatureRows, FeatureSchema};

use crate::flags::{FeaturesArgs, RowFormat};
use crate::input::{read_page, sources};

pub fn run(args: FeaturesArgs) -> anyhow::Result<ExitCode> {
    let (srcs, problems) = sources(std::slice::from_ref(&args.path), args.input);
    if let Some(p) = problems.first() {
        anyhow::bail!("{p}");
    }
    let src = srcs
        .first()
        .ok_or_else(|| anyhow::anyhow!("{}: no page found", args.path.display()))?;
    if srcs.len() > 1 {
        anyhow::bail!("{}: give one page, not a folder", args.path.display());
    }
    let page = read_page(src, args.limits.limits())
        .map_err(|e| anyhow::anyhow!("{}: {}", src.name(), crate::one_line(&e)))?;
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
            for (i, b) in page.blocks.iter().enumerate() {
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
                    "path": page.path(i),
                    "text": b.text,
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
