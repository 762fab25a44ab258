//! The node: one event dispatcher that routes every input to the component that owns it.

pub mod state_machine;

pub use state_machine::{NodeParams, NodeReport, NodeResume, NodeStateMachine};
