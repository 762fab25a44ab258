//! The one action performer: every runtime hands a node's [`Action`]s here, in order, and differs only in its
//! [`Host`] — how messages leave, how timers are armed, where transaction statuses and callbacks go, and the
//! delegated work it does its own way (the pipeline executes on its own stage; the synthetic committee
//! executes once for all members and skips transaction signatures its node under test already checked).
//!
//! Rules every runtime gets from here, not from its own copy: actions run in order; once saving the safety state
//! failed no message of the node leaves ([`NodeServices::allows`]); the callback of inline work is handed back in
//! action order.

use super::services::NodeServices;
use crate::protocol::work::{ExecuteJob, VerifyJob};
use crate::protocol::{Action, Callback, Event, PeerSanction, Timer, TxStatus};
use crate::storage::StorageError;
use crate::types::{Hash, Height, Message, SafetyState, SyncEntry, ValidatorId};
use std::time::Duration;

/// What differs between runtimes when a node's actions are performed.
pub trait Host {
    /// A message leaves the node: to validator `to`, or to every other validator when `to` is `None`.
    fn send(&mut self, to: Option<ValidatorId>, message: Message);

    /// Arms `timer` to fire `after` from now, replacing an earlier arming of the same timer.
    fn set_timer(&mut self, timer: Timer, after: Duration);

    /// A transaction's fate, for whoever watches the node.
    fn tx_status(&mut self, tx_hash: Hash, status: TxStatus);

    /// The result of delegated work, for the node to handle after the current action list.
    fn callback(&mut self, event: Event);

    /// Verifies the signatures of `job`, answering through [`Host::callback`] — by default at once, through the
    /// services' backend. A runtime may hold jobs back and verify several together
    /// ([`NodeServices::verify_many`]), or hand them to another stage.
    fn verify(&mut self, services: &NodeServices, job: VerifyJob) {
        let verdicts = services.verify(&job);
        self.callback(Event::Callback(Callback::Verified(verdicts)));
    }

    /// Executes and persists a committed block; by default inline, answering through [`Host::callback`].
    fn execute(&mut self, services: &mut NodeServices, job: ExecuteJob) {
        let event = services.execute(&job);
        self.callback(event);
    }

    /// Durably saves the node's safety state; by default in the services' own storage.
    fn persist_safety(&mut self, services: &mut NodeServices, state: &SafetyState) -> Result<(), StorageError> {
        services.storage_mut().save_safety(state)
    }

    /// Bars a peer (it sent what no honest validator sends: on the wire, what it sends that would need checking
    /// is dropped unread) or throttles it (it sent more refused messages than an honest peer can: it is read
    /// slower). By default nothing: a runtime without connections (the simulator, the in-process committee) has
    /// nothing to drop or slow, and the node's report counts the sanction either way.
    fn sanction_peer(&mut self, sanction: PeerSanction) {
        let _ = sanction;
    }

    /// Reads committed blocks to answer a sync request; by default from the services' own storage.
    fn load_sync(&mut self, services: &NodeServices, from: Height, max: usize) -> Result<Vec<SyncEntry>, StorageError> {
        super::services::load_sync(services.storage(), from, max)
    }
}

/// Performs `actions` in order through `host`.
pub fn perform(services: &mut NodeServices, host: &mut impl Host, actions: Vec<Action>) {
    for action in actions {
        if !services.allows(&action) {
            continue;
        }
        match action {
            Action::Send { to, message } => host.send(Some(to), message),
            Action::Broadcast { message } => host.send(None, message),
            Action::SetTimer { timer, after } => host.set_timer(timer, after),
            Action::EmitTxStatuses(statuses) => {
                for (tx_hash, status) in statuses {
                    host.tx_status(tx_hash, status);
                }
            }
            Action::Verify(job) => host.verify(services, job),
            Action::Aggregate(job) => host.callback(Event::Callback(Callback::Aggregated(services.aggregate(&job)))),
            Action::Execute(job) => host.execute(services, job),
            Action::PersistSafety(state) => {
                // A failure closes the gate (nothing of this node leaves any more) and halts the node.
                let saved = host.persist_safety(services, &state);
                if let Some(halt) = services.record_persist(saved) {
                    host.callback(halt);
                }
            }
            Action::SanctionPeer(sanction) => host.sanction_peer(sanction),
            Action::LoadSync { to, from_height, max_blocks } => {
                // A read error is not fatal: the requester retries.
                if let Ok(entries) = host.load_sync(services, from_height, max_blocks) {
                    host.callback(Event::Callback(Callback::SyncLoaded { to, entries }));
                }
            }
        }
    }
}
