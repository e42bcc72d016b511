use std::path::PathBuf;

/// What can go wrong while reading data, training, or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A page could not be read.
    #[error("{path}: {source}")]
    Page {
        /// The page's file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: chaff_extract::Error,
    },
    /// A dataset (its manifest or its pages) is malformed.
    #[error("{path}: {message}")]
    Dataset {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A model file is malformed, truncated or incompatible.
    #[error("model {source_name}: {message}")]
    Model {
        /// Where the model came from (a path, or "embedded default").
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// Invalid parameters.
    #[error("invalid parameters: {0}")]
    Params(String),
    /// Two evaluation reports cannot be compared.
    #[error("{0}")]
    Mismatch(String),
    /// The learner failed.
    #[error("training failed: {0}")]
    Training(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn dataset(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Dataset {
            path: path.into(),
            message: message.into(),
        }
    }
}
