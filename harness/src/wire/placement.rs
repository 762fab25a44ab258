//! Where the processes of one cluster run go on this machine's cores.
//!
//! With at least as many cores as processes, each process gets its own contiguous share (`--cpus`) and pins its
//! stages inside it, as node mode does: the processes do not compete for a core. With fewer cores than
//! processes (4 validators on 2 cores), shares would hold each process to one core beside another busy one with
//! no way for the scheduler to balance them; there every process may run on every core and pins nothing
//! (`--no-pin`), and the OS spreads the threads. Measured on the 2-core VM, 4 signature-free validators at 30,000
//! tx/s, two interleaved pairs: p50/p99 196–200/410–434 ms with one core per process, 141–147/243–298 ms unpinned,
//! every transaction committed in both (CPU per transaction per process 12.4–12.8 → 13.2–13.8 µs: the same work,
//! smaller blocks).

use hsbench_engine::runtime::pipeline::core_shares;

/// How the processes of a run are placed on the cores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Process `i` runs on `shares[i]` only, its stages pinned there.
    Shares(Vec<Vec<usize>>),
    /// More processes than cores: every process on every core, nothing pinned.
    Unpinned {
        /// Processes in the run.
        processes: usize,
        /// Cores the run may use.
        cores: usize,
    },
}

impl Placement {
    /// The placement of `processes` processes on `cores` (the ids the run may use).
    pub fn of(processes: usize, cores: &[usize]) -> Self {
        if cores.len() >= processes {
            Placement::Shares(core_shares(cores, processes))
        } else {
            Placement::Unpinned { processes, cores: cores.len() }
        }
    }

    /// The command-line arguments that place process `i` (`hsbench node` and `hsbench committee` take both).
    pub fn args(&self, i: usize) -> Vec<String> {
        match self {
            Placement::Shares(shares) => {
                let share: Vec<String> = shares.get(i).into_iter().flatten().map(usize::to_string).collect();
                vec!["--cpus".to_string(), share.join(",")]
            }
            Placement::Unpinned { .. } => vec!["--no-pin".to_string()],
        }
    }

    /// One line for the run's header and its result.
    pub fn describe(&self) -> String {
        match self {
            Placement::Shares(shares) => {
                let each: Vec<String> = shares.iter().map(|s| format!("{s:?}")).collect();
                format!("each process pinned on its own cores: {}", each.join(" "))
            }
            Placement::Unpinned { processes, cores } => {
                format!("{processes} processes on {cores} cores: every process on every core, threads unpinned")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_get_shares_until_they_outnumber_the_cores() {
        let four: Vec<usize> = (0..4).collect();
        let shared = Placement::of(2, &four);
        assert_eq!(shared, Placement::Shares(vec![vec![0, 1], vec![2, 3]]));
        assert_eq!(shared.args(1), vec!["--cpus", "2,3"]);
        assert_eq!(Placement::of(4, &four).args(3), vec!["--cpus", "3"]);
        let over = Placement::of(4, &[0, 1]);
        assert_eq!(over, Placement::Unpinned { processes: 4, cores: 2 });
        assert_eq!(over.args(0), vec!["--no-pin"]);
        assert!(over.describe().contains("4 processes on 2 cores"), "{}", over.describe());
    }
}
