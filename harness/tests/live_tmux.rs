//! `--live` in a real terminal: `run --mode node --live` under tmux (a private tmux server, killed when the test
//! ends) shows the stage table, quits on `q` with exit code 130 and gives the terminal back exactly as it found
//! it (alternate screen left, `stty -a` unchanged). Without a terminal the command falls back to its progress
//! bar; `--live` on the in-process cluster is a usage error. Skips the tmux test (printing why) without tmux
//! outside CI; fails under `CI=true`.

mod common;

use common::external::require;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_hsbench");

/// A tmux server of this test alone (its own socket), killed with every session in it when dropped.
struct Tmux {
    exe: PathBuf,
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.exe).arg("-L").arg(&self.socket).args(args).output().expect("tmux runs")
    }

    fn pane(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "live"]).stdout).into_owned()
    }

    fn alternate_screen(&self) -> String {
        let out = self.run(&["display-message", "-p", "-t", "live", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// Polls `check` every 200 ms until it is true or `limit` passes; whether it became true.
fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    check()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
#[cfg_attr(debug_assertions, ignore = "a wall-clock node run needs an optimized build: cargo test --release")]
fn live_view_shows_the_stages_and_quits_restoring_the_terminal() {
    let Some(exe) = require("tmux", "the live view's terminal test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let tmux = Tmux { exe, socket: format!("hsbench-live-{}", std::process::id()) };
    // The pane's shell records the terminal settings before and after, and hsbench's exit code.
    let script = format!(
        "stty -a > {d}/stty-before; {EXE} run --mode node --live --rate 500 --duration 30 --out {d}/out \
         --cache {d}/cache; echo $? > {d}/exit; stty -a > {d}/stty-after; echo SHELL-BACK; sleep 60"
    );
    let started = tmux.run(&["new-session", "-d", "-s", "live", "-x", "120", "-y", "40", &script]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));

    // The view: its header, the stage table with a measured second, on the alternate screen.
    let shown = wait_for(Duration::from_secs(90), || {
        let pane = tmux.pane();
        pane.contains("stages — last second") && pane.contains("sigverify") && pane.contains(" %")
    });
    let pane = tmux.pane();
    assert!(shown, "the live view never showed a measured stage table:\n{pane}");
    assert!(pane.contains("hsbench run --mode node — live"), "{pane}");
    assert!(pane.contains("committed") && pane.contains("generator lag"), "{pane}");
    assert_eq!(tmux.alternate_screen(), "1", "the view draws on the alternate screen");

    // q quits: exit code 130, the shell gets the terminal back as it was.
    assert!(tmux.run(&["send-keys", "-t", "live", "q"]).status.success());
    let exit = dir.path().join("exit");
    assert!(wait_for(Duration::from_secs(20), || read(&exit).ends_with('\n')), "hsbench did not end on q");
    assert_eq!(read(&exit).trim(), "130");
    assert!(wait_for(Duration::from_secs(5), || tmux.pane().contains("SHELL-BACK")), "{}", tmux.pane());
    let pane = tmux.pane();
    assert_eq!(tmux.alternate_screen(), "0", "alternate screen left:\n{pane}");
    assert!(!pane.contains("stages — last second"), "the view is gone:\n{pane}");
    assert!(pane.contains("stopped from the live view"), "{pane}");
    let (before, after) = (read(&dir.path().join("stty-before")), read(&dir.path().join("stty-after")));
    assert!(before.contains("icanon") && !before.is_empty());
    assert_eq!(before, after, "terminal settings restored (raw mode off)");
}

#[test]
#[cfg_attr(debug_assertions, ignore = "a wall-clock node run needs an optimized build: cargo test --release")]
fn without_a_terminal_live_falls_back_and_cluster_mode_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let (out, cache) = (dir.path().join("out"), dir.path().join("cache"));
    let run = Command::new(EXE)
        .args(["run", "--mode", "node", "--live", "--rate", "300", "--duration", "2", "--out"])
        .arg(&out)
        .arg("--cache")
        .arg(&cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("--live: stdout is not a terminal; showing the progress bar instead"), "{stderr}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "the run still wrote its result");

    let cluster = Command::new(EXE).args(["run", "--live", "--duration", "1"]).output().unwrap();
    assert_eq!(cluster.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cluster.stderr).contains("--live: the live view shows node mode's pipeline"));
}
