//! `chaff eval`: score a model, or cross-validate by outlet; tables or JSON.

use std::process::ExitCode;

use chaff_extract::Label;
use chaff_learn::eval::{cross_validate, evaluate, EvalReport};
use chaff_learn::{Dataset, ModelParams};

use crate::flags::EvalArgs;
use crate::train::load_data;

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    // options first: a bad one is reported before any page is read
    let cv = match args.cv_by_domain {
        Some(k) => Some((
            k,
            args.learner
                .apply(ModelParams::default())?
                .context(!args.no_context)
                .article_prior(!args.no_article_prior)
                .seed(args.seed)
                .check()?,
        )),
        None => None,
    };
    let (mut data, failed) = load_data(&args.data, args.limits.limits())?;
    let report = match cv {
        Some((k, params)) => {
            let scorer = cross_validate(&params, &data, k, &|m| {
                eprintln!("chaff: cross-validation {m}")
            })?;
            scorer.report(args.errors)
        }
        None => {
            let model = crate::load_model(args.model.as_deref())?;
            if args.unseen_outlets {
                // outlets of the six-class pages and of the article prior's pages
                let seen: std::collections::HashSet<&String> = model
                    .training
                    .outlets
                    .iter()
                    .chain(&model.training.article_prior_outlets)
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
            }
            evaluate(&model, &data).report(args.errors)
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, args.errors);
    }
    if failed > 0 {
        eprintln!("chaff: {failed} pages could not be read and were not scored (see above)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &EvalReport, errors: usize) {
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
        for (p, s) in &r.worst_pages {
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
