//! The threads of one network component (a validator's `Network`, a `ClientPort`): each started with the
//! component's [`ThreadHook`], those that have ended joined and let go when the next one starts (so a storm of
//! connections leaves no trail of handles), every one joined at stop.

use super::peers::ThreadHook;
use std::io;
use std::sync::Mutex;
use std::thread::JoinHandle;

/// A component's threads (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct ThreadSet {
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl ThreadSet {
    /// Starts `work` on a thread named `name`, running `hook` first; joins the threads that have ended.
    pub(crate) fn spawn(
        &self,
        name: String,
        hook: &ThreadHook,
        work: impl FnOnce() + Send + 'static,
    ) -> io::Result<()> {
        let hook = hook.clone();
        let handle = std::thread::Builder::new().name(name).spawn(move || {
            if let Some(hook) = &hook.0 {
                hook();
            }
            work()
        })?;
        let mut handles = self.handles.lock().unwrap_or_else(|e| e.into_inner());
        let (ended, running): (Vec<_>, Vec<_>) =
            std::mem::take(&mut *handles).into_iter().partition(|h| h.is_finished());
        *handles = running;
        handles.push(handle);
        drop(handles);
        for h in ended {
            let _ = h.join();
        }
        Ok(())
    }

    /// Threads not yet known to have ended.
    pub(crate) fn len(&self) -> usize {
        self.handles.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Joins every thread, including those started by the threads being joined.
    pub(crate) fn join_all(&self) {
        loop {
            let batch: Vec<JoinHandle<()>> =
                std::mem::take(&mut *self.handles.lock().unwrap_or_else(|e| e.into_inner()));
            if batch.is_empty() {
                break;
            }
            for h in batch {
                let _ = h.join();
            }
        }
    }
}
