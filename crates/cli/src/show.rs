//! `chaff model`: what a model is, in a few lines, or the whole of it as JSON.

use std::io::Write;
use std::process::ExitCode;

use chaff_learn::Model;

use crate::flags::{DecisionArgs, ModelArgs};

pub fn run(args: ModelArgs) -> anyhow::Result<ExitCode> {
    let model = crate::load_model(args.model.as_deref(), &DecisionArgs::default())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        writeln!(out, "{}", model.to_json()?)?;
    } else {
        summary(&model, &mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(model: &Model, out: &mut impl Write) -> std::io::Result<()> {
    let t = model.training();
    let p = model.params();
    let r = model.rules();
    writeln!(
        out,
        "chaff model, written by chaff {}",
        model.chaff_version()
    )?;
    writeln!(
        out,
        "feature schema {} ({} features)",
        model.feature_schema().version,
        model.feature_schema().len()
    )?;
    writeln!(
        out,
        "members: {} (seeds {:?}), learner {}",
        p.members(),
        model.member_seeds(),
        p.learner()
    )?;
    writeln!(
        out,
        "trained on {} block-labelled pages ({} blocks) of {} outlets; article prior on {} \
         article-text pages of {} outlets",
        t.pages,
        t.blocks,
        t.outlets.len(),
        t.article_prior_pages,
        t.article_prior_outlets.len()
    )?;
    let words: Vec<String> = t
        .words_per_label
        .iter()
        .map(|(l, w)| format!("{l} {w}"))
        .collect();
    writeln!(out, "gold words: {}", words.join(", "))?;
    writeln!(
        out,
        "page rules: article fallback {}, prior rescue {}, confidence temperature {}",
        r.article_fallback, r.prior_rescue, r.confidence_temperature
    )?;
    if let Some(f) = &t.held_out_fold {
        writeln!(
            out,
            "fold {} of {} (fold seed {}), holding out {} outlets",
            f.fold,
            f.folds,
            f.seed,
            f.outlets.len()
        )?;
    }
    Ok(())
}
