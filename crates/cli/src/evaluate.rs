//! `chaff eval`: score a model, or cross-validate by outlet; tables or JSON.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use chaff_extract::Label;
use chaff_learn::eval::{
    compare, cross_validate, evaluate, prepare_fold_dir, Comparison, Difference, EvalReport,
    FoldModels, Folds, OutletRow,
};
use chaff_learn::{Dataset, Model, ModelParams, PageRules, ValidModelParams};

use crate::flags::{flag_error, EvalArgs};
use crate::train::load_data;

/// What `eval` scores.
enum Mode {
    /// Cross-validation with these folds, parameters and page rules.
    CrossValidate(Folds, ValidModelParams, PageRules),
    /// The held-out pages of a cross-validation, with the fold models saved in these
    /// folders (each fold's models joined into one).
    Folds(Vec<PathBuf>, FoldModels),
    /// One model.
    Model(Box<Model>),
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    // options, models and the report to compare with first: a bad one is reported
    // before any page is read
    let against = match args.against.as_deref() {
        Some(path) => Some((path, read_outlets(path)?)),
        None => None,
    };
    if let Some(path) = &args.report {
        crate::train::check_writable(path, "--report")?;
    }
    // the report lists the worst pages even when the tables do not
    let worst = if args.report.is_some() {
        args.errors.max(crate::report::WORST_PAGES)
    } else {
        args.errors
    };
    let mode = if let Some(k) = args.cv_by_domain {
        let folds = Folds {
            folds: k,
            fold_seed: args.fold_seed.unwrap_or(args.seed),
            labelled_share: args.labelled_share,
        }
        .check()
        .map_err(flag_error)?;
        let params = args
            .learner
            .apply(ModelParams::default())?
            .context(!args.no_context)
            .article_prior(!args.no_article_prior)
            .seed(args.seed)
            .check()
            .map_err(flag_error)?;
        let rules = args.decision.apply(PageRules::default())?;
        if let Some(dir) = &args.save_folds {
            prepare_fold_dir(dir, k).context("cannot make the folder for --save-folds ready")?;
        }
        Mode::CrossValidate(folds, params, rules)
    } else if !args.folds.is_empty() {
        // the page rules of the flags, checked before any model is read
        args.decision.apply(PageRules::default())?;
        let models = FoldModels::load(&args.folds)
            .with_context(|| {
                format!(
                    "{}: cannot be read as the fold models of --save-folds",
                    crate::paths(&args.folds)
                )
            })?
            .with_rules(|r| args.decision.over(r))?;
        Mode::Folds(args.folds.clone(), models)
    } else {
        Mode::Model(Box::new(crate::load_model(
            args.model.as_deref(),
            &args.decision,
        )?))
    };
    let (mut data, failed) = load_data(&args.data, args.limits.limits())?;
    let what = match &mode {
        Mode::CrossValidate(f, ..) => format!(
            "leave-outlet-out cross-validation, {} folds, of {}",
            f.folds,
            crate::paths(&args.data)
        ),
        Mode::Folds(dirs, _) => format!(
            "the fold models of {} on {}",
            crate::paths(dirs),
            crate::paths(&args.data)
        ),
        Mode::Model(_) => format!(
            "{} on {}",
            args.model
                .as_deref()
                .map(|m| m.display().to_string())
                .unwrap_or_else(|| "the default model".into()),
            crate::paths(&args.data)
        ),
    };
    let mut overlays = std::collections::BTreeMap::new();
    let mut report = match mode {
        Mode::CrossValidate(folds, params, rules) => {
            let scorer = cross_validate(
                &params,
                &rules,
                &data,
                &folds,
                args.save_folds.as_deref(),
                &|m| eprintln!("chaff: cross-validation {m}"),
            )?;
            scorer.report(worst)
        }
        Mode::Folds(dirs, models) => models
            .evaluate(&data)
            .with_context(|| {
                format!(
                    "{}: cannot score with these fold models",
                    crate::paths(&dirs)
                )
            })?
            .report(worst),
        Mode::Model(model) => {
            if args.unseen_outlets {
                // outlets of the six-class pages and of the article prior's pages
                let training = model.training();
                let seen: std::collections::HashSet<&String> = training
                    .outlets
                    .iter()
                    .chain(&training.article_prior_outlets)
                    .collect();
                let before = data.pages.len();
                data = Dataset {
                    pages: data
                        .pages
                        .into_iter()
                        .filter(|p| !seen.contains(&p.outlet))
                        .collect(),
                };
                eprintln!(
                    "chaff: scoring {} of {before} pages (outlets the model did not train on)",
                    data.pages.len()
                );
                if data.pages.is_empty() {
                    anyhow::bail!(
                        "{}: the model trained on the outlet of every page: nothing to score \
                         with --unseen-outlets",
                        crate::paths(&args.data)
                    );
                }
            }
            let report = evaluate(&model, &data).report(worst);
            overlays = match &args.report {
                Some(path) => write_overlays(path, &model, &data, &report, args.limits.limits())?,
                None => Default::default(),
            };
            report
        }
    };
    // a report that cannot be compared is found only now: the run's own report is
    // still printed (it may have taken an hour), then the error
    let refused = match &against {
        Some((path, other)) => match compare(&report.outlets, other) {
            Ok(c) => {
                report.compared = Some(c);
                None
            }
            Err(e) => Some(anyhow::Error::new(e).context(format!(
                "{}: cannot be compared with this run (its own scores are above)",
                path.display()
            ))),
        },
        None => None,
    };
    if let Some(path) = &args.report {
        crate::write_atomically(
            path,
            crate::report::html(&report, &what, &overlays)?.as_bytes(),
        )?;
        eprintln!("chaff: wrote the report to {}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, args.errors, against.map(|(path, _)| path));
    }
    // both failures are reported: the pages not read, then the refused comparison
    if failed > 0 {
        eprintln!(
            "chaff: {} could not be read and {} not scored (see above)",
            crate::progress::count(failed, "page", "pages"),
            if failed == 1 { "was" } else { "were" }
        );
    }
    if let Some(e) = refused {
        return Err(e);
    }
    if failed > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &EvalReport, errors: usize, against: Option<&Path>) {
    println!("pages: {}", r.pages);
    if let Some(s) = &r.six_class {
        println!(
            "\n{:<10} {:>7} {:>7} {:>7} {:>9}   {:>7} {:>7} {:>7} {:>7}",
            "label", "P(w)", "R(w)", "F1(w)", "words", "P(b)", "R(b)", "F1(b)", "blocks"
        );
        for l in Label::ALL {
            let w = s.words[&l];
            let b = s.blocks[&l];
            println!(
                "{:<10} {:>7.3} {:>7.3} {:>7.3} {:>9}   {:>7.3} {:>7.3} {:>7.3} {:>7}",
                l.as_str(),
                w.precision,
                w.recall,
                w.f1,
                w.support,
                b.precision,
                b.recall,
                b.f1,
                b.support
            );
        }
        println!(
            "macro-F1 over the five named labels: {:.3} (words), {:.3} (blocks)",
            s.macro_f1_words, s.macro_f1_blocks
        );
        if let Some(i) = &s.interval {
            let (lo, hi) = i.macro_f1_words;
            print!(
                "95% interval over words ({} draws of the {} outlets): macro-F1 {lo:.3}–{hi:.3}",
                i.resamples, i.outlets
            );
            for (l, (lo, hi)) in &i.f1_words {
                print!(", {} {lo:.3}–{hi:.3}", l.as_str());
            }
            println!();
        }
        println!("\nconfusion over words (rows gold, columns predicted):");
        print!("{:<10}", "");
        for l in Label::ALL {
            print!(" {:>9}", l.as_str());
        }
        println!();
        for g in Label::ALL {
            print!("{:<10}", g.as_str());
            for p in Label::ALL {
                print!(" {:>9}", s.confusion_words[g.index()][p.index()]);
            }
            println!();
        }
    }
    let a = &r.article;
    println!(
        "\narticle bag-of-words over {} pages: P {:.3}  R {:.3}  F1 {:.3}  (median F1 {:.3})",
        a.pages, a.precision, a.recall, a.f1, a.f1_median
    );
    for (kind, a) in &r.article_by_gold {
        println!(
            "  {kind} pages ({}): P {:.3}  R {:.3}  F1 {:.3}  (median F1 {:.3})",
            a.pages, a.precision, a.recall, a.f1, a.f1_median
        );
    }
    if let Some(c) = &r.calibration {
        println!(
            "calibration: expected calibration error {:.3} over blocks",
            c.ece
        );
        println!(
            "  a temperature of {:.3} (times the model's --confidence-temperature) fits \
             these blocks best; fitted on the others' blocks, each of five groups of \
             outlets would get an error of {:.3}",
            c.temperature, c.ece_tempered_held_out
        );
    }
    if let (Some(c), Some(path)) = (&r.compared, against) {
        print_comparison(c, path);
    }
    println!(
        "\n{:<40} {:>5} {:>9} {:>10}",
        "outlet", "pages", "word acc", "article F1"
    );
    for o in &r.outlets {
        let acc = o
            .word_accuracy
            .map(|a| format!("{a:.3}"))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<40} {:>5} {:>9} {:>10.3}",
            o.outlet, o.pages, acc, o.article_f1
        );
    }
    if errors > 0 {
        println!("\nworst pages:");
        for (p, s) in r.worst_pages.iter().take(errors) {
            println!("  {s:.3}  {p}");
        }
        println!("\nlargest mistakes (gold → predicted, words, page#block: text):");
        for m in &r.mistakes {
            println!(
                "  {} → {}  {:>4}  {}#{}: {}",
                m.gold, m.predicted, m.words, m.page, m.index, m.text
            );
        }
    }
}

