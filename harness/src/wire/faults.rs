//! Fault schedules of `hsbench cluster --faults FILE`: kill -9 (and restart) a validator, partition groups of
//! validators and heal, impair one validator's links (random loss, a bandwidth cap, latency and jitter) — by
//! nftables in network namespaces when root, by the transport's link filter otherwise ([`super::links`]) — at set
//! times from the start of the load. The schedule runs on its own thread beside the load; what it did, and when,
//! is the run's fault timeline.
//!
//! ```toml
//! [[fault]]
//! at_s = 3.0               # seconds after the load starts
//! kill = 3                 # SIGKILL validator 3 ...
//! restart_after_s = 2.0    # ... and start it again 2 s later (absent: it stays down)
//!
//! [[fault]]
//! at_s = 8.0
//! partition = [[0, 1], [2, 3]]   # drop every packet between the groups ...
//! for_s = 3.0                    # ... for 3 s (absent: until the run ends)
//!
//! [[fault]]
//! at_s = 12.0
//! impair = 2               # validator 2's links to the others ...
//! loss = 0.05              # ... lose 5 % of packets each way ...
//! kbytes_per_s = 500       # ... and carry at most 500 kB/s out ...
//! delay_ms = 40.0          # ... 40 ms later ...
//! jitter_ms = 10.0         # ... give or take 10 ms ...
//! for_s = 4.0              # ... for 4 s
//! ```

use super::fleet::Fleet;
use super::links::{LinkBook, LinkLayer};
use super::netns::{Impairment, Netns};
use hsbench_engine::network::{LinkRule, LinkRuleError};
use hsbench_engine::types::ValidatorId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How long a restarted validator gets to listen again.
const RESTART_READY: Duration = Duration::from_secs(30);
/// Longest any time in a schedule may be (s).
const MAX_S: f64 = 1e6;

/// A fault file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultFile {
    #[serde(default)]
    fault: Vec<FaultSpec>,
}

/// One `[[fault]]` as written (in a `--faults` file or a benchmark config): `at_s` and exactly one of `kill`,
/// `partition` and `impair`, with their options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Seconds after the load starts.
    pub at_s: f64,
    /// SIGKILL this validator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kill: Option<ValidatorId>,
    /// Start the killed validator again this long after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_after_s: Option<f64>,
    /// Drop every packet between these groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<Vec<Vec<ValidatorId>>>,
    /// Impair this validator's links to the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impair: Option<ValidatorId>,
    /// Fraction of packets the impaired links drop each way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// Outgoing cap of the impaired links (kB/s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kbytes_per_s: Option<u32>,
    /// Latency added to the impaired links, each way (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<f64>,
    /// Random variation of that latency, either way (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<f64>,
    /// Heal the partition or restore the links this long after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub for_s: Option<f64>,
}

/// One thing the schedule does.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// SIGKILL the validator.
    Kill(ValidatorId),
    /// Start it again on its storage.
    Restart(ValidatorId),
    /// Drop every packet between the groups.
    Partition(Vec<Vec<ValidatorId>>),
    /// Remove the partition.
    Heal,
    /// Impair the validator's links to and from the others (never `cut`).
    Impair(ValidatorId, LinkRule),
    /// Remove that impairment.
    Unimpair(ValidatorId),
}

impl FaultAction {
    fn describe(&self) -> String {
        match self {
            FaultAction::Kill(v) => format!("kill -9 validator {v}"),
            FaultAction::Restart(v) => format!("restart validator {v}"),
            FaultAction::Partition(groups) => format!("partition {groups:?}"),
            FaultAction::Heal => "heal the partition".into(),
            FaultAction::Impair(v, i) => {
                let cap = i.kbytes_per_s.map_or_else(String::new, |r| format!(", at most {r} kB/s out"));
                let late = match (i.delay_ms, i.jitter_ms) {
                    (0.0, 0.0) => String::new(),
                    (d, j) => format!(", {d} ± {j} ms later"),
                };
                format!("impair validator {v}'s links: {:.1} % loss{cap}{late}", i.loss * 100.0)
            }
            FaultAction::Unimpair(v) => format!("restore validator {v}'s links"),
        }
    }
}

