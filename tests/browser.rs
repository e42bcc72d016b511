//! chaff's HTML output in a real browser (Debian's headless Chromium): an overlay is inert
//! without its Content-Security-Policy line, `--format html` makes no markup live that
//! the input held as text, the evaluation report renders, and the annotator labels pages
//! with clicks and keys (driven through ChromeDriver with fantoccini). Every payload below tries to load an address or to run a
//! script that loads one, from a local server that records each request. The browser
//! tests skip, saying so, where Chromium is absent; `.ci/run` installs it, and under CI
//! (`CI` set) its absence fails them.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::util::*;

/// Chromium, or `None` (with a line saying the test skipped) where it is not installed.
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is missing under CI: .ci/run installs it"
        );
        skip("Chromium is not installed (apt-get install chromium), so this test did not run");
    }
    found
}

/// A server on a loopback port that answers `/page.html` with `page` and anything else
/// with 404, and records every path asked for.
fn serve(page: Vec<u8>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req);
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            log.lock().unwrap().push(path.clone());
            let (status, body) = if path == "/page.html" {
                ("200 OK", page.clone())
            } else {
                ("404 Not Found", b"no".to_vec())
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    (port, asked)
}

/// Show `page` in headless Chromium from a local server, with `args` (what to print or
/// save); the paths the browser asked for besides the page itself, and its output.
fn visit(browser: &Path, page: Vec<u8>, args: &[String]) -> (Vec<String>, std::process::Output) {
    let (port, asked) = serve(page);
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=3000",
        ])
        .args(args)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("http://127.0.0.1:{port}/page.html"))
        .output()
        .expect("chromium runs");
    let others = asked
        .lock()
        .unwrap()
        .iter()
        // a connection opened ahead and closed unused asks for nothing
        .filter(|p| !p.is_empty() && *p != "/page.html" && *p != "/favicon.ico")
        .cloned()
        .collect();
    (others, o)
}

/// Load `page` in headless Chromium from a local server; the paths the browser asked
/// for besides the page itself, and the DOM it ended with.
fn load(browser: &Path, page: Vec<u8>) -> (Vec<String>, String) {
    let (others, o) = visit(browser, page, &["--dump-dom".to_string()]);
    let dom = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        dom.contains("<body"),
        "the browser showed no page: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (others, dom)
}

/// Payloads that load `/leak/N` or run a script that loads `/ran/N` as soon as a page
/// shows them, no click needed.
const PAYLOADS: &str = r#"
<p>A paragraph of story text, long enough to be read as the article of this page, about
the payloads below and what a browser does with each of them when it shows the page.</p>
<script>new Image().src='/ran/1'</script>
<img src=x onerror="new Image().src='/ran/2'">
<math><mtext><table><mglyph><style><img src=x onerror="new Image().src='/ran/3'">
<svg><animate onbegin="new Image().src='/ran/4'" attributeName=x dur=1s></animate></svg>
<svg onload="new Image().src='/ran/5'"></svg>
<style>@import url(/leak/6);</style>
<style>body{background:url(/leak/7)}</style>
<style>@font-face{font-family:x;src:url(/leak/8)} p{font-family:x}</style>
<div style="background:url(/leak/9)">styled</div>
<svg><rect width=10 height=10 mask="url(/leak/10)"></rect><image href="/leak/10b"></image></svg>
<img dynsrc=/leak/12 lowsrc=/leak/12b>
<iframe src=/leak/13></iframe><object data=/leak/14></object><embed src=/leak/15>
<link rel=stylesheet href=/leak/16><link rel=prefetch href=/leak/16b>
<meta http-equiv=refresh content="0;url=/leak/17">
<noscript><p title="</noscript><img src=x onerror=new Image().src='/ran/19'>"></p></noscript>
<details open ontoggle="new Image().src='/ran/29'"><summary>s</summary>d</details>
<video poster=/leak/23></video><input type=image src=/leak/24>
<img srcset="/leak/27 1x"><picture><source srcset=/leak/28><img></picture>
<svg><foreignObject><img src=/leak/30></foreignObject></svg>
<xmp><img src=x onerror="new Image().src='/ran/31'"></xmp>
<noembed><img src=x onerror="new Image().src='/ran/32'"></noembed>
<iframe srcdoc="<img src=x onerror=parent.document.title='ran33'>"></iframe>
<marquee onstart="new Image().src='/ran/34'">m</marquee>
<audio src=/leak/35 autoplay></audio>
<style>#chaff-legend{display:none}</style>
"#;

