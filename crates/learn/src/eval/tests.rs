use std::collections::BTreeMap;

use chaff_extract::Label;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::compare::*;
use super::measures::*;
use super::score::*;
use crate::model::Prediction;

/// Under-confident blocks: the fitted temperature sharpens them, and fitted on the
/// other outlets it brings the calibration error down on each; with one outlet there
/// are no others, and the held-out figure is the error as it is.
#[test]
fn calibration_fits_a_temperature_on_other_outlets() {
    use rand::Rng;
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let rows: Vec<CalibrationRow> = (0..5000)
        .map(|i| {
            let mut q = [0.0; 6];
            for v in q.iter_mut().take(3) {
                *v = rng.gen_range(0.01..1.0f64).powi(4);
            }
            let sum: f64 = q.iter().sum();
            q.iter_mut().for_each(|v| *v /= sum);
            let gold = crate::model::tests::draw_label(&mut rng, &q);
            let mut p = Prediction {
                label: Label::Article,
                confidence: 0.0,
                probabilities: q,
            };
            p.temper(2.0); // reported flatter than the truth
            let best = (0..6)
                .max_by(|&a, &b| p.probabilities[a].total_cmp(&p.probabilities[b]))
                .unwrap();
            CalibrationRow {
                probabilities: p.probabilities,
                predicted: Label::ALL[best],
                gold,
                outlet: format!("outlet{}", i % 23),
            }
        })
        .collect();
    let c = calibration(&rows);
    assert!((c.temperature - 0.5).abs() < 0.05, "{}", c.temperature);
    assert!(c.ece > 0.1, "{}", c.ece);
    assert!(
        c.ece_tempered_held_out < 0.03,
        "{}",
        c.ece_tempered_held_out
    );
    let one: Vec<CalibrationRow> = rows
        .into_iter()
        .map(|r| CalibrationRow {
            outlet: "alone".into(),
            ..r
        })
        .collect();
    let c1 = calibration(&one);
    assert_eq!(c1.ece_tempered_held_out, c1.ece);
    assert_eq!(c1.temperature, c.temperature);
}

#[test]
fn bag_of_words_counts_multiplicity() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let (p, r, f) = bag_prf(&s(&["a", "a", "b"]), &s(&["a", "b", "c", "d"]));
    assert!((p - 2.0 / 3.0).abs() < 1e-12);
    assert!((r - 0.5).abs() < 1e-12);
    assert!((f - 2.0 * p * r / (p + r)).abs() < 1e-12);
    assert_eq!(bag_prf(&[], &s(&["a"])), (0.0, 0.0, 0.0));
}

/// A confusion table with `right` words of every label right and `wrong` related
/// words read as recent.
fn table(right: u64, wrong: u64) -> [[u64; 6]; 6] {
    let mut m = [[0u64; 6]; 6];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = right;
    }
    m[Label::Related.index()][Label::Recent.index()] = wrong;
    m
}

#[test]
fn the_interval_resamples_outlets_and_is_reproducible() {
    let outlets = |tables: &[[[u64; 6]; 6]]| -> BTreeMap<String, [[u64; 6]; 6]> {
        tables
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("outlet{i}"), *t))
            .collect()
    };
    // one outlet: nothing to resample
    assert_eq!(outlet_interval(&outlets(&[table(10, 5)])), None);
    // outlets that all score alike give the score itself
    let same = outlet_interval(&outlets(&[table(10, 5); 4])).unwrap();
    let whole = macro_f1(&label_scores(&table(40, 20)));
    assert!((same.macro_f1_words.0 - whole).abs() < 1e-12);
    assert!((same.macro_f1_words.1 - whole).abs() < 1e-12);
    // outlets that differ spread it around the score of all of them together
    let mixed = [table(10, 0), table(10, 30), table(10, 0), table(10, 10)];
    let i = outlet_interval(&outlets(&mixed)).unwrap();
    let mut all = [[0u64; 6]; 6];
    for t in &mixed {
        for g in 0..6 {
            for p in 0..6 {
                all[g][p] += t[g][p];
            }
        }
    }
    let whole = label_scores(&all);
    let (lo, hi) = i.macro_f1_words;
    assert!(lo < macro_f1(&whole) && macro_f1(&whole) < hi, "{lo} {hi}");
    let (lo, hi) = i.f1_words[&Label::Related];
    assert!(lo < whole[&Label::Related].f1 && whole[&Label::Related].f1 < hi);
    // article is never confused here, so it does not move
    assert_eq!(i.f1_words[&Label::Article], (1.0, 1.0));
    assert_eq!((i.outlets, i.resamples), (4, RESAMPLES));
    assert_eq!(outlet_interval(&outlets(&mixed)), Some(i));
}

