//! External programs in tests: the one skip-or-fail rule when a program is missing (skip with a printed reason
//! outside CI, fail under `CI=true`, where scripts/setup.sh installs it), and a run bounded in time that leaves
//! no process behind (the program gets its own process group, killed as a whole on timeout or drop).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether this run is CI (`CI=true` or `CI=1`), where no test may skip for a missing program.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The path of `program` (an absolute path, or a name looked up on `PATH`). `None` when it is missing outside
/// CI (after printing why the calling test skips); a panic when it is missing under CI.
#[track_caller]
pub fn require(program: &str, why: &str) -> Option<PathBuf> {
    let found = if program.contains('/') {
        Some(PathBuf::from(program)).filter(|p| p.is_file())
    } else {
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    };
    match found {
        Some(path) => Some(path),
        None if in_ci() => panic!("CI=true and no {program}: {why}; scripts/setup.sh installs it"),
        None => {
            println!("skipped: no {program} on this machine ({why}); scripts/setup.sh installs it");
            None
        }
    }
}

/// A child process in its own process group, killed with the whole group when dropped.
pub struct Group(Option<Child>);

impl Group {
    /// Starts `cmd` in a new process group, its output captured.
    pub fn spawn(cmd: &mut Command) -> Group {
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
        Group(Some(child))
    }

    /// Waits for the child to exit within `limit` and returns its output (read while it runs, so a child that
    /// writes more than a pipe holds cannot block); on timeout kills the group and panics.
    pub fn wait(mut self, limit: Duration) -> Output {
        let deadline = Instant::now() + limit;
        let mut child = self.0.take().expect("waited once");
        let pid = child.id();
        let stdout = reader(child.stdout.take());
        let stderr = reader(child.stderr.take());
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                Ok(None) => {
                    kill_group(pid);
                    let _ = child.wait();
                    panic!("{pid} did not finish within {limit:?}: killed");
                }
                Err(e) => panic!("cannot wait for {pid}: {e}"),
            }
        };
        // The program's helpers (Chromium's renderer and zygote) must not outlive it, nor hold its pipes open.
        kill_group(pid);
        let join = |h: std::thread::JoinHandle<Vec<u8>>| h.join().expect("a pipe reader does not panic");
        Output { status, stdout: join(stdout), stderr: join(stderr) }
    }
}

fn reader(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            kill_group(child.id());
            let _ = child.wait();
        }
    }
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// The repository root (the harness crate's parent).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("harness/ has a parent")
}
