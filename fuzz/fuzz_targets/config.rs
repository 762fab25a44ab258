//! The TOML config loader (`hsbench::config::parse`, then `BenchConfig::validate`) on arbitrary text: any
//! panic is a bug (loading promises a `ConfigError` for every bad input). A config that parses and validates
//! also survives the effective-TOML round trip (`to_toml` → `parse` gives the same config, which validates).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        hsbench_fuzz::check_config_showing(text);
    }
});