#[test]
fn a_comparison_draws_the_same_outlets_for_both_runs() {
    let rows = |tables: &[Confusion]| -> Vec<OutletRow> {
        tables
            .iter()
            .enumerate()
            .map(|(i, t)| OutletRow {
                outlet: format!("outlet{i}"),
                pages: 1 + i,
                word_accuracy: None,
                article_f1: 0.5,
                confusion_words: Some(*t),
            })
            .collect()
    };
    let before = rows(&[table(10, 0), table(10, 30), table(10, 0), table(10, 10)]);
    // a run against itself differs by nothing, in every draw
    let same = compare(&before, &before).unwrap();
    for d in [same.six_class.unwrap().macro_f1_words, same.article.f1] {
        assert_eq!((d.observed, d.interval, d.higher), (0.0, (0.0, 0.0), 0.0));
    }
    // one outlet's related words read right: better in every draw that holds it
    let rel = Label::Related.index();
    let mut fixed = table(10, 0);
    fixed[rel][rel] = 40;
    let after = rows(&[table(10, 0), fixed, table(10, 0), table(10, 10)]);
    let c = compare(&after, &before).unwrap();
    let six = c.six_class.as_ref().unwrap();
    let score = |r: &[OutletRow]| {
        let all: Vec<&Confusion> = r
            .iter()
            .map(|o| o.confusion_words.as_ref().unwrap())
            .collect();
        macro_f1(&label_scores(&sum_tables(&all, &[0, 1, 2, 3])))
    };
    assert!((six.macro_f1_words.observed - (score(&after) - score(&before))).abs() < 1e-12);
    assert!(six.macro_f1_words.observed > 0.0);
    let (lo, hi) = six.macro_f1_words.interval;
    assert!(lo >= 0.0 && hi > 0.0, "{lo} {hi}");
    // about 1 − (3/4)^4 of the draws hold that outlet at least once
    assert!(
        (0.6..0.8).contains(&six.macro_f1_words.higher),
        "{}",
        six.macro_f1_words.higher
    );
    assert_eq!(six.f1_words[&Label::Article].observed, 0.0);
    assert!(six.f1_words[&Label::Related].observed > 0.0);
    assert_eq!((six.outlets, c.resamples), (4, RESAMPLES));
    // the other way round, the differences change sign
    let back = compare(&before, &after).unwrap();
    let back_six = back.six_class.unwrap();
    assert_eq!(
        back_six.macro_f1_words.observed,
        -six.macro_f1_words.observed
    );
    assert_eq!(back_six.macro_f1_words.interval, (-hi, -lo));
    // article F1 is a mean over pages: the last outlet's 4 pages at 1.0 instead of
    // 0.5 raise the mean over the 10 pages by 0.2, and every draw that holds it
    let mut better = before.clone();
    better[3].article_f1 = 1.0;
    let a = compare(&better, &before).unwrap().article;
    assert_eq!((a.outlets, a.pages), (4, 10));
    assert!((a.f1.observed - 0.2).abs() < 1e-12, "{}", a.f1.observed);
    assert!(
        a.f1.interval.0 >= 0.0 && a.f1.interval.1 > 0.2,
        "{:?}",
        a.f1.interval
    );
    assert!((0.6..0.8).contains(&a.f1.higher), "{}", a.f1.higher);
    // pages without block labels compare by article F1 alone
    let plain = |rows: &[OutletRow]| -> Vec<OutletRow> {
        rows.iter()
            .map(|r| OutletRow {
                confusion_words: None,
                ..r.clone()
            })
            .collect()
    };
    let c = compare(&plain(&better), &plain(&before)).unwrap();
    assert!(c.six_class.is_none());
    assert_eq!(c.article, a);
    // outlets on one side only are named
    let err = compare(&before[..3], &before).unwrap_err().to_string();
    assert!(
        err.contains("none only in this one, 1 (outlet3) only in the other"),
        "{err}"
    );
    assert!(compare(&before[..1], &before[..1]).is_err());
    // the same outlets with other gold words or pages: other pages were scored
    let mut other_pages = before.clone();
    other_pages[2].confusion_words = Some(table(11, 0));
    other_pages[3].pages = 5;
    let err = compare(&other_pages, &before).unwrap_err().to_string();
    assert!(
        err.contains("other pages of 2 outlets (outlet2, outlet3)"),
        "{err}"
    );
    // a report without confusion tables cannot be compared with one that has them
    let err = compare(&before, &plain(&before)).unwrap_err().to_string();
    assert!(
        err.contains("the other run's outlets have no confusion tables"),
        "{err}"
    );
}

#[test]
fn prf_from_counts() {
    let p = Prf::new(8, 2, 8);
    assert!((p.precision - 0.8).abs() < 1e-12);
    assert!((p.recall - 0.5).abs() < 1e-12);
    assert_eq!(p.support, 16);
}
