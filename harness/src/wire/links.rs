//! Partitions and link impairments of a fault schedule, as rules per link: which layer carries them (nftables in
//! network namespaces, or the transport's own link filter), what each validator's filter must do to what it sends
//! each peer, and the control line that tells a validator process so (`hsbench node --link-control` reads them on
//! its stdin).
//!
//! Latency and jitter are always the transport's: this machine kind's kernel has no netem (docs/NETWORK.md). With
//! the `netns` layer, cuts, loss and bandwidth caps are nftables rules on packets; with `transport`, they are the
//! filter's too, on whole frames — what an unprivileged run can do.

use hsbench_engine::network::LinkRule;
use hsbench_engine::types::ValidatorId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of a validator's link-control input (JSON): the rule for what it sends `peer` from now on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkCommand {
    /// The peer at the other end of the link.
    pub peer: ValidatorId,
    /// What the link does to frames.
    pub rule: LinkRule,
}

/// Which layer cuts and impairs links (`hsbench cluster --link-faults`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkLayer {
    /// `netns` when this process is root, else `transport`.
    Auto,
    /// Each validator in its own network namespace; cuts, loss and caps are nftables rules on packets (root).
    Netns,
    /// The transport's link filter in each validator process, on whole frames (no privileges needed).
    Transport,
}

impl LinkLayer {
    /// `Auto` made definite for a process that is root (`root`) or not.
    pub fn resolve(self, root: bool) -> LinkLayer {
        match self {
            LinkLayer::Auto if root => LinkLayer::Netns,
            LinkLayer::Auto => LinkLayer::Transport,
            other => other,
        }
    }

    /// The layer's name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            LinkLayer::Auto => "auto",
            LinkLayer::Netns => "netns",
            LinkLayer::Transport => "transport",
        }
    }
}

/// The partition and impairments in force, from which every link's transport rule follows.
#[derive(Clone, Debug)]
pub struct LinkBook {
    validators: usize,
    layer: LinkLayer,
    /// The groups of the partition in force (empty: none).
    partition: Vec<Vec<ValidatorId>>,
    /// Impaired validators and how (their links to and from the others).
    impaired: BTreeMap<ValidatorId, LinkRule>,
}

impl LinkBook {
    /// Clean links between `validators` validators, faults carried by `layer` (`Netns` or `Transport`).
    pub fn new(validators: usize, layer: LinkLayer) -> Self {
        LinkBook { validators, layer, partition: Vec::new(), impaired: BTreeMap::new() }
    }

    /// The layer that carries the faults.
    pub fn layer(&self) -> LinkLayer {
        self.layer
    }

    /// Cuts every link between the groups.
    pub fn partition(&mut self, groups: &[Vec<ValidatorId>]) {
        self.partition = groups.to_vec();
    }

    /// Removes the partition.
    pub fn heal(&mut self) {
        self.partition.clear();
    }

    /// Impairs `v`'s links to and from the others with `how` (`cut` is ignored; a clean rule restores them).
    pub fn impair(&mut self, v: ValidatorId, how: LinkRule) {
        if how.is_clean() {
            self.impaired.remove(&v);
        } else {
            self.impaired.insert(v, LinkRule { cut: false, ..how });
        }
    }

    fn separated(&self, a: ValidatorId, b: ValidatorId) -> bool {
        let group = |v: ValidatorId| self.partition.iter().position(|g| g.contains(&v));
        matches!((group(a), group(b)), (Some(x), Some(y)) if x != y)
    }

    /// The rule of `from`'s filter on what it sends `to`: latency and jitter of either end's impairment; with the
    /// transport layer also the cut, either end's loss, and the sender's bandwidth cap (like the nftables rules,
    /// which cap what the impaired validator sends).
    pub fn rule(&self, from: ValidatorId, to: ValidatorId) -> LinkRule {
        let transport = self.layer == LinkLayer::Transport;
        let mut rule = LinkRule { cut: transport && self.separated(from, to), ..LinkRule::default() };
        for (end, sends) in [(from, true), (to, false)] {
            let Some(how) = self.impaired.get(&end) else { continue };
            rule.delay_ms += how.delay_ms;
            rule.jitter_ms += how.jitter_ms;
            if transport {
                rule.loss = 1.0 - (1.0 - rule.loss) * (1.0 - how.loss);
                if sends {
                    rule.kbytes_per_s = how.kbytes_per_s;
                }
            }
        }
        rule
    }

    /// The control lines for validator `from`: one per peer.
    pub fn commands(&self, from: ValidatorId) -> Vec<LinkCommand> {
        (0..self.validators as ValidatorId)
            .filter(|&to| to != from)
            .map(|peer| LinkCommand { peer, rule: self.rule(from, peer) })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transport_layer_cuts_across_groups_and_impairs_both_directions() {
        let mut book = LinkBook::new(4, LinkLayer::Transport);
        book.partition(&[vec![0, 1], vec![2, 3]]);
        assert!(book.rule(0, 2).cut && book.rule(3, 1).cut);
        assert!(book.rule(0, 1).is_clean() && book.rule(2, 3).is_clean());
        book.heal();
        let how = LinkRule { loss: 0.5, delay_ms: 20.0, jitter_ms: 5.0, kbytes_per_s: Some(100), cut: true };
        book.impair(2, how);
        let out = book.rule(2, 0);
        assert_eq!(out, LinkRule { cut: false, ..how }, "what 2 sends: all of it but the cut");
        let back = book.rule(0, 2);
        assert_eq!(back, LinkRule { kbytes_per_s: None, cut: false, ..how }, "what 2 receives: not the cap");
        assert!(book.rule(0, 1).is_clean());
        book.impair(0, LinkRule { loss: 0.5, ..LinkRule::default() });
        assert!((book.rule(0, 2).loss - 0.75).abs() < 1e-12, "both ends' losses compound");
        book.impair(2, LinkRule::default());
        book.impair(0, LinkRule::default());
        assert!(book.commands(0).iter().all(|c| c.rule.is_clean()));
        assert_eq!(book.commands(0).iter().map(|c| c.peer).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn with_namespaces_the_transport_keeps_only_latency_and_jitter() {
        let mut book = LinkBook::new(4, LinkLayer::Netns);
        book.partition(&[vec![0], vec![1, 2, 3]]);
        book.impair(1, LinkRule { loss: 0.3, delay_ms: 40.0, jitter_ms: 10.0, kbytes_per_s: Some(50), cut: false });
        assert_eq!(book.rule(1, 0), LinkRule { delay_ms: 40.0, jitter_ms: 10.0, ..LinkRule::default() });
        assert_eq!(book.rule(0, 1), LinkRule { delay_ms: 40.0, jitter_ms: 10.0, ..LinkRule::default() });
        assert!(book.rule(0, 2).is_clean(), "nftables cuts the partition");
    }

    #[test]
    fn a_control_line_round_trips_and_bad_lines_are_refused() {
        let c = LinkCommand { peer: 3, rule: LinkRule { delay_ms: 12.5, ..LinkRule::default() } };
        let line = serde_json::to_string(&c).expect("serialise");
        assert_eq!(serde_json::from_str::<LinkCommand>(&line).expect("parse"), c);
        for bad in ["", "{}", r#"{"peer": 1}"#, r#"{"peer": 1, "rule": {"delay": 3}}"#, r#"{"peer": -1, "rule": {}}"#] {
            assert!(serde_json::from_str::<LinkCommand>(bad).is_err(), "{bad:?}");
        }
        assert!(
            LinkLayer::Auto.resolve(true) == LinkLayer::Netns && LinkLayer::Auto.resolve(false) == LinkLayer::Transport
        );
    }
}
