use std::path::Path;

use chaff_extract::{Label, PageLimits};
use ndarray::{Array2, Axis, Slice};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::fit::fit_temperature;
use super::predict::predict_joined;
use super::rules::{article_fallback, prior_rescue, temper};
use super::*;
use crate::context;
use crate::dataset::Dataset;
use crate::learner::LearnerParams;
use crate::PageFeatures;

/// A label drawn from the probabilities `q`: the gold of a test block whose true
/// probabilities are known.
pub(crate) fn draw_label(rng: &mut impl rand::Rng, q: &[f64; 6]) -> Label {
    let mut u: f64 = rng.gen();
    for (j, v) in q.iter().enumerate() {
        if u < *v {
            return Label::ALL[j];
        }
        u -= v;
    }
    Label::ALL[q.iter().rposition(|&v| v > 0.0).unwrap_or(0)]
}

#[test]
fn the_temperature_undoes_overconfidence() {
    use rand::Rng;
    // true probabilities of three labels, gold labels drawn from them, and a model that
    // reports them sharpened (temperature 0.5): the fit should find about 2
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut probs = Array2::zeros((4000, 6));
    let mut labels = Vec::new();
    for i in 0..4000 {
        let mut q = [0.0; 6];
        for v in q.iter_mut().take(3) {
            *v = rng.gen_range(0.05..1.0);
        }
        let sum: f64 = q.iter().sum();
        q.iter_mut().for_each(|v| *v /= sum);
        labels.push(draw_label(&mut rng, &q));
        temper(&mut q, 0.5);
        for j in 0..6 {
            probs[[i, j]] = q[j];
        }
    }
    let page = PageFeatures {
        rows: chaff_extract::FeatureRows {
            cols: 0,
            values: Vec::new(),
        },
        containers: Vec::new(),
        signatures: Vec::new(),
        headings: Vec::new(),
        words: Vec::new(),
        tokens: Default::default(),
    };
    let t = fit_temperature(&[probs], &[(&page, labels.as_slice())]);
    assert!((t - 2.0).abs() < 0.2, "temperature {t}");
    // tempering keeps a distribution and the order of the labels
    let mut p = [0.5, 0.3, 0.2, 0.0, 0.0, 0.0];
    temper(&mut p, 2.0);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(p[0] > p[1] && p[1] > p[2] && p[2] > p[3]);
    assert!(p[0] < 0.5, "softened");
}

#[test]
fn a_thread_the_head_reads_as_other_gets_the_priors_article() {
    let pred = |label: Label| {
        let mut probabilities = [0.0; 6];
        probabilities[label.index()] = 0.7;
        probabilities[Label::Article.index()] += 0.2;
        Prediction {
            label,
            confidence: 0.7,
            probabilities,
        }
    };
    // a five-word title the head calls article, then posts it calls other, a menu,
    // and an empty block; the prior calls the title and posts article
    let page = || {
        vec![
            pred(Label::Article),
            pred(Label::Other),
            pred(Label::Other),
            pred(Label::Directory),
            pred(Label::Other),
            pred(Label::Other),
        ]
    };
    let words = [5, 100, 100, 20, 30, 0];
    let prior = ndarray::arr1(&[0.9f32, 0.8, 0.6, 0.7, 0.2, 0.9]);
    // expected article words: 4.5 + 80 + 60 + 14 + 6 = 164.5; the head found 5
    let labels = |share: f64| {
        let mut preds = page();
        prior_rescue(&mut preds, prior.view(), &words, share);
        preds.iter().map(|p| p.label).collect::<Vec<_>>()
    };
    let before: Vec<Label> = page().iter().map(|p| p.label).collect();
    assert_eq!(labels(0.0), before, "0 turns it off");
    assert_eq!(labels(0.03), before, "5 words are not below 0.03 × 164.5");
    // the posts the prior calls article become article; the menu keeps its label, as
    // do the post the prior doubts and the block without words
    use Label::*;
    assert_eq!(
        labels(0.05),
        [Article, Article, Article, Directory, Other, Other]
    );
    let mut preds = page();
    prior_rescue(&mut preds, prior.view(), &words, 0.05);
    assert_eq!(
        preds[1].confidence, 0.2,
        "confidence is the article probability"
    );
}

