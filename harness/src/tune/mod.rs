//! `hsbench tune`'s search: first-improvement hill climbing over the [`moves`] of a [`Candidate`] (coordinate
//! descent over core map, sigverify cores, batch size, backend and block interval), one ceiling search per
//! candidate, inside a wall-clock budget. The start (the configuration as given) is measured first; when the search
//! ends on another candidate, both are measured once more back to back and the better of that recheck wins, so
//! noise between two runs cannot crown a layout that is not really better.
//!
//! The search only sees [`Evaluate`], so it is tested against a deterministic cost model; [`command`] runs it for
//! the command line.

pub mod candidate;
pub mod command;
pub mod moves;
pub mod node;

use crate::backends::BackendName;
use crate::ceiling::search::ProbeError;
pub use candidate::Candidate;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What one candidate's ceiling search found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Evaluation {
    /// The ceiling (tx/s offered), `None` when no rate met the SLO.
    pub ceiling_tps: Option<f64>,
    /// Whether every confirmation run at the ceiling passed.
    pub confirmed: bool,
    /// p99 latency at the ceiling (ms).
    pub p99_ms: f64,
    /// The bottleneck stage at the ceiling.
    pub bottleneck: String,
    /// The core (id) with the highest summed stage busy % at the ceiling (the committee included).
    pub busiest_core: Option<usize>,
    /// Summed busy % per core at the ceiling, one entry per core of [`TuneSettings::cores`], in that order
    /// (entry `k` is core `k` when the process may use every core).
    pub core_busy_pct: Vec<f64>,
    /// Why the lowest failing rate above the ceiling failed (the SLO checks it missed).
    pub failed_above: Vec<String>,
    /// Wall time the evaluation took (s).
    pub seconds: f64,
}

impl Evaluation {
    /// The ceiling, 0 when none was found (for comparisons).
    pub fn score(&self) -> f64 {
        self.ceiling_tps.unwrap_or(0.0)
    }
}

/// Measures candidates.
pub trait Evaluate {
    /// The ceiling of `candidate`, its search starting near `hint_tps` (the best ceiling so far) and bisecting no
    /// later than `deadline`.
    fn evaluate(
        &mut self,
        candidate: &Candidate,
        hint_tps: Option<f64>,
        deadline: Instant,
    ) -> Result<Evaluation, ProbeError>;
}

/// The knobs of one tuning run.
#[derive(Clone, Debug)]
pub struct TuneSettings {
    /// Wall-clock budget for the whole search, rechecks included.
    pub budget: Duration,
    /// A neighbour replaces the current best only when its ceiling is higher by more than this fraction (noise).
    pub min_gain: f64,
    /// Backends the search may switch to.
    pub backends: Vec<BackendName>,
    /// Ids of the cores the process may run on (`available_cores`): the only cores a move may name.
    pub cores: Vec<usize>,
    /// Stop after this many evaluations (tests; `None`: only the budget limits).
    pub max_evaluations: Option<usize>,
}

/// One measured candidate.
#[derive(Clone, Debug, Serialize)]
pub struct Ranked {
    /// 1 = highest ceiling.
    pub rank: usize,
    /// [`Candidate::label`].
    pub label: String,
    /// Its ceiling in tx/s (`null`: none found); what the report's ranking chart plots.
    pub ceiling_tps: Option<f64>,
    /// The bottleneck stage at its ceiling.
    pub bottleneck: String,
    /// The knobs.
    pub candidate: Candidate,
    /// The measurement.
    pub evaluation: Evaluation,
    /// Whether this is the configuration as given.
    pub is_default: bool,
}

/// The back-to-back remeasurement of the start and the search's best.
#[derive(Clone, Debug, Serialize)]
pub struct Recheck {
    /// The start, measured again.
    pub default: Evaluation,
    /// The search's best, measured again.
    pub best: Evaluation,
}

/// What the search found.
#[derive(Clone, Debug, Serialize)]
pub struct TuneOutcome {
    /// Every candidate measured, best first.
    pub ranking: Vec<Ranked>,
    /// The configuration as given, with its (first) measurement.
    pub default: Ranked,
    /// The winner (after the recheck), with its (first) measurement.
    pub best: Ranked,
    /// The back-to-back recheck, when the search ended away from the start.
    pub recheck: Option<Recheck>,
    /// Ceiling searches run (rechecks included).
    pub evaluations: usize,
    /// Why the search stopped, and anything else worth knowing.
    pub notes: Vec<String>,
}

/// What the search is doing, for progress displays.
#[derive(Clone, Copy, Debug)]
pub enum TuneEvent<'a> {
    /// A candidate's ceiling search starts.
    Started(&'a Candidate),
    /// It finished: the candidate, its result and the best ceiling so far (tx/s).
    Measured(&'a Candidate, &'a Evaluation, f64),
}

