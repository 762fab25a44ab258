//! The driver's clocks: [`WallPacer`] (real time) and [`VirtualPacer`] (a virtual clock that jumps).

use std::time::{Duration, Instant};

/// The driver's notion of time: wall clock, or a virtual clock that jumps.
pub trait Pacer {
    /// Current time on the system's time axis.
    fn now(&self) -> Duration;
    /// Returns once `now() >= t` (sleeping, or jumping).
    fn wait_until(&mut self, t: Duration);
    /// Whether time only moves when the driver waits (then every transaction is submitted exactly on time).
    fn is_virtual(&self) -> bool;
}

/// Real time: `now` = the system's time at start + wall time since.
#[derive(Debug)]
pub struct WallPacer {
    origin: Instant,
    base: Duration,
}

impl WallPacer {
    /// Starts the clock at `base` (the system's `now()` at the start of the load).
    pub fn start(base: Duration) -> Self {
        WallPacer { origin: Instant::now(), base }
    }
}

impl Pacer for WallPacer {
    fn now(&self) -> Duration {
        self.base + self.origin.elapsed()
    }
    fn wait_until(&mut self, t: Duration) {
        let now = self.now();
        if t > now {
            std::thread::sleep(t - now);
        }
    }
    fn is_virtual(&self) -> bool {
        false
    }
}

/// Simulated time: waiting jumps straight to the target.
#[derive(Debug)]
pub struct VirtualPacer {
    now: Duration,
}

impl VirtualPacer {
    /// Starts at `base`.
    pub fn start(base: Duration) -> Self {
        VirtualPacer { now: base }
    }
}

impl Pacer for VirtualPacer {
    fn now(&self) -> Duration {
        self.now
    }
    fn wait_until(&mut self, t: Duration) {
        self.now = self.now.max(t);
    }
    fn is_virtual(&self) -> bool {
        true
    }
}
