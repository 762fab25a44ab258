//! `[wire]`: where validators that run as separate processes (`hsbench node`, `hsbench cluster`) listen for each
//! other and for clients, and the checks on it.

use super::{Check, Section, invalid};
use hsbench_engine::network::{PeerBounds, PeerRate};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Largest `peer_held_mib` (a peer may make a validator hold up to this; past it the key is surely a typo).
const MAX_PEER_HELD_MIB: u32 = 64 * 1024;
/// Largest `peer_rate_mib` other than 0 (unlimited).
const MAX_PEER_RATE_MIB: u32 = 1 << 20;

/// `[wire]`: validator and client addresses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WireSettings {
    /// Host every validator listens on when the addresses are derived from `base_port`.
    pub host: IpAddr,
    /// Validator i listens for validators on `base_port + 2i` and for clients on `base_port + 2i + 1`. 0: `hsbench
    /// cluster` picks free loopback ports itself (and `hsbench node` needs `peers` and `clients`).
    pub base_port: u16,
    /// Every validator's listen address for other validators, by id (overrides `host` and `base_port`).
    pub peers: Vec<SocketAddr>,
    /// Every validator's listen address for clients, by id (overrides `host` and `base_port`).
    pub clients: Vec<SocketAddr>,
    /// Byzantine validators of `hsbench cluster` (`--byzantine` adds to them): `{ id = I, behaviour = "..." }`.
    pub byzantine: Vec<ByzantineSpec>,
    /// MiB of received, not yet taken-up messages one peer may make a validator hold (≥ 1).
    pub peer_held_mib: u32,
    /// Messages a second a validator reads from one peer (0: unlimited).
    pub peer_rate_messages: u32,
    /// MiB a second a validator reads from one peer (0: unlimited).
    pub peer_rate_mib: u32,
    /// A frame repeating one the same peer sent within this many ms is dropped unread (0: every copy heard; below
    /// the consensus sync retry, so an honest retry is always heard).
    pub repeat_window_ms: u32,
}

/// A byzantine validator as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByzantineSpec {
    /// Validator id.
    pub id: u16,
    /// Behaviour name (`hsbench node --help` lists them).
    pub behaviour: String,
}

impl Default for WireSettings {
    fn default() -> Self {
        WireSettings {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            peers: Vec::new(),
            clients: Vec::new(),
            byzantine: Vec::new(),
            peer_held_mib: (PeerBounds::default().held_bytes >> 20) as u32,
            peer_rate_messages: PeerBounds::default().rate.messages_per_s,
            peer_rate_mib: (PeerBounds::default().rate.bytes_per_s >> 20) as u32,
            repeat_window_ms: PeerBounds::default().repeat_window.as_millis() as u32,
        }
    }
}

/// Both address lists of a chain of validators, by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireAddrs {
    /// Where validator i listens for validators.
    pub peers: Vec<SocketAddr>,
    /// Where validator i listens for clients.
    pub clients: Vec<SocketAddr>,
}

impl WireSettings {
    /// The network's per-peer bounds these keys give.
    pub fn peer_bounds(&self) -> PeerBounds {
        PeerBounds {
            held_bytes: (self.peer_held_mib as usize) << 20,
            rate: PeerRate {
                messages_per_s: self.peer_rate_messages,
                bytes_per_s: u64::from(self.peer_rate_mib) << 20,
            },
            repeat_window: Duration::from_millis(u64::from(self.repeat_window_ms)),
        }
    }

    /// The configured byzantine validators with their behaviours (names checked by validation; an unknown one is
    /// left out).
    pub fn byzantine_roles(&self) -> Vec<(u16, hsbench_engine::byzantine::Byzantine)> {
        let known =
            |b: &ByzantineSpec| hsbench_engine::byzantine::Byzantine::from_name(&b.behaviour).map(|r| (b.id, r));
        self.byzantine.iter().filter_map(known).collect()
    }

    /// The addresses of `validators` validators: the explicit lists, or those derived from `host` and
    /// `base_port`; `None` when neither is given (base port 0 and no lists).
    pub fn addrs(&self, validators: usize) -> Option<WireAddrs> {
        if !self.peers.is_empty() {
            return Some(WireAddrs { peers: self.peers.clone(), clients: self.clients.clone() });
        }
        if self.base_port == 0 {
            return None;
        }
        let at = |k: usize| SocketAddr::new(self.host, self.base_port.saturating_add(k as u16));
        Some(WireAddrs {
            peers: (0..validators).map(|i| at(2 * i)).collect(),
            clients: (0..validators).map(|i| at(2 * i + 1)).collect(),
        })
    }

