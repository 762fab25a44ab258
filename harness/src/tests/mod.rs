//! Unit tests that need shared fixtures (`common`).

mod common;
mod measure_tests;
