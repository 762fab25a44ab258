//! The protocol vocabulary: what a node is told ([`Event`]), what it asks its runtime to do ([`Action`]), the
//! delegated work jobs and their results ([`work`]), and a transaction's fate ([`TxStatus`]).
//!
//! This is the ground floor the components speak: bft, mempool and execution produce and consume these types,
//! the node (one dispatcher) composes the components, and every runtime performs the actions. Nothing here
//! knows about a component's internals, a runtime or a clock.

pub mod action;
pub mod event;
pub mod tx_status;
pub mod work;

pub use action::{Action, PeerSanction, Sanction};
pub use event::{Callback, Event, Timer, TxSource};
pub use tx_status::{BlockTimes, RejectReason, TxEvent, TxStatus};
