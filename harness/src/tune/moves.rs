//! The neighbourhood of a candidate: every configuration one move away. A move changes one knob — one stage to
//! another core, one sigverify or execution-lane core more or fewer, the batch size doubled or halved, another
//! backend, the block interval doubled or halved — so the search is coordinate descent over the knobs, never a
//! blind grid.

use super::candidate::Candidate;
use crate::backends::BackendName;
use hsbench_engine::runtime::pipeline::StageKind;

/// The pipeline's one-thread stages ([`StageKind::threads`] is 1), moved whole from core to core, in the order
/// their moves are tried (the usual bottlenecks first). Sigverify grows and shrinks instead; the committee stays
/// where the layout put it, off the node's cores.
pub const MOVED_WHOLE: [StageKind; 4] = [StageKind::Node, StageKind::Execution, StageKind::Storage, StageKind::Ingress];

/// Smallest and largest batch sizes tried.
pub const BATCH_RANGE: (usize, usize) = (16, 4096);

/// Shortest and longest block intervals tried (ms): below 5 ms a block is mostly its fixed BLS cost; above 160 ms the
/// interval alone is a third of a 500 ms p99 budget.
pub const BLOCK_INTERVAL_RANGE_MS: (u64, u64) = (5, 160);

/// Every candidate one move from `c` over the cores `cores` (ids the process may run on), trying `backends`,
/// ordered so that moves taking work off `busiest_core` come first (the measured bottleneck is where a better
/// layout is most likely).
pub fn neighbours(
    c: &Candidate,
    cores: &[usize],
    backends: &[BackendName],
    busiest_core: Option<usize>,
) -> Vec<Candidate> {
    let mut out: Vec<(bool, Candidate)> = Vec::new();
    let mut push = |relieves: bool, n: Candidate| {
        if n != *c && !out.iter().any(|(_, o)| *o == n) {
            out.push((relieves, n));
        }
    };
    // One single-threaded stage to another core.
    for stage in MOVED_WHOLE {
        let from = c.cores.cores(stage).first().copied();
        for &core in cores.iter().filter(|&&k| Some(k) != from) {
            let mut n = c.clone();
            *n.cores.cores_mut(stage) = vec![core];
            push(from.is_some() && from == busiest_core, n);
        }
    }
    // One core more, or one fewer, for a stage that runs a thread per core (sigverify, admission shards, execution
    // lanes, vote crypto).
    for stage in StageKind::PIPELINE.into_iter().filter(|k| k.widens()) {
        let own = c.cores.cores(stage).clone();
        for &core in cores.iter().filter(|k| !own.contains(k)) {
            let mut n = c.clone();
            let list = n.cores.cores_mut(stage);
            list.push(core);
            list.sort_unstable();
            push(false, n);
        }
        // An optional stage may lose its last core (its work goes back to the node stage); others keep one.
        if own.len() > usize::from(!stage.optional()) {
            for &core in &own {
                let mut n = c.clone();
                n.cores.cores_mut(stage).retain(|&k| k != core);
                push(Some(core) == busiest_core, n);
            }
        }
    }
    // Batch size ×2 and ÷2.
    for b in [c.batch_size.saturating_mul(2), c.batch_size / 2] {
        if (BATCH_RANGE.0..=BATCH_RANGE.1).contains(&b) {
            push(false, Candidate { batch_size: b, ..c.clone() });
        }
    }
    // Block interval ×2 and ÷2 (an interval of 0 — propose at once — is outside the range, so it stays).
    for ms in [c.block_interval_ms.saturating_mul(2), c.block_interval_ms / 2] {
        if (BLOCK_INTERVAL_RANGE_MS.0..=BLOCK_INTERVAL_RANGE_MS.1).contains(&ms) {
            push(false, Candidate { block_interval_ms: ms, ..c.clone() });
        }
    }
    // Another backend.
    for &b in backends.iter().filter(|&&b| b != c.backend) {
        push(false, Candidate { backend: b, ..c.clone() });
    }
    // Stable: relieving moves first, each group in generation order.
    out.sort_by_key(|(relieves, _)| !relieves);
    out.into_iter().map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hsbench_engine::runtime::pipeline::CoreMap;

    fn two_core() -> Candidate {
        Candidate {
            cores: CoreMap::auto(&[0, 1]),
            batch_size: 128,
            backend: BackendName::CPU_BATCH,
            block_interval_ms: 20,
        }
    }

    #[test]
    fn every_neighbour_is_one_move_away_and_unique() {
        let c = two_core();
        let ns = neighbours(&c, &[0, 1], &[BackendName::CPU_BATCH, BackendName::Gpu], Some(1));
        // node, execution, storage → core 0; ingress → core 1; sigverify + core 0; an execution lane on core 0;
        // admission shards and vote crypto off the node stage, each on core 0 or core 1; batch 256 and 64; block
        // interval 40 and 10 ms; gpu.
        assert_eq!(ns.len(), 15, "{:#?}", ns.iter().map(Candidate::label).collect::<Vec<_>>());
        for n in &ns {
            let changed = [
                n.cores.node != c.cores.node,
                n.cores.execution != c.cores.execution,
                n.cores.storage != c.cores.storage,
                n.cores.ingress != c.cores.ingress,
                n.cores.sigverify != c.cores.sigverify,
                n.cores.vote_crypto != c.cores.vote_crypto,
                n.cores.admission != c.cores.admission,
                n.batch_size != c.batch_size,
                n.backend != c.backend,
                n.block_interval_ms != c.block_interval_ms,
            ];
            assert_eq!(changed.iter().filter(|x| **x).count(), 1, "{}", n.label());
        }
        // The busiest core is 1: moving node/execution/storage off it comes first.
        assert!(
            ns[..3]
                .iter()
                .all(|n| n.cores.node == vec![0] || n.cores.execution == vec![0] || n.cores.storage == vec![0])
        );
        let labels: std::collections::HashSet<_> = ns.iter().map(Candidate::label).collect();
        assert_eq!(labels.len(), ns.len());
    }

    #[test]
    fn batch_sizes_stay_in_range_and_one_core_moves_only_optional_stages() {
        let mut c = two_core();
        c.batch_size = BATCH_RANGE.1;
        c.block_interval_ms = BLOCK_INTERVAL_RANGE_MS.1;
        c.cores = CoreMap::auto(&[0]);
        let ns = neighbours(&c, &[0], &[BackendName::CPU_BATCH], None);
        // On one core every stage already shares it: the only layout moves are an admission or a vote-crypto
        // thread there.
        let batch: Vec<usize> = ns.iter().map(|n| n.batch_size).filter(|&b| b != c.batch_size).collect();
        assert_eq!(batch, vec![BATCH_RANGE.1 / 2]);
        // The interval at the top of its range only halves; an interval of 0 stays.
        let intervals: Vec<u64> =
            ns.iter().map(|n| n.block_interval_ms).filter(|&ms| ms != c.block_interval_ms).collect();
        assert_eq!(intervals, vec![BLOCK_INTERVAL_RANGE_MS.1 / 2]);
        c.block_interval_ms = 0;
        assert!(neighbours(&c, &[0], &[BackendName::CPU_BATCH], None).iter().all(|n| n.block_interval_ms == 0));
        let layout: Vec<&Candidate> = ns.iter().filter(|n| n.cores != c.cores).collect();
        assert_eq!(layout.len(), 2);
        assert_eq!(layout[0].cores.admission, vec![0]);
        assert_eq!(layout[1].cores.vote_crypto, vec![0]);
        // And from there, back: an optional stage may give up its last core.
        let mut with = c.clone();
        with.cores.admission = vec![0];
        assert!(neighbours(&with, &[0], &[BackendName::CPU_BATCH], None).iter().any(|n| n.cores == c.cores));
    }
}
