//! The node: one event dispatcher that routes every input to the component that owns it.

mod peer_faults;
pub mod state_machine;

pub use peer_faults::{MAX_PEER_BAR, PEER_BAR, PEER_THROTTLE, WASTE_LIMIT, WASTE_WINDOW};

pub use state_machine::{NodeParams, NodeReport, NodeResume, NodeStateMachine};
