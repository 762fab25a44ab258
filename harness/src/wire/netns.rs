//! A private network for one run's validators, made of real kernel parts (needs root): validator i lives in its own
//! network namespace, joined by a veth pair to a bridge in this namespace, at 10.213.S.(i+1); the bridge holds
//! 10.213.S.254, where the load client speaks from. Partitions are nftables rules inside the validators'
//! namespaces that drop every packet to and from the other side (`partition`), removed again by `heal`. Everything
//! is deleted when the value is dropped.
//!
//! Link impairments are nftables rules too (`impair`): random loss (`numgen`) and a bandwidth cap (`limit rate
//! over`) on one validator's links to the other validators. This machine kind's kernel has no netem, tbf or tc
//! actions, so latency and jitter are not here.

use hsbench_engine::types::ValidatorId;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// nftables table of a partition inside a validator's namespace.
const TABLE: &str = "hsbench_partition";
/// nftables table of a link impairment inside a validator's namespace.
const IMPAIR_TABLE: &str = "hsbench_impair";

/// What [`Netns::impair`] does to one validator's links to the other validators.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Impairment {
    /// Fraction of packets dropped at random, each way (0 to 1).
    pub loss: f64,
    /// Outgoing bandwidth cap (kB/s); packets over it are dropped.
    pub kbytes_per_s: Option<u32>,
}