/// Write the overlay of each of the report's worst pages into the report's overlay
/// folder; their addresses relative to the report, by page id. A page that cannot be
/// read again gets no overlay (and no link).
fn write_overlays(
    report_path: &Path,
    model: &Model,
    data: &Dataset,
    report: &EvalReport,
    limits: chaff_extract::PageLimits,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    use chaff_extract::write::{write_html, HtmlOptions};
    let dir = crate::report::overlay_dir(report_path);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot make the overlays' folder", dir.display()))?;
    let folder = dir
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut links = std::collections::BTreeMap::new();
    for (n, (id, _)) in report.worst_pages.iter().enumerate() {
        let Some(labelled) = data.pages.iter().find(|p| &p.id == id) else {
            continue;
        };
        let page = std::fs::read(&labelled.path)
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(chaff_extract::Page::from_html_bytes(b, None, limits)?));
        let Ok(page) = page else { continue };
        let labels: Vec<Label> = crate::classify::classify_page(model, &page, false)
            .iter()
            .map(|p| p.label)
            .collect();
        let file = crate::classify::page_file(&dir, n + 1, id);
        let mut out = Vec::new();
        write_html(
            &page,
            &labels,
            &mut out,
            HtmlOptions {
                overlay: true,
                block_numbers: false,
            },
        )?;
        std::fs::write(&file, out).with_context(|| format!("{}: cannot write", file.display()))?;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        links.insert(id.clone(), format!("{folder}/{name}"));
    }
    Ok(links)
}

