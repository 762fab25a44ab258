//! Structure-aware companion of the `config` target: the input is a list of (key, typed value) records
//! (see [`hsbench_fuzz::config_fields_toml`]) over the keys of the shipped configs — any f64 (huge, tiny,
//! negative, inf, nan), any i64, enum names, load profiles, skews —, written out as TOML and fed to the same
//! loader checks (`hsbench::config::parse`, `validate`, the effective-TOML round trip). Byte-level mutation of
//! TOML text rarely reaches the numeric edge cases of `validate`; this target starts there. `HSBENCH_FUZZ_SHOW=1` prints the TOML an input stands for.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hsbench_fuzz::check_config_showing(&hsbench_fuzz::config_fields_toml(data));
});
