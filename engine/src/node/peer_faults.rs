//! Faults a peer provably committed, counted per peer, and the peer barred for a while; and a peer that sends more
//! refused messages than an honest one can, throttled for a while.
//!
//! Connections are authenticated with the validator keys and an honest validator sends only what it made or
//! checked itself, so a message refused for a reason in [`Refusal::proves_fault`] convicts the peer it came from —
//! never a third party named in it (a vote names its voter, but one not from its voter's own connection is refused
//! as [`Refusal::NotSigner`] and convicts whoever relayed it). The node counts such faults per peer and asks its
//! runtime ([`Action::SanctionPeer`]) to bar that peer for [`PEER_BAR`], twice as long each further time up to
//! [`MAX_PEER_BAR`]: on the wire its votes, timeouts, gossip and sync responses are then dropped unread (its
//! proposals still arrive and our messages still reach it: docs/NETWORK.md says why), so a peer feeding bad
//! signatures cannot keep a validator's verification busy. A convicted member never adds to a quorum anyway — a
//! committee tolerates `f` of them; an honest peer is never convicted (the tests check every honest link of the
//! byzantine cluster run).
//!
//! Short of a conviction, a peer can still make the node read, decode and refuse messages that are legal one at a
//! time — votes for rounds long gone, duplicates, proposals with unknown parents, sync requests too soon: a replaying
//! or lagging-by-design peer costs the node its full read rate (20,000 messages a second by default) of such work.
//! An honest peer sends a few consensus messages per round (its proposal as leader, one vote, a timeout, a sync
//! answer), ~150 a second at 20 ms blocks even if every one came too late; so a peer with more than [`WASTE_LIMIT`]
//! refusals that prove nothing within one second is throttled ([`Sanction::Throttle`]) for [`PEER_THROTTLE`]: on
//! the wire what it sends that would need checking passes only up to a twentieth of its rate
//! (`network::THROTTLE_DIVISOR`), the rest dropped as read, while its proposals always pass — what an honest peer
//! sends at an honest pace still arrives — and the count starts again every second. A gossip message
//! counts when the mempool refused every one of its transactions as junk (`gossip_refused`: unfunded senders,
//! another chain, too large, weak keys, bad signatures), as many refusals as it carried transactions — so a few
//! large messages of junk weigh what many small ones do; honest races — duplicates, raced nonces, a full mempool
//! here — count nothing.

use crate::bft::Refusal;
use crate::protocol::{Action, PeerSanction, Sanction};
use crate::types::ValidatorId;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// How long a peer is barred the first time it is convicted. Long against its message rate (one bad message per
/// bar is all of it that gets checked), short against a run, so a peer convicted by a bug of ours (which the tests
/// would catch) is back soon.
pub const PEER_BAR: Duration = Duration::from_secs(10);

/// The longest bar: each further one is twice the last, up to this.
pub const MAX_PEER_BAR: Duration = Duration::from_secs(320);

/// Refusals of one peer's messages that prove no fault, within [`WASTE_WINDOW`], past which it is throttled.
pub const WASTE_LIMIT: u32 = 1_000;

/// The window [`WASTE_LIMIT`] counts in.
pub const WASTE_WINDOW: Duration = Duration::from_secs(1);

/// How long a peer is throttled each time.
pub const PEER_THROTTLE: Duration = Duration::from_secs(10);

/// The faults each peer was convicted of, and its latest bar: when it was asked for and how long it was; its
/// refusals that prove nothing in the current window, and its throttles.
#[derive(Debug, Default)]
pub(crate) struct PeerFaults {
    counts: BTreeMap<ValidatorId, BTreeMap<&'static str, u64>>,
    barred: HashMap<ValidatorId, (Duration, Duration)>,
    waste: HashMap<ValidatorId, Waste>,
}

