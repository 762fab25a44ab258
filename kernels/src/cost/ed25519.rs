//! The Ed25519 cost model: integer operations per verification, counted by walking the generated verifier shader
//! (`verify`) for one valid signature with the generic counter ([`super::count`]).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::count::{CostError, Int32Counts, Shader};
use super::devices::DeviceThroughput;
use super::projection::{KernelCost, Projection, project};
use crate::ed25519::wgsl_gen::entry::{Challenge, verify_shader};
use crate::ed25519::wgsl_gen::field::CHAIN;

/// Per-verification integer operation counts of the GPU Ed25519 kernel, derived from its generated WGSL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ed25519CostModel {
    /// 32-bit multiplies per verification.
    pub mul32_per_verify: u64,
    /// 32-bit adds/subtracts per verification.
    pub add32_per_verify: u64,
    /// 32-bit shifts and masks per verification.
    pub logic32_per_verify: u64,
    /// Comparisons, selects and boolean operations per verification.
    pub other_per_verify: u64,
    /// Calls of each shader function per verification (e.g. `fe_mul`, `fe_sq`), for reading the counts.
    pub calls_per_verify: BTreeMap<String, u64>,
    /// Operations of one call of `fe_mul` (20 × 20 limb products plus the reduction).
    pub fe_mul: Int32Counts,
    /// Operations of one call of `fe_sq`.
    pub fe_sq: Int32Counts,
}

impl Ed25519CostModel {
    /// Counts the verifier shader as the generator emits it now (the workgroup size does not change the body).
    pub fn from_shader() -> Result<Self, CostError> {
        Self::from_source(&verify_shader(64, Challenge::Host))
    }

    fn from_source(src: &str) -> Result<Self, CostError> {
        let shader = Shader::parse(src)?.with_table_bounds(pow_chain_bound);
        let run = shader.run("verify", &[])?;
        Ok(Ed25519CostModel {
            mul32_per_verify: run.ops.mul32,
            add32_per_verify: run.ops.add32,
            logic32_per_verify: run.ops.logic32,
            other_per_verify: run.ops.other,
            calls_per_verify: run.calls,
            fe_mul: shader.run("fe_mul", &[])?.ops,
            fe_sq: shader.run("fe_sq", &[])?.ops,
        })
    }

    /// The per-verification counts as one [`Int32Counts`].
    pub fn counts(&self) -> Int32Counts {
        Int32Counts {
            mul32: self.mul32_per_verify,
            add32: self.add32_per_verify,
            logic32: self.logic32_per_verify,
            other: self.other_per_verify,
        }
    }

    /// [`project`] of this model on `device`.
    pub fn project(&self, device: &DeviceThroughput) -> Projection {
        project(self, device)
    }
}

impl KernelCost for Ed25519CostModel {
    fn operation(&self) -> &'static str {
        "ed25519-verify"
    }

    fn per_item(&self) -> Int32Counts {
        self.counts()
    }
}

