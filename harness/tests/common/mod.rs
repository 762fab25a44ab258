//! Helpers shared by the integration tests that drive external programs (headless Chromium).

pub mod external;