#[test]
fn a_page_with_no_article_block_gets_its_likeliest_ones() {
    let pred = |article: f64, other: f64| {
        let mut probabilities = [0.0; 6];
        probabilities[Label::Article.index()] = article;
        probabilities[Label::Other.index()] = other;
        Prediction {
            label: Label::Other,
            confidence: other,
            probabilities,
        }
    };
    let page = || {
        vec![
            pred(0.4, 0.6),
            pred(0.3, 0.7),
            pred(0.1, 0.9),
            pred(0.9, 0.1),
        ]
    };
    // the fourth block has no words: it neither sets the top nor is promoted
    let words = [10, 10, 10, 0];
    let mut preds = page();
    article_fallback(&mut preds, &words, 0.5);
    let labels: Vec<Label> = preds.iter().map(|p| p.label).collect();
    assert_eq!(
        labels,
        [Label::Article, Label::Article, Label::Other, Label::Other]
    );
    assert_eq!(preds[1].confidence, 0.3);
    // off, or a page that already has article, is left alone
    let mut off = page();
    article_fallback(&mut off, &words, 0.0);
    assert!(off.iter().all(|p| p.label == Label::Other));
    let mut has = page();
    has[2].label = Label::Article;
    article_fallback(&mut has, &words, 0.5);
    assert_eq!(has[0].label, Label::Other);
    assert!(PageRules {
        article_fallback: 1.5,
        ..PageRules::default()
    }
    .check()
    .is_err());
}

fn mini() -> Dataset {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets/mini");
    let loaded = Dataset::load(&dir, PageLimits::default()).unwrap();
    assert!(loaded.failures.is_empty(), "{:?}", loaded.failures);
    loaded.dataset
}

fn small(learner: LearnerParams) -> ValidModelParams {
    ModelParams::default()
        .learner(learner)
        .seed(7)
        .check()
        .unwrap()
}

fn quick_boosted() -> LearnerParams {
    LearnerParams::Boosted {
        iterations: 20,
        learning_rate: 0.3,
        max_depth: 3,
        l2: 1.0,
        min_leaf_weight: 1.0,
        subsample: 1.0,
        colsample: 0.6,
    }
}

#[test]
fn rows_joined_slice_by_slice_predict_as_the_whole_matrix() {
    // more rows than one slice, columns in three parts of different widths
    let n = crate::learner::PREDICT_ROWS * 2 + 37;
    let cell = |i: usize, j: usize| ((i * 31 + j * 17) % 23) as f32 / 7.0;
    let x = Array2::from_shape_fn((n, 9), |(i, j)| cell(i, j));
    let y: Vec<Label> = (0..n).map(|i| Label::ALL[(i * 7 + i / 5) % 6]).collect();
    let c = quick_boosted()
        .fit(x.clone(), &y, &vec![1.0; n], 3)
        .unwrap();
    let parts = [
        x.slice_axis(Axis(1), Slice::from(..4)),
        x.slice_axis(Axis(1), Slice::from(4..5)),
        x.slice_axis(Axis(1), Slice::from(5..)),
    ];
    let whole = c.predict_proba(x.view());
    assert_eq!(predict_joined(&c, &parts), whole);
    assert_eq!(predict_joined(&c, &[x.view()]), whole);
}

