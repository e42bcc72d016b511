//! Records of a stream, read with bounds: WARC records and JSONL lines. Nothing larger
//! than the page limit is ever held in memory: a larger record or line is passed over in
//! chunks and reported with its size. A WARC header block is parsed by the `warc` crate's
//! parser; its values are decoded lossily, so no byte of a header can stop the stream.

use std::io::{self, BufRead, Read};

/// Most bytes of one WARC record's header block.
const MAX_WARC_HEADER: usize = 64 * 1024;

/// A WARC record as chaff needs it.
#[derive(Debug)]
pub struct WarcRecord {
    /// `WARC-Record-ID`.
    pub id: String,
    /// `WARC-Type`, lowercased.
    pub kind: String,
    /// `WARC-Target-URI`.
    pub target_uri: Option<String>,
    /// `Content-Type` of the record block, lowercased.
    pub content_type: String,
    /// The block's length (`Content-Length`).
    pub length: u64,
    /// The block, or `None` when it is longer than the limit it was read with (it was
    /// passed over).
    pub block: Option<Vec<u8>>,
}

/// Why a WARC stream cannot be read on: the reader cannot find the next record after
/// one of these.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    /// Reading failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The header block did not parse.
    #[error("malformed WARC header")]
    Header,
    /// The header block has no end within the bound.
    #[error("WARC header block over {MAX_WARC_HEADER} bytes")]
    HeaderTooLong,
    /// The stream ends inside a record's block.
    #[error("the file ends inside a record ({missing} of its {length} bytes missing)")]
    Truncated {
        /// The block's length.
        length: u64,
        /// Bytes missing.
        missing: u64,
    },
}

/// The next record of a WARC stream, its block read when it holds at most `limit`
/// bytes; `None` at the end of the stream.
pub fn next_warc_record(
    r: &mut impl BufRead,
    limit: usize,
) -> Result<Option<WarcRecord>, WarcError> {
    skip_line_ends(r, usize::MAX)?;
    let mut head = Vec::new();
    loop {
        let room = (MAX_WARC_HEADER + 1).saturating_sub(head.len()) as u64;
        let n = r.by_ref().take(room).read_until(b'\n', &mut head)?;
        if n == 0 {
            if head.is_empty() {
                return Ok(None);
            }
            return Err(WarcError::Header);
        }
        if head.len() > MAX_WARC_HEADER {
            return Err(WarcError::HeaderTooLong);
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            break;
        }
    }
    let (_, (_version, headers, length)) =
        warc::parser::headers(&head).map_err(|_| WarcError::Header)?;
    let value = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).trim().to_string())
    };
    let mut record = WarcRecord {
        id: value("WARC-Record-ID").unwrap_or_default(),
        kind: value("WARC-Type").unwrap_or_default().to_ascii_lowercase(),
        target_uri: value("WARC-Target-URI"),
        content_type: value("Content-Type")
            .unwrap_or_default()
            .to_ascii_lowercase(),
        length: length as u64,
        block: None,
    };
    let mut body = r.by_ref().take(record.length);
    if record.length <= limit as u64 {
        let mut block = Vec::with_capacity(record.length as usize);
        body.read_to_end(&mut block)?;
        record.block = Some(block);
    } else {
        io::copy(&mut body, &mut io::sink())?;
    }
    let read = record
        .block
        .as_ref()
        .map_or(record.length - body.limit(), |b| b.len() as u64);
    if read < record.length {
        return Err(WarcError::Truncated {
            length: record.length,
            missing: record.length - read,
        });
    }
    // the two line ends that close a record
    skip_line_ends(r, 4)?;
    Ok(Some(record))
}

/// Consume up to `most` CR and LF bytes.
fn skip_line_ends(r: &mut impl BufRead, most: usize) -> io::Result<()> {
    let mut left = most;
    while left > 0 {
        let buf = r.fill_buf()?;
        let n = buf
            .iter()
            .take(left)
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        if n == 0 {
            break;
        }
        r.consume(n);
        left -= n;
    }
    Ok(())
}

/// One line of a stream read with a bound.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The line, without its end.
    Bytes(Vec<u8>),
    /// The line was longer than the bound: its length, passed over.
    TooLong(u64),
}

