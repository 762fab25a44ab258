//! Small identifiers shared by every component.

/// Global index of a validator in the configured validator set (all epochs).
pub type ValidatorId = u16;
/// Block height; genesis is 0.
pub type Height = u64;
/// Consensus round (view) within an epoch; restarts at 0 in each epoch.
pub type Round = u64;
/// Epoch number; genesis starts epoch 0.
pub type Epoch = u64;
