//! Small helpers for work split over threads. One function over a list of items on an optional thread pool, the results in the items' order — how the mempool's
//! shards and the synthetic committee's members share a pool. A utility of the bottom floor: it knows no component.

use rayon::ThreadPool;
use rayon::prelude::*;

/// `f` applied to every item, results in the items' order whatever order the threads finish in: all at once on
/// `pool` when there is one and there are at least `min_parallel` items, else one after another on the calling
/// thread.
pub fn map_in_order<T: Send, R: Send>(
    pool: Option<&ThreadPool>,
    min_parallel: usize,
    items: Vec<T>,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    match pool {
        Some(pool) if items.len() >= min_parallel => pool.install(|| items.into_par_iter().map(f).collect()),
        _ => items.into_iter().map(f).collect(),
    }
}

/// Chunk length splitting `n` items over the current rayon pool's threads, at least `min` — how the parallel
/// crypto paths cut a batch so each thread gets one chunk worth its fixed cost.
pub fn chunk_len(n: usize, min: usize) -> usize {
    n.div_ceil(rayon::current_num_threads().max(1)).max(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items that finish in reverse order on the pool come back in their own order, as without a pool.
    #[test]
    fn results_keep_the_items_order() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().expect("a pool");
        let slow_first = |i: u64| {
            std::thread::sleep(std::time::Duration::from_millis(3 * (4 - i)));
            i * 10
        };
        let expected = vec![0, 10, 20, 30];
        assert_eq!(map_in_order(Some(&pool), 2, (0..4).collect(), slow_first), expected);
        assert_eq!(map_in_order(None, 2, (0..4).collect(), slow_first), expected);
        assert_eq!(map_in_order(Some(&pool), 5, (0..4).collect(), slow_first), expected, "too few: on the caller");
    }
}