/// A checked schedule: actions in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schedule {
    /// (time after the load starts, action), sorted by time.
    pub steps: Vec<(Duration, FaultAction)>,
}

/// What the schedule did: the run's fault timeline.
#[derive(Clone, Debug, Serialize)]
pub struct FaultEvent {
    /// When it was planned (s after the load started).
    pub planned_s: f64,
    /// When it happened.
    pub at_s: f64,
    /// What it was.
    pub action: String,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

impl Schedule {
    /// Reads and checks `path` for a cluster of `validators`: a precise message naming the fault on any error.
    pub fn load(path: &Path, validators: usize) -> anyhow::Result<Schedule> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Schedule::parse(&text, validators).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parses and checks a fault file's text.
    pub fn parse(text: &str, validators: usize) -> anyhow::Result<Schedule> {
        let file: FaultFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.message().trim()))?;
        Schedule::from_specs(&file.fault, validators)
    }

    /// Checks `[[fault]]` tables for a cluster of `validators`: a precise message naming the fault on any error.
    pub fn from_specs(specs: &[FaultSpec], validators: usize) -> anyhow::Result<Schedule> {
        let mut steps = Vec::new();
        for (k, f) in specs.iter().enumerate() {
            let at = seconds(f.at_s, &format!("fault {k}: at_s"), true)?;
            let exists = |v: ValidatorId| -> anyhow::Result<()> {
                if usize::from(v) >= validators {
                    anyhow::bail!("fault {k}: validator {v} does not exist (validators 0..{})", validators - 1);
                }
                Ok(())
            };
            let impair_keys =
                f.loss.is_some() || f.kbytes_per_s.is_some() || f.delay_ms.is_some() || f.jitter_ms.is_some();
            if impair_keys && f.impair.is_none() {
                anyhow::bail!("fault {k}: loss, kbytes_per_s, delay_ms and jitter_ms belong to impair = I");
            }
            if let Some(v) = f.impair {
                exists(v)?;
                if f.kill.is_some() || f.partition.is_some() || f.restart_after_s.is_some() {
                    anyhow::bail!("fault {k}: give exactly one of kill = I, partition = [[...], [...]] or impair = I");
                }
                let how = LinkRule {
                    cut: false,
                    loss: f.loss.unwrap_or(0.0),
                    delay_ms: f.delay_ms.unwrap_or(0.0),
                    jitter_ms: f.jitter_ms.unwrap_or(0.0),
                    kbytes_per_s: f.kbytes_per_s,
                };
                how.check().map_err(|e| match e {
                    LinkRuleError::ZeroRate => {
                        anyhow::anyhow!("fault {k}: kbytes_per_s = 0: use a partition to cut a link")
                    }
                    e => anyhow::anyhow!("fault {k}: {e}"),
                })?;
                if how.is_clean() {
                    anyhow::bail!("fault {k}: impair = {v} needs loss, kbytes_per_s, delay_ms or jitter_ms");
                }
                steps.push((at, FaultAction::Impair(v, how)));
                if let Some(d) = f.for_s {
                    steps.push((at + seconds(d, &format!("fault {k}: for_s"), false)?, FaultAction::Unimpair(v)));
                }
                continue;
            }
            match (f.kill, &f.partition) {
                (Some(v), None) => {
                    exists(v)?;
                    if f.for_s.is_some() {
                        anyhow::bail!(
                            "fault {k}: for_s belongs to a partition or an impairment; a kill takes restart_after_s"
                        );
                    }
                    steps.push((at, FaultAction::Kill(v)));
                    if let Some(r) = f.restart_after_s {
                        steps.push((
                            at + seconds(r, &format!("fault {k}: restart_after_s"), false)?,
                            FaultAction::Restart(v),
                        ));
                    }
                }
                (None, Some(groups)) => {
                    let mut seen = BTreeSet::new();
                    for &v in groups.iter().flatten() {
                        exists(v)?;
                        if !seen.insert(v) {
                            anyhow::bail!("fault {k}: validator {v} is in two groups");
                        }
                    }
                    if groups.len() < 2 {
                        anyhow::bail!("fault {k}: a partition needs at least two groups");
                    }
                    if f.restart_after_s.is_some() {
                        anyhow::bail!("fault {k}: restart_after_s belongs to a kill; a partition takes for_s");
                    }
                    steps.push((at, FaultAction::Partition(groups.clone())));
                    if let Some(d) = f.for_s {
                        steps.push((at + seconds(d, &format!("fault {k}: for_s"), false)?, FaultAction::Heal));
                    }
                }
                _ => anyhow::bail!("fault {k}: give exactly one of kill = I, partition = [[...], [...]] or impair = I"),
            }
        }
        steps.sort_by_key(|(at, _)| *at);
        Ok(Schedule { steps })
    }

    /// Whether any step cuts or impairs links (partitions and impairments).
    pub fn touches_links(&self) -> bool {
        self.steps.iter().any(|(_, a)| matches!(a, FaultAction::Partition(_) | FaultAction::Impair(..)))
    }

    /// Validators the schedule kills and never restarts (they leave no report).
    pub fn left_down(&self) -> BTreeSet<ValidatorId> {
        let mut down = BTreeSet::new();
        for (_, a) in &self.steps {
            match a {
                FaultAction::Kill(v) => {
                    down.insert(*v);
                }
                FaultAction::Restart(v) => {
                    down.remove(v);
                }
                _ => {}
            }
        }
        down
    }

    /// Runs the steps at their times after `start` until done or `stop` is set — partitions and impairments
    /// through `links` — and returns the timeline.
    pub fn run(
        &self,
        fleet: &Mutex<Fleet>,
        mut links: Links<'_>,
        start: Instant,
        stop: &AtomicBool,
    ) -> Vec<FaultEvent> {
        let mut timeline = Vec::new();
        for (at, action) in &self.steps {
            while start.elapsed() < *at {
                if stop.load(Relaxed) {
                    return timeline;
                }
                std::thread::sleep(Duration::from_millis(5).min(at.saturating_sub(start.elapsed())));
            }
            let happened = start.elapsed();
            let outcome = links.apply(action, fleet);
            timeline.push(FaultEvent {
                planned_s: at.as_secs_f64(),
                at_s: happened.as_secs_f64(),
                action: action.describe(),
                error: outcome.err().map(|e| e.to_string()),
            });
        }
        timeline
    }
}