/// The differences `compare` found between this run and the report at `path`.
fn print_comparison(c: &Comparison, path: &Path) {
    println!(
        "\nagainst {} (this run minus that one; 95% interval from {} draws of the outlets, \
         each scoring both runs; share of draws in which this run is higher):",
        path.display(),
        c.resamples
    );
    let line = |name: &str, d: &Difference| {
        let (lo, hi) = d.interval;
        println!(
            "  {name:<9} {:+.4}  ({lo:+.4} to {hi:+.4}; {:.0}%)",
            d.observed,
            100.0 * d.higher
        );
    };
    if let Some(s) = &c.six_class {
        println!("over words, {} outlets:", s.outlets);
        line("macro-F1", &s.macro_f1_words);
        for (l, d) in &s.f1_words {
            line(l.as_str(), d);
        }
    }
    let a = &c.article;
    println!(
        "article bag-of-words F1 per page, {} pages of {} outlets:",
        a.pages, a.outlets
    );
    line("F1", &a.f1);
}

/// The per-outlet rows of a report `chaff eval --json` wrote.
fn read_outlets(path: &Path) -> anyhow::Result<Vec<OutletRow>> {
    #[derive(serde::Deserialize)]
    struct Saved {
        outlets: Vec<OutletRow>,
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the report for --against", path.display()))?;
    let saved: Saved = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a report of `chaff eval --json` (its per-outlet rows)",
            path.display()
        )
    })?;
    Ok(saved.outlets)
}