/// The next line of `r`, held only when it has at most `limit` bytes; `None` at the end.
pub fn next_line(r: &mut impl BufRead, limit: usize) -> io::Result<Option<Line>> {
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(limit as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        return Ok(Some(Line::Bytes(line)));
    }
    if line.len() <= limit {
        // the last line, without an end
        return Ok(Some(Line::Bytes(line)));
    }
    // over the bound: pass over the rest of the line in chunks
    let mut total = line.len() as u64;
    drop(line);
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                total += i as u64;
                r.consume(i + 1);
                break;
            }
            None => {
                let n = buf.len();
                total += n as u64;
                r.consume(n);
            }
        }
    }
    Ok(Some(Line::TooLong(total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(headers: &[u8], block: &[u8]) -> Vec<u8> {
        let mut r = b"WARC/1.0\r\n".to_vec();
        r.extend_from_slice(headers);
        r.extend_from_slice(format!("Content-Length: {}\r\n\r\n", block.len()).as_bytes());
        r.extend_from_slice(block);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    #[test]
    fn a_header_byte_that_is_not_utf8_is_read_lossily() {
        let mut warc = record(
            b"WARC-Type: response\r\nWARC-Record-ID: <urn:a>\r\nWARC-Target-URI: https://example.com/caf\xe9\r\n",
            b"body one",
        );
        warc.extend(record(
            b"WARC-Type: request\r\nWARC-Record-ID: <urn:b>\r\n",
            b"two",
        ));
        let mut r = io::BufReader::new(&warc[..]);
        let a = next_warc_record(&mut r, 100).unwrap().unwrap();
        assert_eq!(
            a.target_uri.as_deref(),
            Some("https://example.com/caf\u{fffd}")
        );
        assert_eq!(a.block.as_deref(), Some(&b"body one"[..]));
        let b = next_warc_record(&mut r, 100).unwrap().unwrap();
        assert_eq!((b.id.as_str(), b.kind.as_str()), ("<urn:b>", "request"));
        assert!(next_warc_record(&mut r, 100).unwrap().is_none());
    }

    #[test]
    fn a_block_over_the_limit_is_passed_over_and_the_next_read() {
        let mut warc = record(b"WARC-Type: response\r\n", &vec![b'x'; 10_000]);
        warc.extend(record(b"WARC-Type: response\r\n", b"small"));
        let mut r = io::BufReader::with_capacity(64, &warc[..]);
        let big = next_warc_record(&mut r, 100).unwrap().unwrap();
        assert_eq!((big.length, big.block.is_none()), (10_000, true));
        let small = next_warc_record(&mut r, 100).unwrap().unwrap();
        assert_eq!(small.block.as_deref(), Some(&b"small"[..]));
    }

    #[test]
    fn broken_records_are_errors_not_panics() {
        let whole = record(b"WARC-Type: response\r\n", b"0123456789");
        let cut = &whole[..whole.len() - 8];
        let err = next_warc_record(&mut io::BufReader::new(cut), 100).unwrap_err();
        assert!(matches!(err, WarcError::Truncated { .. }), "{err}");
        let err = next_warc_record(&mut io::BufReader::new(&b"HTTP/1.1 200\r\n\r\n"[..]), 100)
            .unwrap_err();
        assert!(matches!(err, WarcError::Header), "{err}");
        let endless = [b"WARC/1.0\r\n".to_vec(), vec![b'a'; 100_000]].concat();
        let err = next_warc_record(&mut io::BufReader::new(&endless[..]), 100).unwrap_err();
        assert!(matches!(err, WarcError::HeaderTooLong), "{err}");
    }

    #[test]
    fn a_line_over_the_bound_is_passed_over_with_its_length() {
        let text = [b"short\n".to_vec(), vec![b'y'; 5000], b"\nlast".to_vec()].concat();
        let mut r = io::BufReader::with_capacity(16, &text[..]);
        assert_eq!(
            next_line(&mut r, 100).unwrap(),
            Some(Line::Bytes(b"short".to_vec()))
        );
        assert_eq!(next_line(&mut r, 100).unwrap(), Some(Line::TooLong(5000)));
        assert_eq!(
            next_line(&mut r, 100).unwrap(),
            Some(Line::Bytes(b"last".to_vec()))
        );
        assert_eq!(next_line(&mut r, 100).unwrap(), None);
    }
}