/// Where a schedule's partitions and impairments go: the rules per link, and the namespaces when the `netns` layer
/// carries cuts, loss and caps.
pub struct Links<'a> {
    /// The rules in force.
    pub book: LinkBook,
    /// The run's namespaces (`netns` layer only).
    pub net: Option<&'a Netns>,
}

impl Links<'_> {
    fn apply(&mut self, action: &FaultAction, fleet: &Mutex<Fleet>) -> anyhow::Result<()> {
        let mut fleet = fleet.lock().unwrap_or_else(|e| e.into_inner());
        let net = self.net;
        let no_net = || anyhow::anyhow!("the netns layer needs the validators in network namespaces");
        let kernel = |v: ValidatorId, how: &LinkRule| match net {
            Some(net) => net.impair(v, Impairment { loss: how.loss, kbytes_per_s: how.kbytes_per_s }),
            None => Ok(()),
        };
        match action {
            FaultAction::Kill(v) => return fleet.kill9(*v),
            FaultAction::Restart(v) => {
                fleet.restart(*v)?;
                fleet.wait_ready_of(&[*v], RESTART_READY)?;
                // A new process starts with clean links: give it the rules in force.
                return fleet.send_links(*v, &self.book.commands(*v));
            }
            FaultAction::Partition(groups) => {
                if self.book.layer() == LinkLayer::Netns {
                    net.ok_or_else(no_net)?.partition(groups)?;
                }
                self.book.partition(groups);
            }
            FaultAction::Heal => {
                if self.book.layer() == LinkLayer::Netns {
                    net.ok_or_else(no_net)?.heal()?;
                }
                self.book.heal();
            }
            FaultAction::Impair(v, how) => {
                kernel(*v, how)?;
                self.book.impair(*v, *how);
            }
            FaultAction::Unimpair(v) => {
                kernel(*v, &LinkRule::default())?;
                self.book.impair(*v, LinkRule::default());
            }
        }
        fleet.send_links_to_all(&self.book)
    }
}

