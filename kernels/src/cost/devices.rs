//! The GPUs a projection knows: integer throughput from public specifications, each entry citing its source.

use serde::Serialize;

/// Integer throughput of a GPU from its public specification.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DeviceThroughput {
    /// Short name used on the command line (`h100-sxm`).
    pub key: &'static str,
    /// Marketing name.
    pub name: &'static str,
    /// Streaming multiprocessors.
    pub sms: u32,
    /// INT32 results per clock per SM for add/subtract, shift, bitwise and compare.
    pub int32_per_sm_clock: u32,
    /// INT32 results per clock per SM for 32-bit multiply / multiply-add (IMAD).
    pub imad_per_sm_clock: u32,
    /// Boost clock, MHz.
    pub boost_mhz: u32,
    /// Where the figures come from.
    pub source: &'static str,
}

impl DeviceThroughput {
    /// Adds, shifts, masks and compares per second (`sms × int32_per_sm_clock × boost clock`).
    pub fn int32_ops_per_s(&self) -> f64 {
        f64::from(self.sms) * f64::from(self.int32_per_sm_clock) * f64::from(self.boost_mhz) * 1e6
    }

    /// 32-bit multiplies per second (`sms × imad_per_sm_clock × boost clock`).
    pub fn mul32_ops_per_s(&self) -> f64 {
        f64::from(self.sms) * f64::from(self.imad_per_sm_clock) * f64::from(self.boost_mhz) * 1e6
    }

    /// The device whose key or name matches `name` (case-insensitive; `h100` matches `h100-sxm`).
    pub fn find(name: &str) -> Option<&'static DeviceThroughput> {
        let n = name.trim().to_ascii_lowercase();
        DEVICES
            .iter()
            .find(|d| d.key == n || d.name.to_ascii_lowercase() == n)
            .or_else(|| DEVICES.iter().find(|d| !n.is_empty() && d.key.starts_with(&n)))
    }
}

/// Per-SM rates for compute capability 8.0, 8.6, 8.9 and 9.0: CUDA C++ Programming Guide, "Arithmetic
/// Instructions", table "Throughput of Native Arithmetic Instructions (operations per clock cycle per
/// multiprocessor)": 64 for 32-bit integer add/subtract, multiply/multiply-add, shift, bitwise AND/OR/XOR and
/// compare. (On Ampere GA10x / Ada, 64 of the SM's 128 FP32 lanes also execute INT32; on A100 / H100 the SM has
/// 64 dedicated INT32 lanes — 16 per partition, per the A100 and H100 architecture whitepapers.) The figures were
/// written down from those public documents; re-check them against the current editions before publishing a
/// projection, and prefer a measurement (`hsbench crypto` on the GPU) whenever one exists.
const INT32_PER_SM_CLOCK: u32 = 64;

/// The GPUs [`project`](super::project) knows. SM counts and boost clocks from NVIDIA's public datasheets / whitepapers.
pub const DEVICES: [DeviceThroughput; 5] = [
    DeviceThroughput {
        key: "h100-sxm",
        name: "H100 SXM",
        sms: 132,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 1980,
        source: "NVIDIA H100 Tensor Core GPU Architecture whitepaper (H100 SXM5: 132 SMs, 16 INT32 units per SM \
                 partition) and H100 datasheet (FP32 67 TFLOPS = 132 SMs × 128 lanes × 2 × 1.98 GHz); CUDA guide \
                 rates for cc 9.0",
    },
    DeviceThroughput {
        key: "h200",
        name: "H200 SXM",
        sms: 132,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 1980,
        source: "NVIDIA H200 datasheet (same GH100 compute as H100 SXM: FP32 67 TFLOPS, 132 SMs at 1.98 GHz; \
                 more and faster HBM3e, which an integer-bound kernel does not use); CUDA guide rates for cc 9.0",
    },
    DeviceThroughput {
        key: "a100",
        name: "A100 SXM4",
        sms: 108,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 1410,
        source: "NVIDIA A100 Tensor Core GPU Architecture whitepaper (108 SMs, 16 INT32 units per SM partition, \
                 boost 1410 MHz; FP32 19.5 TFLOPS = 108 × 64 × 2 × 1.41 GHz); CUDA guide rates for cc 8.0",
    },
    DeviceThroughput {
        key: "rtx-4090",
        name: "GeForce RTX 4090",
        sms: 128,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 2520,
        source: "NVIDIA Ada Lovelace architecture whitepaper (RTX 4090: 128 SMs, 16384 CUDA cores, boost \
                 2520 MHz; half of each SM's 128 lanes execute INT32); CUDA guide rates for cc 8.9",
    },
    DeviceThroughput {
        key: "l4",
        name: "L4",
        sms: 58,
        int32_per_sm_clock: INT32_PER_SM_CLOCK,
        imad_per_sm_clock: INT32_PER_SM_CLOCK,
        boost_mhz: 2040,
        source: "NVIDIA L4 datasheet (AD104, 7424 CUDA cores = 58 SMs, FP32 30.3 TFLOPS = 58 × 128 × 2 × \
                 2.04 GHz; half of each SM's lanes execute INT32); CUDA guide rates for cc 8.9",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every device is found by its key and its name; a prefix finds the device (`h100`), an unknown name none.
    #[test]
    fn names_resolve() {
        for d in &DEVICES {
            assert_eq!(DeviceThroughput::find(d.key), Some(d));
            assert_eq!(DeviceThroughput::find(d.name), Some(d));
        }
        assert_eq!(DeviceThroughput::find("H100").map(|d| d.key), Some("h100-sxm"));
        assert!(DeviceThroughput::find("tpu").is_none());
    }
}
