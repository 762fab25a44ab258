//! The operations `hsbench crypto` times, and the signed inputs they run on.

use anyhow::{Context, bail};
use hsbench_engine::crypto::{
    BlsItem, BlsPublicKey, Ed25519Item, ValidatorKeyPair, VerifyBackend, VoteScheme, ed25519_public, ed25519_sign,
    ed25519_signing_key_from_seed,
};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// One timed operation; the batch size is its item count (signatures, keys or QC signers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// `verify_ed25519_batch` of n signatures by n keys over n messages.
    Ed25519Verify,
    /// `aggregate_g1` of n BLS public keys.
    G1Aggregate,
    /// `aggregate_g2` of n BLS signatures.
    G2Aggregate,
    /// `subgroup_check_g2` of n BLS signatures.
    G2SubgroupCheck,
    /// `verify_bls_aggregate`: one QC aggregate by n signers.
    QcVerify,
    /// `verify_bls_same_message`: n votes on one block.
    VoteIngestion,
}

impl Op {
    /// Every operation, in table order.
    pub const ALL: [Op; 6] = [
        Self::Ed25519Verify,
        Self::G1Aggregate,
        Self::G2Aggregate,
        Self::G2SubgroupCheck,
        Self::QcVerify,
        Self::VoteIngestion,
    ];

    /// The CLI / JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ed25519Verify => "ed25519-verify",
            Self::G1Aggregate => "g1-aggregate",
            Self::G2Aggregate => "g2-aggregate",
            Self::G2SubgroupCheck => "g2-subgroup-check",
            Self::QcVerify => "qc-verify",
            Self::VoteIngestion => "vote-ingestion",
        }
    }

    /// Whether the `gpu` backend runs it on the GPU: Ed25519 verification, G1/G2 aggregation and G2 subgroup
    /// checks. QC verification and vote ingestion are pairings, which the `gpu` backend delegates to
    /// `cpu-batch` (blst), so their gpu cells are not measured.
    pub fn on_gpu(self) -> bool {
        matches!(self, Self::Ed25519Verify | Self::G1Aggregate | Self::G2Aggregate | Self::G2SubgroupCheck)
    }

    /// Whether it is a BLS operation (needs the BLS fixture).
    pub fn is_bls(self) -> bool {
        self != Self::Ed25519Verify
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|o| o.name() == s).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|o| o.name()).collect();
            format!("unknown operation {s:?} (expected one of {})", names.join(", "))
        })
    }
}

/// Distinct BLS signers (keys are reused cyclically beyond this: key generation and signing cost ~1 ms each,
/// and none of the timed operations depends on the keys being distinct).
pub const DISTINCT_BLS_KEYS: usize = 64;
/// Distinct Ed25519 signers (messages are always distinct).
pub const DISTINCT_ED25519_KEYS: usize = 1024;

/// The message every BLS vote signs.
const VOTE_MESSAGE: &[u8] = b"hsbench crypto: vote on block 42";

/// Signed inputs for every batch size up to `len`.
pub struct Fixture {
    ed25519: Vec<([u8; 32], Vec<u8>, [u8; 64])>,
    bls_keys: Vec<BlsPublicKey>,
    bls_sigs: Vec<Vec<u8>>,
}

impl Fixture {
    /// The Ed25519 items (public key, message, signature), in order.
    pub fn ed25519(&self) -> &[([u8; 32], Vec<u8>, [u8; 64])] {
        &self.ed25519
    }