#[test]
fn save_load_predict_round_trip_is_exact() {
    let data = mini();
    let uncalibrated = ModelParams::default()
        .learner(quick_boosted())
        .calibrate(false)
        .check()
        .unwrap();
    for params in [
        small(quick_boosted()),
        small(LearnerParams::logistic()),
        uncalibrated,
    ] {
        let model = params.fit(data.clone(), &|_| {}).unwrap();
        assert_eq!(
            model.members[0].html.temperature.is_some(),
            model.params.0.calibrate
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json.gz");
        model.save(&path).unwrap();
        let again = Model::load(&path).unwrap();
        let plain = dir.path().join("m.json");
        model.save(&plain).unwrap();
        assert_eq!(
            Model::load(&plain).unwrap().to_json().unwrap(),
            again.to_json().unwrap()
        );
        std::fs::remove_file(&plain).unwrap();
        for page in &data.pages {
            for plain in [false, true] {
                let a = model.predict(&page.html, plain);
                let b = again.predict(&page.html, plain);
                assert_eq!(a, b, "predictions changed after save/load");
                for p in &a {
                    assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                }
            }
        }
        // no temporary file is left behind
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

#[test]
fn training_is_deterministic() {
    let data = mini();
    let a = small(quick_boosted())
        .fit(data.clone(), &|_| {})
        .unwrap()
        .to_json()
        .unwrap();
    let b = small(quick_boosted())
        .fit(data.clone(), &|_| {})
        .unwrap()
        .to_json()
        .unwrap();
    assert!(a == b, "two fits with one seed differ");
}

/// A model of two members is the join of the models their seeds train alone, byte
/// for byte, and its probabilities are the normalised geometric mean of theirs.
#[test]
fn two_members_pool_the_models_of_their_seeds() {
    let data = mini();
    // no page rules, so that the probabilities are the members' pool as it is
    let params = |seed: u64, members: usize| {
        ModelParams::default()
            .learner(quick_boosted())
            .seed(seed)
            .members(members)
            .check()
            .unwrap()
    };
    let no_rules = PageRules {
        article_fallback: 0.0,
        prior_rescue: 0.0,
        ..PageRules::default()
    };
    let fit = |seed, members| {
        params(seed, members)
            .fit(data.clone(), &|_| {})
            .unwrap()
            .with_rules(no_rules)
            .unwrap()
    };
    let both = fit(7, 2);
    assert_eq!(both.member_seeds(), [7, 1007]);
    let alone: Vec<Model> = [7, 1007].map(|seed| fit(seed, 1)).into();
    let a = alone[0].predict(&data.pages[0].html, false);
    let b = alone[1].predict(&data.pages[0].html, false);
    assert_ne!(a, b, "two seeds should train two different models");
    for page in &data.pages {
        for plain in [false, true] {
            let pooled = both.predict(&page.html, plain);
            let parts: Vec<Vec<Prediction>> =
                alone.iter().map(|m| m.predict(&page.html, plain)).collect();
            for (i, p) in pooled.iter().enumerate() {
                let geometric: Vec<f64> = (0..Label::COUNT)
                    .map(|j| (parts[0][i].probabilities[j] * parts[1][i].probabilities[j]).sqrt())
                    .collect();
                let sum: f64 = geometric.iter().sum();
                for (got, g) in p.probabilities.iter().zip(&geometric) {
                    assert!((got - g / sum).abs() < 1e-12);
                }
            }
        }
    }
    let joined = Model::join(alone).unwrap();
    assert!(joined.to_json().unwrap() == both.to_json().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.json.gz");
    both.save(&path).unwrap();
    let again = Model::load(&path).unwrap();
    assert_eq!(
        again.predict(&data.pages[1].html, false),
        both.predict(&data.pages[1].html, false)
    );
}

/// The confidence temperature tempers every block's final probabilities, after the
/// page rules, and changes no label; it is checked like the other rules.
#[test]
fn the_confidence_temperature_sharpens_and_keeps_every_label() {
    let data = mini();
    let model = small(quick_boosted()).fit(data.clone(), &|_| {}).unwrap();
    assert_eq!(model.rules().confidence_temperature, 1.0);
    let before: Vec<Vec<Prediction>> = data
        .pages
        .iter()
        .map(|p| model.predict(&p.html, false))
        .collect();
    let rules = PageRules {
        confidence_temperature: 0.5,
        ..model.rules()
    };
    let model = model.with_rules(rules).unwrap();
    let mut sharper = 0;
    for (page, before) in data.pages.iter().zip(&before) {
        for (b, a) in before.iter().zip(model.predict(&page.html, false)) {
            assert_eq!(a.label, b.label);
            let mut want = b.probabilities;
            temper(&mut want, 0.5);
            for (got, w) in a.probabilities.iter().zip(&want) {
                assert!((got - w).abs() < 1e-12);
            }
            assert_eq!(a.confidence, a.probabilities[a.label.index()]);
            sharper += (a.confidence > b.confidence) as usize;
        }
    }
    assert!(sharper > 0, "no block grew surer at temperature 0.5");
    for t in [0.0, -1.0, f64::NAN, 50.0] {
        let err = PageRules {
            confidence_temperature: t,
            ..PageRules::default()
        }
        .check()
        .unwrap_err();
        assert!(err.to_string().contains("confidence_temperature"), "{err}");
    }
}

#[test]
fn only_models_that_differ_in_their_seeds_join() {
    let data = mini();
    let fit = |p: ModelParams| p.check().unwrap().fit(data.clone(), &|_| {}).unwrap();
    let base = || {
        ModelParams::default()
            .learner(quick_boosted())
            .text_head(false)
    };
    let err = Model::join(vec![fit(base().seed(1)), fit(base().seed(1))]).unwrap_err();
    assert!(
        err.to_string().contains("both trained with seed 1"),
        "{err}"
    );
    let err = Model::join(vec![
        fit(base().seed(1)),
        fit(base().seed(2).context(false)),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("model 2 differs"), "{err}");
    let fewer = Dataset {
        pages: data.pages[1..].to_vec(),
    };
    let other = base()
        .seed(2)
        .check()
        .unwrap()
        .fit(fewer.clone(), &|_| {})
        .unwrap();
    let err = Model::join(vec![fit(base().seed(1)), other]).unwrap_err();
    assert!(err.to_string().contains("training pages"), "{err}");
    assert!(Model::join(Vec::new()).is_err());
}

#[test]
fn model_learns_the_training_pages() {
    let data = mini();
    let model = small(quick_boosted()).fit(data.clone(), &|_| {}).unwrap();
    let report = crate::eval::evaluate(&model, &data).report(0);
    let six = report.six_class.unwrap();
    assert!(six.words[&Label::Article].f1 > 0.9, "{:?}", six.words);
    assert_eq!(model.training().pages, 4);
    assert_eq!(model.training().outlets.len(), 4);
}

#[test]
fn bad_model_files_are_refused_with_reasons() {
    let data = mini();
    let model = ModelParams::default()
        .learner(quick_boosted())
        .context(false)
        .text_head(false)
        .check()
        .unwrap()
        .fit(data.clone(), &|_| {})
        .unwrap();
    let json = model.to_json().unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (json.as_bytes()[..json.len() / 2].to_vec(), "invalid JSON"),
        (b"{\"hello\": 1}".to_vec(), "not a chaff model"),
        (
            json.replace("\"format_version\":3", "\"format_version\":99")
                .into_bytes(),
            "version Some(99)",
        ),
        (
            json.replacen("\"names\":[\"log_words\",", "\"names\":[", 1)
                .into_bytes(),
            "feature schema",
        ),
        (Vec::new(), "invalid JSON"),
    ];
    for (bytes, want) in cases {
        let err = Model::from_bytes(&bytes, "test").unwrap_err().to_string();
        assert!(err.contains(want), "{want:?} not in {err:?}");
    }
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mean = &mut v["members"][0]["html"]["first"]["scaler"]["mean"];
    mean.as_array_mut().unwrap().pop();
    let std = &mut v["members"][0]["html"]["first"]["scaler"]["std"];
    std.as_array_mut().unwrap().pop();
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("weights per label"), "{err}");
    assert!(Model::load(Path::new("/nonexistent/model.json")).is_err());
    // the members the parameters promise are the members the file holds
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["params"]["members"] = 2.into();
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("1 members, but its parameters say 2"), "{err}");
    // a cue table with more or fewer groups than this chaff reads, or none although the
    // head reads its columns
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let groups = v["members"][0]["cues"]["groups"].as_array_mut().unwrap();
    groups.push(groups[0].clone());
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cue table has 6 groups"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["members"][0]["cues"]["groups"]
        .as_array_mut()
        .unwrap()
        .pop();
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cue table has 4 groups"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["members"][0].as_object_mut().unwrap().remove("cues");
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("weights per label"), "{err}");
    // context columns: exactly this chaff's
    let with_context = |cols: &[String]| {
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["context_columns"] = serde_json::json!(cols);
        Model::from_bytes(v.to_string().as_bytes(), "test")
    };
    let now = context::column_names();
    assert!(with_context(&now).is_ok());
    for cols in [&now[..now.len() - 1], &now[1..]] {
        let err = with_context(cols).unwrap_err().to_string();
        assert!(err.contains("context columns are not the"), "{err}");
    }
    // options out of range are refused on load, naming the option
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["params"]["prior_rescue"] = serde_json::json!(2.0);
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("prior_rescue"), "{err}");
    // a tree whose node points back up would loop forever: refused on load
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let tree = &mut v["members"][0]["html"]["first"]["model"]["weights"][0]["trees"][0];
    assert!(tree["column"][0].is_number(), "the root splits");
    tree["left"][0] = serde_json::json!(0);
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not below it"), "{err}");
    // node lists of different lengths, and a split on a column the rows do not have
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let tree = &mut v["members"][0]["html"]["first"]["model"]["weights"][0]["trees"][0];
    tree["value"].as_array_mut().unwrap().pop();
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("differ in length"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["members"][0]["html"]["first"]["model"]["weights"][0]["trees"][0]["column"][0] =
        serde_json::json!(100_000);
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing column"), "{err}");
    // a standard deviation of 0 and a leaf of 1e308 would turn every probability into
    // NaN, and every block into article at 1/6: refused
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["members"][0]["html"]["first"]["scaler"]["std"][0] = serde_json::json!(0.0);
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("standard deviation"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["members"][0]["html"]["first"]["model"]["weights"][0]["trees"][0]["value"][0] =
        serde_json::json!(1e308);
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("above 1e6"), "{err}");
    // a temperature must be a positive number
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v["members"][0]["html"]["temperature"].is_number(),
        "calibrated by default"
    );
    v["members"][0]["html"]["temperature"] = serde_json::json!(-1.0);
    let err = Model::from_bytes(v.to_string().as_bytes(), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("temperature -1"), "{err}");
}

