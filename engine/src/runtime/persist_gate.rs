//! Persist-before-send, on failure too: once saving a node's safety state failed, no message of that node
//! leaves any more (the state on disk is behind what the node would vote on, so a vote sent now could be
//! repeated differently after a restart). Every runtime performs actions through one gate per node.

use crate::protocol::{Action, Callback, Event};

/// Tracks whether a node's safety state is durable, and withholds its messages once it is not.
#[derive(Clone, Debug, Default)]
pub struct PersistGate {
    failure: Option<String>,
    withheld: u64,
}

impl PersistGate {
    /// Records the outcome of an `Action::PersistSafety`; the first failure closes the gate for good (the node
    /// halts; only a restart, which recovers the durable state, opens a new gate). A failure returns the
    /// callback that tells the node to halt, for the runtime to deliver.
    pub fn record<E: std::fmt::Display>(&mut self, result: Result<(), E>) -> Option<Event> {
        let Err(e) = result else { return None };
        let error = format!("saving safety state: {e}");
        self.failure.get_or_insert_with(|| error.clone());
        Some(Event::Callback(Callback::ExecutionFailed { height: 0, error }))
    }

    /// Whether `action` may be performed: after a failed persist, `Send` and `Broadcast` are withheld (and
    /// counted); everything else proceeds.
    pub fn allows(&mut self, action: &Action) -> bool {
        let is_message = matches!(action, Action::Send { .. } | Action::Broadcast { .. });
        if is_message && self.failure.is_some() {
            self.withheld += 1;
            return false;
        }
        true
    }

    /// Why the gate closed, if it did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Messages withheld since the gate closed.
    pub fn withheld(&self) -> u64 {
        self.withheld
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Message;

    #[test]
    fn a_failed_persist_withholds_every_later_message_and_counts_it() {
        let send = Action::Send { to: 1, message: Message::SyncRequest { from_height: 1 } };
        let broadcast = Action::Broadcast { message: Message::SyncRequest { from_height: 1 } };
        let timer = Action::SetTimer { timer: crate::protocol::Timer::Sync, after: std::time::Duration::ZERO };
        let mut gate = PersistGate::default();
        assert!(gate.record(Ok::<(), String>(())).is_none());
        assert!(gate.allows(&send) && gate.allows(&broadcast));
        assert!(matches!(
            gate.record(Err("disk full")),
            Some(Event::Callback(Callback::ExecutionFailed { height: 0, .. }))
        ));
        assert!(!gate.allows(&send) && !gate.allows(&broadcast));
        assert!(gate.allows(&timer), "non-message actions still run");
        let _ = gate.record(Ok::<(), String>(()));
        assert!(!gate.allows(&send), "a later success does not reopen the gate");
        assert_eq!(gate.withheld(), 3);
        assert_eq!(gate.failure(), Some("saving safety state: disk full"));
    }
}
