/// What can go wrong while reading a page.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The page is larger than the configured limit.
    #[error(
        "page is {}over the limit of {limit} bytes",
        size.map(|s| format!("{s} bytes, ")).unwrap_or_default()
    )]
    PageTooLarge {
        /// Size of the page in bytes, when it is known (a stream or a compressed page is
        /// read only up to the limit).
        size: Option<u64>,
        /// The limit in force.
        limit: usize,
    },
    /// The page has more blocks than the configured limit.
    #[error("page has more than {limit} blocks")]
    TooManyBlocks {
        /// The limit in force.
        limit: usize,
    },
    /// A gzip stream could not be decompressed.
    #[error("cannot decompress gzip data: {0}")]
    Gzip(#[source] std::io::Error),
    /// Plain text that holds NUL characters: UTF-16 without its byte-order mark (or with
    /// one a conversion mangled), or not text at all. Read as UTF-8 its words would be
    /// single letters.
    #[error(
        "the text holds NUL characters: is it UTF-16 without its byte-order mark? Save it as UTF-8"
    )]
    NotText,
    /// An HTML page that holds NUL characters near its start once decoded: an image, an
    /// archive, a PDF or another binary file, not a page.
    #[error("the page is not text: NUL characters near its start (an image, a PDF, an archive?)")]
    Binary,
    /// An unknown label name.
    #[error("unknown label {0:?} (expected one of article, related, recent, directory, copyright, other)")]
    UnknownLabel(String),
    /// Writing output failed.
    #[error("cannot write page: {0}")]
    Write(#[source] std::io::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
