//! What chaff reads: stdin, gzip, plain text, folders, dataset folders, WARC, JSONL
//! streams, encodings.

use std::process::Command;

use crate::util::*;

#[test]
fn stdin_gzip_text_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read(root().join("datasets/examples/news.html")).unwrap();
    // gzip
    let gz = dir.path().join("b.html.gz");
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        e.write_all(&html).unwrap();
    }
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/a.html"), &html).unwrap();
    std::fs::write(dir.path().join("c.txt"), "A headline\n\nA line of text.\n").unwrap();
    let o = chaff!("classify", "--format", "jsonl", dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<String> = jsonl(&o)
        .iter()
        .map(|r| r["file"].as_str().unwrap().to_string())
        .collect();
    let mut order: Vec<String> = files.clone();
    order.dedup();
    assert_eq!(order.len(), 3, "{order:?}");
    assert!(
        order[0].ends_with("b.html.gz")
            && order[1].ends_with("c.txt")
            && order[2].ends_with("sub/a.html")
    );
    assert_eq!(files.iter().filter(|f| f.ends_with("c.txt")).count(), 2);
    // stdin
    let mut child = Command::new(env!("CARGO_BIN_EXE_chaff"))
        .args(["classify", "--format", "jsonl", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&html).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_eq!(
        jsonl(&o).len(),
        files.iter().filter(|f| f.ends_with("a.html")).count()
    );
    // the same output with one thread as with all
    let one = chaff!("classify", "--format", "jsonl", "--jobs", "1", dir.path());
    assert_eq!(
        one.stdout,
        chaff!("classify", "--format", "jsonl", dir.path()).stdout
    );
}

/// A dataset folder classifies as its pages: its manifest and the gold texts it names are
/// left out and counted; named on its own, a manifest's lines are errors that say what
/// they are; a web address is refused with what to do instead.
#[test]
fn a_dataset_folder_is_its_pages_and_a_web_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("s")).unwrap();
    std::fs::write(data.join("s/a.html"), "<p>A page of the dataset.</p>").unwrap();
    std::fs::write(data.join("s/a.article.txt"), "A page of the dataset.").unwrap();
    std::fs::write(data.join("s/a.comments.txt"), "A comment.").unwrap();
    std::fs::write(data.join("s/notes.txt"), "Not named by the manifest.").unwrap();
    std::fs::write(
        data.join("manifest.jsonl"),
        r#"{"id": "a", "html": "s/a.html", "article": "s/a.article.txt", "comments": "s/a.comments.txt"}"#,
    )
    .unwrap();
    let o = chaff!("classify", "--format", "pages", &data);
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<String> = jsonl(&o)
        .iter()
        .map(|r| r["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files[0].ends_with("a.html") && files[1].ends_with("notes.txt"));
    let err = stderr(&o);
    assert!(
        err.contains("left out 1 dataset manifest and 2 gold texts they name"),
        "{err}"
    );
    // named on its own, a manifest is refused as a whole, and the next input is read
    let o = chaff!(
        "classify",
        "--format",
        "pages",
        data.join("manifest.jsonl"),
        data.join("s/a.html")
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(jsonl(&o).len(), 1);
    let err = stderr(&o);
    assert!(
        err.contains("manifest.jsonl: a dataset manifest, not pages"),
        "{err}"
    );
    assert!(err.contains("1 page classified, 1 failed"), "{err}");
    // a manifest line in a page stream of another name says what it is
    let labels = dir.path().join("labels.jsonl");
    std::fs::write(&labels, r#"{"id": "b", "file": "b.html"}"#).unwrap();
    let o = chaff!("classify", &labels);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("labels.jsonl:1") && err.contains("a line of a dataset manifest"),
        "{err}"
    );
    // a page stream named manifest.jsonl in a folder is read as one
    let stream = dir.path().join("stream");
    std::fs::create_dir(&stream).unwrap();
    std::fs::write(
        stream.join("manifest.jsonl"),
        r#"{"id": 1, "html": "<p>A page in a stream.</p>"}"#,
    )
    .unwrap();
    let o = chaff!("classify", "--format", "pages", &stream);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(jsonl(&o).len(), 1);
    assert!(!stderr(&o).contains("left out"), "{}", stderr(&o));
    let o = chaff!("classify", "https://news.example/story.html", &stream);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("https://news.example/story.html: chaff reads files, not web addresses"),
        "{err}"
    );
    assert!(err.contains("1 page classified, 1 failed"), "{err}");
}

fn warc_record(kind: &str, id: &str, uri: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{id}>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n\
         WARC-Target-URI: {uri}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

#[test]
fn warc_input_classifies_html_responses_and_skips_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut http =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n".to_vec();
    http.extend_from_slice(b"<html><body><p>Caf\xe9 cr\xe8me is served here every morning, with fresh bread.</p></body></html>");
    let png = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG....".to_vec();
    let mut warc = Vec::new();
    warc.extend(warc_record(
        "warcinfo",
        "11111111-1111-1111-1111-111111111111",
        "",
        "application/warc-fields",
        b"software: test\r\n",
    ));
    warc.extend(warc_record(
        "request",
        "22222222-2222-2222-2222-222222222222",
        "http://a.example/",
        "application/http; msgtype=request",
        b"GET / HTTP/1.1\r\n\r\n",
    ));
    warc.extend(warc_record(
        "response",
        "33333333-3333-3333-3333-333333333333",
        "http://a.example/",
        "application/http; msgtype=response",
        &http,
    ));
    warc.extend(warc_record(
        "response",
        "44444444-4444-4444-4444-444444444444",
        "http://a.example/x.png",
        "application/http; msgtype=response",
        &png,
    ));
    let path = dir.path().join("crawl.warc.gz");
    {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::default(),
        );
        e.write_all(&warc).unwrap();
        // a record whose Content-Length promises more than the file holds
        e.write_all(b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:5>\r\nContent-Length: 9999\r\n\r\nHTTP/1.1 200").unwrap();
    }
    let o = chaff!("classify", "--format", "jsonl", &path);
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 1, "{}", stdout(&o));
    assert_eq!(rows[0]["url"], "http://a.example/");
    assert_eq!(
        rows[0]["warc_record_id"],
        "<urn:uuid:33333333-3333-3333-3333-333333333333>"
    );
    assert!(
        rows[0]["text"].as_str().unwrap().contains("Café crème"),
        "{}",
        rows[0]["text"]
    );
    let err = stderr(&o);
    assert!(err.contains("skipped 3 WARC records"), "{err}");
    assert!(
        err.contains("crawl.warc.gz") && err.contains("malformed WARC record"),
        "{err}"
    );
    assert_eq!(o.status.code(), Some(1));
}

