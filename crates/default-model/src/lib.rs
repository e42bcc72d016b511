//! The default model chaff ships, embedded for every front end.
//!
//! `models/chaff-default.json.gz` is the form kept in the repository, for inspection and
//! for `--model`; parsing its 17 MB of decimal text takes a tenth of a second. This crate's
//! build script transcodes it, value for value, to MessagePack and embeds the result, so
//! that the `chaff` command and the Python package load the same model from bytes in a few
//! milliseconds, and neither needs a file beside it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use chaff_learn::Model;

/// The default model as MessagePack (made by `build.rs` from
/// `models/chaff-default.json.gz`; `models/README.md` is its card).
pub const MESSAGEPACK: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/chaff-default.msgpack"));

/// The name errors give the embedded model.
pub const SOURCE_NAME: &str = "embedded default model";

/// Read the embedded default model.
pub fn load() -> chaff_learn::Result<Model> {
    Model::from_bytes(MESSAGEPACK, SOURCE_NAME)
}

#[cfg(test)]
mod tests {
    /// The embedded MessagePack is the repository's gzip JSON model, value for value.
    #[test]
    fn the_embedded_model_is_the_repositorys() {
        let json_gz = include_bytes!("../../../models/chaff-default.json.gz");
        let embedded = super::load().unwrap();
        let source = chaff_learn::Model::from_bytes(json_gz, "models/").unwrap();
        assert!(embedded.to_json().unwrap() == source.to_json().unwrap());
    }
}