    /// The checks that need the number of validators: list lengths, the port range, no address used twice.
    pub fn validate_for(&self, validators: usize) -> Check {
        if self.peers.len() != self.clients.len() {
            return invalid(
                "wire.clients",
                format!("names {} addresses but wire.peers names {}", self.clients.len(), self.peers.len()),
            );
        }
        if !self.peers.is_empty() && self.peers.len() != validators {
            return invalid(
                "wire.peers",
                format!("names {} addresses for {validators} validators (one per validator, by id)", self.peers.len()),
            );
        }
        if self.peers.is_empty() && self.base_port != 0 && usize::from(self.base_port) + 2 * validators > 65_536 {
            return invalid(
                "wire.base_port",
                format!("{} + 2 × {validators} validators runs past port 65535", self.base_port),
            );
        }
        for b in &self.byzantine {
            if usize::from(b.id) >= validators {
                return invalid(
                    "wire.byzantine",
                    format!("validator {} does not exist ({validators} validators)", b.id),
                );
            }
            if hsbench_engine::byzantine::Byzantine::from_name(&b.behaviour).is_none() {
                return invalid(
                    "wire.byzantine",
                    format!("unknown behaviour {:?} (hsbench node --help lists them)", b.behaviour),
                );
            }
        }
        if self.byzantine.len() * 3 >= validators && !self.byzantine.is_empty() {
            return invalid(
                "wire.byzantine",
                format!("{} byzantine of {validators} validators: fewer than n/3 are tolerated", self.byzantine.len()),
            );
        }
        if self.peer_held_mib == 0 || self.peer_held_mib > MAX_PEER_HELD_MIB {
            return invalid(
                "wire.peer_held_mib",
                format!("must be 1..={MAX_PEER_HELD_MIB}, got {}", self.peer_held_mib),
            );
        }
        if self.peer_rate_mib > MAX_PEER_RATE_MIB {
            return invalid("wire.peer_rate_mib", format!("must be at most {MAX_PEER_RATE_MIB} (0: unlimited)"));
        }
        let retry = hsbench_engine::bft::SYNC_RETRY;
        if u128::from(self.repeat_window_ms) >= retry.as_millis() {
            return invalid(
                "wire.repeat_window_ms",
                format!(
                    "{} ms would drop an honest validator's sync retry (every {} ms): keep it below",
                    self.repeat_window_ms,
                    retry.as_millis()
                ),
            );
        }
        if let Some(a) = self.addrs(validators) {
            let mut seen = HashSet::new();
            if let Some(dup) = a.peers.iter().chain(&a.clients).find(|addr| !seen.insert(**addr)) {
                return invalid("wire.peers", format!("address {dup} is used twice"));
            }
        }
        Ok(())
    }
}

impl Section for WireSettings {
    /// Lists given together; the rest needs the validator count ([`WireSettings::validate_for`]).
    fn validate(&self) -> Check {
        self.validate_for(self.peers.len().max(4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults are the network's own, and the keys reach its bounds (0 turns the rate and the repeat filter
    /// off).
    #[test]
    fn the_per_peer_keys_default_to_the_networks_bounds_and_reach_them() {
        assert_eq!(WireSettings::default().peer_bounds(), PeerBounds::default());
        let w = WireSettings {
            peer_held_mib: 2,
            peer_rate_messages: 0,
            peer_rate_mib: 0,
            repeat_window_ms: 0,
            ..WireSettings::default()
        };
        let b = w.peer_bounds();
        assert_eq!((b.held_bytes, b.rate, b.repeat_window), (2 << 20, PeerRate::UNLIMITED, Duration::ZERO));
        assert_eq!(w.validate_for(4), Ok(()));
    }

    #[test]
    fn derived_addresses_alternate_peer_and_client_ports() {
        let w = WireSettings { base_port: 27_000, ..WireSettings::default() };
        let a = w.addrs(4).expect("derived");
        assert_eq!(a.peers[3], "127.0.0.1:27006".parse().expect("addr"));
        assert_eq!(a.clients[0], "127.0.0.1:27001".parse().expect("addr"));
        assert_eq!(WireSettings::default().addrs(4), None);
    }

    #[test]
    fn bad_lists_and_ranges_are_refused_with_their_key() {
        let one: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        let twice = WireSettings { peers: vec![one; 4], clients: vec![one; 4], ..WireSettings::default() };
        assert_eq!(twice.validate_for(4).map_err(|e| e.key), Err("wire.peers"));
        let short = WireSettings { peers: vec![one], clients: Vec::new(), ..WireSettings::default() };
        assert_eq!(short.validate_for(4).map_err(|e| e.key), Err("wire.clients"));
        let high = WireSettings { base_port: 65_530, ..WireSettings::default() };
        assert_eq!(high.validate_for(4).map_err(|e| e.key), Err("wire.base_port"));
        let nothing_held = WireSettings { peer_held_mib: 0, ..WireSettings::default() };
        assert_eq!(nothing_held.validate_for(4).map_err(|e| e.key), Err("wire.peer_held_mib"));
        let too_fast = WireSettings { peer_rate_mib: u32::MAX, ..WireSettings::default() };
        assert_eq!(too_fast.validate_for(4).map_err(|e| e.key), Err("wire.peer_rate_mib"));
        let deaf = WireSettings { repeat_window_ms: 300, ..WireSettings::default() };
        assert_eq!(deaf.validate_for(4).map_err(|e| e.key), Err("wire.repeat_window_ms"));
        assert_eq!(WireSettings { base_port: 20_000, ..WireSettings::default() }.validate_for(64), Ok(()));
    }
}
