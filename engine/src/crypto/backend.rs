//! The verification backend interface: one trait through which all signature verification and
//! aggregation goes, so CPU and (later) GPU backends are interchangeable and comparable.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::bls::BlsPublicKey;
use super::cpu::CpuBackend;
use super::error::CryptoError;

/// Ed25519 item for batch verification (borrowed, zero copy).
#[derive(Clone, Copy, Debug)]
pub struct Ed25519Item<'a> {
    /// The signer's 32-byte public key `A`.
    pub public_key: &'a [u8; 32],
    /// The signed message.
    pub message: &'a [u8],
    /// The 64-byte signature `R || S`.
    pub signature: &'a [u8; 64],
}

/// BLS item for same-message batch verification: a validated key and its claimed signature
/// (96-byte compressed G2 point; any other length is simply invalid).
#[derive(Clone, Copy, Debug)]
pub struct BlsItem<'a> {
    /// The signer's validated public key.
    pub public_key: &'a BlsPublicKey,
    /// The claimed signature bytes.
    pub signature: &'a [u8],
}

/// One trait through which all verification goes, so CPU and (later) GPU backends are
/// interchangeable. Every implementation must give the same verdicts on every input.
pub trait VerifyBackend: Send + Sync {
    /// Short stable name for reports and configs (e.g. `"cpu-batch"`).
    fn name(&self) -> &'static str;
    /// Per-item verdicts under the project's single Ed25519 acceptance rule
    /// ([`super::ED25519_RULE`]).
    fn verify_ed25519_batch(&self, items: &[Ed25519Item<'_>]) -> Vec<bool>;
    /// Per-item verdicts for BLS signatures over one shared message (vote ingestion).
    /// Signatures are subgroup-checked; the identity and undecodable bytes are invalid.
    fn verify_bls_same_message(&self, message: &[u8], items: &[BlsItem<'_>]) -> Vec<bool>;
    /// Verdict for an aggregate BLS signature (96 B compressed) by `public_keys` over one
    /// message (QC/TC check). False for no keys, or an undecodable, non-subgroup or identity
    /// aggregate.
    fn verify_bls_aggregate(&self, message: &[u8], public_keys: &[&BlsPublicKey], aggregate: &[u8]) -> bool;
    /// Aggregates already-verified G2 signatures into one compressed 96-byte signature
    /// (decodes each, no subgroup check: the caller verified them).
    fn aggregate_g2(&self, signatures: &[&[u8]]) -> Result<[u8; 96], CryptoError>;
    /// Aggregates G1 public keys (signer-bitfield sums).
    fn aggregate_g1(&self, public_keys: &[&BlsPublicKey]) -> Result<BlsPublicKey, CryptoError>;
    /// Per-item G2 subgroup-check verdicts for compressed signatures (false for undecodable input;
    /// true for the identity, which is in the subgroup — verification rejects it separately).
    fn subgroup_check_g2(&self, signatures: &[&[u8]]) -> Vec<bool>;
}

/// Backend kinds selectable in config: serde names `"cpu"`, `"cpu-batch"`, `"cpu-par"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuBackendKind {
    /// One verification at a time, on the calling thread (the reference).
    Cpu,
    /// Randomized batch verification with bisection on failure, on the calling thread.
    #[default]
    CpuBatch,
    /// `CpuBatch` over rayon chunks, across the global rayon pool's threads.
    CpuPar,
}

impl CpuBackendKind {
    /// All kinds, for sweeps and tests.
    pub const ALL: [CpuBackendKind; 3] = [Self::Cpu, Self::CpuBatch, Self::CpuPar];

    /// The config/report name (same as the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::CpuBatch => "cpu-batch",
            Self::CpuPar => "cpu-par",
        }
    }
}

impl fmt::Display for CpuBackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an unknown backend name on the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown CPU backend {0:?} (expected cpu, cpu-batch or cpu-par)")]
pub struct UnknownBackendKind(pub String);

impl FromStr for CpuBackendKind {
    type Err = UnknownBackendKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| UnknownBackendKind(s.to_owned()))
    }
}

/// A CPU verification backend of the given kind, shareable across threads.
pub fn cpu_backend(kind: CpuBackendKind) -> Arc<dyn VerifyBackend> {
    Arc::new(CpuBackend::new(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in CpuBackendKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert_eq!(serde_json::from_str::<CpuBackendKind>(&json).unwrap(), kind);
            assert_eq!(kind.name().parse::<CpuBackendKind>().unwrap(), kind);
            assert_eq!(cpu_backend(kind).name(), kind.name());
        }
        assert_eq!(CpuBackendKind::default(), CpuBackendKind::CpuBatch);
        assert!("gpu".parse::<CpuBackendKind>().is_err());
    }
}
