//! `chaff train` and `chaff join`: training, saved parameters and page rules.

use std::path::Path;
use std::process::Command;

use crate::util::*;

#[test]
fn train_then_eval_and_classify_with_the_trained_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = mini_model(dir.path());
    let o = chaff!(
        "eval",
        "--model",
        &model,
        "--data",
        "datasets/mini",
        "--errors",
        "3"
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for want in [
        "macro-F1",
        "95% interval over words (1000 draws of the 4 outlets)",
        "confusion",
        "article bag-of-words",
        "calibration",
        "(times the model's --confidence-temperature) fits these blocks best",
        "dailyplanet.example",
        "worst pages",
    ] {
        assert!(out.contains(want), "{want} missing from\n{out}");
    }
    let o = chaff!(
        "eval",
        "--model",
        &model,
        "--data",
        "datasets/mini",
        "--json"
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["pages"], 4);
    let temperature = report["calibration"]["temperature"].as_f64().unwrap();
    assert!(
        temperature > 0.0 && temperature.is_finite(),
        "{temperature}"
    );
    assert!(report["calibration"]["ece_tempered_held_out"].is_number());
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, &o.stdout).unwrap();
    let interval = &report["six_class"]["interval"];
    assert_eq!(interval["outlets"], 4);
    let (lo, hi) = (
        interval["macro_f1_words"][0].as_f64().unwrap(),
        interval["macro_f1_words"][1].as_f64().unwrap(),
    );
    let macro_f1 = report["six_class"]["macro_f1_words"].as_f64().unwrap();
    assert!(lo <= macro_f1 && macro_f1 <= hi, "{lo} {macro_f1} {hi}");
    assert!(
        report["six_class"]["words"]["article"]["f1"]
            .as_f64()
            .unwrap()
            > 0.8
    );
    let o = chaff!(
        "classify",
        "--model",
        &model,
        "--format",
        "jsonl",
        "datasets/examples/news.html"
    );
    assert!(o.status.success());
    // the cue table is on by default and --no-cues leaves it out
    let with: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert!(with["params"]["cues"].as_bool().unwrap());
    assert_eq!(
        with["members"][0]["cues"]["groups"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    let plain = dir.path().join("no-cues.json");
    let o = chaff!(
        "train",
        "--data",
        "datasets/mini",
        "--out",
        &plain,
        "--learner",
        "logistic",
        "--no-cues"
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let without: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&plain).unwrap()).unwrap();
    assert!(!without["params"]["cues"].as_bool().unwrap());
    assert!(without["members"][0].get("cues").is_none());
    assert!(without["members"][0].get("html").is_some());
    // cross-validation by outlet runs and reports, here against the model's report: the
    // difference of their scores
    let o = cv_logistic("datasets/mini".as_ref())
        .args(["--json", "--against"])
        .arg(&saved)
        .output()
        .expect("chaff runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let cv: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(cv["pages"], 4);
    let macro_of = |r: &serde_json::Value| r["six_class"]["macro_f1_words"].as_f64().unwrap();
    let model_report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    let observed = cv["compared"]["six_class"]["macro_f1_words"]["observed"]
        .as_f64()
        .unwrap();
    assert!((observed - (macro_of(&cv) - macro_of(&model_report))).abs() < 1e-9);
    assert_eq!(cv["compared"]["six_class"]["outlets"], 4);
    // and the difference of their article F1, averaged over the same 4 pages
    let article_of = |r: &serde_json::Value| r["article"]["f1"].as_f64().unwrap();
    let observed = cv["compared"]["article"]["f1"]["observed"]
        .as_f64()
        .unwrap();
    assert!((observed - (article_of(&cv) - article_of(&model_report))).abs() < 1e-9);
    assert_eq!(cv["compared"]["article"]["pages"], 4);
    // the model against its own report differs by nothing
    let against = |report: &Path| {
        chaff!(
            "eval",
            "--model",
            &model,
            "--data",
            "datasets/mini",
            "--against",
            report
        )
    };
    let o = against(&saved);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("over words, 4 outlets")
            && out.contains("macro-F1  +0.0000  (+0.0000 to +0.0000; 0%)")
            && out.contains("4 pages of 4 outlets:\n  F1        +0.0000  (+0.0000 to +0.0000; 0%)"),
        "{out}"
    );
    // a report of other outlets, or a file that is no report, is refused, named
    let mut fewer = model_report.clone();
    fewer["outlets"].as_array_mut().unwrap().pop();
    let fewer_file = dir.path().join("fewer.json");
    std::fs::write(&fewer_file, fewer.to_string()).unwrap();
    // (a file that is no report before any page is read; a report of other outlets
    // after the run, whose own scores are printed all the same)
    for (file, says, scored) in [
        (&fewer_file, "different outlets", true),
        (&model, "not a report", false),
    ] {
        let o = against(file);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            err.contains(&file.display().to_string()) && err.contains(says),
            "{err}"
        );
        assert_eq!(
            stdout(&o).contains("macro-F1 over the five named labels"),
            scored
        );
    }
    // model options out of range are refused before any training, saying which
    for (flag, value, says) in [
        (
            "--context-folds",
            "1",
            "--context-folds must be at least 2, got 1",
        ),
        ("--members", "0", "--members must be 1 to 16, got 0"),
        ("--trees", "0", "--trees must be above 0"),
        (
            "--article-fallback",
            "2",
            "--article-fallback must be in [0, 1]",
        ),
        ("--prior-rescue", "2", "--prior-rescue must be in [0, 1]"),
    ] {
        let out = dir.path().join("never.json");
        let o = chaff!(
            "train",
            "--data",
            "datasets/mini",
            "--out",
            &out,
            flag,
            value
        );
        assert!(!o.status.success(), "{flag} {value} was accepted");
        assert!(stderr(&o).contains(says), "{flag}: {}", stderr(&o));
        assert!(!out.exists());
    }
}

