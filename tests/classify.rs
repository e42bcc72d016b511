//! `chaff classify` and `chaff features`: labels, output formats, the overlay.

use std::collections::BTreeSet;
use std::process::Output;

use crate::util::*;

#[test]
fn classify_example_with_embedded_model() {
    let o = chaff!(
        "classify",
        "--format",
        "jsonl",
        "datasets/examples/news.html"
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert!(rows.len() > 10);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["index"], i);
        assert_eq!(r["file"], "datasets/examples/news.html");
        assert!(LABELS.contains(&r["label"].as_str().unwrap()));
        let c = r["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
        assert!(!r["text"].as_str().unwrap().is_empty());
        // all six probabilities: they sum to one and the label's is the confidence
        let probs = r["probabilities"].as_object().unwrap();
        assert_eq!(probs.len(), LABELS.len());
        let sum: f64 = LABELS.iter().map(|l| probs[*l].as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-6, "{sum}");
        assert_eq!(probs[r["label"].as_str().unwrap()].as_f64().unwrap(), c);
    }
    let label_of = |needle: &str| {
        rows.iter()
            .find(|r| r["text"].as_str().unwrap().contains(needle))
            .map(|r| r["label"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(label_of("The city council voted on Tuesday"), "article");
    assert_eq!(label_of("© 2024 The Daily Planet"), "copyright");
    // human output is the default
    let o = chaff!("classify", "datasets/examples/news.html");
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("== datasets/examples/news.html"));
}

#[test]
fn html_output_rereads_as_a_labelled_page() {
    let dir = tempfile::tempdir().unwrap();
    let o = chaff!(
        "classify",
        "--format",
        "jsonl",
        "datasets/examples/news.html"
    );
    let want: Vec<String> = jsonl(&o)
        .iter()
        .map(|r| r["label"].as_str().unwrap().to_string())
        .collect();
    let o = chaff!(
        "classify",
        "--format",
        "html",
        "datasets/examples/news.html"
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let labelled = dir.path().join("page.html");
    std::fs::write(&labelled, &o.stdout).unwrap();
    std::fs::write(
        dir.path().join("manifest.jsonl"),
        r#"{"id":"p","file":"page.html","domain":"example.com"}"#,
    )
    .unwrap();
    // scoring the model against its own output is perfect agreement
    let o = chaff!("eval", "--data", dir.path(), "--json");
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let conf = &report["six_class"]["confusion_words"];
    for g in 0..6 {
        for p in 0..6 {
            if g != p {
                assert_eq!(conf[g][p], 0, "labels changed through --format html");
            }
        }
    }
    assert!(!want.is_empty());
}

#[test]
fn gold_labels_in_the_input_do_not_change_predictions() {
    let a = chaff!(
        "classify",
        "--format",
        "jsonl",
        "datasets/mini/dailyplanet.html"
    );
    let b = chaff!(
        "classify",
        "--format",
        "jsonl",
        "datasets/examples/news.html"
    );
    let strip = |o: &Output| -> Vec<(String, String)> {
        jsonl(o)
            .iter()
            .map(|r| (r["label"].to_string(), r["confidence"].to_string()))
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn extract_article_prints_article_text_only() {
    let o = chaff!(
        "classify",
        "--extract",
        "article",
        "datasets/examples/news.html"
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("The city council voted on Tuesday"));
    assert!(!text.contains("Privacy"));
}

#[test]
fn overlay_is_safe_and_has_a_legend() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("evil.html");
    std::fs::write(
        &page,
        "<html><head><script src=http://x/a.js></script></head><body onload=x()>\
         <p onclick=y()>A paragraph of text that is long enough to be a story, with words.</p>\
         <img src=http://tracker/pixel.gif></body></html>",
    )
    .unwrap();
    let o = chaff!("classify", "--format", "html", "--overlay", &page);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o).to_lowercase();
    for bad in ["<script", "onload", "onclick", "http://"] {
        assert!(!out.contains(bad), "{bad} in overlay");
    }
    assert!(out.contains("chaff-legend"));
    let o = chaff!("classify", "--overlay", &page);
    assert!(!o.status.success());
}

/// Pages go through in batches of a few per thread: output keeps input order across batch
/// boundaries with one thread and with two, and a broken page in the middle of the input
/// costs only itself.
#[test]
fn many_pages_keep_their_order_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..19 {
        let name = dir.path().join(format!("p{i:02}.html"));
        if i == 9 {
            std::fs::write(name.with_extension("html.gz"), [0x1f, 0x8b, 8, 0]).unwrap();
        } else {
            std::fs::write(name, format!("<p>Page number {i} has a few words.</p>")).unwrap();
        }
    }
    let mut outputs = Vec::new();
    for jobs in ["1", "2"] {
        let o = chaff!("classify", "--format", "jsonl", "--jobs", jobs, dir.path());
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert!(err.contains("p09.html.gz"), "{err}");
        assert!(err.contains("18 pages classified, 1 failed"), "{err}");
        let mut files: Vec<String> = jsonl(&o)
            .iter()
            .map(|r| r["file"].as_str().unwrap().to_string())
            .collect();
        files.dedup();
        let want: Vec<String> = (0..19)
            .filter(|&i| i != 9)
            .map(|i| format!("p{i:02}.html"))
            .collect();
        let got: Vec<&str> = files
            .iter()
            .map(|f| f.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(got, want);
        outputs.push(o.stdout);
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn features_prints_named_rows() {
    let o = chaff!("features", "datasets/examples/news.html");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("index,schema_version,log_words"));
    let cols = header.split(',').count();
    assert!(text.lines().skip(1).all(|l| l.split(',').count() == cols));
    let o = chaff!(
        "features",
        "--format",
        "jsonl",
        "datasets/examples/news.html"
    );
    let rows = jsonl(&o);
    assert!(rows[0]["features"]["link_density"].is_number());
    // an unlabelled page's blocks have no gold; a labelled page's have theirs
    assert!(rows.iter().all(|r| r["gold"].is_null()));
    let o = chaff!(
        "features",
        "--format",
        "jsonl",
        "datasets/mini/gazette.html"
    );
    let rows = jsonl(&o);
    let gold: BTreeSet<&str> = rows.iter().map(|r| r["gold"].as_str().unwrap()).collect();
    assert!(
        gold.contains("article") && gold.contains("directory"),
        "{gold:?}"
    );
}

#[test]
fn help_on_every_command() {
    for cmd in ["classify", "train", "eval", "features", "join", "model"] {
        let o = chaff!(cmd, "--help");
        assert!(o.status.success());
        assert!(stdout(&o).contains("Usage"));
    }
    let o = chaff!("classify", "--format", "nonsense");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn seed_page_gets_its_labels() {
    let Some(corpus) = shared_corpus() else {
        return;
    };
    let o = chaff!(
        "classify",
        "--format",
        "jsonl",
        corpus.join("seed/urdupoint-2021-12-23.txt")
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    let label_of = |needle: &str| -> String {
        rows.iter()
            .find(|r| r["text"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no block has {needle:?}"))["label"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        label_of("Russia's Foreign Minister Sergei Lavrov said Wednesday"),
        "article"
    );
    assert_eq!(label_of("Lavrov said plans were in place"), "article");
    // each region the page's labelled version marks, judged as the scores judge: by its
    // words (a region's heading is two or three words of it)
    let share = |region: &[&str], label: &str| -> f64 {
        let (mut hit, mut all) = (0u64, 0u64);
        for needle in region {
            let r = rows
                .iter()
                .find(|r| r["text"].as_str().unwrap().starts_with(needle))
                .unwrap_or_else(|| panic!("no block starts with {needle:?}"));
            let words = r["words"].as_u64().unwrap();
            all += words;
            hit += words * (r["label"].as_str() == Some(label)) as u64;
        }
        hit as f64 / all as f64
    };
    let related = ["Related Topics", "NATO Ukraine Moscow Russia Europe"];
    let recent = [
        "Recent Stories",
        "SCC Committee visits more Social Services departments",
        "Lukashenko Brands Story of Runaway Polish Soldier 'Dangerous Tendency'",
        "Sultan Al Jaber meets with Greek Prime Minister, Minister",
        "More Stories From Miscellaneous",
    ];
    let directory = ["Site Links:", "Education - Urdu News - Car Prices"];
    for (region, label) in [
        (&related[..], "related"),
        (&recent[..], "recent"),
        (&directory[..], "directory"),
    ] {
        let s = share(region, label);
        assert!(s >= 0.8, "{label}: {s:.2} of the words of {region:?}");
    }
    // the "Recent Stories" box's heading is the box's
    assert_eq!(label_of("Recent Stories"), "recent");
    assert_eq!(label_of("© 1997-2021, UrduPoint Network"), "copyright");
    // and the page as a whole, against its labelled version: nine words in ten or better
    let labelled =
        std::fs::read_to_string(corpus.join("seed/urdupoint-2021-12-23.labelled.html")).unwrap();
    let gold_page =
        chaff_extract::Page::from_html(&labelled, chaff_extract::PageLimits::default()).unwrap();
    let gold: std::collections::HashMap<&str, &str> = gold_page
        .blocks
        .iter()
        .map(|b| {
            (
                b.text.as_str(),
                b.gold.unwrap_or(chaff_extract::Label::Other).as_str(),
            )
        })
        .collect();
    let (mut right, mut matched, mut all) = (0u64, 0u64, 0u64);
    for r in &rows {
        let words = r["words"].as_u64().unwrap();
        all += words;
        if let Some(g) = gold.get(r["text"].as_str().unwrap()) {
            matched += words;
            right += words * (r["label"].as_str() == Some(*g)) as u64;
        }
    }
    assert!(
        matched * 10 >= all * 9,
        "lines found in the labelled version: {matched} of {all} words"
    );
    let accuracy = right as f64 / matched as f64;
    assert!(accuracy >= 0.9, "seed page word accuracy {accuracy:.3}");
}

/// Text comes out as people search it: soft hyphens and zero-width spaces out, Unicode
/// normalisation form C; `--raw-text` keeps it as the page has it.
#[test]
fn text_comes_out_searchable_and_raw_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("de.html");
    // "Während" with a soft hyphen and the umlaut as a combining mark
    let raw = "Wa\u{308}h\u{ad}rend der Sitzung beschloss der Rat\u{200b} eine neue Bru\u{308}cke.";
    std::fs::write(&page, format!("<html><body><p>{raw}</p></body></html>")).unwrap();
    for args in [
        &["--format", "jsonl"][..],
        &["--extract", "article"][..],
        &["--format", "pages"][..],
    ] {
        let o = classify_with(args, &page);
        let out = stdout(&o);
        assert!(out.contains("Während der Sitzung"), "{args:?}: {out}");
        assert!(
            out.contains("Brücke") && !out.contains('\u{ad}'),
            "{args:?}: {out}"
        );
    }
    let o = chaff!("classify", "--format", "jsonl", "--raw-text", &page);
    assert_eq!(jsonl(&o)[0]["text"], raw);
}

/// `--extract` takes any labels; with several pages each page's text is headed by its
/// name, and `--format jsonl` gives one object per page.
#[test]
fn extract_any_labels_page_by_page() {
    let pages = ["datasets/mini/gazette.html", "datasets/mini/techbyte.html"];
    let o = chaff!(
        "classify",
        "--extract",
        "directory,copyright",
        pages[0],
        pages[1]
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let heads: Vec<&str> = out.lines().filter(|l| l.starts_with("== ")).collect();
    assert_eq!(
        heads,
        [
            "== datasets/mini/gazette.html",
            "== datasets/mini/techbyte.html"
        ]
    );
    let o = chaff!(
        "classify",
        "--extract",
        "directory,copyright",
        "--format",
        "jsonl",
        pages[0],
        pages[1]
    );
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 2);
    for (row, page) in rows.iter().zip(pages) {
        assert_eq!(row["file"], page);
        assert_eq!(
            row["extract"],
            serde_json::json!(["directory", "copyright"])
        );
        assert!(
            row["title"].is_string() && row["words"].as_u64().unwrap() > 0,
            "{row}"
        );
    }
    // one page alone: its text only, as before
    let o = chaff!("classify", "--extract", "article", pages[0]);
    assert!(!stdout(&o).starts_with("== "), "{}", stdout(&o));
    let o = chaff!("classify", "--extract", "nonsense", pages[0]);
    assert_eq!(o.status.code(), Some(2));
}

/// `--format html` of several pages: refused on stdout, one file per page with --out.
#[test]
fn html_of_several_pages_goes_to_a_folder() {
    let o = chaff!("classify", "--format", "html", "datasets/mini");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--out DIR"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labelled");
    let o = chaff!(
        "classify",
        "--format",
        "html",
        "--out",
        &out,
        "datasets/mini"
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "00001-dailyplanet.html",
            "00002-gazette.html",
            "00003-techbyte.html",
            "00004-valleyherald.html"
        ]
    );
    let first = std::fs::read_to_string(out.join(&files[0])).unwrap();
    assert!(first.contains("data-block-label="), "{first}");
    assert_eq!(
        stdout(&o).lines().count(),
        4,
        "a line per page: its name and file"
    );
}

/// Article blocks carry their role (headline, caption, body); `--extract body` is the
/// article without its headline and captions.
#[test]
fn the_article_is_headline_body_and_captions() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("story.html");
    let para = "The council voted on Tuesday to approve the construction of a new bridge \
                across the river, ending a debate that has divided residents for years.";
    std::fs::write(
        &page,
        format!(
            "<html><head><title>Council approves bridge</title></head><body><article>\
             <h1>Council approves bridge</h1><p>{para}</p><figure><img src=a.jpg>\
             <figcaption>The river where the bridge will stand, seen from the old harbour \
             wall on a winter morning.</figcaption></figure><p>{para}</p></article></body></html>"
        ),
    )
    .unwrap();
    let o = chaff!("classify", "--format", "jsonl", &page);
    let rows = jsonl(&o);
    for r in &rows {
        let role = &r["role"];
        if r["label"] == "article" {
            let want = if r["text"] == "Council approves bridge" {
                "headline"
            } else if r["text"].as_str().unwrap().starts_with("The river") {
                "caption"
            } else {
                "body"
            };
            assert_eq!(role, want, "{r}");
        } else {
            assert!(role.is_null(), "{r}");
        }
    }
    let article = stdout(&chaff!("classify", "--extract", "article", &page));
    let body = stdout(&chaff!("classify", "--extract", "body", &page));
    assert!(article.contains("Council approves bridge"), "{article}");
    assert!(
        !body.contains("Council approves bridge") && !body.contains("The river"),
        "{body}"
    );
    assert!(body.contains("The council voted"), "{body}");
}
