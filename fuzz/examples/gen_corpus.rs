//! Writes the seed corpora of the decoder targets: a few small, valid canonical encodings per target, made
//! with the engine's own encoders, to `fuzz/corpus/<target>/` (or the folder given as the last argument).
//! The config target's seeds are the shipped `bench-configs/*.toml`, copied alongside.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --no-default-features --example gen_corpus [-- --check]
//!
//! Deterministic: rerunning it rewrites the same files (commit them after a change of the encoding).
//! `--check` writes nothing: it fails, naming the files, when a committed seed differs from what the current
//! encoders produce or is missing (stale seeds still fuzz, but no longer start from valid encodings).
//! Files in the corpus folders that it does not generate (e.g. hand-added regression inputs) are left alone.

use ed25519_dalek::SigningKey;
use hsbench_engine::network::client::{ClientMessage, write_client_message};
use hsbench_engine::network::encode_frame;
use hsbench_engine::protocol::{RejectReason, TxStatus};
use hsbench_engine::types::codec::Encode;
use hsbench_engine::types::{
    Account, Block, BlockHeader, Hash, Message, Proposal, QuorumCertificate, SignerBitfield, SyncEntry,
    TimeoutCertificate, TimeoutVote, Transaction, Vote, encode, tx_root,
};
use hsbench_fuzz::{CONFIG_KEYS, CONFIG_NAMES, FieldKind};
use std::path::{Path, PathBuf};