/// A header byte that is not UTF-8 (issue 40: the `warc` crate's reader panicked on it)
/// and a record over the page limit cost their own record at most: the pages after them
/// are classified, and the limit is enforced while reading, not after.
#[test]
fn a_bad_warc_record_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let page = |text: &str| {
        let mut http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n".to_vec();
        http.extend_from_slice(format!("<p>{text}</p>").as_bytes());
        http
    };
    let response = "application/http; msgtype=response";
    let mut warc = warc_record(
        "response",
        "1",
        "http://a.example/one",
        response,
        &page("First page, read before the bad record."),
    );
    let mut latin1 = warc_record(
        "response",
        "2",
        "https://example.com/caf_",
        response,
        &page("Second page, whose address holds a Latin-1 byte."),
    );
    let at = latin1.windows(4).position(|w| w == b"caf_").unwrap() + 3;
    latin1[at] = 0xe9;
    warc.extend(latin1);
    warc.extend(warc_record(
        "response",
        "3",
        "http://a.example/big",
        response,
        &page(&"big ".repeat(5000)),
    ));
    warc.extend(warc_record(
        "response",
        "4",
        "http://a.example/last",
        response,
        &page("Last page, after the record over the limit."),
    ));
    let path = dir.path().join("mixed.warc");
    std::fs::write(&path, &warc).unwrap();
    let o = chaff!(
        "classify",
        "--format",
        "jsonl",
        "--max-page-bytes",
        "4000",
        &path
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows = jsonl(&o);
    let urls: Vec<&str> = rows.iter().map(|r| r["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "http://a.example/one",
            "https://example.com/caf\u{fffd}",
            "http://a.example/last"
        ]
    );
    let err = stderr(&o);
    assert!(
        err.contains("<urn:uuid:3>") && err.contains("over the page limit"),
        "{err}"
    );
}