/// One peer's refusals that prove nothing: in the window that began at `since`, and its throttles.
#[derive(Debug, Default)]
struct Waste {
    since: Duration,
    in_window: u32,
    throttled_at: Option<Duration>,
    throttles: u64,
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
        if peer == me {
            return;
        }
        if !refusal.proves_fault() {
            return self.waste(now, peer, refusal.as_str(), 1, actions);
        }
        *self.counts.entry(peer).or_default().entry(refusal.as_str()).or_default() += 1;
        let bar = match self.barred.get(&peer) {
            Some((at, last)) if now < *at + *last / 2 => return,
            Some((_, last)) => (*last * 2).min(MAX_PEER_BAR),
            None => PEER_BAR,
        };
        self.barred.insert(peer, (now, bar));
        actions.push(Action::SanctionPeer(PeerSanction {
            peer,
            reason: refusal.as_str(),
            kind: Sanction::Bar,
            span: bar,
        }));
    }

    /// Records a message from `peer` that was all waste without being a consensus refusal (a gossip message the
    /// mempool took nothing of), weighing `weight` refused messages (its transactions): counted towards the peer's
    /// throttle as `reason`. Messages from `me` count nothing.
    pub(crate) fn record_waste(
        &mut self,
        now: Duration,
        me: ValidatorId,
        peer: ValidatorId,
        reason: &'static str,
        weight: u32,
        actions: &mut Vec<Action>,
    ) {
        if peer != me {
            self.waste(now, peer, reason, weight, actions);
        }
    }

    /// Counts `weight` refusals that prove nothing in the peer's window, and asks for the peer to be throttled for
    /// [`PEER_THROTTLE`] when the count passes [`WASTE_LIMIT`] — unless that was asked less than half a throttle ago.
    fn waste(
        &mut self,
        now: Duration,
        peer: ValidatorId,
        reason: &'static str,
        weight: u32,
        actions: &mut Vec<Action>,
    ) {
        let w = self.waste.entry(peer).or_default();
        if now >= w.since + WASTE_WINDOW {
            w.since = now;
            w.in_window = 0;
        }
        w.in_window = w.in_window.saturating_add(weight);
        if w.in_window <= WASTE_LIMIT || w.throttled_at.is_some_and(|at| now < at + PEER_THROTTLE / 2) {
            return;
        }
        w.throttled_at = Some(now);
        w.throttles += 1;
        actions.push(Action::SanctionPeer(PeerSanction {
            peer,
            reason,
            kind: Sanction::Throttle,
            span: PEER_THROTTLE,
        }));
    }

    /// Throttles asked for, by peer (those never throttled left out), for the node's report.
    pub(crate) fn throttles(&self) -> BTreeMap<ValidatorId, u64> {
        self.waste.iter().filter(|(_, w)| w.throttles > 0).map(|(peer, w)| (*peer, w.throttles)).collect()
    }

    /// Faults by peer and reason, for the node's report.
    pub(crate) fn report(&self) -> BTreeMap<ValidatorId, BTreeMap<String, u64>> {
        self.counts.iter().map(|(peer, by)| (*peer, by.iter().map(|(r, n)| (r.to_string(), *n)).collect())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sanctions(actions: &[Action], kind: Sanction) -> Vec<PeerSanction> {
        actions
            .iter()
            .filter_map(|a| if let Action::SanctionPeer(b) = a { Some(*b) } else { None })
            .filter(|b| b.kind == kind)
            .collect()
    }

    fn bar_requests(actions: &[Action]) -> Vec<ValidatorId> {
        sanctions(actions, Sanction::Bar).iter().map(|b| b.peer).collect()
    }

    fn bars(actions: &[Action]) -> Vec<Duration> {
        sanctions(actions, Sanction::Bar).iter().map(|b| b.span).collect()
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

    /// Refusals that prove nothing throttle a peer once more than the limit of them fall in one window — asked
    /// once per half throttle —, never bar it; a peer just under the limit each second, and the node itself, are
    /// never throttled.
    #[test]
    fn a_peer_past_the_waste_limit_in_a_window_is_throttled_once_per_half_throttle() {
        let mut f = PeerFaults::default();
        let mut actions = Vec::new();
        let ms = Duration::from_millis;
        // Peer 1: exactly the limit in each of 30 windows (spread over each second); the node itself: twice it.
        for second in 0..30u64 {
            for i in 0..u64::from(WASTE_LIMIT) {
                let at = ms(second * 1000 + i * 999 / u64::from(WASTE_LIMIT));
                f.record(at, 0, 1, Refusal::StaleRound, &mut actions);
                f.record(at, 0, 0, Refusal::Duplicate, &mut actions);
                f.record(at, 0, 0, Refusal::Duplicate, &mut actions);
            }
        }
        assert!(actions.is_empty(), "{actions:?}");
        // Peer 2: twice the limit a second for 12 s — past it half-way through each second.
        for i in 0..12_000u64 {
            f.record(ms(30_000 + i), 0, 2, Refusal::StaleRound, &mut actions);
            f.record(ms(30_000 + i), 0, 2, Refusal::StaleRound, &mut actions);
        }
        let throttles = sanctions(&actions, Sanction::Throttle);
        assert_eq!(throttles.len(), 3, "at 30.5 s, 35.5 s and 40.5 s: {throttles:?}");
        assert!(throttles.iter().all(|t| t.peer == 2 && t.span == PEER_THROTTLE && t.reason == "stale_round"));
        assert!(bar_requests(&actions).is_empty(), "nothing proved a fault");
        assert_eq!(f.throttles(), BTreeMap::from([(2, 3)]));
        assert!(f.report().is_empty(), "no fault counted");
    }
}
