//! Rust generator for the Ed25519 WGSL shaders. Everything is emitted straight-line (limb
//! arithmetic fully unrolled) at run time, so the shader text is a pure function of this code.
//!
//! - [`field`]: arithmetic mod 2^255 - 19 on 20 × 13-bit u32 limbs;
//! - [`curve`]: extended-coordinate Edwards points, decompression, the joint double-scalar
//!   multiplication `[S]B + [k]P` with a fixed-base table for `B`;
//! - [`challenge`]: `k = SHA-512(R ‖ A ‖ M) mod L` and its digits on the device (`[crypto] gpu_hash_on_device`);
//! - [`entry`]: the compute entry points (the verifier, and test kernels).

pub(crate) mod challenge;
pub(crate) mod curve;
pub(crate) mod entry;
pub(crate) mod field;

#[cfg(test)]
mod tests {
    use super::entry::{Challenge, challenge_test_shader, field_test_shader, point_test_shader, verify_shader};
    use crate::testutil::assert_valid_compute_shader;

    /// Every generated shader passes naga's WGSL front end and validator, with the entry point the kernels
    /// dispatch (named as the shader). Workgroup sizes as dispatched (8 in the GPU tests, 64 by default) and the
    /// largest a verifier may ask for.
    #[test]
    fn generated_shaders_validate_with_naga() {
        for workgroup in [8, 64, 256] {
            for (name, src) in [
                ("field_test", field_test_shader(workgroup)),
                ("point_test", point_test_shader(workgroup)),
                ("verify", verify_shader(workgroup, Challenge::Host)),
                ("verify", verify_shader(workgroup, Challenge::Device)),
                ("challenge_test", challenge_test_shader(workgroup)),
            ] {
                assert_valid_compute_shader(name, &src, name, workgroup);
            }
        }
    }
}