fn page_of(body: &str) -> String {
    format!("<!DOCTYPE html><html manifest=/leak/11><head><base href=/leak/18/><title>Payloads &lt;/title&gt;&lt;img src=/leak/36&gt;</title></head><body background=/leak/25>{body}</body></html>")
}

#[test]
fn an_overlay_without_its_security_policy_loads_and_runs_nothing() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("payloads.html");
    std::fs::write(&page, page_of(PAYLOADS)).unwrap();
    // the page as it is: the payloads work, so the check below can fail
    let (asked, _) = load(&browser, std::fs::read(&page).unwrap());
    assert!(
        asked.iter().filter(|p| p.starts_with("/ran/")).count() >= 3
            && asked.iter().filter(|p| p.starts_with("/leak/")).count() >= 5,
        "the payloads did not fire in the page itself: {asked:?}"
    );
    let o = chaff!("classify", "--overlay", "--format", "html", &page);
    assert!(o.status.success(), "{}", stderr(&o));
    let overlay = stdout(&o);
    let csp = r#"<meta http-equiv="Content-Security-Policy""#;
    assert!(overlay.contains(csp), "the overlay has its policy");
    // the policy line removed, as when an overlay's body is put in another page
    let start = overlay.find(csp).unwrap();
    let end = start + overlay[start..].find('>').unwrap() + 1;
    let bare = format!("{}{}", &overlay[..start], &overlay[end..]);
    let (asked, dom) = load(&browser, bare.into_bytes());
    assert!(asked.is_empty(), "the overlay asked for {asked:?}");
    assert!(!dom.contains("ran33"), "a frame ran its script");
    // the legend is there, and no style of the page can hide it
    assert!(dom.contains(r#"id="chaff-legend""#), "{dom}");
    assert_eq!(dom.matches("<style").count(), 1, "{dom}");
    assert!(dom.contains("data-block-label=\"article\""), "{dom}");
}

/// A page short enough to be read a second time (as a parser without scripts reads it):
/// an unclosed title that a browser reads as text, whose markup the second reading
/// closes, and text in a `<noscript>`, which a browser with scripts reads as text.
#[test]
fn labelled_html_makes_no_markup_live_that_was_text() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("short.html");
    std::fs::write(
        &page,
        "<html><head><title>Short <img src=x onerror=\"new Image().src='/ran/1'\">\
         <p>Posts of the thread, served here.</p>\
         <noscript>&lt;img src=x onerror=\"new Image().src='/ran/2'\"&gt;</noscript>",
    )
    .unwrap();
    let (asked, _) = load(&browser, std::fs::read(&page).unwrap());
    assert!(asked.is_empty(), "the page itself ran {asked:?}");
    let o = chaff!("classify", "--format", "html", &page);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = stdout(&o);
    assert!(html.contains("Posts of the thread"), "{html}");
    let (asked, _) = load(&browser, html.into_bytes());
    assert!(asked.is_empty(), "chaff's labelled page ran {asked:?}");
}

/// `chaff eval --report`: the page renders with its three plots, and loads nothing. The
/// screenshot is README's (`docs/report.png`, rewritten when CHAFF_UPDATE_DOCS is set).
#[test]
fn the_evaluation_report_renders_its_plots_and_loads_nothing() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    let o = chaff!(
        "eval",
        "--data",
        root().join("datasets/mini"),
        "--report",
        &report
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read(&report).unwrap();
    let (others, dom) = load(&browser, page.clone());
    assert!(others.is_empty(), "the report loaded {others:?}");
    assert_eq!(dom.matches("<svg").count(), 3, "three plots");
    assert!(dom.matches("<rect").count() >= 36 + 18, "cells and bars");
    // the worst pages link to overlays that exist
    let text = String::from_utf8_lossy(&page);
    let links: Vec<&str> = text
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(links.len(), 4, "{text}");
    for link in links {
        assert!(dir.path().join(link).is_file(), "{link}");
    }
    let shot = dir.path().join("report.png");
    let (others, o) = visit(
        &browser,
        page,
        &[
            "--window-size=1200,1500".into(),
            format!("--screenshot={}", shot.display()),
        ],
    );
    assert!(others.is_empty(), "{others:?}");
    let png = std::fs::read(&shot).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    check_screenshot(&png, (1200, 1500), 20, "docs/report.png");
}