/// Runs the search from `start`; `on_event` sees every evaluation start and result.
pub fn tune(
    eval: &mut dyn Evaluate,
    start: &Candidate,
    s: &TuneSettings,
    on_event: &mut dyn FnMut(TuneEvent<'_>),
) -> Result<TuneOutcome, ProbeError> {
    let t0 = Instant::now();
    let end = t0 + s.budget;
    let mut notes = Vec::new();
    let mut measured: Vec<(Candidate, Evaluation)> = Vec::new();
    let mut evaluations = 0usize;
    let mut run = |c: &Candidate, hint: Option<f64>, measured: &mut Vec<(Candidate, Evaluation)>| {
        on_event(TuneEvent::Started(c));
        let t = Instant::now();
        let mut e = eval.evaluate(c, hint, end)?;
        e.seconds = t.elapsed().as_secs_f64();
        evaluations += 1;
        let best = measured.iter().map(|(_, m)| m.score()).fold(e.score(), f64::max);
        on_event(TuneEvent::Measured(c, &e, best));
        Ok::<Evaluation, ProbeError>(e)
    };
    let first = run(start, None, &mut measured)?;
    measured.push((start.clone(), first));
    let mut best = 0usize;
    let mut exhausted = false;
    'climb: loop {
        let (current, current_eval) = measured[best].clone();
        for n in moves::neighbours(&current, &s.cores, &s.backends, current_eval.busiest_core) {
            if measured.iter().any(|(c, _)| *c == n) {
                continue;
            }
            // Keep room for this evaluation and the two rechecks, each about as long as a neighbour's search
            // (which starts near the best and is shorter than the first one, which starts at start_tps).
            let need = Duration::from_secs_f64(3.0 * neighbour_estimate(&measured));
            if Instant::now() + need > end || s.max_evaluations.is_some_and(|m| measured.len() >= m) {
                notes.push(format!("budget reached after {} candidates", measured.len()));
                exhausted = true;
                break 'climb;
            }
            let e = run(&n, current_eval.ceiling_tps, &mut measured)?;
            let better = e.score() > current_eval.score() * (1.0 + s.min_gain);
            measured.push((n, e));
            if better {
                best = measured.len() - 1;
                continue 'climb; // first improvement: climb from the new best
            }
        }
        break; // no neighbour improved: a local optimum
    }
    if !exhausted {
        notes.push(format!("local optimum: no neighbour of the best beat it by more than {:.0} %", s.min_gain * 100.0));
    }
    // The best measured candidate (the climb moves only on gains above min_gain, but a smaller gain seen on the
    // way still ranks first).
    let best = (0..measured.len()).fold(0, |b, i| if measured[i].1.score() > measured[b].1.score() { i } else { b });
    let mut recheck = None;
    let mut winner = best;
    if best != 0 {
        let default = run(&measured[0].0.clone(), measured[0].1.ceiling_tps, &mut measured)?;
        let again = run(&measured[best].0.clone(), measured[best].1.ceiling_tps, &mut measured)?;
        if again.score() <= default.score() {
            notes.push(format!(
                "the recheck did not confirm the gain ({:.0} vs {:.0} tx/s): keeping the configuration as given",
                again.score(),
                default.score()
            ));
            winner = 0;
        }
        recheck = Some(Recheck { default, best: again });
    }
    let ranked = |i: usize| Ranked {
        rank: 0,
        label: measured[i].0.label(),
        ceiling_tps: measured[i].1.ceiling_tps,
        bottleneck: measured[i].1.bottleneck.clone(),
        candidate: measured[i].0.clone(),
        evaluation: measured[i].1.clone(),
        is_default: i == 0,
    };
    let mut order: Vec<usize> = (0..measured.len()).collect();
    order.sort_by(|&a, &b| measured[b].1.score().total_cmp(&measured[a].1.score()));
    let ranking: Vec<Ranked> = order.iter().enumerate().map(|(k, &i)| Ranked { rank: k + 1, ..ranked(i) }).collect();
    let rank_of = |i: usize| order.iter().position(|&o| o == i).map_or(0, |p| p + 1);
    Ok(TuneOutcome {
        default: Ranked { rank: rank_of(0), ..ranked(0) },
        best: Ranked { rank: rank_of(winner), ..ranked(winner) },
        ranking,
        recheck,
        evaluations,
        notes,
    })
}

/// Expected wall time of one more neighbour evaluation (s): the mean of those so far, else 60 % of the first.
fn neighbour_estimate(measured: &[(Candidate, Evaluation)]) -> f64 {
    match measured.split_first() {
        Some((first, [])) => 0.6 * first.1.seconds,
        Some((_, rest)) => rest.iter().map(|(_, e)| e.seconds).sum::<f64>() / rest.len() as f64,
        None => 0.0,
    }
}

#[cfg(test)]
mod tests;
