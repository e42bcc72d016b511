//! Bytes → text: gzip, byte-order marks, declared charsets and a statistical fallback.
//!
//! The order follows the HTML standard's encoding sniffing: a byte-order mark wins, then a
//! charset from the transport (for example a WARC record's `Content-Type`), then a
//! `<meta charset>` or `http-equiv` declaration in the first bytes of the page; a page with
//! none of these is UTF-8 if it is valid UTF-8, and otherwise whatever `chardetng` guesses.

use std::io::Read;
use std::sync::OnceLock;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;

use crate::{Error, Result};

/// How many bytes of a page are searched for a `<meta>` charset declaration.
const PRESCAN_BYTES: usize = 4096;

/// Whether `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompress `bytes` if they are gzip data, refusing to produce more than `limit` bytes.
pub fn gunzip_if_needed(bytes: Vec<u8>, limit: usize) -> Result<Vec<u8>> {
    if !is_gzip(&bytes) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    let decoder = flate2::read::MultiGzDecoder::new(&bytes[..]);
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(Error::Gzip)?;
    if out.len() > limit {
        return Err(Error::PageTooLarge { size: None, limit });
    }
    Ok(out)
}

/// A page's text and the encoding it was decoded from.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The decoded text, with malformed sequences replaced by U+FFFD.
    pub text: String,
    /// The encoding that was used.
    pub encoding: &'static Encoding,
}

/// Decode an HTML page. `transport_charset` is a charset label from outside the page
/// (an HTTP or WARC `Content-Type`), if there is one. A page whose first
/// [`BINARY_SNIFF_CHARS`] characters hold a NUL is refused ([`Error::Binary`]).
pub fn decode_html(bytes: &[u8], transport_charset: Option<&str>) -> Result<Decoded> {
    let decoded = decode_with(bytes, sniff_html(bytes, transport_charset));
    if decoded
        .text
        .chars()
        .take(BINARY_SNIFF_CHARS)
        .any(|c| c == '\0')
    {
        return Err(Error::Binary);
    }
    Ok(decoded)
}

/// How many leading characters of an HTML page [`decode_html`] looks at for NUL. Real
/// pages may hold a stray NUL far in (two of the corpus's 3,289 do, after 20 KB), binary
/// files hold them at once.
pub const BINARY_SNIFF_CHARS: usize = 8192;

/// Decode plain text (a plain-text page, a gold article text): BOM, else UTF-8 if valid,
/// else a guess. Text that holds NUL characters is refused ([`Error::NotText`]).
pub fn decode_text(bytes: &[u8]) -> Result<Decoded> {
    let encoding = Encoding::for_bom(bytes)
        .map(|(e, _)| e)
        .unwrap_or_else(|| guess(bytes));
    let decoded = decode_with(bytes, encoding);
    if decoded.text.contains('\0') {
        return Err(Error::NotText);
    }
    Ok(decoded)
}

fn decode_with(bytes: &[u8], encoding: &'static Encoding) -> Decoded {
    // decode() strips a BOM of any UTF and prefers it over `encoding`, as the standard says
    let (text, used, _had_errors) = encoding.decode(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: used,
    }
}

/// The encoding of an HTML page, by the standard's order of evidence.
pub fn sniff_html(bytes: &[u8], transport_charset: Option<&str>) -> &'static Encoding {
    if let Some((e, _)) = Encoding::for_bom(bytes) {
        return e;
    }
    if let Some(e) = transport_charset.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
        return meta_override(e);
    }
    if let Some(e) = prescan_meta(bytes) {
        return e;
    }
    guess(bytes)
}

/// A charset declared by `<meta charset>` or `<meta http-equiv content>` near the top.
pub fn prescan_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    static META: OnceLock<Regex> = OnceLock::new();
    let re = META.get_or_init(|| {
        Regex::new(r#"(?i-u)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#)
            .expect("static regex")
    });
    let head = &bytes[..bytes.len().min(PRESCAN_BYTES)];
    re.captures_iter(head)
        .filter_map(|c| Encoding::for_label(c.get(1)?.as_bytes()))
        .map(meta_override)
        .next()
}