/// A screenshot has the window's `size` and more than one pixel in `share` drawn (not
/// near-white); with CHAFF_UPDATE_DOCS set it becomes the repository's `doc` image.
fn check_screenshot(png: &[u8], size: (u32, u32), share: usize, doc: &str) {
    let (width, height, coloured) = non_blank(png);
    assert_eq!((width, height), size);
    assert!(
        coloured > width as usize * height as usize / share,
        "{coloured} pixels drawn"
    );
    if std::env::var_os("CHAFF_UPDATE_DOCS").is_some() {
        std::fs::write(root().join(doc), png).unwrap();
    }
}

/// A PNG's width, height and pixels that are not near-white.
fn non_blank(png: &[u8]) -> (u32, u32, usize) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let coloured = buf[..info.buffer_size()]
        .chunks(channels)
        .filter(|px| px.iter().take(3).any(|&c| c < 200))
        .count();
    (info.width, info.height, coloured)
}

/// `chaff annotate` in the browser: the app draws its legend and progress and shows the
/// page in its frame, pre-labelled, loading nothing from elsewhere. The screenshot is
/// README's (`docs/annotate.png`, rewritten when CHAFF_UPDATE_DOCS is set).
#[test]
fn the_annotator_shows_a_page_to_label() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labelled");
    let a = crate::annotate::start(&[
        "datasets/examples/news.html".as_ref(),
        "datasets/mini/gazette.html".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let profile = tempfile::tempdir().unwrap();
    let shot = dir.path().join("annotate.png");
    let o = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--virtual-time-budget=4000",
            "--window-size=1200,800",
            "--dump-dom",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("http://{}/", a.address))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    assert!(dom.contains("0 of 2 pages done"), "{dom}");
    assert!(
        dom.contains("page 1 of 2: datasets/examples/news.html"),
        "{dom}"
    );
    for k in 0..6 {
        assert!(dom.contains(&format!("data-key=\"{k}\"")), "{dom}");
    }
    let png = std::fs::read(&shot).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    check_screenshot(&png, (1200, 800), 50, "docs/annotate.png");
}

/// ChromeDriver on a free loopback port, stopped when dropped; `None` (with a line saying
/// the test skipped) where it is not installed.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Option<Driver> {
    let path = Path::new("/usr/bin/chromedriver");
    if !path.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "ChromeDriver is missing under CI: .ci/run installs it"
        );
        skip("ChromeDriver is not installed (apt-get install chromium-driver), so this test did not run");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // ready once it accepts connections
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Some(Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

/// Wait up to 10 s for `check` to hold.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what}: not within 10 s");
}

/// Click the element `css` names (once it is there), then press `keys`.
async fn click_then_press(
    c: &fantoccini::Client,
    css: &str,
    keys: fantoccini::actions::KeyActions,
) {
    c.wait()
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.perform_actions(keys).await.unwrap();
}