/// The article-text pages train each member's prior, drawn by its seed, and the summary
/// counts a page once for each prior that drew it.
#[test]
fn each_members_prior_trains_on_the_article_text_pages() {
    let mut data = mini();
    let article_text: Vec<crate::LabelledPage> = data
        .pages
        .iter()
        .map(|pg| {
            let mut words = Vec::new();
            for (t, l) in pg.texts.iter().zip(pg.block_labels().unwrap()) {
                if *l == Label::Article {
                    words.extend(chaff_extract::text::words(t));
                }
            }
            let mut page = pg.clone();
            page.id = format!("text-{}", pg.id);
            page.outlet = format!("text-{}", pg.outlet);
            page.text = None;
            page.gold = crate::dataset::PageGold::ArticleWords(words);
            page
        })
        .collect();
    data.pages.extend(article_text);
    let fit = |prior_pages: usize| {
        let fits = std::cell::Cell::new((0, 0));
        let params = ModelParams::default()
            .learner(quick_boosted())
            .members(2)
            .article_prior_pages(prior_pages)
            .check()
            .unwrap();
        let model = params
            .fit(data.clone(), &|s| fits.set((s.fitted, s.fits)))
            .unwrap();
        let (fitted, fits) = fits.get();
        assert_eq!(fitted, fits, "the fits announced are the fits made");
        // the owned pages' rows go to the priors (taken by the last one to draw them,
        // copied for the others): the model the borrowed pages train
        let borrowed = params
            .fit_pages(&data.pages.iter().collect::<Vec<_>>(), &|_| {})
            .unwrap();
        assert_eq!(model.to_json().unwrap(), borrowed.to_json().unwrap());
        model
    };
    // no page to draw: no prior, and the count of fits knows it
    let without = fit(0);
    assert_eq!(without.training().article_prior_pages, 0);
    assert!(without.members.iter().all(|m| m.article_prior.is_none()));
    let model = fit(3);
    let training = model.training();
    assert_eq!(
        training.pages, 4,
        "the heads train on the labelled pages alone"
    );
    assert_eq!(
        training.article_prior_pages, 6,
        "three pages for each of two priors"
    );
    assert!(training
        .article_prior_outlets
        .iter()
        .all(|o| o.starts_with("text-")));
    assert!(model.members.iter().all(|m| m.article_prior.is_some()));
}

