//! The validator processes of one `hsbench cluster` run: started as `hsbench node --link-control` children (link
//! rules of the fault schedule go to their stdin), waited for until each says it listens, stopped with SIGTERM
//! (SIGKILL past a deadline), and killed when the fleet is dropped, so no process outlives the run whatever happens
//! to it.

use super::links::{LinkBook, LinkCommand};
use super::node::READY;
use hsbench_engine::types::ValidatorId;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How a validator process ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Exit {
    /// Validator id.
    pub id: ValidatorId,
    /// Exit code after SIGTERM (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Whether it had to be killed because it did not stop within the deadline.
    pub killed: bool,
    /// Whether it was already down (killed by the fault schedule and not restarted).
    pub down: bool,
}

struct Process {
    id: ValidatorId,
    child: Child,
    /// Its link-control input.
    links: Option<ChildStdin>,
    log: PathBuf,
    /// What started it (a restart runs the same).
    launch: Launch,
    /// Killed (and reaped) by [`Fleet::kill9`], not restarted since: its pid may belong to another process now.
    down: bool,
}

/// What a process of the fleet is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Role {
    /// One validator: `hsbench node --id I --link-control`.
    #[default]
    Validator,
    /// Node mode's synthetic committee, validators 1..n−1: `hsbench committee` (it takes no link rules).
    Committee,
}

/// The command line of one validator process.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    /// Which command it runs.
    pub role: Role,
    /// The hsbench binary.
    pub exe: PathBuf,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Arguments after the usual ones (`--byzantine ...`).
    pub extra: Vec<String>,
    /// A command the whole line runs under (`ip netns exec NS`).
    pub prefix: Vec<String>,
}

impl Launch {
    /// `exe node --config config --id I --data-dir data_dir`, nothing more.
    pub fn new(exe: &Path, config: &Path, data_dir: &Path) -> Self {
        Launch {
            exe: exe.to_path_buf(),
            config: config.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
            ..Launch::default()
        }
    }
}

/// Running validator processes.
pub struct Fleet {
    processes: Vec<Process>,
    ready: mpsc::Receiver<ValidatorId>,
    ready_tx: mpsc::Sender<ValidatorId>,
}

impl Fleet {
    /// An empty fleet.
    pub fn new() -> Self {
        let (ready_tx, ready) = mpsc::channel();
        Fleet { processes: Vec::new(), ready, ready_tx }
    }

    /// Starts validator `id` as `[prefix...] <exe> node --id <id> --link-control --config <config> --data-dir
    /// <data_dir> [extra...]`, its stderr in `data_dir/node-<id>.log` — or, for the committee's role (`id`: its
    /// first member), `<exe> committee --config <config> --data-dir <data_dir> [extra...]` logging to
    /// `committee.log`.
    pub fn spawn(&mut self, id: ValidatorId, launch: Launch) -> anyhow::Result<()> {
        let (mut child, log) = self.start(&launch, id)?;
        let links = child.stdin.take();
        self.processes.push(Process { id, child, links, log, launch, down: false });
        Ok(())
    }

    /// Kills validator `id` with SIGKILL (no clean shutdown: what its storage holds is what a crash leaves) and
    /// reaps it.
    pub fn kill9(&mut self, id: ValidatorId) -> anyhow::Result<()> {
        let p = self.process(id)?;
        p.child.kill().map_err(|e| anyhow::anyhow!("killing validator {id}: {e}"))?;
        p.child.wait()?;
        p.down = true;
        Ok(())
    }

    /// Starts validator `id` again with the same configuration and data directory (it resumes from its storage);
    /// call [`Fleet::wait_ready`] before relying on it.
    pub fn restart(&mut self, id: ValidatorId) -> anyhow::Result<()> {
        let p = self.process(id)?;
        if p.child.try_wait()?.is_none() {
            anyhow::bail!("validator {id} is still running");
        }
        let launch = p.launch.clone();
        let (mut child, _) = self.start(&launch, id)?;
        let p = self.process(id)?;
        p.links = child.stdin.take();
        p.child = child;
        p.down = false;
        Ok(())
    }

    /// Sends validator `id` link rules (one JSON line each; a validator that is down gets them when it restarts; the
    /// committee process takes none).
    pub fn send_links(&mut self, id: ValidatorId, commands: &[LinkCommand]) -> anyhow::Result<()> {
        let p = self.process(id)?;
        if p.down || p.launch.role == Role::Committee {
            return Ok(()); // the committee process takes no link rules
        }
        let Some(input) = p.links.as_mut() else { anyhow::bail!("validator {id} has no link-control input") };
        let mut text = String::new();
        for c in commands {
            text.push_str(&serde_json::to_string(c)?);
            text.push('\n');
        }
        input
            .write_all(text.as_bytes())
            .and_then(|()| input.flush())
            .map_err(|e| anyhow::anyhow!("sending link rules to validator {id}: {e}"))
    }