/// The bound of `fe_pow_tail`'s squaring loop, `k < st.x`: entry `step` of the generator's addition chain
/// (`POW_CHAIN` in the shader is `CHAIN`), or the caller's `tail_sq` on the last step.
fn pow_chain_bound(func: &str, bound: &str, env: &HashMap<String, i64>) -> Option<i64> {
    if func != "fe_pow_tail" || bound != "st.x" {
        return None;
    }
    let step = usize::try_from(*env.get("step")?).ok()?;
    match CHAIN.get(step) {
        Some(&(squarings, _, _)) => Some(i64::from(squarings)),
        None => env.get("tail_sq").copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{DEVICES, PROJECTION_LABEL};
    use crate::ed25519::wgsl_gen::curve::BTAB_WORDS;
    use crate::ed25519::wgsl_gen::field::LIMBS;

    fn model() -> Ed25519CostModel {
        Ed25519CostModel::from_shader().unwrap()
    }

    /// `fe_mul` = the 20×20 schoolbook product (L² multiplies, L² − (2L − 1) column adds) plus the reduction of
    /// `wgsl_gen/field.rs`: 38 column carries (add, shift, mask), the top carry (shift, mask), the fold of the
    /// high 20 limbs (× 608, add), and `carry_fold` (19 carries, the × 608 wrap, 2 more carries).
    #[test]
    fn fe_mul_and_fe_sq_match_the_limb_layout() {
        let m = model();
        let l = LIMBS as u64;
        let cols = 2 * l - 1;
        let carry_fold = Int32Counts { mul32: 1, add32: (l - 1) + 1 + 2, logic32: 2 * ((l - 1) + 1 + 2), other: 0 };
        let reduce = Int32Counts {
            mul32: l + carry_fold.mul32,
            add32: (cols - 1) + l + carry_fold.add32,
            logic32: 2 * (cols - 1) + 2 + carry_fold.logic32,
            other: 0,
        };
        let mul = Int32Counts {
            mul32: l * l + reduce.mul32,
            add32: (l * l - cols) + reduce.add32,
            logic32: reduce.logic32,
            other: 0,
        };
        assert_eq!(m.fe_mul, mul);
        // Squaring: L(L+1)/2 products (cross terms use the doubled limbs d_i = a_i << 1), L doublings.
        let sq_products = l * (l + 1) / 2;
        let sq = Int32Counts {
            mul32: sq_products + reduce.mul32,
            add32: (sq_products - cols) + reduce.add32,
            logic32: l + reduce.logic32,
            other: 0,
        };
        assert_eq!(m.fe_sq, sq);
    }

    /// The walk's call counts equal a hand derivation from the algorithm: 64 signed radix-16 digits per scalar
    /// (one shared chain of 63 × 4 doublings, 2 table additions per digit), an 8-entry table of `[j]P`, j = 1..8 (1
    /// doubling, 6 additions), the `- R` addition, `[8]` (3 doublings), and two decompressions, each with one
    /// `a^((p-5)/8)` (the addition chain's squarings + 2, 12 multiplies).
    #[test]
    fn call_counts_follow_the_algorithm() {
        let m = model();
        let calls = |f: &str| m.calls_per_verify.get(f).copied().unwrap_or(0);
        let digits = 64u64;
        let doublings = 1 + (digits - 1) * 4 + 3;
        let additions = 6 + 2 * digits + 1;
        let niels = 1 + 1 + 6 + 1;
        let chain_sq: u64 = CHAIN.iter().map(|c| u64::from(c.0)).sum::<u64>() + 2;
        let chain_mul = CHAIN.len() as u64 + 1;
        // decompress: fe_sq(y), fe_mul(yy, D), sqrt_ratio (v3, v7, u·v3, u·v7, ·pow, check, ·sqrt(-1) twice:
        // flipped_i and the taken fix-up = 8 multiplies, 3 squarings), fe_mul(x, y).
        let decompress_mul = 1 + 8 + chain_mul + 1;
        let decompress_sq = 1 + 3 + chain_sq;
        assert_eq!(calls("proj_dbl"), doublings);
        assert_eq!(calls("ext_add_niels"), additions);
        assert_eq!(calls("ext_to_niels"), niels);
        assert_eq!(calls("decompress"), 2);
        assert_eq!(calls("fe_pow_p58"), 2);
        assert_eq!(calls("fe_mul"), 4 * doublings + 8 * additions + niels + 2 * decompress_mul);
        assert_eq!(calls("fe_sq"), 4 * doublings + 2 * decompress_sq);
        assert_eq!(calls("load_b"), digits);
        assert_eq!(calls("verify"), 1);
    }

    /// The totals are dominated by the field multiplications and stay consistent with them; the projection is
    /// labelled and positive on every known device.
    #[test]
    fn totals_and_projections_are_consistent() {
        let m = model();
        let calls = |f: &str| m.calls_per_verify.get(f).copied().unwrap_or(0);
        let field_mul = calls("fe_mul") * m.fe_mul.mul32 + calls("fe_sq") * m.fe_sq.mul32;
        assert!(m.mul32_per_verify >= field_mul);
        // The only other multiplies: fe_add / fe_sub's × 608 wrap, fe_canon's three folds, the table and digit
        // indices, the table copy into workgroup memory (one index per word a thread copies) and a handful of
        // addresses in the entry point.
        let copy = (BTAB_WORDS as u64).div_ceil(64);
        let rest =
            calls("fe_add") + calls("fe_sub") + calls("fe_canon") * 3 + calls("load_b") + calls("digit_of") + copy;
        assert!((rest..=rest + 16).contains(&(m.mul32_per_verify - field_mul)), "{m:?}");
        assert_eq!(m, model(), "the count is deterministic");
        for d in &DEVICES {
            let p = m.project(d);
            assert_eq!(p.label, PROJECTION_LABEL);
            assert!(p.verifies_per_s > 1e5 && p.verifies_per_s < 1e8, "{p:?}");
        }
        println!("{m:#?}");
        for d in &DEVICES {
            let p = m.project(d);
            println!("{}: {:.0} verifies/s ({})", p.device, p.verifies_per_s, p.bound_by);
        }
    }
}
