//! The `chaff` command: classify pages, train models, evaluate them.
//!
//! A thin binary: [`flags`] turns arguments into a validated command, [`input`] reads
//! pages, and each command lives in its own module. The work is done by `chaff-extract`
//! and `chaff-learn`.
#![forbid(unsafe_code)]

mod annotate;
mod classify;
mod evaluate;
mod features;
mod flags;
mod input;
mod progress;
mod records;
mod report;
mod show;
mod train;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = flags::Cli::parse();
    let result = match cli.command {
        flags::Command::Classify(a) => classify::run(a),
        flags::Command::Train(a) => train::run(a),
        flags::Command::Join(a) => train::join(a),
        flags::Command::Eval(a) => evaluate::run(a),
        flags::Command::Features(a) => features::run(a),
        flags::Command::Model(a) => show::run(a),
        flags::Command::Annotate(a) => annotate::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // a closed pipe (e.g. `chaff classify ... | head`) is not an error
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("chaff: error: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// Whether the error is a closed pipe, as an I/O error or inside a JSON writer's.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| {
                c.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
            })
            == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// An error and its causes on one line, with the flag that raises a limit it hit.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    let hint = e
        .chain()
        .find_map(|c| match c.downcast_ref::<chaff_extract::Error>()? {
            chaff_extract::Error::PageTooLarge { .. } => Some(" (raise it with --max-page-bytes)"),
            chaff_extract::Error::TooManyBlocks { .. } => Some(" (raise it with --max-blocks)"),
            _ => None,
        })
        .unwrap_or_default();
    printable(&(parts.join(": ") + hint))
}

/// `s` with control characters (a newline, an escape sequence, a bell) shown escaped, so
/// that text from a page or a file name can neither forge lines nor reach the terminal.
pub fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A file name as chaff prints it: valid UTF-8 as it is, each byte that is not shown as
/// `\xNN`, control characters escaped: two names differ in print when they differ.
pub fn file_name(p: &std::path::Path) -> String {
    let mut out = String::new();
    for chunk in p.as_os_str().as_encoded_bytes().utf8_chunks() {
        out.push_str(&printable(chunk.valid()));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// Load the model named by `--model`, or the embedded default, with the page rules
/// `decision` changes.
pub fn load_model(
    path: Option<&std::path::Path>,
    decision: &flags::DecisionArgs,
) -> anyhow::Result<chaff_learn::Model> {
    let model = match path {
        Some(p) => chaff_learn::Model::load(p)?,
        None => chaff_default_model::load()?,
    };
    let rules = decision.apply(model.rules())?;
    Ok(model.with_rules(rules)?)
}

/// Write `bytes` to a temporary file beside `path`, then rename it into place: a reader
/// (or a crash) sees the old file or the new one, never half of one.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .with_context(|| format!("{}: cannot write", path.display()))
}

/// Files or folders named in one message: `a`, or `a, b`.
pub fn paths(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
