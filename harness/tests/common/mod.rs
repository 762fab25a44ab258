//! Helpers shared by the integration tests that drive external programs (headless Chromium, tmux).
//!
//! Each test file compiles this module on its own and uses only part of it, hence `dead_code` allowed here.
#![allow(dead_code)]

pub mod external;
