//! The `chaff` command: classify pages, train models, evaluate them.
//!
//! A thin binary: [`flags`] turns arguments into a validated command, [`input`] reads
//! pages, and each command lives in its own module. The work is done by `chaff-extract`
//! and `chaff-learn`.
#![forbid(unsafe_code)]

mod classify;
mod evaluate;
mod features;
mod flags;
mod input;
mod records;
mod train;

use std::process::ExitCode;

use clap::Parser;

/// The default model, embedded at build time (see models/README.md).
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../../../models/chaff-default.json.gz");

fn main() -> ExitCode {
    let cli = flags::Cli::parse();
    let result = match cli.command {
        flags::Command::Classify(a) => classify::run(a),
        flags::Command::Train(a) => train::run(a),
        flags::Command::Join(a) => train::join(a),
        flags::Command::Eval(a) => evaluate::run(a),
        flags::Command::Features(a) => features::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // a closed pipe (e.g. `chaff classify ... | head`) is not an error
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("chaff: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ").replace('\n', " ")
}

/// Load the model named by `--model`, or the embedded default, with the page rules
/// `decision` changes.
pub fn load_model(
    path: Option<&std::path::Path>,
    decision: &flags::DecisionArgs,
) -> anyhow::Result<chaff_learn::Model> {
    let model = match path {
        Some(p) => chaff_learn::Model::load(p)?,
        None => chaff_learn::Model::from_bytes(DEFAULT_MODEL, "embedded default")?,
    };
    let rules = decision.apply(model.rules())?;
    Ok(model.with_rules(rules)?)
}

/// Files or folders named in one message: `a`, or `a, b`.
pub fn paths(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
