//! One peer's send queue: frames waiting for the connection, served by priority class, bounded.

use super::class::Class;
use std::collections::VecDeque;
use std::time::Instant;

/// How much one peer's queue holds before it pushes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueLimits {
    /// Gossip frames held; a gossip frame arriving at a full gossip queue is dropped (and counted).
    pub gossip_frames: usize,
    /// Consensus and sync frames held together; past this the peer is not keeping up with the protocol itself,
    /// and the caller closes the connection (the peer catches up by sync after reconnecting) rather than drop one.
    pub protocol_frames: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits { gossip_frames: 1024, protocol_frames: 8192 }
    }
}

/// The queue refused a consensus or sync frame: the peer is too far behind to keep a connection for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("peer send queue holds {held} consensus and sync frames (limit {limit}); closing the connection")]
pub struct Overloaded {
    /// Consensus and sync frames queued.
    pub held: usize,
    /// The limit.
    pub limit: usize,
}

/// Frames waiting for one peer, one FIFO per [`Class`], served highest class first; each remembers when it was
/// queued (the link filter's delay counts from then).
#[derive(Debug, Default)]
pub struct SendQueue {
    limits: QueueLimits,
    queues: [VecDeque<(Instant, Vec<u8>)>; 3],
    dropped: [u64; 3],
}

impl SendQueue {
    /// An empty queue with these limits.
    pub fn new(limits: QueueLimits) -> Self {
        SendQueue { limits, queues: Default::default(), dropped: [0; 3] }
    }

    /// Queues `frame` of `class`. Gossip beyond its limit is dropped and counted (Ok: dropping gossip is the
    /// policy, not a failure); consensus or sync beyond theirs is refused.
    pub fn push(&mut self, class: Class, frame: Vec<u8>) -> Result<(), Overloaded> {
        let k = class as usize;
        if class.droppable() {
            if self.queues[k].len() >= self.limits.gossip_frames {
                self.dropped[k] += 1;
                return Ok(());
            }
        } else {
            let held = self.queues[Class::Consensus as usize].len() + self.queues[Class::Sync as usize].len();
            if held >= self.limits.protocol_frames {
                return Err(Overloaded { held, limit: self.limits.protocol_frames });
            }
        }
        self.queues[k].push_back((Instant::now(), frame));
        Ok(())
    }

    /// The next frame to send: the oldest of the highest class that has one, with when it was queued.
    pub fn pop(&mut self) -> Option<(Class, Instant, Vec<u8>)> {
        Class::ALL.into_iter().find_map(|c| self.queues[c as usize].pop_front().map(|(at, f)| (c, at, f)))
    }

    /// Frames waiting, all classes.
    pub fn len(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frames dropped so far, by class (only gossip is ever dropped).
    pub fn dropped(&self, class: Class) -> u64 {
        self.dropped[class as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_goes_first_gossip_is_dropped_and_counted_protocol_frames_push_back() {
        let mut q = SendQueue::new(QueueLimits { gossip_frames: 2, protocol_frames: 2 });
        for i in 0..4u8 {
            q.push(Class::Gossip, vec![i]).expect("gossip is never refused");
        }
        assert_eq!(q.dropped(Class::Gossip), 2);
        q.push(Class::Sync, vec![10]).expect("room");
        q.push(Class::Consensus, vec![20]).expect("room");
        let err = q.push(Class::Consensus, vec![21]).expect_err("protocol frames are never dropped");
        assert_eq!(err, Overloaded { held: 2, limit: 2 });
        assert_eq!(q.dropped(Class::Consensus) + q.dropped(Class::Sync), 0);
        let order: Vec<(Class, Vec<u8>)> = std::iter::from_fn(|| q.pop()).map(|(c, _, f)| (c, f)).collect();
        assert_eq!(
            order,
            vec![
                (Class::Consensus, vec![20]),
                (Class::Sync, vec![10]),
                (Class::Gossip, vec![0]),
                (Class::Gossip, vec![1])
            ]
        );
        assert!(q.is_empty());
    }
}
