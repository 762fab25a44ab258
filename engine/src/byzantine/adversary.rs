//! How a byzantine validator's messages are rewritten: one [`Adversary`] per cluster applies each
//! [`Byzantine`] behaviour to what the (otherwise honest) node code sends, re-signing with the validator's real
//! keys wherever a real attacker could.

use super::behaviour::Byzantine;
use crate::crypto::{ValidatorKeyPair, VoteScheme};
use crate::types::{
    Epoch, Hash, Message, Proposal, QuorumCertificate, Round, SignerBitfield, TimeoutVote, Transaction, ValidatorId,
    Vote, proposal_message, timeout_message, vote_message,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// Messages a replaying adversary remembers.
const REPLAY_MEMORY: usize = 256;
/// Copies a flooding adversary sends of each message.
pub const FLOOD_FACTOR: usize = 100;
/// Transactions in the junk gossip a [`Byzantine::JunkGossip`] adversary sends with each message, and each one's memo.
pub const JUNK_TXS_PER_MESSAGE: usize = 256;
const JUNK_MEMO_BYTES: usize = 1_024;
/// Stale votes a [`Byzantine::StaleVotes`] adversary sends with each message.
pub const STALE_VOTES_PER_MESSAGE: usize = 1_500;

/// The adversary of a simulated cluster: keys to re-sign with, what it has seen, its own random choices.
pub struct Adversary {
    chain_id: u32,
    scheme: VoteScheme,
    keys: Vec<Arc<ValidatorKeyPair>>,
    seen: Vec<Message>,
    qcs: Vec<QuorumCertificate>,
    /// The latest vote it sent (the template of its stale votes).
    last_vote: Option<Vote>,
    rng: ChaCha8Rng,
}

impl Adversary {
    /// An adversary signing with `keys` (by validator id); `seed` drives its random choices.
    pub fn new(chain_id: u32, scheme: VoteScheme, keys: Vec<Arc<ValidatorKeyPair>>, seed: u64) -> Self {
        Adversary {
            chain_id,
            scheme,
            keys,
            seen: Vec::new(),
            qcs: Vec::new(),
            last_vote: None,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0xb1_2a_77),
        }
    }

    /// Remembers a message a byzantine node received or sent (for replays and stale certificates).
    pub fn observe(&mut self, message: &Message) {
        let qc = match message {
            Message::Proposal(p) => Some(&p.block.header.parent_qc),
            Message::Timeout(t) => Some(&t.high_qc),
            _ => None,
        };
        if let Some(qc) = qc.filter(|q| !q.is_epoch_start())
            && !self.qcs.contains(qc)
        {
            if self.qcs.len() == REPLAY_MEMORY {
                self.qcs.remove(0);
            }
            self.qcs.push(qc.clone());
        }
        if matches!(message, Message::Proposal(_) | Message::Vote(_) | Message::Timeout(_)) {
            if self.seen.len() == REPLAY_MEMORY {
                let k = self.rng.random_range(0..REPLAY_MEMORY);
                self.seen.swap_remove(k);
            }
            self.seen.push(message.clone());
        }
    }

    /// What validator `me`, behaving as `behaviour`, sends instead of `message` to node `to`.
    pub fn outgoing(&mut self, behaviour: Byzantine, me: ValidatorId, to: usize, message: Message) -> Vec<Message> {
        self.observe(&message);
        match behaviour {
            Byzantine::BadVoteSignature => vec![corrupt_signature(message)],
            Byzantine::DuplicateVotes if matches!(message, Message::Vote(_) | Message::Timeout(_)) => {
                vec![message.clone(), message]
            }
            Byzantine::EquivocatingLeader => match message {
                Message::Proposal(p) if to.is_multiple_of(2) => vec![Message::Proposal(self.equivocate(me, &p))],
                other => vec![other],
            },
            Byzantine::MismatchedVote => match message {
                Message::Vote(v) => vec![Message::Vote(self.mismatch(me, v))],
                other => vec![other],
            },
            Byzantine::UnknownBlockVotes => self.unknown_block_votes(me, message),
            Byzantine::Replay => {
                let mut out = vec![message];
                if !self.seen.is_empty() {
                    let k = self.rng.random_range(0..self.seen.len());
                    out.push(self.seen[k].clone());
                }
                out
            }
            Byzantine::SmallScope => vec![self.small_scope(me, message)],
            Byzantine::EquivocatingTimeouts => match message {
                Message::Timeout(mut t) if to.is_multiple_of(2) => {
                    if let Some(stale) = self.stale_qc(&t.high_qc) {
                        t.high_qc = stale; // a timeout signs only (epoch, round): the signature stays valid
                    }
                    vec![Message::Timeout(t)]
                }
                other => vec![other],
            },
            Byzantine::ForgedSigners => vec![self.forge_signers(me, message)],
            Byzantine::Flood => vec![message; FLOOD_FACTOR],
            Byzantine::StaleVotes => self.with_stale_votes(me, message),
            Byzantine::JunkGossip => vec![message, self.junk_gossip()],
            Byzantine::DuplicateVotes | Byzantine::NonMemberVoter => vec![message],
        }
    }

    /// A validly signed vote by `me` for the proposal in `message` (the non-member voter's forgery).
    pub fn vote_for(&self, me: ValidatorId, message: &Message) -> Option<Vote> {
        let Message::Proposal(p) = message else { return None };
        let h = &p.block.header;
        let mut v = Vote {
            epoch: h.epoch,
            round: h.round,
            height: h.height,
            block_hash: p.block.hash(),
            parent_hash: h.parent_hash,
            voter: me,
            signature: Vec::new(),
        };
        self.sign_vote(&mut v);
        Some(v)
    }

    fn sign_vote(&self, v: &mut Vote) {
        let msg = vote_message(self.chain_id, v.epoch, v.round, v.height, &v.block_hash, &v.parent_hash);
        v.signature = self.key(v.voter).sign_vote(self.scheme, &msg);
    }

    fn sign_timeout(&self, t: &mut TimeoutVote) {
        t.signature = self.key(t.voter).sign_vote(self.scheme, &timeout_message(self.chain_id, t.epoch, t.round));
    }

    fn sign_proposal(&self, me: ValidatorId, p: &mut Proposal) {
        let sig = self.key(me).sign_vote(VoteScheme::Ed25519, &proposal_message(self.chain_id, &p.block.hash()));
        if sig.len() == 64 {
            p.signature.copy_from_slice(&sig);
        }
    }

    fn key(&self, v: ValidatorId) -> &ValidatorKeyPair {
        &self.keys[v as usize % self.keys.len()]
    }

    fn equivocate(&self, me: ValidatorId, p: &Proposal) -> Proposal {
        let mut twin = p.clone();
        twin.block.header.timestamp_ms = twin.block.header.timestamp_ms.wrapping_add(1);
        self.sign_proposal(me, &mut twin);
        twin
    }

    /// The right block hash with a wrong height (even rounds) or a wrong parent hash (odd rounds).
    fn mismatch(&self, me: ValidatorId, mut v: Vote) -> Vote {
        if v.round.is_multiple_of(2) {
            v.height += 1;
        } else {
            v.parent_hash = Hash::of(v.parent_hash.as_bytes());
        }
        v.voter = me;
        self.sign_vote(&mut v);
        v
    }

    fn unknown_block_votes(&mut self, me: ValidatorId, message: Message) -> Vec<Message> {
        let mut out = vec![message.clone()];
        match message {
            Message::Vote(v) => {
                for ahead in 1..=2u64 {
                    let mut fake = v.clone();
                    fake.round += ahead;
                    fake.height += ahead;
                    fake.parent_hash = fake.block_hash;
                    fake.block_hash = Hash::of(&self.rng.random::<u64>().to_le_bytes());
                    fake.voter = me;
                    self.sign_vote(&mut fake);
                    out.push(Message::Vote(fake));
                }
            }
            Message::Timeout(mut t) => {
                t.round += 2;
                self.sign_timeout(&mut t);
                out.push(Message::Timeout(t));
            }
            _ => {}
        }
        out
    }

    /// `message` and [`STALE_VOTES_PER_MESSAGE`] copies of the latest vote `me` sent, each for a random round at least
    /// two before it and a random block (not re-signed: a vote for a round the receiver has certified is refused before its check, and
    /// a peer that got our vote of round r holds the certificate of r − 1, or soon will; one that lags further checks
    /// the signature, finds it bad and bars us — also a right answer).
    fn with_stale_votes(&mut self, me: ValidatorId, message: Message) -> Vec<Message> {
        if let Message::Vote(v) = &message
            && v.voter == me
        {
            self.last_vote = Some(v.clone());
        }
        let mut out = vec![message];
        if let Some(v) = self.last_vote.as_ref().filter(|v| v.round > 2) {
            for _ in 0..STALE_VOTES_PER_MESSAGE {
                let mut stale = v.clone();
                stale.round = self.rng.random_range(1..v.round - 1);
                // A block of its own invention: each copy differs, so none is dropped as a repeat on the way.
                stale.block_hash = Hash::of(&self.rng.random::<u64>().to_le_bytes());
                out.push(Message::Vote(stale));
            }
        }
        out
    }

    /// A gossip message of [`JUNK_TXS_PER_MESSAGE`] transfers from random (unfunded) senders, unsigned, each with a
    /// zero memo for bulk; the random senders make every transaction and every message differ.
    fn junk_gossip(&mut self) -> Message {
        let txs = (0..JUNK_TXS_PER_MESSAGE)
            .map(|_| Transaction {
                chain_id: self.chain_id,
                sender: self.rng.random(),
                recipient: self.rng.random(),
                amount: 1,
                fee: 1,
                nonce: 0,
                memo: vec![0; JUNK_MEMO_BYTES],
                signature: [0; 64],
            })
            .collect();
        Message::TxGossip(txs)
    }

    fn small_scope(&mut self, me: ValidatorId, message: Message) -> Message {
        if self.rng.random_bool(0.5) {
            return message;
        }
        let pick = self.rng.random_range(0..3u8);
        match message {
            Message::Vote(mut v) => {
                shift(pick, &mut v.round, &mut v.epoch);
                self.sign_vote(&mut v);
                Message::Vote(v)
            }
            Message::Timeout(mut t) => {
                shift(pick, &mut t.round, &mut t.epoch);
                self.sign_timeout(&mut t);
                Message::Timeout(t)
            }
            Message::Proposal(mut p) => {
                let h = &mut p.block.header;
                if pick < 2 {
                    shift(pick, &mut h.round, &mut h.epoch);
                } else if let Some(stale) = self.stale_qc(&h.parent_qc) {
                    // A stale justify: the leader forks from an older certified block.
                    h.parent_hash = stale.block_hash;
                    h.height = stale.height + 1;
                    h.parent_qc = stale;
                }
                self.sign_proposal(me, &mut p);
                Message::Proposal(p)
            }
            other => other,
        }
    }

    /// An older certificate of the same epoch than `current`, if one was seen.
    fn stale_qc(&mut self, current: &QuorumCertificate) -> Option<QuorumCertificate> {
        let older: Vec<&QuorumCertificate> =
            self.qcs.iter().filter(|q| q.epoch == current.epoch && q.round < current.round).collect();
        if older.is_empty() {
            return None;
        }
        Some(older[self.rng.random_range(0..older.len())].clone())
    }

    fn forge_signers(&self, me: ValidatorId, message: Message) -> Message {
        match message {
            Message::Proposal(mut p) => {
                forge(&mut p.block.header.parent_qc.signers);
                if let Some(tc) = p.tc.as_mut() {
                    forge(&mut tc.signers);
                }
                self.sign_proposal(me, &mut p);
                Message::Proposal(p)
            }
            Message::Timeout(mut t) => {
                forge(&mut t.high_qc.signers);
                Message::Timeout(t)
            }
            Message::TimeoutCertificate(mut tc) => {
                forge(&mut tc.signers);
                Message::TimeoutCertificate(tc)
            }
            other => other,
        }
    }
}

