//! `chaff train`: fit a model on labelled pages and write it atomically; `chaff join`:
//! make one model of models trained with other seeds.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use chaff_learn::{Dataset, Model, ModelParams, PageRules};

use crate::flags::{JoinArgs, TrainArgs};
use crate::progress::{count, Progress};

/// Load every dataset folder, reporting pages that cannot be used; returns the dataset and
/// the number of failures.
pub fn load_data(
    dirs: &[std::path::PathBuf],
    limits: chaff_extract::PageLimits,
) -> anyhow::Result<(Dataset, usize)> {
    let mut data = Dataset::default();
    let mut failed = 0;
    for dir in dirs {
        let loaded = Dataset::load(dir, limits)?;
        for e in &loaded.failures {
            eprintln!("chaff: {e}");
        }
        failed += loaded.failures.len();
        data.extend(loaded.dataset);
    }
    if data.pages.is_empty() {
        let why = if failed > 0 {
            "none of its pages could be used (see above)"
        } else {
            "no pages found (datasets/README.md says what a dataset folder holds)"
        };
        anyhow::bail!("{}: {why}", crate::paths(dirs));
    }
    Ok((data, failed))
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    // options first: a bad one is reported before any page is read
    let params = args
        .learner
        .apply(ModelParams::default())?
        .context(!args.no_context)
        .article_prior(!args.no_article_prior)
        .text_head(!args.no_text_head)
        .seed(args.seed)
        .check()
        .map_err(crate::flags::flag_error)?;
    let rules = args.decision.apply(PageRules::default())?;
    check_writable(&args.out, "--out")?;
    let progress = Progress::new("pages");
    progress.stage("reading pages");
    let (data, failed) = load_data(&args.data, args.limits.limits())?;
    let labelled = data.labelled().count();
    let outlets = data
        .labelled()
        .map(|pg| &pg.outlet)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let article_text = data.pages.len() - labelled;
    progress.stage(&format!(
        "training on {} labelled block by block from {}{}",
        count(labelled, "page", "pages"),
        count(outlets, "outlet", "outlets"),
        if article_text > 0 {
            format!(
                " and {} of article text",
                count(article_text, "page", "pages")
            )
        } else {
            String::new()
        }
    ));
    let model = params
        .fit(data, &|step| progress.training(step))?
        .with_rules(rules)?;
    model.save(&args.out)?;
    progress.finish();
    eprintln!(
        "chaff: wrote {} ({} pages, {} blocks, {} outlets) in {:.1}s",
        args.out.display(),
        model.training().pages,
        model.training().blocks,
        model.training().outlets.len(),
        start.elapsed().as_secs_f64()
    );
    if failed > 0 {
        eprintln!(
            "chaff: {} could not be used (see above)",
            count(failed, "page", "pages")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Fail now, not after an hour of training, when the model cannot be written to `out`:
/// its folder must exist and take a new file.
pub fn check_writable(out: &std::path::Path, flag: &str) -> anyhow::Result<()> {
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if out.is_dir() {
        anyhow::bail!("{}: {flag} names a folder; give a file name", out.display());
    }
    if !dir.is_dir() {
        anyhow::bail!(
            "{}: the folder of {flag} {} does not exist",
            dir.display(),
            out.display()
        );
    }
    let probe = dir.join(format!(".chaff-write-check.{}", std::process::id()));
    std::fs::File::create(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .with_context(|| format!("{}: cannot write into the folder of {flag}", dir.display()))
}

pub fn join(args: JoinArgs) -> anyhow::Result<ExitCode> {
    check_writable(&args.out, "--out")?;
    let models = args
        .models
        .iter()
        .map(|path| Ok(Model::load(path)?))
        .collect::<anyhow::Result<Vec<Model>>>()?;
    let model = Model::join(models)
        .with_context(|| format!("{}: cannot be joined", crate::paths(&args.models)))?;
    model.save(&args.out)?;
    eprintln!(
        "chaff: wrote {} ({} members, seeds {:?})",
        args.out.display(),
        model.params().members(),
        model.member_seeds()
    );
    Ok(ExitCode::SUCCESS)
}
