//! End-to-end tests of the `chaff` binary, by topic, on small pages written for chaff,
//! plus tests on ../shared/corpus that skip, saying so, when it is absent.

#[macro_use]
mod util;

mod annotate;
mod browser;
mod classify;
mod errors;
mod eval;
mod inputs;
mod python;
mod train;