/// A page cannot declare itself UTF-16 in ASCII-compatible bytes: the standard maps that to
/// UTF-8, and x-user-defined to windows-1252.
fn meta_override(e: &'static Encoding) -> &'static Encoding {
    if e == UTF_16BE || e == UTF_16LE {
        UTF_8
    } else if e.name() == "x-user-defined" {
        WINDOWS_1252
    } else {
        e
    }
}

fn guess(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_in_utf16_is_read_by_its_mark_and_refused_without_it() {
        let utf16 = |mark: &[u8]| -> Vec<u8> {
            let mut b = mark.to_vec();
            b.extend(
                "Harbour reopens\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            );
            b
        };
        let d = decode_text(&utf16(&[0xff, 0xfe])).unwrap();
        assert_eq!(d.encoding, UTF_16LE);
        assert_eq!(d.text, "Harbour reopens\n");
        // the mark converted to UTF-8 ("ÿþ") and the rest left UTF-16: refused, as a page
        // too, where it would otherwise be one block of single letters
        let mangled = utf16("ÿþ".as_bytes());
        assert!(matches!(decode_text(&mangled), Err(Error::NotText)));
        let page = crate::Page::from_text_bytes(mangled, crate::PageLimits::default());
        let err = page.unwrap_err().to_string();
        assert!(err.contains("NUL characters"), "{err}");
    }

    #[test]
    fn a_binary_file_is_refused_and_a_stray_nul_far_in_is_not() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0";
        let err = crate::Page::from_html_bytes(png.to_vec(), None, crate::PageLimits::default())
            .unwrap_err();
        assert!(matches!(err, Error::Binary), "{err:?}");
        assert!(err.to_string().contains("not text"), "{err}");
        // a page's NUL past the characters looked at is kept, as browsers keep it
        let mut page = b"<p>".to_vec();
        page.extend(std::iter::repeat_n(b'a', BINARY_SNIFF_CHARS));
        page.extend(b"\0</p>");
        assert!(decode_html(&page, None).unwrap().text.contains('\0'));
        // UTF-16 with its mark has NUL bytes but no NUL characters
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("<p>Harbour</p>".encode_utf16().flat_map(u16::to_le_bytes));
        assert!(decode_html(&utf16, None).unwrap().text.contains("Harbour"));
    }

    #[test]
    fn windows_1252_from_meta() {
        let page = b"<html><head><meta charset=\"windows-1252\"></head><body>caf\xe9 \x93quoted\x94</body></html>";
        let d = decode_html(page, None).unwrap();
        assert_eq!(d.encoding, WINDOWS_1252);
        assert!(d.text.contains("café “quoted”"), "{}", d.text);
    }

    #[test]
    fn shift_jis_from_http_equiv() {
        let (body, _, _) = encoding_rs::SHIFT_JIS.encode("<p>日本語のニュース</p>");
        let mut page =
            br#"<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">"#.to_vec();
        page.extend_from_slice(&body);
        let d = decode_html(&page, None).unwrap();
        assert_eq!(d.encoding, encoding_rs::SHIFT_JIS);
        assert!(d.text.contains("日本語のニュース"));
    }

    #[test]
    fn bom_beats_meta_and_transport() {
        let mut page = vec![0xFF, 0xFE];
        for u in "<meta charset=latin1><p>héllo</p>".encode_utf16() {
            page.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode_html(&page, Some("koi8-r")).unwrap();
        assert_eq!(d.encoding, UTF_16LE);
        assert!(d.text.contains("héllo"));
    }

    #[test]
    fn transport_charset_used_without_meta() {
        let (body, _, _) = encoding_rs::KOI8_R.encode("<p>Привет мир</p>");
        let d = decode_html(&body, Some("koi8-r")).unwrap();
        assert!(d.text.contains("Привет мир"));
    }

    #[test]
    fn undeclared_non_utf8_is_guessed() {
        let (body, _, _) = WINDOWS_1252
            .encode("<p>Le café est très bon, déjà vu à la française, naïve élève.</p>");
        let d = decode_html(&body, None).unwrap();
        assert!(
            d.text.contains("très bon"),
            "{} {}",
            d.encoding.name(),
            d.text
        );
    }

    #[test]
    fn gzip_is_transparent_and_bounded() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&[b'a'; 1000]).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(gunzip_if_needed(gz.clone(), 10_000).unwrap().len(), 1000);
        assert!(matches!(
            gunzip_if_needed(gz.clone(), 100),
            Err(Error::PageTooLarge { .. })
        ));
        assert!(matches!(
            gunzip_if_needed(gz[..gz.len() / 2].to_vec(), 10_000),
            Err(Error::Gzip(_))
        ));
        assert_eq!(gunzip_if_needed(b"plain".to_vec(), 10).unwrap(), b"plain");
    }
}