fn seconds(v: f64, what: &str, zero_ok: bool) -> anyhow::Result<Duration> {
    if !(v.is_finite() && v <= MAX_S && (v > 0.0 || (zero_ok && v == 0.0))) {
        anyhow::bail!(
            "{what} = {v}: must be a finite number of seconds, {} and at most {MAX_S}",
            if zero_ok { "≥ 0" } else { "> 0" }
        );
    }
    Ok(Duration::from_secs_f64(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_orders_its_steps_and_pairs_kills_with_restarts_and_partitions_with_heals() {
        let text = "[[fault]]\nat_s = 5.0\npartition = [[0, 1], [2, 3]]\nfor_s = 2.0\n\
                    [[fault]]\nat_s = 1.0\nkill = 3\nrestart_after_s = 1.5\n[[fault]]\nat_s = 9\nkill = 2\n";
        let s = Schedule::parse(text, 4).expect("valid");
        let actions: Vec<&FaultAction> = s.steps.iter().map(|(_, a)| a).collect();
        assert_eq!(
            actions,
            [
                &FaultAction::Kill(3),
                &FaultAction::Restart(3),
                &FaultAction::Partition(vec![vec![0, 1], vec![2, 3]]),
                &FaultAction::Heal,
                &FaultAction::Kill(2)
            ]
        );
        assert_eq!(s.steps[1].0, Duration::from_secs_f64(2.5));
        assert!(s.touches_links());
        assert_eq!(s.left_down(), BTreeSet::from([2]));
    }

    #[test]
    fn bad_schedules_are_refused_with_the_fault_and_the_reason() {
        for (text, says) in [
            ("[[fault]]\nat_s = 1\nkill = 9\n", "validator 9 does not exist"),
            ("[[fault]]\nat_s = 1\n", "exactly one of"),
            ("[[fault]]\nat_s = 1\nkill = 1\npartition = [[0], [1]]\n", "exactly one of"),
            ("[[fault]]\nat_s = -1\nkill = 1\n", "at_s = -1"),
            ("[[fault]]\nat_s = 1\nkill = 1\nrestart_after_s = inf\n", "restart_after_s = inf"),
            ("[[fault]]\nat_s = 1\npartition = [[0, 1], [1, 2]]\n", "in two groups"),
            ("[[fault]]\nat_s = 1\npartition = [[0, 1, 2, 3]]\n", "two groups"),
            ("[[fault]]\nat_s = 1\nkill = 1\nfor_s = 2\n", "for_s belongs to a partition"),
            ("[[fault]]\nat_s = 1\nimpair = 1\n", "needs loss, kbytes_per_s, delay_ms or jitter_ms"),
            ("[[fault]]\nat_s = 1\nimpair = 1\ndelay_ms = -5\n", "delay_ms = -5"),
            ("[[fault]]\nat_s = 1\nimpair = 1\nkbytes_per_s = 0\n", "use a partition"),
            ("[[fault]]\nat_s = 1\njitter_ms = 5\n", "belong to impair"),
            ("[[fault]]\nat_s = 1\nimpair = 1\nloss = 1.5\n", "loss = 1.5"),
            ("[[fault]]\nat_s = 1\nloss = 0.1\n", "belong to impair"),
            ("[[fault]]\nat_s = 1\nimpair = 1\nkill = 2\nloss = 0.1\n", "exactly one of"),
            ("[[fault]]\nat = 1\n", "unknown field"),
        ] {
            let err = Schedule::parse(text, 4).expect_err(text).to_string();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }
}
