//! Faults a peer provably committed, counted per peer, and the peer barred for a while.
//!
//! Connections are authenticated with the validator keys and an honest validator sends only what it made or
//! checked itself, so a message refused for a reason in [`Refusal::proves_fault`] convicts the peer it came from —
//! never a third party named in it (a vote names its voter, but one not from its voter's own connection is refused
//! as [`Refusal::NotSigner`] and convicts whoever relayed it). The node counts such faults per peer and asks its
//! runtime ([`Action::BarPeer`]) to bar that peer for [`PEER_BAR`], twice as long each further time up to
//! [`MAX_PEER_BAR`]: on the wire its votes, timeouts, gossip and sync responses are then dropped unread (its
//! proposals still arrive and our messages still reach it: docs/NETWORK.md says why), so a peer feeding bad
//! signatures cannot keep a validator's verification busy. A convicted member never adds to a quorum anyway — a
//! committee tolerates `f` of them; an honest peer is never convicted (the tests check every honest link of the
//! byzantine cluster run).

use crate::bft::Refusal;
use crate::protocol::{Action, PeerBar};
use crate::types::ValidatorId;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// How long a peer is barred the first time it is convicted. Long against its message rate (one bad message per
/// bar is all of it that gets checked), short against a run, so a peer convicted by a bug of ours (which the tests
/// would catch) is back soon.
pub const PEER_BAR: Duration = Duration::from_secs(10);

/// The longest bar: each further one is twice the last, up to this.
pub const MAX_PEER_BAR: Duration = Duration::from_secs(320);

/// The faults each peer was convicted of, and its latest bar: when it was asked for and how long it was.
#[derive(Debug, Default)]
pub(crate) struct PeerFaults {
    counts: BTreeMap<ValidatorId, BTreeMap<&'static str, u64>>,
    barred: HashMap<ValidatorId, (Duration, Duration)>,
}

impl PeerFaults {
    /// Records the refusal of a message from `peer` when it proves a fault, and asks for the peer to be barred —
    /// for twice its last bar, [`PEER_BAR`] the first time, at most [`MAX_PEER_BAR`] — unless that was asked less
    /// than half the last bar ago (so a flood of bad messages read before the bar took hold asks once). Messages
    /// from this node itself (`me`) convict nobody.
    pub(crate) fn record(
        &mut self,
        now: Duration,
        me: ValidatorId,
        peer: ValidatorId,
        refusal: Refusal,
        actions: &mut Vec<Action>,
    ) {
        if peer == me || !refusal.proves_fault() {
            return;
        }
        *self.counts.entry(peer).or_default().entry(refusal.as_str()).or_default() += 1;
        let bar = match self.barred.get(&peer) {
            Some((at, last)) if now < *at + *last / 2 => return,
            Some((_, last)) => (*last * 2).min(MAX_PEER_BAR),
            None => PEER_BAR,
        };
        self.barred.insert(peer, (now, bar));
        actions.push(Action::BarPeer(PeerBar { peer, reason: refusal.as_str(), bar }));
    }

    /// Faults by peer and reason, for the node's report.
    pub(crate) fn report(&self) -> BTreeMap<ValidatorId, BTreeMap<String, u64>> {
        self.counts.iter().map(|(peer, by)| (*peer, by.iter().map(|(r, n)| (r.to_string(), *n)).collect())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar_requests(actions: &[Action]) -> Vec<ValidatorId> {
        actions.iter().filter_map(|a| if let Action::BarPeer(b) = a { Some(b.peer) } else { None }).collect()
    }

    fn bars(actions: &[Action]) -> Vec<Duration> {
        actions.iter().filter_map(|a| if let Action::BarPeer(b) = a { Some(b.bar) } else { None }).collect()
    }

    /// Each further bar of a peer is twice the last, up to the longest; another peer starts at the first.
    #[test]
    fn bars_double_per_conviction_up_to_the_longest() {
        let mut f = PeerFaults::default();
        let mut actions = Vec::new();
        let mut now = Duration::ZERO;
        for _ in 0..8 {
            f.record(now, 0, 2, Refusal::BadSignature, &mut actions);
            now += MAX_PEER_BAR; // past every half bar
        }
        f.record(now, 0, 3, Refusal::Malformed, &mut actions);
        let s = Duration::from_secs;
        assert_eq!(bars(&actions), vec![s(10), s(20), s(40), s(80), s(160), s(320), s(320), s(320), s(10)]);
    }

    /// A fault is counted every time; the bar is asked for once per half bar and peer; refusals an honest peer can
    /// cause, and messages from the node itself, count nothing.
    #[test]
    fn faults_are_counted_per_peer_and_the_bar_asked_once_per_half_bar() {
        let mut f = PeerFaults::default();
        let mut actions = Vec::new();
        let s = Duration::from_secs;
        f.record(s(0), 0, 2, Refusal::BadSignature, &mut actions);
        f.record(s(1), 0, 2, Refusal::NotSigner, &mut actions);
        f.record(s(1), 0, 3, Refusal::StaleRound, &mut actions);
        f.record(s(1), 0, 0, Refusal::BadSignature, &mut actions);
        f.record(s(2), 0, 1, Refusal::Equivocation, &mut actions);
        assert_eq!(bar_requests(&actions), vec![2, 1]);
        f.record(s(4), 0, 2, Refusal::BadSignature, &mut actions);
        assert_eq!(bar_requests(&actions), vec![2, 1], "not again within half a bar");
        f.record(s(5), 0, 2, Refusal::BadSignature, &mut actions);
        assert_eq!(bar_requests(&actions), vec![2, 1, 2], "asked again once half a bar passed");
        let report = f.report();
        assert_eq!(report.len(), 2, "{report:?}");
        assert_eq!(report[&2]["bad_signature"], 3);
        assert_eq!(report[&2]["not_signer"], 1);
        assert_eq!(report[&1]["equivocation"], 1);
    }
}
