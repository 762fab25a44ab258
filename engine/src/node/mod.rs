//! The node: one event dispatcher that routes every input to the component that owns it.

pub mod action;
pub mod event;
pub mod state_machine;
pub mod work;

pub use action::{Action, TxStatus};
pub use event::{Callback, Event, Timer};
pub use state_machine::{NodeParams, NodeReport, NodeResume, NodeStateMachine};
