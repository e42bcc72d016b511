//! The default model, embedded in the binary as MessagePack: the same model as
//! `models/chaff-default.json.gz` (the form kept in the repository, for inspection),
//! transcoded value for value, so that loading it reads numbers as bytes instead of
//! parsing 17 MB of decimal text.

use std::io::Read;
use std::path::PathBuf;

fn main() {
    let source = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("../../models/chaff-default.json.gz");
    println!("cargo:rerun-if-changed={}", source.display());
    let gz = std::fs::read(&source).expect("models/chaff-default.json.gz");
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut json)
        .expect("the default model decompresses");
    let mut packed = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(&json);
    // maps keep their keys, so the reader sees the JSON's structure
    let mut ser = rmp_serde::Serializer::new(&mut packed).with_struct_map();
    serde_transcode::transcode(&mut de, &mut ser).expect("the default model is JSON");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("chaff-default.msgpack");
    std::fs::write(out, packed).expect("OUT_DIR is writable");
}
