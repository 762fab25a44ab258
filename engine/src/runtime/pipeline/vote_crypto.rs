//! Vote-crypto stage: the node's consensus signature checks (votes, timeouts, proposals, certificates, and the
//! transactions of proposals and gossip it has not seen) off the node thread, on cores of their own. The node stage
//! holds the checks a batch of its events produced and sends them here together; each thread verifies what it
//! takes in one go ([`Verifier::verify_many`]: Ed25519 in one backend batch, votes grouped by message) and answers
//! the node with the verdicts, as the storage stage answers with executions.

use super::messages::SystemInput;
use super::metrics::StageMetrics;
use super::queue::QueueClosed;
use super::stage::Stage;
use crate::protocol::Callback;
use crate::protocol::work::VerifyJob;
use crate::runtime::Verifier;
use crossbeam_channel::Sender;
use std::time::Duration;

/// One vote-crypto thread: its copy of the node's verifier and the node's callback queue.
pub(crate) struct VoteCryptoStage {
    /// The node's signature checker.
    pub verifier: Verifier,
    /// Verdicts to the node stage (unbounded: it closes the node → vote-crypto → node cycle).
    pub node: Sender<Vec<SystemInput>>,
}

impl Stage for VoteCryptoStage {
    type Input = VerifyJob;
    type Output = ();

    /// Counted in signatures checked.
    fn items(jobs: &[VerifyJob]) -> usize {
        jobs.iter().map(|j| j.ed25519.len() + j.votes.len() + j.aggregates.len()).sum()
    }

    fn on_batch(&mut self, jobs: Vec<VerifyJob>, metrics: &StageMetrics) -> Result<Duration, QueueClosed> {
        let out: Vec<SystemInput> = self
            .verifier
            .verify_many(&jobs)
            .into_iter()
            .map(|verdicts| SystemInput::Callback(Callback::Verified(verdicts)))
            .collect();
        metrics.gave(out.len());
        self.node.send(out).map_err(|_| QueueClosed)?;
        Ok(Duration::ZERO)
    }

    fn finish(self) {}
}
