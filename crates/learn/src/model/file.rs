//! The model file: JSON, optionally gzip-compressed, written atomically and checked
//! part by part when read.

use std::io::{Read, Write};
use std::path::Path;

use chaff_extract::{FeatureSchema, Label};
use serde::{Deserialize, Serialize};

use super::{Member, Model, ModelParams, PageRules, TrainingSummary};
use crate::cues::CueTable;
use crate::learner::Classifier;
use crate::{context, Error, Result};

/// The model file format's name, written in every model file.
pub const FORMAT: &str = "chaff-model";
/// The model file format's version.
pub const FORMAT_VERSION: u32 = 3;
/// The version of chaff written in the models it trains.
pub(super) const CHAFF_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Largest decompressed model accepted.
const MAX_MODEL_BYTES: u64 = 2 << 30;

/// The training parameters and the page rules, side by side in a file's `params`.
#[derive(Serialize)]
struct ParamsOut<'a> {
    #[serde(flatten)]
    training: &'a ModelParams,
    #[serde(flatten)]
    rules: &'a PageRules,
}

/// A model as written.
#[derive(Serialize)]
struct FileOut<'a> {
    format: &'static str,
    format_version: u32,
    chaff_version: &'a str,
    feature_schema: &'a FeatureSchema,
    context_columns: &'a [String],
    labels: &'a [Label],
    params: ParamsOut<'a>,
    training: &'a TrainingSummary,
    members: &'a [Member],
}

#[derive(Deserialize)]
struct ParamsIn {
    #[serde(flatten)]
    training: ModelParams,
    #[serde(flatten)]
    rules: PageRules,
}

/// A model as read, before its parts are checked.
#[derive(Deserialize)]
struct FileIn {
    format: String,
    format_version: u32,
    chaff_version: String,
    feature_schema: FeatureSchema,
    context_columns: Vec<String>,
    labels: Vec<Label>,
    params: ParamsIn,
    training: TrainingSummary,
    members: Vec<Member>,
}

/// The head of a file, read to say what is wrong when the whole does not parse.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    format_version: Option<u32>,
}

/// What is wrong with a file's format name and version, if anything.
fn header_problem(format: Option<&str>, version: Option<u32>) -> Option<String> {
    if format != Some(FORMAT) {
        Some("not a chaff model file (no \"format\": \"chaff-model\")".to_string())
    } else if version != Some(FORMAT_VERSION) {
        Some(format!(
            "model format version {version:?}, but this chaff reads version \
             {FORMAT_VERSION}: retrain it with this chaff"
        ))
    } else {
        None
    }
}

impl Model {
    /// Serialise to JSON.
    pub fn to_json(&self) -> Result<String> {
        let out = FileOut {
            format: FORMAT,
            format_version: FORMAT_VERSION,
            chaff_version: &self.chaff_version,
            feature_schema: &self.feature_schema,
            context_columns: &self.context_columns,
            labels: &Label::ALL,
            params: ParamsOut {
                training: &self.params.0,
                rules: &self.rules,
            },
            training: &self.training,
            members: &self.members,
        };
        serde_json::to_string(&out).map_err(|e| Error::Model {
            source_name: "in memory".into(),
            message: e.to_string(),
        })
    }