#[test]
fn jsonl_stream_goes_past_a_broken_line() {
    let input = concat!(
        r#"{"id": 1, "url": "http://a.example/1", "html": "<p>First page with words.</p>"}"#,
        "\n",
        "{broken\n",
        r#"{"id": "two", "html": "<h1>Second</h1><p>Second page.</p>"}"#,
        "\n",
        r#"{"id": 3}"#,
        "\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_chaff"))
        .args(["classify", "--input", "jsonl", "--format", "pages", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(rows[0]["url"], "http://a.example/1");
    assert_eq!(rows[1]["id"], "two");
    assert_eq!(rows[1]["blocks"].as_array().unwrap().len(), 2);
    let err = stderr(&o);
    assert!(
        err.contains("stdin:2") && err.contains("not a JSON page object"),
        "{err}"
    );
    assert!(
        err.contains("stdin:4") && err.contains("no \"html\""),
        "{err}"
    );
    assert!(err.contains("2 pages classified, 2 failed"), "{err}");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn encodings_and_junk_pages() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "<p>Grüße aus Köln</p>".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let cases = [
        (write("utf16.html", &utf16), "Grüße aus Köln"),
        (
            write(
                "cp1252.html",
                b"<meta charset=windows-1252><p>na\xefve caf\xe9</p>",
            ),
            "naïve café",
        ),
        (
            write(
                "sjis.html",
                b"<meta charset=shift_jis><p>\x93\xfa\x96\x7b</p>",
            ),
            "日本",
        ),
        (
            write("gbk.html", b"<meta charset=gbk><p>\xd6\xd0\xce\xc4</p>"),
            "中文",
        ),
        (
            write(
                "koi8.html",
                b"<meta charset=koi8-r><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>",
            ),
            "Привет",
        ),
        (
            write("lies.html", b"<meta charset=utf-8><p>caf\xe9 ok</p>"),
            "caf\u{fffd} ok",
        ),
    ];
    for (path, want) in &cases {
        let o = chaff!("classify", "--format", "jsonl", path);
        assert!(o.status.success(), "{}", stderr(&o));
        let text: String = jsonl(&o)
            .iter()
            .map(|r| r["text"].as_str().unwrap().to_string())
            .collect();
        assert!(text.contains(want), "{}: {text:?}", path.display());
    }
    for (name, bytes) in [
        ("empty.html", &b""[..]),
        ("blank.html", b"  \n\t "),
        ("junk.html", &[159u8, 146, 150, 255, 1][..]),
    ] {
        let o = chaff!("classify", "--format", "jsonl", write(name, bytes));
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
    // NUL bytes at the start: a binary file, refused by name, the page beside it read
    let binary = write("binary.html", &[0u8, 159, 146, 150, 255, 0, 1]);
    let o = chaff!("classify", "--format", "jsonl", &binary, &cases[1].0);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("binary.html: the page is not text"), "{err}");
    assert!(jsonl(&o).iter().any(|r| r["text"] == "naïve café"));
}

/// A WARC response's `Content-Encoding` is undone: gzip, deflate (zlib-wrapped or raw)
/// and brotli; an encoding chaff cannot undo is reported as such.
#[test]
fn http_content_encodings_are_undone() {
    use std::io::Write;
    let text = "Encoded page with enough words to be read as the article of its page here.";
    let html = format!("<html><body><p>{text}</p></body></html>");
    let encode = |coding: &str| -> Vec<u8> {
        let raw = html.as_bytes();
        match coding {
            "gzip" => {
                let mut e =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(raw).unwrap();
                e.finish().unwrap()
            }
            "deflate" => {
                let mut e =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(raw).unwrap();
                e.finish().unwrap()
            }
            "raw-deflate" => {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(raw).unwrap();
                e.finish().unwrap()
            }
            "br" => {
                let mut out = Vec::new();
                brotli::BrotliCompress(&mut &raw[..], &mut out, &Default::default()).unwrap();
                out
            }
            _ => raw.to_vec(),
        }
    };
    let mut warc = Vec::new();
    for (i, (coding, header)) in [
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("raw-deflate", "deflate"),
        ("br", "br"),
        ("compress", "compress"),
    ]
    .iter()
    .enumerate()
    {
        let mut http = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: {header}\r\n\r\n"
        )
        .into_bytes();
        http.extend(encode(coding));
        warc.extend(warc_record(
            "response",
            &i.to_string(),
            &format!("http://a.example/{coding}"),
            "application/http; msgtype=response",
            &http,
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("encoded.warc");
    std::fs::write(&path, warc).unwrap();
    let o = chaff!("classify", "--format", "jsonl", &path);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows = jsonl(&o);
    let urls: Vec<&str> = rows.iter().map(|r| r["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "http://a.example/gzip",
            "http://a.example/deflate",
            "http://a.example/raw-deflate",
            "http://a.example/br"
        ]
    );
    assert!(rows.iter().all(|r| r["text"] == text), "{rows:?}");
    let err = stderr(&o);
    assert!(
        err.contains("<urn:uuid:4>") && err.contains("Content-Encoding \"compress\""),
        "{err}"
    );
}

/// A page sent on a pipe is answered while the pipe stays open: output is not held back
/// for a batch of pages that may never come.
#[test]
fn a_page_on_a_pipe_is_answered_before_the_next_comes() {
    use std::io::{BufRead, Write};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chaff"))
        .current_dir(root())
        .args(["classify", "--input", "jsonl", "--format", "jsonl", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(
        stdin,
        r#"{{"id": 1, "html": "<p>One page, sent alone on the pipe.</p>"}}"#
    )
    .unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        while let Some(Ok(line)) = lines.next() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("no answer while the pipe is open");
    assert!(first.contains("One page, sent alone"), "{first}");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// A file over the page limit is reported with its own size, not the bytes read.
#[test]
fn a_page_over_the_limit_is_reported_with_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("big.html");
    std::fs::write(&page, format!("<p>{}</p>", "word ".repeat(1000))).unwrap();
    let o = chaff!("classify", "--max-page-bytes", "1000", &page);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "page is 5007 bytes, over the limit of 1000 bytes (raise it with --max-page-bytes)"
        ),
        "{}",
        stderr(&o)
    );
}

/// Without a terminal, classify says how far it is: a line every 1,000 pages.
#[test]
fn a_long_classify_reports_progress_to_a_log() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chaff"))
        .current_dir(root())
        .args(["classify", "--input", "jsonl", "--format", "jsonl", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || {
        for i in 0..1000 {
            writeln!(stdin, r#"{{"html": "<p>Page {i} of a long stream.</p>"}}"#).unwrap();
        }
    });
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.starts_with("chaff: [") && l.ends_with("] 1000 pages")),
        "{err}"
    );
}
