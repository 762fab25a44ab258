//! The BLS12-381 cost model: per-item 32-bit operation counts of the BLS12-381 GPU kernels, for projections
//! ([`super::project`]).
//!
//! Method: each kernel runs a register program ([`crate::bls12_381::program`]) of Fp instructions — Montgomery
//! multiplication, addition, subtraction, copy. The program's instructions are counted by kind (for the
//! aggregation kernels: the per-point part once per point, the set-up and the final conversion to affine shared by
//! the [`POINTS_PER_THREAD`] points of a thread), and each kind is weighted by the operations of one call of the
//! generated straight-line WGSL function that executes it (`fp_mul`, `fp_add`, `fp_sub`, counted by [`super::count`]; a copy moves 30 limbs and
//! is counted as 30 "other" operations). Not counted: the interpreter's instruction decode and the register-file
//! loads and stores around each instruction, and the host's decompression — so these are lower bounds on the
//! device's work, and a projection from them an upper bound on throughput.

use serde::Serialize;

use super::count::{CostError, Int32Counts, Shader};
use super::projection::KernelCost;
use crate::bls12_381::POINTS_PER_THREAD;
use crate::bls12_381::curve::{KernelProgram, g1_sum_program, g2_subgroup_program, g2_sum_program};
use crate::bls12_381::fp_cpu::LIMBS;
use crate::bls12_381::program::{Op, decode};
use crate::bls12_381::wgsl::shader;

/// One BLS kernel's operation counts per item (a public key or signature).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlsCostModel {
    /// The operation, as `hsbench crypto` names it.
    pub operation: &'static str,
    /// Fp multiplications, additions, subtractions and copies per item.
    pub fp_ops_per_item: [f64; 4],
    /// 32-bit operations per item.
    pub per_item: Int32Counts,
}

impl KernelCost for BlsCostModel {
    fn operation(&self) -> &'static str {
        self.operation
    }

    fn per_item(&self) -> Int32Counts {
        self.per_item
    }
}

/// Instructions of each kind (mul, add, sub, copy) in `code[range]`.
fn kinds(code: &[u32], range: (u32, u32)) -> [u64; 4] {
    let mut n = [0u64; 4];
    for &word in code.get(range.0 as usize..range.1 as usize).unwrap_or(&[]) {
        let op = decode(word).0;
        let k = [Op::Mul, Op::Add, Op::Sub, Op::Copy].iter().position(|o| *o as u32 == op).unwrap_or(3);
        n[k] += 1;
    }
    n
}

/// The models of the three BLS kernels: `g1-aggregate`, `g2-aggregate`, `g2-subgroup-check`.
pub fn bls_cost_models() -> Result<Vec<BlsCostModel>, CostError> {
    let src = shader(64);
    let per_call = [
        Shader::function_counts(&src, "fp_mul")?,
        Shader::function_counts(&src, "fp_add")?,
        Shader::function_counts(&src, "fp_sub")?,
        Int32Counts { other: LIMBS as u64, ..Int32Counts::default() },
    ];
    let model = |operation: &'static str, program: &KernelProgram, points: u32| {
        let code = program.prog.code();
        let (per_point, shared) = (kinds(code, program.per_point), {
            let (a, b) = (kinds(code, program.init), kinds(code, program.fin));
            [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
        });
        let points = f64::from(points.max(1));
        let fp: [f64; 4] = std::array::from_fn(|k| per_point[k] as f64 + shared[k] as f64 / points);
        let weigh =
            |f: fn(&Int32Counts) -> u64| (0..4).map(|k| fp[k] * f(&per_call[k]) as f64).sum::<f64>().round() as u64;
        BlsCostModel {
            operation,
            fp_ops_per_item: fp,
            per_item: Int32Counts {
                mul32: weigh(|c| c.mul32),
                add32: weigh(|c| c.add32),
                logic32: weigh(|c| c.logic32),
                other: weigh(|c| c.other),
            },
        }
    };
    Ok(vec![
        model("g1-aggregate", &g1_sum_program(), POINTS_PER_THREAD),
        model("g2-aggregate", &g2_sum_program(), POINTS_PER_THREAD),
        model("g2-subgroup-check", &g2_subgroup_program(), 1),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts follow from the layout: a Montgomery multiplication of 30 limbs does at least 30 × 30 limb
    /// products (plus the reduction's), an addition none; G2 work exceeds G1 work (Fp2 = several Fp operations);
    /// the subgroup check (a 64-bit scalar multiplication plus ψ) costs far more than adding one point.
    #[test]
    fn counts_are_consistent_with_the_layout() {
        let src = shader(64);
        let mul = Shader::function_counts(&src, "fp_mul").unwrap();
        let add = Shader::function_counts(&src, "fp_add").unwrap();
        assert!(mul.mul32 >= (LIMBS * LIMBS) as u64, "{mul:?}");
        assert_eq!(add.mul32, 0, "{add:?}");
        let m = bls_cost_models().unwrap();
        let by = |op: &str| m.iter().find(|x| x.operation == op).unwrap().clone();
        let (g1, g2, sub) = (by("g1-aggregate"), by("g2-aggregate"), by("g2-subgroup-check"));
        assert!(g1.per_item.mul32 > 0 && g2.per_item.mul32 > g1.per_item.mul32, "{g1:?} {g2:?}");
        assert!(sub.per_item.mul32 > 10 * g2.per_item.mul32, "{sub:?} {g2:?}");
        // Fp multiplications per item times one multiplication's limb products is the bulk of mul32.
        let fp_muls = sub.fp_ops_per_item[0];
        assert_eq!(sub.per_item.mul32, (fp_muls * mul.mul32 as f64).round() as u64);
        assert_eq!(bls_cost_models().unwrap(), m, "deterministic");
    }
}
