//! Unit tests that need shared fixtures (`common`).

mod ceiling_tests;
mod common;
mod loadgen_tests;
mod measure_tests;
