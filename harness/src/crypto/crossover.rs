//! The CPU/GPU crossover: per operation, the smallest measured batch size from which the gpu backend is at
//! least as fast (items/s) as the best CPU backend at that size and at every larger measured size.

use super::{Cell, CellStatus, Op};
use crate::backends::BackendName;
use serde::Serialize;

/// The crossover of one operation.
#[derive(Clone, Debug, Serialize)]
pub struct Crossover {
    /// The operation.
    pub op: Op,
    /// The crossover batch size, when the gpu wins from some measured size on.
    pub batch: Option<usize>,
    /// One line for people: the size, or why there is none.
    pub note: String,
}

/// The crossover of every operation in `ops` over `cells`.
pub fn crossovers(ops: &[Op], cells: &[Cell]) -> Vec<Crossover> {
    ops.iter().map(|&op| one(op, cells)).collect()
}

fn one(op: Op, cells: &[Cell]) -> Crossover {
    let rate = |c: &Cell| c.items_per_s.filter(|_| c.status == CellStatus::Measured);
    let mut sizes: Vec<usize> = cells.iter().filter(|c| c.op == op).map(|c| c.batch).collect();
    sizes.sort_unstable();
    sizes.dedup();
    // (batch, gpu rate, best CPU rate) where both were measured.
    let pairs: Vec<(usize, f64, f64)> = sizes
        .iter()
        .filter_map(|&b| {
            let at = || cells.iter().filter(move |c| c.op == op && c.batch == b);
            let gpu = at().filter(|c| c.backend == BackendName::Gpu).find_map(rate)?;
            let cpu = at().filter(|c| c.backend != BackendName::Gpu).filter_map(rate).reduce(f64::max)?;
            Some((b, gpu, cpu))
        })
        .collect();
    let (batch, note) = if !op.on_gpu() {
        (None, "n/a: a pairing check, on the CPU (the gpu backend delegates it to cpu-batch)".to_string())
    } else if pairs.is_empty() {
        (None, "not measured (needs the gpu backend and at least one CPU backend)".to_string())
    } else {
        let from = (0..pairs.len()).rev().take_while(|&i| pairs[i].1 >= pairs[i].2).last();
        match from {
            Some(i) => (Some(pairs[i].0), format!("gpu ≥ best CPU backend from batch {} on", pairs[i].0)),
            None => {
                let (lo, hi) = (pairs[0].0, pairs[pairs.len() - 1].0);
                (None, format!("none in {lo}..={hi}: the best CPU backend is faster at the largest batch"))
            }
        }
    };
    Crossover { op, batch, note }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(op: Op, backend: BackendName, batch: usize, rate: f64) -> Cell {
        Cell {
            op,
            backend,
            batch,
            status: CellStatus::Measured,
            items_per_s: Some(rate),
            ms_per_call: Some(1.0),
            cv: Some(0.0),
            calls: 1,
            gpu: None,
        }
    }

    #[test]
    fn crossover_is_the_start_of_the_winning_tail() {
        use BackendName::Gpu;
        let op = Op::Ed25519Verify;
        let cells = vec![
            cell(op, BackendName::CPU_BATCH, 1, 10.0),
            cell(op, Gpu, 1, 20.0), // wins, but loses again at 4: not the crossover
            cell(op, BackendName::CPU_BATCH, 4, 40.0),
            cell(op, Gpu, 4, 30.0),
            cell(op, BackendName::CPU, 16, 50.0),
            cell(op, BackendName::CPU_BATCH, 16, 60.0),
            cell(op, Gpu, 16, 70.0),
            cell(op, BackendName::CPU_BATCH, 64, 60.0),
            cell(op, Gpu, 64, 90.0),
        ];
        let x = crossovers(&[op, Op::QcVerify], &cells);
        assert_eq!(x[0].batch, Some(16));
        assert_eq!(x[1].batch, None);
        assert!(x[1].note.starts_with("n/a"));
        let slow: Vec<Cell> = cells.iter().filter(|c| c.batch != 64).cloned().collect();
        let x = crossovers(&[op], &slow[..4]);
        assert_eq!(x[0].batch, None);
        assert!(x[0].note.starts_with("none in 1..=4"), "{}", x[0].note);
    }
}