/// Distinguishes the networks of several runs in one process.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// Whether this process may create network namespaces (it runs as root).
pub fn available() -> bool {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// One run's private network (see the module doc).
pub struct Netns {
    tag: String,
    subnet: u8,
    validators: usize,
}

impl Netns {
    /// Creates the bridge and one namespace per validator; on any failure removes what it made.
    pub fn create(validators: usize) -> anyhow::Result<Netns> {
        if !available() {
            anyhow::bail!("network namespaces need root (this process is not)");
        }
        if validators > 250 {
            anyhow::bail!("{validators} validators: a namespace network holds at most 250");
        }
        let k = NEXT.fetch_add(1, Relaxed);
        let id = (std::process::id().wrapping_mul(7) + k) & 0xffff;
        let net = Netns { tag: format!("hsb{id:04x}"), subnet: (id % 250) as u8, validators };
        net.build().inspect_err(|_| net.remove())?;
        Ok(net)
    }

    fn bridge(&self) -> String {
        format!("{}br", self.tag)
    }

    /// Validator `i`'s namespace.
    pub fn namespace(&self, i: usize) -> String {
        format!("{}n{i}", self.tag)
    }

    fn veth(&self, i: usize) -> String {
        format!("{}v{i}", self.tag)
    }

    /// Validator `i`'s address.
    pub fn ip(&self, i: usize) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 213, self.subnet, i as u8 + 1))
    }

    /// Validator `i`'s address at `port`.
    pub fn addr(&self, i: usize, port: u16) -> SocketAddr {
        SocketAddr::new(self.ip(i), port)
    }

    /// The command prefix that runs a program inside validator `i`'s namespace.
    pub fn prefix(&self, i: usize) -> Vec<String> {
        vec!["ip".into(), "netns".into(), "exec".into(), self.namespace(i)]
    }

    fn build(&self) -> anyhow::Result<()> {
        let br = self.bridge();
        ip(&["link", "add", &br, "type", "bridge"])?;
        ip(&["addr", "add", &format!("10.213.{}.254/24", self.subnet), "dev", &br])?;
        ip(&["link", "set", &br, "up"])?;
        for i in 0..self.validators {
            let (ns, veth) = (self.namespace(i), self.veth(i));
            ip(&["netns", "add", &ns])?;
            ip(&["link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns", &ns])?;
            ip(&["link", "set", &veth, "master", &br, "up"])?;
            let inside = |args: &[&str]| {
                let mut all = vec!["netns", "exec", &ns, "ip"];
                all.extend_from_slice(args);
                ip(&all)
            };
            inside(&["addr", "add", &format!("{}/24", self.ip(i)), "dev", "eth0"])?;
            inside(&["link", "set", "eth0", "up"])?;
            inside(&["link", "set", "lo", "up"])?;
        }
        Ok(())
    }

    /// Cuts the network into `groups`: inside each listed validator's namespace, every packet to or from a
    /// validator of another group is dropped. Validators in no group keep every link. Replaces an earlier
    /// partition.
    pub fn partition(&self, groups: &[Vec<ValidatorId>]) -> anyhow::Result<()> {
        self.heal()?;
        for (g, group) in groups.iter().enumerate() {
            let others: Vec<String> = groups
                .iter()
                .enumerate()
                .filter(|(h, _)| *h != g)
                .flat_map(|(_, other)| other.iter().map(|&v| self.ip(usize::from(v)).to_string()))
                .collect();
            if others.is_empty() {
                continue;
            }
            let set = others.join(", ");
            let rules = format!(
                "table inet {TABLE} {{\n  chain output {{ type filter hook output priority 0; policy accept; ip daddr {{ {set} }} drop; }}\n  chain input {{ type filter hook input priority 0; policy accept; ip saddr {{ {set} }} drop; }}\n}}\n"
            );
            for &v in group {
                self.check_member(v)?;
                nft_in(&self.namespace(usize::from(v)), &["-f", "-"], Some(&rules))?;
            }
        }
        Ok(())
    }

    /// Removes every partition rule.
    pub fn heal(&self) -> anyhow::Result<()> {
        (0..self.validators).try_for_each(|i| drop_table(&self.namespace(i), TABLE))
    }

    /// Impairs validator `v`'s links to every other validator (its namespace's packets to and from them; the
    /// client's link is left alone); replaces an earlier impairment of `v`. [`Impairment::default`] removes it.
    pub fn impair(&self, v: ValidatorId, how: Impairment) -> anyhow::Result<()> {
        self.check_member(v)?;
        let ns = self.namespace(usize::from(v));
        drop_table(&ns, IMPAIR_TABLE)?;
        if how == Impairment::default() {
            return Ok(());
        }
        if !(0.0..=1.0).contains(&how.loss) {
            anyhow::bail!("loss {} is not a fraction in [0, 1]", how.loss);
        }
        let peers: Vec<String> =
            (0..self.validators).filter(|&i| i != usize::from(v)).map(|i| self.ip(i).to_string()).collect();
        let set = peers.join(", ");
        let per_mille = (how.loss * 1000.0).round() as u32;
        let mut output = Vec::new();
        let mut input = Vec::new();
        if per_mille > 0 {
            output.push(format!("ip daddr {{ {set} }} numgen random mod 1000 < {per_mille} drop;"));
            input.push(format!("ip saddr {{ {set} }} numgen random mod 1000 < {per_mille} drop;"));
        }
        if let Some(rate) = how.kbytes_per_s {
            output.push(format!("ip daddr {{ {set} }} limit rate over {rate} kbytes/second drop;"));
        }
        let rules = format!(
            "table inet {IMPAIR_TABLE} {{\n  chain output {{ type filter hook output priority 0; policy accept; {} }}\n  chain input {{ type filter hook input priority 0; policy accept; {} }}\n}}\n",
            output.join(" "),
            input.join(" ")
        );
        nft_in(&ns, &["-f", "-"], Some(&rules))?;
        Ok(())
    }

    fn check_member(&self, v: ValidatorId) -> anyhow::Result<()> {
        if usize::from(v) >= self.validators {
            anyhow::bail!("validator {v} is not in this network of {}", self.validators);
        }
        Ok(())
    }

    fn remove(&self) {
        for i in 0..self.validators {
            let _ = ip(&["netns", "del", &self.namespace(i)]);
        }
        let _ = ip(&["link", "del", &self.bridge()]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Deletes nftables table `table` in namespace `ns` when it is there (deleting a missing table fails; only the
/// listing says whether it is).
fn drop_table(ns: &str, table: &str) -> anyhow::Result<()> {
    if nft_in(ns, &["list", "tables"], None)?.contains(table) {
        nft_in(ns, &["delete", "table", "inet", table], None)?;
    }
    Ok(())
}

/// Runs `ip args`, failing with its stderr.
fn ip(args: &[&str]) -> anyhow::Result<String> {
    run("ip", args, None)
}

/// Runs `nft args` inside namespace `ns`, `stdin` fed to it.
fn nft_in(ns: &str, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    let mut all = vec!["netns", "exec", ns, "nft"];
    all.extend_from_slice(args);
    run("ip", &all, stdin)
}

fn run(program: &str, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() { std::process::Stdio::piped() } else { std::process::Stdio::null() })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!("{program} {}: {e} (scripts/setup.sh installs iproute2 and nftables)", args.join(" "))
        })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        anyhow::bail!("{program} {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
