//! The Python package (crates/python): built into a wheel with maturin, installed into
//! $CHAFF_PYTHON's virtualenv (a throwaway one .ci/run makes under target/), and tested
//! there with pytest against this build's `chaff` binary.

use std::process::Command;

use crate::util::{root, skip, stderr, stdout};

#[test]
fn python_package_builds_installs_and_passes_its_tests() {
    let Ok(python) = std::env::var("CHAFF_PYTHON") else {
        skip("CHAFF_PYTHON is not set (see .ci/run), so the Python package was not built");
        return;
    };
    let has = |module: &str| {
        Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !has("maturin") || !has("pytest") {
        skip(&format!(
            "{python} has no maturin or pytest (see .ci/run), so the Python package was not built"
        ));
        return;
    }
    let wheels = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wheels");
    let _ = std::fs::remove_dir_all(&wheels);
    let o = Command::new(&python)
        .args(["-m", "maturin", "build", "--release", "--manifest-path"])
        .arg(root().join("crates/python/Cargo.toml"))
        .arg("--interpreter")
        .arg(&python)
        .arg("--out")
        .arg(&wheels)
        .output()
        .unwrap();
    assert!(o.status.success(), "maturin build failed:\n{}", stderr(&o));
    let wheel = std::fs::read_dir(&wheels)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("maturin wrote a wheel");
    let o = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--force-reinstall",
            "--no-deps",
        ])
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(o.status.success(), "pip install failed:\n{}", stderr(&o));
    // run from elsewhere, so that `import chaff` finds the installed wheel only
    let o = Command::new(&python)
        .args(["-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"])
        .arg(root().join("crates/python/tests"))
        .current_dir(env!("CARGO_TARGET_TMPDIR"))
        .env("CHAFF_BIN", env!("CARGO_BIN_EXE_chaff"))
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "pytest failed:\n{out}\n{}", stderr(&o));
    // pytest's skips (pyspark or Java missing) are this test's partial skips
    for line in out.lines().filter(|l| l.starts_with("SKIPPED")) {
        skip(&format!("pytest: {line}"));
    }
    assert!(out.contains(" passed"), "{out}");
}
