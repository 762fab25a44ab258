//! The node: one event dispatcher that routes every input to the component that owns it.

pub mod state_machine;

pub use state_machine::{NodeParams, NodeReport, NodeResume, NodeStateMachine};

// Transitional: bft/ still names these through `node` while its files are being split; removed right after.
#[doc(hidden)]
pub use crate::protocol::{Action, Timer, work};
