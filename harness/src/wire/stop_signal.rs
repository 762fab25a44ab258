//! SIGTERM and SIGINT as a flag: how a validator or committee process is told to stop cleanly (flush its storage,
//! write its report) instead of ending where it stands.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// Set by SIGTERM / SIGINT.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Relaxed);
}

/// Makes SIGTERM and SIGINT set the flag instead of ending the process.
pub fn catch() -> anyhow::Result<()> {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: `on_signal` only stores to an atomic, which is async-signal-safe; the handler is a plain
        // `extern "C" fn` that lives for the whole program.
        let previous = unsafe { libc::signal(signal, on_signal as *const () as libc::sighandler_t) };
        if previous == libc::SIG_ERR {
            anyhow::bail!("cannot install the handler of signal {signal}");
        }
    }
    Ok(())
}

/// Whether SIGTERM or SIGINT has arrived.
pub fn received() -> bool {
    STOP.load(Relaxed)
}
