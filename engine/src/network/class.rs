//! Priority classes of consensus messages on the wire: what a per-peer send queue serves first and what it may drop.

use crate::types::Message;

/// A message's priority on a connection: consensus before sync before transaction gossip. Only gossip may be
/// dropped under pressure (the client or another validator still holds the transaction); consensus and sync
/// messages are the protocol's progress and are never dropped by the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Proposals, votes, timeouts, timeout certificates.
    Consensus,
    /// Sync requests and responses.
    Sync,
    /// Transaction gossip.
    Gossip,
}

impl Class {
    /// Every class, highest priority first.
    pub const ALL: [Class; 3] = [Class::Consensus, Class::Sync, Class::Gossip];

    /// The class of `message`.
    pub fn of(message: &Message) -> Class {
        match message {
            Message::Proposal(_) | Message::Vote(_) | Message::Timeout(_) | Message::TimeoutCertificate(_) => {
                Class::Consensus
            }
            Message::SyncRequest { .. } | Message::SyncResponse(_) => Class::Sync,
            Message::TxGossip(_) => Class::Gossip,
        }
    }

    /// Its byte in a frame header.
    pub fn tag(self) -> u8 {
        self as u8
    }

    /// The class of a header byte, if any.
    pub fn from_tag(tag: u8) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.tag() == tag)
    }

    /// Its name in metrics and errors.
    pub fn name(self) -> &'static str {
        match self {
            Class::Consensus => "consensus",
            Class::Sync => "sync",
            Class::Gossip => "gossip",
        }
    }

    /// Whether a full queue may drop messages of this class.
    pub fn droppable(self) -> bool {
        self == Class::Gossip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_only_gossip_is_droppable() {
        for c in Class::ALL {
            assert_eq!(Class::from_tag(c.tag()), Some(c));
            assert_eq!(c.droppable(), c == Class::Gossip);
        }
        assert_eq!(Class::from_tag(3), None);
        assert!(Class::Consensus < Class::Sync && Class::Sync < Class::Gossip);
    }
}