/// Training counts its fits ahead and reports each: the count it reaches is the count it
/// announced, whatever stages the parameters ask for, and it never goes past it.
#[test]
fn training_reports_every_fit_it_announced() {
    let data = mini();
    let cases = [
        // two heads of 1 + 3 + 1 + 3 fits
        (ModelParams::default(), 16),
        // two members of the same
        (ModelParams::default().members(2), 32),
        // no context stage: the first stage and its calibration folds, one head
        (ModelParams::default().context(false).text_head(false), 4),
        // the first stage alone, two heads
        (ModelParams::default().context(false).calibrate(false), 2),
        // five context folds, no calibration: 1 + 5 + 1 per head
        (ModelParams::default().context_folds(5).calibrate(false), 14),
    ];
    for (params, fits) in cases {
        let steps = std::cell::RefCell::new(Vec::new());
        params
            .learner(quick_boosted())
            .check()
            .unwrap()
            .fit(data.clone(), &|s| {
                steps
                    .borrow_mut()
                    .push((s.stage.to_string(), s.fitted, s.fits))
            })
            .unwrap();
        let steps = steps.into_inner();
        assert!(
            steps.iter().all(|s| s.2 == fits && s.1 <= fits),
            "{steps:?}"
        );
        assert_eq!(steps.last().unwrap().1, fits, "{steps:?}");
        assert!(steps.windows(2).all(|w| w[0].1 <= w[1].1), "{steps:?}");
    }
}
