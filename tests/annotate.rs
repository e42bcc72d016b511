//! `chaff annotate`: the server saves every change as a dataset `train` reads, resumes
//! from the folder, and refuses bad input with clear errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::util::*;

/// A running annotator, killed when dropped (as a crash would stop it).
pub struct Annotator {
    child: Child,
    pub address: String,
}

impl Drop for Annotator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `chaff annotate ARGS` on any free port; the server once it prints its address.
pub fn start(args: &[&std::ffi::OsStr]) -> Annotator {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chaff"))
        .current_dir(root())
        .arg("annotate")
        .args(args)
        .args(["--port", "0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("annotate printed its address").unwrap();
        if let Some(at) = line.find("http://") {
            let rest = &line[at + "http://".len()..];
            break rest[..rest.find('/').unwrap()].to_string();
        }
    };
    // keep reading its log, so that it never blocks on a full pipe
    std::thread::spawn(move || lines.for_each(drop));
    Annotator { child, address }
}

impl Annotator {
    /// One HTTP request; the status code and the body.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(&self.address).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    fn json(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let (status, text) = self.request(method, path, body);
        assert_eq!(status, 200, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// The gold label of each block of a saved page, as `chaff features` reads it.
pub fn saved_labels(page: &Path) -> Vec<String> {
    let o = chaff!("features", "--format", "jsonl", page);
    assert!(o.status.success(), "{}", stderr(&o));
    jsonl(&o)
        .iter()
        .map(|row| row["gold"].as_str().unwrap_or("none").to_string())
        .collect()
}

#[test]
fn every_change_is_saved_and_train_reads_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labelled");
    let a = start(&[
        "datasets/mini/gazette.html".as_ref(),
        "datasets/examples/news.html".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let info = a.json("GET", "/api/pages", "");
    assert_eq!(info["pages"].as_array().unwrap().len(), 2);
    // the app and the overlay it shows, with block numbers, load nothing from elsewhere
    let (status, app) = a.request("GET", "/", "");
    assert_eq!(status, 200);
    assert!(
        !app.contains("http://") && !app.contains("https://"),
        "{app}"
    );
    let (_, overlay) = a.request("GET", "/page/1", "");
    assert!(overlay.contains("data-blocks=\"0\""), "{overlay}");
    // pre-labelled by the model, saved before any change
    let model_labels = saved_labels(&out.join("news.html"));
    assert_eq!(model_labels.len(), 22);
    assert!(model_labels.iter().all(|l| l != "none"));

    let changed = a.json(
        "POST",
        "/api/page/1/labels",
        r#"{"blocks": [0, 1], "label": "copyright"}"#,
    );
    assert_eq!(changed["labels"][0], "copyright");
    assert_eq!(changed["confidence"][1], 1.0);
    let now = saved_labels(&out.join("news.html"));
    assert_eq!(&now[..2], ["copyright", "copyright"]);
    assert_eq!(now[2..], model_labels[2..]);
    // undo, then label again
    a.json("POST", "/api/page/1/undo", "");
    assert_eq!(saved_labels(&out.join("news.html")), model_labels);
    a.json(
        "POST",
        "/api/page/1/labels",
        r#"{"blocks": [0], "label": "other"}"#,
    );
    a.json("POST", "/api/page/1/done", r#"{"done": true}"#);
    // a block the page does not have, a label that is not one: refused, nothing changed
    let (status, text) = a.request(
        "POST",
        "/api/page/1/labels",
        r#"{"blocks": [99], "label": "other"}"#,
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("no block 99"), "{text}");
    let (status, _) = a.request(
        "POST",
        "/api/page/1/labels",
        r#"{"blocks": [0], "label": "advert"}"#,
    );
    assert_eq!(status, 422);
    drop(a); // killed: what was saved is all there is

    let manifest = std::fs::read_to_string(out.join("manifest.jsonl")).unwrap();
    assert_eq!(manifest.lines().count(), 2, "{manifest}");
    assert!(
        manifest.contains(r#""id":"news","file":"news.html""#),
        "{manifest}"
    );
    let model = dir.path().join("m.json");
    let o = train_quick(&out, &model);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(model.is_file());

    // resumed: the saved labels, as a person's (confidence 1), and the page done
    let b = start(&[
        "datasets/mini/gazette.html".as_ref(),
        "datasets/examples/news.html".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    let page = b.json("GET", "/api/page/1", "");
    assert_eq!(page["labels"][0], "other");
    assert_eq!(page["confidence"][0], 1.0);
    // blocks left as the model labelled them keep its confidence (and their marks)
    let kept: Vec<f64> = page["confidence"].as_array().unwrap()[1..]
        .iter()
        .map(|c| c.as_f64().unwrap())
        .collect();
    assert!(kept.iter().all(|&c| c < 1.0), "{kept:?}");
    assert_eq!(page["done"], true);
    assert_eq!(saved_labels(&out.join("news.html"))[0], "other");
}

#[test]
fn bad_pages_a_busy_port_and_an_unwritable_folder_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("picture.html");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10").unwrap();
    // a page that is not HTML is named, and the others are served
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chaff"))
        .current_dir(root())
        .args(["annotate", "--port", "0", "--out"])
        .arg(&out)
        .arg(&png)
        .arg("datasets/examples/news.html")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = String::new();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    while !log.contains("http://") {
        log.push_str(&lines.next().unwrap().unwrap());
        log.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        log.contains("picture.html") && log.contains("not text"),
        "{log}"
    );
    assert!(log.contains("labelling 1 page"), "{log}");
    // only bad pages: nothing to serve
    let o = chaff!("annotate", "--port", "0", "--out", &out, &png);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no page to label"), "{}", stderr(&o));
    // a port in use
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let o = chaff!(
        "annotate",
        "--port",
        &port,
        "--out",
        &out,
        "datasets/examples/news.html"
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot listen") && stderr(&o).contains(&port),
        "{}",
        stderr(&o)
    );
    // the earlier session's saved page survives the failed starts
    assert!(out.join("news.html").is_file());
    // a file where the folder should be
    let o = chaff!("annotate", "--out", &png, "datasets/examples/news.html");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("picture.html"), "{}", stderr(&o));
}
