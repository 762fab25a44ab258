//! Byzantine validators: the behaviours ([`Byzantine`]) and the [`Adversary`] that rewrites what an otherwise honest
//! node sends accordingly, re-signing with the validator's real keys. Used by the simulator's clusters and by a
//! validator process started with `--byzantine` (its network stage applies it to every outgoing message). Stands on
//! types and crypto only.

pub mod adversary;
mod behaviour;

pub use adversary::{Adversary, FLOOD_FACTOR};
pub use behaviour::Byzantine;
