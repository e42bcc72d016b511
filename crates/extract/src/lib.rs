//! Page bytes → decoded text → DOM → text blocks → feature rows.
//!
//! `chaff-extract` is the half of chaff that knows about web pages and nothing about
//! learning. It decodes raw bytes the way a browser would ([`decode`]), parses them into a
//! DOM with `scraper`/html5ever, cuts the DOM into [`Block`]s in document order ([`Page`]),
//! and turns blocks into numeric feature rows under a versioned [`FeatureSchema`]
//! ([`features`]). It also writes pages back out with labels on their blocks ([`mod@write`]).
//! The training crate consumes feature rows; the CLI glues both together.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod block;
pub mod decode;
mod error;
pub mod features;
mod label;
pub mod page;
pub mod parse;
pub mod roles;
pub mod targets;
pub mod text;
pub mod tokens;
pub mod write;

pub use block::Block;
pub use error::{Error, Result};
pub use features::{FeatureRows, FeatureSchema, PageFeatures};
pub use label::Label;
pub use page::{Page, PageLimits};
