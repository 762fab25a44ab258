//! Which curve25519-dalek backend runs on this CPU, for result fingerprints (figures taken with
//! different backends must never be compared).

/// Whether curve25519-dalek was compiled with its AVX-512 IFMA backend
/// (`--cfg curve25519_dalek_backend="avx512"` in `.cargo/config.toml`), since the same flag
/// reaches this crate.
#[allow(unexpected_cfgs)]
const AVX512_COMPILED: bool = cfg!(curve25519_dalek_backend = "avx512");

/// Whether the portable-only backends were forced at compile time.
#[allow(unexpected_cfgs)]
const FORCED_PORTABLE: bool = cfg!(any(curve25519_dalek_backend = "serial", curve25519_dalek_backend = "fiat"));

/// The curve25519-dalek backend its run-time dispatch picks here: `"avx512-ifma"` (compiled in
/// and the CPU has avx512ifma + avx512vl), else `"avx2"` (CPU has avx2), else `"serial"`.
pub fn ed25519_backend_name() -> &'static str {
    if FORCED_PORTABLE {
        return "serial";
    }
    #[cfg(target_arch = "x86_64")]
    {
        if AVX512_COMPILED && std::is_x86_feature_detected!("avx512ifma") && std::is_x86_feature_detected!("avx512vl") {
            return "avx512-ifma";
        }
        if std::is_x86_feature_detected!("avx2") {
            return "avx2";
        }
    }
    "serial"
}

/// A one-line description of the Ed25519 arithmetic backend for reports, e.g.
/// `"curve25519-dalek avx512-ifma (avx512 backend compiled in)"`.
pub fn backend_description() -> String {
    let compiled = if AVX512_COMPILED { "avx512 backend compiled in" } else { "avx512 backend not compiled in" };
    format!("curve25519-dalek {} ({compiled})", ed25519_backend_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_known_backend() {
        assert!(["avx512-ifma", "avx2", "serial"].contains(&ed25519_backend_name()));
        assert!(backend_description().contains(ed25519_backend_name()));
        println!("ed25519 backend: {}", backend_description());
    }
}