    /// Write the model file atomically: a temporary file beside `path`, then a rename.
    /// A path ending in `.gz` gets gzip-compressed JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut json = self.to_json()?.into_bytes();
        json.push(b'\n');
        if path.extension().is_some_and(|e| e == "gz") {
            // level 9, no timestamp or name in the header: the same model gives the same bytes
            let mut enc = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::best());
            enc.write_all(&json).map_err(|e| Error::io(path, e))?;
            json = enc.finish().map_err(|e| Error::io(path, e))?;
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        })
    }

    /// Read a model file.
    pub fn load(path: &Path) -> Result<Model> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Model::from_bytes(&bytes, &path.display().to_string())
    }

    /// Parse a model from bytes (JSON, gzip-compressed JSON, or MessagePack of the same
    /// structure, which loads several times faster); `source_name` names it in errors.
    pub fn from_bytes(bytes: &[u8], source_name: &str) -> Result<Model> {
        let err = |message: String| Error::Model {
            source_name: source_name.to_string(),
            message,
        };
        let inflated;
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .take(MAX_MODEL_BYTES)
                .read_to_end(&mut out)
                .map_err(|e| err(format!("cannot decompress: {e}")))?;
            inflated = out;
            &inflated[..]
        } else {
            bytes
        };
        // MessagePack: a map (fixmap, map16 or map32) where JSON has `{`
        if matches!(bytes.first(), Some(0x80..=0x8f | 0xde | 0xdf)) {
            let file: FileIn = rmp_serde::from_slice(bytes)
                .map_err(|e| err(format!("malformed MessagePack model file: {e}")))?;
            return Model::from_file(file).map_err(err);
        }
        // one pass over the (large) file when it is good; a second, for the header, to
        // say what is wrong when it is not
        let file: FileIn = match serde_json::from_slice(bytes) {
            Ok(file) => file,
            Err(e) => {
                let header: Header = serde_json::from_slice(bytes)
                    .map_err(|e| err(format!("not a chaff model file (invalid JSON: {e})")))?;
                return Err(err(header_problem(
                    header.format.as_deref(),
                    header.format_version,
                )
                .unwrap_or_else(|| format!("malformed model file: {e}"))));
            }
        };
        Model::from_file(file).map_err(err)
    }

    /// The model a file holds, every part checked.
    fn from_file(file: FileIn) -> std::result::Result<Model, String> {
        if let Some(problem) = header_problem(Some(&file.format), Some(file.format_version)) {
            return Err(problem);
        }
        if file.labels != Label::ALL {
            return Err("label set differs from this chaff's".into());
        }
        let model = Model {
            chaff_version: file.chaff_version,
            feature_schema: file.feature_schema,
            context_columns: file.context_columns,
            params: file.params.training.check().map_err(|e| e.to_string())?,
            rules: file.params.rules.check().map_err(|e| e.to_string())?,
            training: file.training,
            members: file.members,
        };
        model.check_parts()?;
        Ok(model)
    }

    /// The parts read agree with this chaff and with each other: the feature schema and
    /// context columns it makes, the members, and each classifier's width.
    fn check_parts(&self) -> std::result::Result<(), String> {
        let schema = FeatureSchema::current();
        if &self.feature_schema != schema {
            return Err(format!(
                "feature schema version {} with {} features, but this chaff extracts version \
                 {} with {}: retrain the model",
                self.feature_schema.version,
                self.feature_schema.len(),
                schema.version,
                schema.len()
            ));
        }
        if self.context_columns != context::column_names() {
            return Err(format!(
                "its {} context columns are not the {} this chaff makes: retrain the model",
                self.context_columns.len(),
                context::COLUMNS
            ));
        }
        let check = |c: &Classifier, cols: usize| -> std::result::Result<(), String> {
            if c.cols() != cols {
                return Err(format!(
                    "has {} weights per label, expected {cols}",
                    c.cols()
                ));
            }
            c.validate()
        };
        self.check_members()?;
        for (k, member) in self.members.iter().enumerate() {
            // "member 2: html head: …" only where there is more than one
            let name = |part: &str| {
                if self.members.len() > 1 {
                    format!("member {}: {part}", k + 1)
                } else {
                    part.to_string()
                }
            };
            if let Some(prior) = &member.article_prior {
                check(prior, schema.len()).map_err(|m| format!("{} {m}", name("article prior")))?;
            }
            if let Some(cues) = &member.cues {
                cues.validate()
                    .map_err(|m| format!("{} {m}", name("cue table")))?;
            }
            let extra = member.article_prior.is_some() as usize
                + member.cues.as_ref().map_or(0, CueTable::width);
            let heads = std::iter::once(("html head", &member.html, schema.len() + extra))
                .chain(member.text.iter().map(|t| ("text head", t, schema.len())));
            for (head_name, head, first_cols) in heads {
                let head_name = name(head_name);
                check(&head.first, first_cols)
                    .map_err(|m| format!("{head_name}: first stage {m}"))?;
                if let Some(c) = &head.context {
                    check(c, first_cols + context::COLUMNS)
                        .map_err(|m| format!("{head_name}: context stage {m}"))?;
                }
                if let Some(t) = head.temperature.filter(|t| !(t.is_finite() && *t > 0.0)) {
                    return Err(format!(
                        "{head_name}: temperature {t} is not a positive number"
                    ));
                }
            }
        }
        Ok(())
    }
}
