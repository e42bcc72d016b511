//! What every topic's tests share: running the binary, reading its output, the shared
//! corpus (skipped, saying so, when absent), and small models trained on datasets/mini.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run chaff with arguments from the project root; returns the output.
macro_rules! chaff {
    ($($arg:expr),* $(,)?) => {{
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chaff"));
        cmd.current_dir($crate::util::root());
        $( cmd.arg($arg); )*
        cmd.output().expect("chaff runs")
    }};
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

pub const LABELS: [&str; 6] = [
    "article",
    "related",
    "recent",
    "directory",
    "copyright",
    "other",
];

/// Say that (part of) the running test did not run and why: on stderr, and as a line
/// of `skipped-tests.txt` in cargo's scratch folder, which `.ci/run` prints at the end
/// so that a log shows what did not run (cargo shows a skipped test as `ok`).
pub fn skip(why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    eprintln!("SKIPPED: {test}: {why}");
    let list = Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(list)
    {
        use std::io::Write;
        let _ = writeln!(f, "{test}: {why}");
    }
}

pub fn shared_corpus() -> Option<PathBuf> {
    let p = root().join("../shared/corpus");
    if p.join("labelled/manifest.jsonl").exists() {
        Some(p)
    } else {
        skip("../shared/corpus is absent, so this test did not run");
        None
    }
}

/// `chaff train` of a logistic model on datasets/mini into `dir/mini.json`: the file and
/// the run's output.
pub fn train_mini(dir: &Path) -> (PathBuf, Output) {
    let model = dir.join("mini.json");
    let o = chaff!(
        "train",
        "--data",
        "datasets/mini",
        "--out",
        &model,
        "--learner",
        "logistic"
    );
    (model, o)
}

/// [`train_mini`], which must succeed: the model file.
pub fn mini_model(dir: &Path) -> PathBuf {
    let (model, o) = train_mini(dir);
    assert!(o.status.success(), "{}", stderr(&o));
    model
}

/// `chaff eval --cv-by-domain 2 --learner logistic --data DATA`, to add to and run.
pub fn cv_logistic(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chaff"));
    cmd.current_dir(root())
        .args([
            "eval",
            "--cv-by-domain",
            "2",
            "--learner",
            "logistic",
            "--data",
        ])
        .arg(data);
    cmd
}

/// A dataset folder `dir/data` holding two labelled pages of datasets/mini.
pub fn two_page_dataset(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    for f in ["dailyplanet.html", "gazette.html"] {
        std::fs::copy(root().join("datasets/mini").join(f), data.join(f)).unwrap();
    }
    data
}

/// `chaff train` of a quick model (logistic, no context stage) on `data` into `out`.
pub fn train_quick(data: &Path, out: &Path) -> Output {
    chaff!(
        "train",
        "--data",
        data,
        "--out",
        out,
        "--learner",
        "logistic",
        "--no-context"
    )
}

/// `chaff classify ARGS PAGE`.
pub fn classify_with(args: &[&str], page: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaff"))
        .current_dir(root())
        .arg("classify")
        .args(args)
        .arg(page)
        .output()
        .expect("chaff runs")
}