    /// Sends every validator its links' rules from `book`.
    pub fn send_links_to_all(&mut self, book: &LinkBook) -> anyhow::Result<()> {
        let ids: Vec<ValidatorId> = self.processes.iter().map(|p| p.id).collect();
        ids.into_iter().try_for_each(|id| self.send_links(id, &book.commands(id)))
    }

    fn process(&mut self, id: ValidatorId) -> anyhow::Result<&mut Process> {
        self.processes.iter_mut().find(|p| p.id == id).ok_or_else(|| anyhow::anyhow!("no validator {id} in the fleet"))
    }

    fn start(&self, launch: &Launch, id: ValidatorId) -> anyhow::Result<(Child, PathBuf)> {
        let Launch { role, exe, config, data_dir, extra, prefix } = launch;
        std::fs::create_dir_all(data_dir)?;
        let log = data_dir.join(match role {
            Role::Validator => format!("node-{id}.log"),
            Role::Committee => "committee.log".into(),
        });
        let stderr = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let mut command = match prefix.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        match role {
            Role::Validator => command.arg("node").arg("--id").arg(id.to_string()).arg("--link-control"),
            Role::Committee => command.arg("committee"),
        };
        let mut child = command
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .stdin(if *role == Role::Validator { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .map_err(|e| anyhow::anyhow!("starting validator {id} ({}): {e}", exe.display()))?;
        let stdout = child.stdout.take();
        let ready = self.ready_tx.clone();
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with(READY) {
                    let _ = ready.send(id);
                }
            }
        });
        Ok((child, log))
    }

    /// Waits until every process said it is ready; fails naming the first that exited instead (with the end of its
    /// log) or the ones still silent at the deadline.
    pub fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let ids: Vec<ValidatorId> = self.processes.iter().map(|p| p.id).collect();
        self.wait_ready_of(&ids, timeout)
    }

    /// [`Fleet::wait_ready`] for the validators in `ids` only (one just restarted).
    pub fn wait_ready_of(&mut self, ids: &[ValidatorId], timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut ready = std::collections::BTreeSet::new();
        while !ids.iter().all(|id| ready.contains(id)) {
            if let Ok(id) = self.ready.recv_timeout(Duration::from_millis(20)) {
                ready.insert(id);
            }
            for p in self.processes.iter_mut().filter(|p| ids.contains(&p.id) && !p.down) {
                if let Ok(Some(status)) = p.child.try_wait() {
                    anyhow::bail!("validator {} exited before it was ready ({status}): {}", p.id, tail(&p.log));
                }
            }
            if Instant::now() > deadline {
                let silent: Vec<ValidatorId> = ids.iter().copied().filter(|id| !ready.contains(id)).collect();
                anyhow::bail!("validators {silent:?} were not ready within {timeout:?}");
            }
        }
        Ok(())
    }

    /// Sends SIGTERM to every process, waits up to `grace` for all of them, kills the rest.
    pub fn stop(mut self, grace: Duration) -> Vec<Exit> {
        for p in self.processes.iter().filter(|p| !p.down) {
            signal(&p.child, libc::SIGTERM);
        }
        let deadline = Instant::now() + grace;
        let mut exits = Vec::new();
        for mut p in std::mem::take(&mut self.processes) {
            if p.down {
                exits.push(Exit { id: p.id, code: None, killed: false, down: true });
                continue;
            }
            let mut status = None;
            while status.is_none() && Instant::now() < deadline {
                status = p.child.try_wait().ok().flatten();
                if status.is_none() {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            let killed = status.is_none();
            if killed {
                let _ = p.child.kill();
                status = p.child.wait().ok();
            }
            exits.push(Exit { id: p.id, code: status.and_then(|s| s.code()), killed, down: false });
        }
        exits
    }
}

impl Default for Fleet {
    fn default() -> Self {
        Fleet::new()
    }
}

impl Drop for Fleet {
    /// Whatever ended the run early, no validator process outlives it.
    fn drop(&mut self) {
        for p in self.processes.iter_mut().filter(|p| !p.down) {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }
}

fn signal(child: &Child, signal: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: `kill` only sends a signal; the pid is our own child's, not yet reaped (we hold its `Child`).
        unsafe { libc::kill(pid, signal) };
    }
}

/// The last lines of a log, for error messages.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(5);
    format!("{} (log {})", lines[start..].join(" | "), log.display())
}
