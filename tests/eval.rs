//! `chaff eval`: scoring a model, cross-validation, saved fold models, and agreement
//! with the reference scorer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::*;

/// [`cv_logistic`] on datasets/mini, a JSON report, each fold's model saved in `folds`,
/// with `extra` arguments.
fn cv_mini(folds: &Path, extra: &[&str]) -> Output {
    cv_logistic("datasets/mini".as_ref())
        .args(["--json", "--save-folds"])
        .arg(folds)
        .args(extra)
        .output()
        .expect("chaff runs")
}

#[test]
fn saved_fold_models_score_the_cross_validation_again() {
    let dir = tempfile::tempdir().unwrap();
    let folds = dir.path().join("folds");
    // a fold model left by an earlier run with more folds is not read as one of this run's
    std::fs::create_dir(&folds).unwrap();
    std::fs::write(folds.join("fold-3.json.gz"), "stale").unwrap();
    let cv = cv_mini(&folds, &[]);
    assert!(cv.status.success(), "{}", stderr(&cv));
    for f in ["fold-1.json.gz", "fold-2.json.gz"] {
        assert!(folds.join(f).exists(), "{f} not written");
    }
    assert!(
        !folds.join("fold-3.json.gz").exists(),
        "a stale fold model was kept"
    );
    let again = chaff!(
        "eval",
        "--folds",
        &folds,
        "--data",
        "datasets/mini",
        "--json"
    );
    assert!(again.status.success(), "{}", stderr(&again));
    let cv: serde_json::Value = serde_json::from_slice(&cv.stdout).unwrap();
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        cv, again,
        "the fold models score the held-out pages as the run did"
    );
    // the page rules can be changed for one run, and are checked as in training
    let o = chaff!(
        "eval",
        "--folds",
        &folds,
        "--data",
        "datasets/mini",
        "--article-fallback",
        "0.3"
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = chaff!(
        "eval",
        "--folds",
        &folds,
        "--data",
        "no-such-folder",
        "--prior-rescue",
        "2"
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--prior-rescue") && !stderr(&o).contains("no-such-folder"),
        "{}",
        stderr(&o)
    );
    // fold models out of order are refused before any page is read, naming the file
    std::fs::copy(folds.join("fold-2.json.gz"), folds.join("fold-1.json.gz")).unwrap();
    let o = chaff!("eval", "--folds", &folds, "--data", "no-such-folder");
    assert!(!o.status.success(), "fold 2's model scored fold 1's pages");
    assert!(
        !stderr(&o).contains("no-such-folder")
            && stderr(&o).contains(&*folds.to_string_lossy())
            && stderr(&o).contains("fold-1.json.gz is fold 2 of 2")
            && stderr(&o).contains("not the folds of one cross-validation"),
        "{}",
        stderr(&o)
    );
    // a folder without fold models says what it holds and what writes them
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = chaff!("eval", "--folds", &empty, "--data", "datasets/mini");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("empty") && stderr(&o).contains("--save-folds"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_labelled_share_trains_the_folds_on_fewer_outlets() {
    let dir = tempfile::tempdir().unwrap();
    // the fold models' training outlets, over both folds
    let outlets = |folds: &Path| -> BTreeSet<String> {
        (1..=2)
            .flat_map(|f| {
                read_fold(folds, f)["training"]["outlets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (all, full) = cv_mini_in(dir.path(), "all", &[]);
    let (some, part) = cv_mini_in(dir.path(), "some", &["--labelled-share", "0.75"]);
    let (all, some) = (outlets(&all), outlets(&some));
    // datasets/mini has four outlets: three are kept, and they are among the four
    assert_eq!(all.len(), 4);
    assert_eq!(some.len(), 3);
    assert!(some.is_subset(&all));
    // every page is still held out and scored
    assert_eq!(full["pages"], 4);
    assert_eq!(part["pages"], 4);
    for bad in ["0", "1.5", "NaN"] {
        let o = chaff!(
            "eval",
            "--cv-by-domain",
            "2",
            "--labelled-share",
            bad,
            "--data",
            "no-such-folder"
        );
        assert!(!o.status.success(), "--labelled-share {bad} was accepted");
        assert!(
            stderr(&o).contains("--labelled-share") && !stderr(&o).contains("no-such-folder"),
            "{}",
            stderr(&o)
        );
    }
    // a fold with no labelled page to train on is an error, not a report without its pages:
    // two pages of one outlet (the folder below the dataset root), so one fold is empty
    let one = dir.path().join("one-outlet");
    std::fs::create_dir_all(one.join("site")).unwrap();
    for page in ["gazette.html", "techbyte.html"] {
        std::fs::copy(
            root().join("datasets/mini").join(page),
            one.join("site").join(page),
        )
        .unwrap();
    }
    let o = cv_logistic(&one).output().expect("chaff runs");
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("of 2 has no block-labelled page to train on"),
        "{}",
        stderr(&o)
    );
}

/// A saved fold model, as JSON.
fn read_fold(dir: &Path, f: usize) -> serde_json::Value {
    let file = std::fs::File::open(dir.join(format!("fold-{f}.json.gz"))).unwrap();
    serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap()
}

/// [`cv_mini`] saving its folds in `dir/name`, which must succeed: that folder and the
/// JSON report.
fn cv_mini_in(dir: &Path, name: &str, extra: &[&str]) -> (PathBuf, serde_json::Value) {
    let folds = dir.join(name);
    let o = cv_mini(&folds, extra);
    assert!(o.status.success(), "{}", stderr(&o));
    (folds, serde_json::from_slice(&o.stdout).unwrap())
}

/// Write `model` as fold `f`'s model in `dir`.
fn write_fold(dir: &Path, f: usize, model: &serde_json::Value) {
    let file = std::fs::File::create(dir.join(format!("fold-{f}.json.gz"))).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    serde_json::to_writer(&mut gz, model).unwrap();
    gz.finish().unwrap();
}

/// Make the two fold models in `dir` claim each other's held-out outlets, or, with
/// `forget`, record none.
fn change_held_out_outlets(dir: &Path, forget: bool) {
    let outlets: Vec<serde_json::Value> = (1..=2)
        .map(|f| read_fold(dir, f)["training"]["held_out_fold"]["outlets"].clone())
        .collect();
    for f in 1..=2 {
        let mut m = read_fold(dir, f);
        let held_out = &mut m["training"]["held_out_fold"];
        if forget {
            held_out.as_object_mut().unwrap().remove("outlets");
        } else {
            held_out["outlets"] = outlets[2 - f].clone();
        }
        write_fold(dir, f, &m);
    }
}

#[test]
fn fold_seed_holds_out_the_same_pages_for_another_training_seed() {
    let dir = tempfile::tempdir().unwrap();
    let cv = |name: &str, extra: &[&str]| cv_mini_in(dir.path(), name, extra);
    let outlets = |m: &serde_json::Value| m["training"]["outlets"].clone();
    let (base, _) = cv("base", &["--seed", "42"]);
    let (other, _) = cv("other", &["--seed", "2"]);
    let (fixed, report) = cv("fixed", &["--seed", "2", "--fold-seed", "42"]);
    // seed 2 draws other folds than 42 on these pages, so the check below can fail
    assert_ne!(
        outlets(&read_fold(&base, 1)),
        outlets(&read_fold(&other, 1))
    );
    for f in 1..=2 {
        let (b, x) = (read_fold(&base, f), read_fold(&fixed, f));
        assert_eq!(
            outlets(&b),
            outlets(&x),
            "fold {f} trained on other outlets"
        );
        assert_eq!(x["params"]["seed"], 2, "the fold model's training seed");
        let held_out = &x["training"]["held_out_fold"];
        assert_eq!(
            (&held_out["fold"], &held_out["folds"], &held_out["seed"]),
            (&f.into(), &2.into(), &42.into())
        );
        assert_eq!(
            held_out["outlets"], b["training"]["held_out_fold"]["outlets"],
            "fold {f} held out other outlets"
        );
    }
    // the saved folds are found again by the seed that drew them, not the training seed
    let again = chaff!(
        "eval",
        "--folds",
        &fixed,
        "--data",
        "datasets/mini",
        "--json"
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        report,
        serde_json::from_slice::<serde_json::Value>(&again.stdout).unwrap()
    );
    // fold models that claim each other's held-out outlets would score pages their
    // model trained on: refused, naming a page
    change_held_out_outlets(&fixed, false);
    let o = chaff!("eval", "--folds", &fixed, "--data", "datasets/mini");
    assert!(
        !o.status.success(),
        "fold models scored their own training pages"
    );
    assert!(
        stderr(&o).contains("trained on its outlet"),
        "{}",
        stderr(&o)
    );
    // fold models that do not record the outlets they held out are refused, by name
    change_held_out_outlets(&fixed, true);
    let o = chaff!("eval", "--folds", &fixed, "--data", "datasets/mini");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("fold-1.json.gz") && stderr(&o).contains("outlets"),
        "{}",
        stderr(&o)
    );
    // --fold-seed belongs to a cross-validation
    let o = chaff!("eval", "--fold-seed", "3", "--data", "datasets/mini");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--cv-by-domain"), "{}", stderr(&o));
}

/// Fold models record the outlets they held out, so their held-out pages are found again
/// when a page of the run can no longer be read, which moves the folds drawn anew.
#[test]
fn saved_folds_find_their_pages_when_one_can_no_longer_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let (folds, report) = cv_mini_in(dir.path(), "folds", &[]);
    // datasets/mini with the gazette's page gone
    let fewer = dir.path().join("fewer");
    std::fs::create_dir(&fewer).unwrap();
    for entry in std::fs::read_dir(root().join("datasets/mini")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "gazette.html" {
            std::fs::copy(&path, fewer.join(path.file_name().unwrap())).unwrap();
        }
    }
    let o = chaff!("eval", "--folds", &folds, "--data", &fewer, "--json");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("gazette.html"), "{}", stderr(&o));
    let again: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outlets = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["outlets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["outlet"] != "example.de")
            .cloned()
            .collect()
    };
    assert_eq!(again["pages"], 3);
    assert_eq!(
        outlets(&again),
        outlets(&report),
        "the other pages are scored by the models that held them out in the run"
    );
}

/// Two cross-validations on the same folds, given to --folds together, score what a
/// cross-validation of two-member models scores: their fold models are its members.
#[test]
fn folds_of_two_seeds_score_as_models_of_two_members() {
    let dir = tempfile::tempdir().unwrap();
    let cv = |name: &str, extra: &[&str]| cv_mini_in(dir.path(), name, extra);
    let (a, _) = cv("a", &[]);
    let (b, _) = cv("b", &["--seed", "1042", "--fold-seed", "42"]);
    let (_, two) = cv("two", &["--members", "2"]);
    let joined = chaff!(
        "eval",
        "--folds",
        &a,
        "--folds",
        &b,
        "--data",
        "datasets/mini",
        "--json"
    );
    assert!(joined.status.success(), "{}", stderr(&joined));
    assert_eq!(
        two,
        serde_json::from_slice::<serde_json::Value>(&joined.stdout).unwrap()
    );
    let members = &read_fold(&dir.path().join("two"), 1)["members"];
    assert_eq!(members[0]["seed"], 42);
    assert_eq!(members[1]["seed"], 1042);
    // one run twice is not two draws; folds drawn by another seed are not the same folds
    let (other, _) = cv("other", &["--seed", "2"]);
    for (second, why) in [
        (&a, "both trained with seed 42"),
        (&other, "fold-1.json.gz cannot be joined"),
    ] {
        let o = chaff!(
            "eval",
            "--folds",
            &a,
            "--folds",
            second,
            "--data",
            "datasets/mini"
        );
        assert!(!o.status.success(), "{} was joined", second.display());
        assert!(stderr(&o).contains(why), "{}", stderr(&o));
    }
}

/// The Python that can run ../shared/tools/evaluate.py: $CHAFF_PYTHON (set by .ci/run to a
/// virtualenv with html5lib, lxml, resiliparse and chardet), else python3 if it has them.
/// Without chardet, html5lib reads a UTF-8 page that declares no charset as windows-1252,
/// and the reference's gold words come out garbled.
fn reference_python() -> Option<String> {
    let candidates = [
        std::env::var("CHAFF_PYTHON").ok(),
        Some("python3".to_string()),
    ];
    for py in candidates.into_iter().flatten() {
        let ok = Command::new(&py)
            .args(["-c", "import html5lib, lxml, resiliparse, chardet"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    skip("no Python with html5lib, lxml, resiliparse and chardet (see .ci/run), so the reference scorer did not run");
    None
}

#[test]
fn eval_agrees_with_the_reference_scorer() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let Some(python) = reference_python() else {
        return;
    };
    // the first 25 labelled pages, as a dataset of their own
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(corpus.join("labelled/manifest.jsonl")).unwrap();
    let lines: Vec<&str> = manifest.lines().take(25).collect();
    for line in &lines {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let file = row["file"].as_str().unwrap();
        std::fs::copy(corpus.join("labelled").join(file), dir.path().join(file)).unwrap();
    }
    std::fs::write(dir.path().join("manifest.jsonl"), lines.join("\n") + "\n").unwrap();
    let reference = dir.path().join("reference.json");
    let o = Command::new(&python)
        .arg(root().join("../shared/tools/evaluate.py"))
        .arg(dir.path())
        .args(["--chaff", env!("CARGO_BIN_EXE_chaff"), "--json"])
        .arg(&reference)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&reference).unwrap()).unwrap();
    let reference = &reference["chaff"];
    let o = chaff!("eval", "--data", dir.path(), "--json");
    assert!(o.status.success(), "{}", stderr(&o));
    let ours: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let close = |what: &str, a: f64, b: f64| {
        assert!(
            (a - b).abs() <= 0.01,
            "{what}: chaff eval {a:.4}, evaluate.py {b:.4}"
        )
    };
    close(
        "article F1",
        ours["article"]["f1"].as_f64().unwrap(),
        reference["F1"].as_f64().unwrap(),
    );
    close(
        "article P",
        ours["article"]["precision"].as_f64().unwrap(),
        reference["P"].as_f64().unwrap(),
    );
    close(
        "article R",
        ours["article"]["recall"].as_f64().unwrap(),
        reference["R"].as_f64().unwrap(),
    );
    let six = &reference["six_class"];
    close(
        "macro-F1",
        ours["six_class"]["macro_f1_words"].as_f64().unwrap(),
        six["macro_F1_named"].as_f64().unwrap(),
    );
    for l in LABELS {
        close(
            l,
            ours["six_class"]["words"][l]["f1"].as_f64().unwrap(),
            six[l]["F1"].as_f64().unwrap(),
        );
    }
}