/// A person's session in the annotator, through WebDriver: clicks, a drag and a
/// shift-click select blocks, keys set labels, `u` undoes, `n` goes to the next page; the folder holds exactly those labels, and
/// `chaff train` reads it.
#[test]
fn labels_set_with_clicks_and_keys_land_in_the_dataset() {
    use fantoccini::actions::{
        Actions, InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
    };
    use fantoccini::{ClientBuilder, Locator};

    let Some(browser) = chromium() else { return };
    let Some(driver) = chromedriver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labelled");
    let a = crate::annotate::start(&[
        "datasets/examples/news.html".as_ref(),
        "datasets/mini/gazette.html".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let news = out.join("news.html");
    let gazette = out.join("gazette.html");
    let model_news = crate::annotate::saved_labels(&news);
    let model_gazette = crate::annotate::saved_labels(&gazette);
    // labels the model did not give, so that a change shows
    let other_than = |l: &str, choices: [(&'static str, &'static str); 2]| {
        if l == choices[0].1 {
            choices[1]
        } else {
            choices[0]
        }
    };
    let (key0, label0) = other_than(&model_news[0], [("5", "copyright"), ("2", "related")]);
    let (key2, label2) = other_than(&model_gazette[2], [("2", "related"), ("3", "recent")]);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let press = |key: &str| {
        let c = key.chars().next().unwrap();
        KeyActions::new("keys".into())
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c })
    };
    runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": browser,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"],
            }),
        );
        let c = ClientBuilder::native()
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("ChromeDriver answers");
        c.goto(&format!("http://{}/", a.address)).await.unwrap();
        let frame = c.wait().for_element(Locator::Id("frame")).await.unwrap();
        frame.enter_frame().await.unwrap();
        // page 1: block 0 gets a label by click and key; block 1 is changed and undone
        let block = |i: usize| format!("[data-blocks~='{i}']");
        click_then_press(&c, &block(0), press(key0)).await;
        eventually("block 0 saved", || {
            crate::annotate::saved_labels(&news)[0] == label0
        });
        let (key1, label1) = other_than(&model_news[1], [("6", "other"), ("4", "directory")]);
        click_then_press(&c, &block(1), press(key1)).await;
        eventually("block 1 saved", || {
            crate::annotate::saved_labels(&news)[1] == label1
        });
        c.perform_actions(press("u")).await.unwrap();
        eventually("block 1 undone", || {
            crate::annotate::saved_labels(&news)[1] == model_news[1]
        });
        // the frame shows the new label too
        let shown = c
            .find(Locator::Css(&block(0)))
            .await
            .unwrap()
            .attr("data-block-label")
            .await
            .unwrap();
        assert_eq!(shown.as_deref(), Some(label0));
        // next page: this one counts as done
        c.perform_actions(press("n")).await.unwrap();
        c.enter_parent_frame().await.unwrap();
        c.wait()
            .for_element(Locator::XPath(
                "//*[@id='where'][contains(., 'page 2 of 2')]",
            ))
            .await
            .unwrap();
        let progress = c
            .find(Locator::Id("progress"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(progress, "1 of 2 pages done");
        let frame = c.find(Locator::Id("frame")).await.unwrap();
        frame.enter_frame().await.unwrap();
        click_then_press(&c, &block(2), press(key2)).await;
        eventually("page 2 block 2 saved", || {
            crate::annotate::saved_labels(&gazette)[2] == label2
        });
        // a drag from block 5 to block 7 selects the three; `3` labels them recent
        let at = |element| PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: 0.0,
        };
        let from = c.find(Locator::Css(&block(5))).await.unwrap();
        let to = c.find(Locator::Css(&block(7))).await.unwrap();
        let drag = MouseActions::new("mouse".into())
            .then(at(from))
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(at(to))
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        c.perform_actions(drag).await.unwrap();
        c.perform_actions(press("3")).await.unwrap();
        eventually("the dragged blocks saved", || {
            crate::annotate::saved_labels(&gazette)[5..=7] == ["recent"; 3]
        });
        // a click on block 10, a shift-click on block 12: the three; `5`, copyright
        c.find(Locator::Css(&block(10)))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let last = c.find(Locator::Css(&block(12))).await.unwrap();
        let tick = std::time::Duration::from_millis(10);
        let shift = '\u{e008}';
        let keys = KeyActions::new("shift".into())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Pause { duration: tick })
            .then(KeyAction::Pause { duration: tick })
            .then(KeyAction::Pause { duration: tick })
            .then(KeyAction::Up { value: shift });
        let click = MouseActions::new("mouse".into())
            .then(PointerAction::Pause { duration: tick })
            .then(at(last))
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Pause { duration: tick });
        c.perform_actions(Actions::from(keys).and(click))
            .await
            .unwrap();
        c.perform_actions(press("5")).await.unwrap();
        eventually("the shift-clicked range saved", || {
            crate::annotate::saved_labels(&gazette)[10..=12] == ["copyright"; 3]
        });
        c.close().await.unwrap();
    });
    // exactly those labels, and the rest as the model gave them
    let mut want_news = model_news.clone();
    want_news[0] = label0.to_string();
    assert_eq!(crate::annotate::saved_labels(&news), want_news);
    let mut want_gazette = model_gazette.clone();
    want_gazette[2] = label2.to_string();
    want_gazette[5..=7].fill("recent".into());
    want_gazette[10..=12].fill("copyright".into());
    assert_eq!(crate::annotate::saved_labels(&gazette), want_gazette);
    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    assert!(
        manifest.lines().next().unwrap().contains(r#""done":true"#),
        "{manifest}"
    );
    drop(a);
    let model = dir.path().join("m.json");
    let o = train_quick(&out, &model);
    assert!(o.status.success(), "{}", stderr(&o));
}