/// Two models of one seed each, joined, are the model `train --members 2` writes.
#[test]
fn join_makes_the_model_of_two_members() {
    let dir = tempfile::tempdir().unwrap();
    let train = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let o = Command::new(env!("CARGO_BIN_EXE_chaff"))
            .current_dir(root())
            .args([
                "train",
                "--data",
                "datasets/mini",
                "--learner",
                "logistic",
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .output()
            .expect("chaff runs");
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    let a = train("a.json", &[]);
    let b = train("b.json", &["--seed", "1042"]);
    let two = train("two.json", &["--members", "2"]);
    let joined = dir.path().join("joined.json");
    let o = chaff!("join", &a, &b, "--out", &joined);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read(&joined).unwrap() == std::fs::read(&two).unwrap(),
        "joined and trained two-member models differ"
    );
    let o = chaff!("join", &a, &a, "--out", &joined);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("a.json: cannot be joined"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("both trained with seed 42"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn page_rules_given_for_one_run_are_checked_and_saved_by_train() {
    let dir = tempfile::tempdir().unwrap();
    let o = chaff!(
        "classify",
        "--article-fallback",
        "3",
        "datasets/examples/news.html"
    );
    assert!(!o.status.success(), "--article-fallback 3 was accepted");
    assert!(
        stderr(&o).contains("--article-fallback must be in [0, 1], got 3"),
        "{}",
        stderr(&o)
    );
    let model = dir.path().join("vote.json");
    let o = chaff!(
        "train",
        "--data",
        "datasets/mini",
        "--out",
        &model,
        "--learner",
        "logistic",
        "--article-fallback",
        "0.25",
        "--confidence-temperature",
        "0.8"
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(saved["params"]["article_fallback"], 0.25);
    assert_eq!(saved["params"]["confidence_temperature"], 0.8);
    let o = chaff!(
        "classify",
        "--confidence-temperature",
        "0",
        "datasets/examples/news.html"
    );
    assert!(
        !o.status.success(),
        "--confidence-temperature 0 was accepted"
    );
    assert!(
        stderr(&o).contains("--confidence-temperature"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        saved["params"]["prior_rescue"], 0.05,
        "the others keep their defaults"
    );
}

#[test]
fn train_reports_unusable_pages_and_still_writes() {
    let dir = tempfile::tempdir().unwrap();
    let data = two_page_dataset(dir.path());
    std::fs::write(
        data.join("manifest.jsonl"),
        concat!(
            r#"{"id":"a","file":"dailyplanet.html","domain":"a.example"}"#,
            "\n",
            r#"{"id":"b","file":"gazette.html","domain":"b.example"}"#,
            "\n",
            r#"{"id":"c","file":"../../etc/passwd"}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("m.json");
    let o = train_quick(&data, &out);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not inside the dataset folder"),
        "{}",
        stderr(&o)
    );
    assert!(out.exists());
}

/// Without a terminal, long work still says where it is: a line per stage, with the
/// classifiers fitted so far out of the run's.
#[test]
fn train_reports_its_stages_to_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let (_, o) = train_mini(dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    // no article-text pages, so no prior; each of two heads fits its first stage, three
    // context-fold models, its context stage and three calibration models
    for stage in [
        "reading pages",
        "training: first stage (0 of 16 fits done)",
        "training: context folds (1 of 16 fits done)",
        "training: context stage (4 of 16 fits done)",
        "training: calibration (5 of 16 fits done)",
        "training: text head (8 of 16 fits done)",
    ] {
        assert!(err.contains(stage), "no line for {stage}: {err}");
    }
    assert!(err.lines().all(|l| l.starts_with("chaff: ")), "{err}");
}

/// `chaff model` says what a model is; `--json` gives the model file's form.
#[test]
fn model_shows_how_it_was_trained() {
    let o = chaff!("model");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("members: 1 (seeds [42])"), "{out}");
    assert!(out.contains("confidence temperature 0.85"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let model = mini_model(dir.path());
    let o = chaff!("model", "--model", &model, "--json");
    let shown: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(shown, file);
    let o = chaff!("model", "--model", &model);
    assert!(stdout(&o).contains("logistic regression"), "{}", stdout(&o));
}
