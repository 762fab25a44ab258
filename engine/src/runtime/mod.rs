//! Runtimes execute a node's actions: the services every runtime shares live here.

pub mod services;

pub use services::NodeServices;