    /// `len` Ed25519 items (when `ed25519`) and `len` BLS keys and votes (when `bls`).
    pub fn new(len: usize, ed25519: bool, bls: bool) -> anyhow::Result<Self> {
        let mut fixture = Fixture { ed25519: Vec::new(), bls_keys: Vec::new(), bls_sigs: Vec::new() };
        if ed25519 {
            let keys: Vec<_> = (0..DISTINCT_ED25519_KEYS.min(len))
                .map(|i| ed25519_signing_key_from_seed(seed(i as u64, 0xed)))
                .collect();
            fixture.ed25519 = (0..len)
                .map(|i| {
                    let key = &keys[i % keys.len()];
                    let msg = format!("hsbench crypto transfer #{i:08}").into_bytes();
                    let sig = ed25519_sign(key, &msg);
                    (ed25519_public(key), msg, sig)
                })
                .collect();
        }
        if bls {
            let pairs: Vec<_> =
                (0..DISTINCT_BLS_KEYS.min(len)).map(|i| ValidatorKeyPair::from_seed(seed(i as u64, 0xb1))).collect();
            let keys = pairs
                .iter()
                .map(|p| BlsPublicKey::from_bytes_with_pop(&p.public().bls, &p.public().bls_pop))
                .collect::<Result<Vec<_>, _>>()
                .context("generated BLS key failed its own proof of possession")?;
            let sigs: Vec<Vec<u8>> = pairs.iter().map(|p| p.sign_vote(VoteScheme::Bls, VOTE_MESSAGE)).collect();
            fixture.bls_keys = (0..len).map(|i| keys[i % keys.len()].clone()).collect();
            fixture.bls_sigs = (0..len).map(|i| sigs[i % sigs.len()].clone()).collect();
        }
        Ok(fixture)
    }
}

fn seed(i: u64, tag: u8) -> [u8; 32] {
    let mut s = [tag; 32];
    s[..8].copy_from_slice(&i.to_le_bytes());
    s
}

/// One (operation, batch size) with its inputs borrowed from a [`Fixture`], ready to run repeatedly.
pub struct Prepared<'a> {
    op: Op,
    ed25519: Vec<Ed25519Item<'a>>,
    keys: Vec<&'a BlsPublicKey>,
    sigs: Vec<&'a [u8]>,
    votes: Vec<BlsItem<'a>>,
    aggregate: Vec<u8>,
}

impl<'a> Prepared<'a> {
    /// The first `n` inputs of `fixture` for `op` (a QC's aggregate is computed here, untimed, on the CPU).
    pub fn new(op: Op, n: usize, fixture: &'a Fixture) -> anyhow::Result<Self> {
        let mut p = Prepared {
            op,
            ed25519: Vec::new(),
            keys: Vec::new(),
            sigs: Vec::new(),
            votes: Vec::new(),
            aggregate: Vec::new(),
        };
        if op == Op::Ed25519Verify {
            let items = fixture.ed25519.get(..n).context("fixture too small")?;
            p.ed25519 =
                items.iter().map(|(pk, m, s)| Ed25519Item { public_key: pk, message: m, signature: s }).collect();
        } else {
            let keys = fixture.bls_keys.get(..n).context("fixture too small")?;
            let sigs = fixture.bls_sigs.get(..n).context("fixture too small")?;
            p.keys = keys.iter().collect();
            p.sigs = sigs.iter().map(Vec::as_slice).collect();
            if op == Op::VoteIngestion {
                p.votes = keys.iter().zip(sigs).map(|(k, s)| BlsItem { public_key: k, signature: s }).collect();
            }
            if op == Op::QcVerify {
                let cpu = hsbench_engine::crypto::cpu_backend(hsbench_engine::crypto::CpuBackendKind::CpuBatch);
                p.aggregate = cpu.aggregate_g2(&p.sigs).context("cannot aggregate the QC's signatures")?.to_vec();
            }
        }
        Ok(p)
    }

    /// Runs the operation once on `backend`; errors when a verdict is wrong (every input is valid).
    pub fn run(&self, backend: &dyn VerifyBackend) -> anyhow::Result<()> {
        let ok = match self.op {
            Op::Ed25519Verify => backend.verify_ed25519_batch(&self.ed25519).iter().all(|&v| v),
            Op::G1Aggregate => backend.aggregate_g1(&self.keys).is_ok(),
            Op::G2Aggregate => backend.aggregate_g2(&self.sigs).is_ok(),
            Op::G2SubgroupCheck => backend.subgroup_check_g2(&self.sigs).iter().all(|&v| v),
            Op::QcVerify => backend.verify_bls_aggregate(VOTE_MESSAGE, &self.keys, &self.aggregate),
            Op::VoteIngestion => backend.verify_bls_same_message(VOTE_MESSAGE, &self.votes).iter().all(|&v| v),
        };
        if !ok {
            bail!("{} on {}: wrong result on valid input", self.op, backend.name());
        }
        Ok(())
    }
}