/// A small-scope mutation of a message's position: round + 1 (pick 0), round − 1 (pick 1), epoch + 1 (else).
fn shift(pick: u8, round: &mut Round, epoch: &mut Epoch) {
    match pick {
        0 => *round += 1,
        1 => *round = round.saturating_sub(1),
        _ => *epoch += 1,
    }
}

/// Claims one more signer than signed (or, when everyone signed, one fewer); epoch-start certificates have no
/// bitfield to forge.
fn forge(signers: &mut SignerBitfield) {
    let len = signers.len();
    if len == 0 {
        return;
    }
    match (0..len).find(|&p| !signers.get(p)) {
        Some(missing) => {
            signers.set(missing);
        }
        None => {
            let mut fewer = SignerBitfield::new(len);
            for p in 0..len - 1 {
                fewer.set(p);
            }
            *signers = fewer;
        }
    }
}

fn corrupt_signature(message: Message) -> Message {
    match message {
        Message::Vote(mut v) => {
            if let Some(b) = v.signature.get_mut(5) {
                *b ^= 0x40;
            }
            Message::Vote(v)
        }
        Message::Timeout(mut t) => {
            if let Some(b) = t.signature.get_mut(5) {
                *b ^= 0x40;
            }
            Message::Timeout(t)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_bitfield_differs_from_the_real_one_in_exactly_one_signer() {
        for (len, set) in [(4, vec![0, 1, 2]), (4, vec![0, 1, 2, 3]), (7, vec![1, 3, 4, 5, 6])] {
            let mut real = SignerBitfield::new(len);
            for p in &set {
                real.set(*p);
            }
            let mut forged = real.clone();
            forge(&mut forged);
            let differ = (0..len).filter(|&p| real.get(p) != forged.get(p)).count();
            assert_eq!(differ, 1, "len {len} set {set:?}");
        }
    }
}