/// A value of one `config_fields` seed record.
#[derive(Clone)]
enum Field {
    Float(f64),
    Int(i64),
    Name(&'static str),
    /// A profile or skew kind and its numbers (for `Step`: the rates, then step_s).
    Floats(FieldKind, Vec<f64>),
}

fn tx(seed: u8, memo: usize) -> Transaction {
    let key = SigningKey::from_bytes(&[seed; 32]);
    Transaction::signed(&key, 1, [seed.wrapping_add(1); 32], 10 + seed as u64, 1, seed as u64, vec![0xab; memo])
}

fn bits(len: usize, set: &[usize]) -> SignerBitfield {
    let mut b = SignerBitfield::new(len);
    for &p in set {
        b.set(p);
    }
    b
}

fn qc(height: u64, signers: SignerBitfield, aggregate: Vec<u8>) -> QuorumCertificate {
    QuorumCertificate {
        epoch: 0,
        round: height + 2,
        height,
        block_hash: Hash::of(&height.to_le_bytes()),
        parent_hash: Hash::of(&(height.wrapping_sub(1)).to_le_bytes()),
        signers,
        aggregate,
    }
}

fn block(height: u64, txs: Vec<Transaction>) -> Block {
    let parent_qc = if height == 1 {
        QuorumCertificate::epoch_start(0, 0, Hash::ZERO, Hash::ZERO)
    } else {
        qc(height - 1, bits(4, &[0, 1, 3]), vec![0x5a; 96])
    };
    Block {
        header: BlockHeader {
            chain_id: 1,
            height,
            epoch: 0,
            round: height + 3,
            parent_hash: parent_qc.block_hash,
            parent_qc,
            proposer: (height % 4) as u16,
            timestamp_ms: 1000 * height,
            tx_root: tx_root(&txs),
            tx_count: txs.len() as u32,
            exec_height: height.saturating_sub(2),
            exec_state_root: Hash::of(b"state"),
        },
        txs: txs.into(),
    }
}

fn tc() -> TimeoutCertificate {
    TimeoutCertificate {
        epoch: 0,
        round: 9,
        high_qc: qc(6, bits(4, &[1, 2, 3]), vec![0x11; 96]),
        signers: bits(4, &[0, 1, 2]),
        aggregate: vec![0x22; 96],
    }
}

fn vote() -> Vote {
    Vote {
        epoch: 0,
        round: 5,
        height: 4,
        block_hash: Hash::of(b"b4"),
        parent_hash: Hash::of(b"b3"),
        voter: 2,
        signature: vec![0x33; 96],
    }
}

fn timeout_vote() -> TimeoutVote {
    TimeoutVote {
        epoch: 0,
        round: 7,
        high_qc: qc(5, bits(4, &[0, 2, 3]), vec![0x44; 96]),
        voter: 1,
        signature: vec![0x55; 96],
        last_tc: None,
    }
}

struct Out {
    root: PathBuf,
    files: usize,
    bytes: usize,
    /// `--check`: compare with the files under `root` instead of writing; the differing ones.
    check: Option<Vec<String>>,
}

impl Out {
    fn put<T: Encode + ?Sized>(&mut self, target: &str, name: &str, value: &T) {
        self.raw(target, name, &encode(value));
    }
    fn raw(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.root.join(target);
        if let Some(stale) = &mut self.check {
            match std::fs::read(dir.join(name)) {
                Ok(committed) if committed == bytes => {}
                Ok(_) => stale.push(format!("{target}/{name} (differs)")),
                Err(e) => stale.push(format!("{target}/{name} ({e})")),
            }
        } else {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        self.files += 1;
        self.bytes += bytes.len();
    }
}

fn main() {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().position(|a| a == "--check").map(|i| args.remove(i)).is_some();
    let root = args.pop().map(PathBuf::from).unwrap_or_else(|| fuzz_dir.join("corpus"));
    let mut out = Out { root, files: 0, bytes: 0, check: check.then(Vec::new) };

    out.put("transaction", "plain", &tx(1, 0));
    out.put("transaction", "memo", &tx(2, 40));

    out.put("hash", "zero", &Hash::ZERO);
    out.put("hash", "of-abc", &Hash::of(b"abc"));

    out.put("account", "zero", &Account::default());
    out.put("account", "funded", &Account { balance: 1_000_000, nonce: 3 });

    out.put("signer_bitfield", "empty", &SignerBitfield::new(0));
    out.put("signer_bitfield", "4-of-3", &bits(4, &[0, 1, 3]));
    out.put("signer_bitfield", "13-padded", &bits(13, &[0, 5, 12]));

    let genesis_qc = QuorumCertificate::epoch_start(0, 0, Hash::ZERO, Hash::ZERO);
    out.put("qc", "epoch-start", &genesis_qc);
    out.put("qc", "bls-3-of-4", &qc(3, bits(4, &[0, 1, 2]), vec![0x5a; 96]));
    out.put("qc", "ed25519-3-of-4", &qc(3, bits(4, &[1, 2, 3]), vec![0x6b; 3 * 64]));

    out.put("tc", "3-of-4", &tc());
    out.put("vote", "bls", &vote());
    out.put("vote", "ed25519", &Vote { signature: vec![0x77; 64], ..vote() });
    out.put("timeout_vote", "bls", &timeout_vote());
    out.put("timeout_vote", "with-last-tc", &TimeoutVote { round: 10, last_tc: Some(tc()), ..timeout_vote() });

    let empty = block(1, vec![]);
    let full = block(5, vec![tx(3, 0), tx(4, 8), tx(5, 0)]);
    out.put("block_header", "genesis-child", &empty.header);
    out.put("block_header", "with-txs", &full.header);
    out.put("block", "empty", &empty);
    out.put("block", "three-txs", &full);

    out.put("sync_entry", "no-qc", &SyncEntry { block: empty.clone(), qc: None });
    out.put(
        "sync_entry",
        "with-qc",
        &SyncEntry { block: full.clone(), qc: Some(qc(5, bits(4, &[0, 1, 2]), vec![1; 96])) },
    );

    let proposal = Proposal { block: full.clone(), tc: None, signature: [0x66; 64] };
    let proposal_tc = Proposal { block: block(10, vec![tx(6, 0)]), tc: Some(tc()), signature: [0x67; 64] };
    out.put("proposal", "plain", &proposal);
    out.put("proposal", "with-tc", &proposal_tc);

    let messages = [
        ("proposal", Message::Proposal(proposal)),
        ("proposal-tc", Message::Proposal(proposal_tc)),
        ("vote", Message::Vote(vote())),
        ("timeout", Message::Timeout(timeout_vote())),
        ("timeout-tc", Message::Timeout(TimeoutVote { round: 10, last_tc: Some(tc()), ..timeout_vote() })),
        ("timeout-certificate", Message::TimeoutCertificate(tc())),
        ("tx-gossip", Message::TxGossip(vec![tx(7, 0), tx(8, 16)])),
        ("tx-gossip-empty", Message::TxGossip(vec![])),
        ("sync-request", Message::SyncRequest { from_height: 42 }),
        (
            "sync-response",
            Message::SyncResponse(vec![
                SyncEntry { block: empty, qc: None },
                SyncEntry { block: full, qc: Some(qc(5, bits(4, &[0, 1, 3]), vec![2; 96])) },
            ]),
        ),
    ];
    for (name, message) in &messages {
        out.put("message", name, message);
        // The same messages as network frames (header + payload), the frame target's seeds.
        out.raw("frame", name, &encode_frame(message));
    }
    // Handshake openings: the side byte, then a length-prefixed 32-byte ephemeral key (a valid first Noise
    // message), and one that also claims a long second message.
    let mut opening = vec![0u8, 0, 32];
    opening.extend_from_slice(&[9; 32]);
    out.raw("handshake", "accept-ephemeral", &opening);
    let mut long = opening.clone();
    long.extend_from_slice(&[0x00, 0x60]);
    long.extend_from_slice(&[7; 96]);
    out.raw("handshake", "accept-ephemeral-then-garbage", &long);
    out.raw("handshake", "connect-garbage", &[1, 0, 48, 1, 2, 3]);
    // Client-port messages: a submission and a statuses reply, length-prefixed as on the wire.
    let committed = TxStatus::Committed { height: 9, success: true };
    let clients = [
        ("submit", ClientMessage::Submit(vec![tx(7, 0), tx(8, 16)])),
        ("submit-empty", ClientMessage::Submit(vec![])),
        (
            "statuses",
            ClientMessage::Statuses(vec![
                (Hash([4; 32]), committed),
                (Hash([5; 32]), TxStatus::Rejected(RejectReason::NonceGap)),
            ]),
        ),
    ];
    for (name, message) in &clients {
        let mut bytes = Vec::new();
        write_client_message(&mut bytes, message).expect("a Vec takes every byte");
        out.raw("client_message", name, &bytes);
    }

    let configs = fuzz_dir.join("../bench-configs");
    let mut tomls: Vec<PathBuf> = std::fs::read_dir(&configs)
        .unwrap_or_else(|e| panic!("{}: {e}", configs.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    tomls.sort();
    for path in tomls {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        out.raw("config", &name, &std::fs::read(&path).unwrap());
    }
    // The load profiles and skews the shipped configs do not use, so the fuzzer starts inside those branches.
    for (name, text) in [
        ("ramp.toml", "[run]\nprofile = { ramp = { from = 100.0, to = 800.0 } }\n"),
        ("step.toml", "[run]\nprofile = { step = { rates = [200.0, 800.0], step_s = 5.0 } }\n"),
        ("wave.toml", "[run]\nprofile = { wave = { low = 100.0, high = 800.0, period_s = 4.0 } }\n"),
        ("zipf.toml", "[workload]\nskew = { zipf = 1.1 }\n[crypto]\nbackend = \"cpu-par\"\n"),
        ("hotspot.toml", "[workload]\nskew = { hotspot = { fraction = 0.01, share = 0.5 } }\n"),
        ("empty.toml", ""),
    ] {
        out.raw("config", name, text.as_bytes());
    }
    // config_fields: records (key, kind, payload) of hsbench_fuzz::config_fields_toml, starting from sane values
    // that one mutation of a number's 8 bytes takes to an edge.
    let fields = |records: &[(&str, Field)]| -> Vec<u8> {
        let mut b = Vec::new();
        for (key, value) in records {
            let (section, name) = key.rsplit_once('.').unwrap();
            let index = CONFIG_KEYS.iter().position(|&(s, k)| s == section && k == name).expect(key);
            b.push(index as u8);
            match value {
                Field::Float(x) => {
                    b.push(FieldKind::Float as u8);
                    b.extend_from_slice(&x.to_le_bytes());
                }
                Field::Int(i) => {
                    b.push(FieldKind::Int as u8);
                    b.extend_from_slice(&i.to_le_bytes());
                }
                Field::Name(n) => {
                    b.push(FieldKind::Name as u8);
                    b.push(CONFIG_NAMES.iter().position(|x| x == n).expect(n) as u8);
                }
                Field::Floats(kind, xs) => {
                    b.push(*kind as u8);
                    if *kind == FieldKind::Step {
                        b.push((xs.len() - 1) as u8);
                    }
                    for x in xs {
                        b.extend_from_slice(&x.to_le_bytes());
                    }
                }
            }
        }
        b
    };
    use Field::*;
    let run = [
        ("run.duration_s", Float(10.0)),
        ("run.warmup_s", Float(2.0)),
        ("run.cooldown_s", Float(1.0)),
        ("run.rate_tps", Float(400.0)),
        ("run.drain_s", Float(5.0)),
    ];
    let with =
        |extra: &[(&'static str, Field)]| -> Vec<(&'static str, Field)> { run.iter().chain(extra).cloned().collect() };
    let seeds = [
        ("run", with(&[("run.profile", Name("constant")), ("run.submit_to", Name("single"))])),
        ("ramp", with(&[("run.profile", Floats(FieldKind::Ramp, vec![100.0, 800.0]))])),
        ("step", with(&[("run.profile", Floats(FieldKind::Step, vec![200.0, 800.0, 5.0]))])),
        ("wave", with(&[("run.profile", Floats(FieldKind::Wave, vec![100.0, 800.0, 4.0]))])),
        // A find of the fuzzer (a timeout): a ramp from 5e120 tx/s, which validation once counted time by time.
        (
            "ramp-from-5e120",
            with(&[("run.profile", Floats(FieldKind::Ramp, vec![5.164997206502047e120, 1.8395971959103483e-307]))]),
        ),
        ("zipf", with(&[("workload.skew", Floats(FieldKind::Zipf, vec![1.1]))])),
        ("hotspot", with(&[("workload.skew", Floats(FieldKind::Hotspot, vec![0.01, 0.5]))])),
        (
            "cluster",
            with(&[
                ("cluster.validators", Int(7)),
                ("cluster.vote_scheme", Name("ed25519")),
                ("crypto.backend", Name("cpu-par")),
                ("network.latency_ms", Float(5.0)),
                ("network.loss", Float(0.01)),
                ("consensus.base_timeout_ms", Int(1000)),
                ("consensus.timeout_backoff", Float(1.5)),
                ("workload.accounts", Int(1024)),
                ("workload.memo_bytes", Int(64)),
                ("workload.invalid.bad_nonce", Float(0.1)),
            ]),
        ),
        (
            "ceiling",
            with(&[
                ("slo.p99_ms", Float(500.0)),
                ("ceiling.start_tps", Float(1000.0)),
                ("ceiling.max_tps", Float(100000.0)),
                ("ceiling.probe_s", Float(5.0)),
                ("ceiling.confirm_s", Float(10.0)),
                ("ceiling.repeats", Int(3)),
                ("crypto.gpu_batch", Int(16384)),
            ]),
        ),
    ];
    for (name, records) in &seeds {
        out.raw("config_fields", name, &fields(records));
    }
    match out.check {
        None => println!("wrote {} seed files ({} bytes) under {}", out.files, out.bytes, out.root.display()),
        Some(stale) if stale.is_empty() => {
            println!("{} seed files under {} are up to date", out.files, out.root.display())
        }
        Some(stale) => {
            eprintln!("stale seed files under {} (regenerate: scripts/fuzz.sh seeds):", out.root.display());
            for s in &stale {
                eprintln!("  {s}");
            }
            std::process::exit(1);
        }
    }
}
