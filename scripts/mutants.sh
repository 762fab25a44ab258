#!/usr/bin/env bash
# Mutation testing of the consensus safety rules (docs/MUTANTS.md).
#
#   scripts/mutants.sh [--list] [--baseline] [NAME...]
#
# Each mutation in the table below breaks one safety rule by an exact-text substitution (file, old snippet, new
# snippet; a snippet that is not found exactly once fails the run loudly, so the table cannot rot silently).
# Mutations are applied in a separate copy of the repository, never in the working tree:
#   MUTANTS_COPY    (default /tmp/hsbench-mutants)         a detached `git worktree` at HEAD, plus the working
#                                                          tree's engine/tests/safety_rules_*.rs
#   MUTANTS_TARGET  (default /tmp/hsbench-mutants-target)  its own CARGO_TARGET_DIR
# For each mutation: apply, build the engine's safety test binaries (release, incremental), run their tests one
# by one fastest-first (order from a baseline run cached in $MUTANTS_TARGET/baseline-times.json) and stop at the
# first failure, record the catching test and the seconds of test time until it failed, revert.
#
#   --list      print the table (and check every snippet is still found) without building
#   --baseline  re-measure the baseline test times even if cached
#   NAME...     run only these mutations
#   MUTANTS_EXCLUDE_TESTS  test targets of engine/tests not run (default: pipeline crypto_vectors pinning setup_limits)
#   MUTANTS_TEST_TIMEOUT   seconds after which one test counts as hung (caught by timeout); default 5x baseline + 30
#
# Exit status: 0 when every selected mutant is caught, 1 when one survives, 2 on a broken table or build.
set -euo pipefail
ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
export MUTANTS_ROOT=$ROOT
export MUTANTS_COPY=${MUTANTS_COPY:-/tmp/hsbench-mutants}
export MUTANTS_TARGET=${MUTANTS_TARGET:-/tmp/hsbench-mutants-target}
exec python3 - "$@" <<'PY'
import json, os, signal, subprocess, sys, time

# A killed run still reverts the mutation it applied (the `finally` below); a new run also resets the copy.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

CORE = "engine/src/bft/core.rs"           # the HotStuff state, restart and the timer entry point
PROPOSAL = "engine/src/bft/core/proposal.rs"  # checking and voting on proposals
VOTES = "engine/src/bft/core/votes.rs"        # votes, QCs and TCs
COMMIT = "engine/src/bft/core/commit.rs"      # two-chain commit and epochs
VIEW = "engine/src/bft/core/view_change.rs"   # timeouts and view change
NODE = "engine/src/node/state_machine.rs"     # the node: messages to consensus, mempool and sync
FAULTS = "engine/src/node/peer_faults.rs"     # peers convicted of what no honest validator sends
LEADER = "engine/src/bft/leader.rs"           # leader reputation
VOTE_BATCH = "engine/src/crypto/bls_batch.rs"  # BLS vote batches (the one-pass check)
SUBGROUP = "engine/src/crypto/bls_subgroup_batch.rs"  # batched G2 subgroup checks
MEMPOOL = "engine/src/mempool/shard.rs"       # pending transactions (what a proposal's check may skip)
SELECT = "engine/src/provisioning/select.rs"   # block building: the shards' walks and their merge
# name, rule, [(file, old, new), ...][, "equivalent"]
MUTATIONS = [
    ("lock_check", "vote only if justify rank >= high_qc rank (locking)",
     [(PROPOSAL, "let justify_ok = justify.rank() >= self.high_qc.rank();",
             "let justify_ok = justify.rank() >= self.high_qc.rank() || true;")]),
    ("vote_twice_in_round", "vote only if round > last_voted_round",
     [(PROPOSAL, "            && h.round > self.last_voted_round\n",
             "            && (h.round > self.last_voted_round || true)\n")]),
    ("vote_without_persist", "persist safety state before the vote leaves",
     [(PROPOSAL, "        self.persist_safety(out);\n        let message = vote_message(",
             "        let message = vote_message(")]),
    ("vote_after_timeout", "no vote in a round after timing out in it",
     [(VIEW, "            self.last_voted_round = round; // never vote in a round after timing out in it",
             "            // mutant: timing out no longer raises last_voted_round")]),
    ("one_chain_commit", "commit needs a two-chain (QC of b1 commits b0, not b1)",
     [(COMMIT, "        let b0_hash = b0.hash();\n        let b0_qc = b1.header.parent_qc.clone();",
             "        let b0_hash = b1.hash();\n        let b0_qc = qc.clone();")]),
    ("commit_non_consecutive", "two-chain commit needs consecutive rounds",
     [(COMMIT, "            || b1.header.round != b0.header.round + 1\n", "")]),
    # Equivalent today (kept to show the guard is redundant, not untested): an epoch-e block's parent is either
    # of epoch e or the boundary block L of e - 1 (check_proposal's justify_epoch_ok), and L is the tree root once
    # the node is in e, so `b0.height <= root` returns first. Its survival is reported, not counted as a miss.
    ("commit_across_epochs", "two-chain commit needs both blocks in one epoch",
     [(COMMIT, "            || b1.header.epoch != b0.header.epoch\n", "")], "equivalent"),
    ("quorum_2f", "quorum is 2f+1 (floor(2n/3)+1), not 2f",
     [("engine/src/bft/committee.rs", "self.committee(epoch).len() * 2 / 3 + 1",
                                      "self.committee(epoch).len() * 2 / 3")]),
    ("qc_signer_count", "a QC needs a quorum of signers (qc_check)",
     [(VOTES, "        if signers.len() < self.p.schedule.quorum(qc.epoch) {\n            return Err(Refusal::BadCertificate);\n        }\n",
             "")]),
    ("tc_signer_count", "a TC needs a quorum of signers (tc_checks)",
     [(VOTES, "if signers.len() < self.p.schedule.quorum(tc.epoch) || tc.high_qc.epoch > tc.epoch {",
             "if tc.high_qc.epoch > tc.epoch {")]),
    ("any_epoch_start_qc", "the only signature-free certificate is the genesis epoch-start QC",
     [(VOTES, "return if *qc == self.genesis_qc { Ok(None) } else { Err(Refusal::BadCertificate) };",
             "return Ok(None);")]),
    ("count_duplicate", "a signer counts once per certificate (collector)",
     [("engine/src/bft/collector.rs",
       "        if self.sigs.contains_key(&position) {\n            return Err(AddError::Duplicate);\n        }\n",
       "        // mutant: a duplicate signature is counted under the next free position\n"
       "        let position = (position..).find(|p| !self.sigs.contains_key(p)).unwrap_or(position);\n")]),
    ("ignore_equivocation", "a second, different vote of one signer in a round is refused (equivocation)",
     [(VOTES, "return Err(if *prev == digest { Refusal::Duplicate } else { Refusal::Equivocation });",
             "if *prev == digest { return Err(Refusal::Duplicate); }"),
      (VOTES, "Some(prev) if *prev != digest => {", "Some(prev) if *prev != digest && false => {")]),
    ("vote_other_epoch", "votes of another epoch are refused",
     [(VOTES, "let pos = self.signer_position(v.epoch, v.voter)?;", "let pos = self.signer_position(self.epoch, v.voter)?;"),
      (VOTES, "        if v.epoch != self.epoch {\n            out.refused.push(Refusal::OldEpoch);",
             "        if false {\n            out.refused.push(Refusal::OldEpoch);")]),
    ("votes_by_block_hash", "votes count only toward a QC over the message they signed (d08f06d)",
     [(VOTES, "let digest = Hash::of(&message);", "let digest = v.block_hash;")]),
    ("forget_last_voted_round", "a restart restores last_voted_round",
     [(CORE, "self.last_voted_round = self.last_voted_round.max(s.last_voted_round);",
             "self.last_voted_round = self.last_voted_round.max(0);")]),
    ("drop_resume_floor", "safety state of a later epoch is a floor after restart (d08f06d)",
     [(CORE, "Some(s) if s.epoch > hs.epoch => hs.resume_floor = Some(s),",
             "Some(s) if s.epoch > hs.epoch => drop(s),")]),
    ("storage_accepts_regression", "storage refuses a safety-state regression",
     [("engine/src/storage/mod.rs", "Some(old) if new.rank() < old.rank() => Err(",
                                    "Some(old) if new.rank() < old.rank() && false => Err(")]),
    ("persist_gate_open", "no message leaves after a failed persist",
     [("engine/src/runtime/persist_gate.rs", "if is_message && self.failure.is_some() {",
                                             "if is_message && self.failure.is_some() && false {")]),
    ("unverified_self_aggregate", "a self-built aggregate is verified before use",
     [("engine/src/runtime/verifier.rs", "if self.verify_aggregate(&job.message, &job.signers, &agg) {",
                                         "if !job.signers.is_empty() || !job.message.is_empty() {")]),
    ("join_on_one_timeout", "join a view change on f+1 timeouts, not 1",
     [(VIEW, "if count >= weak && self.sent_timeout.is_none_or(|r| r < round) {",
             "if count >= 1.min(weak) && self.sent_timeout.is_none_or(|r| r < round) {")]),
    # A liveness rule under a byzantine leader, not a safety rule: cheap to keep pinned here.
    ("interval_from_any_proposal", "only a round's first proposal starts the block interval",
     [(PROPOSAL, "self.last_proposal_at.is_none_or(|(seen, _)| round > seen)",
                 "self.last_proposal_at.is_none_or(|(seen, _)| round >= seen)")]),
    # A cost rule, not a safety rule: a vote for a round the node holds a QC for is not verified.
    ("verify_surplus_votes", "a vote for a round with a QC is refused before its signature is checked",
     [(VOTES, "if v.round <= self.high_qc.round && self.high_qc.epoch == v.epoch {",
              "if v.round < self.high_qc.round && self.high_qc.epoch == v.epoch {")]),
    # Quorum first (liveness and bounds, not safety: the certificate's check still guards every QC).
    ("held_votes_lost_on_failure", "the votes of a certificate whose check failed are checked one by one",
     [(VOTES, "out.verify_alone.extend(unchecked.into_iter().map(|(_, vote)| vote));", "drop(unchecked);")]),
    ("keep_far_future_votes", "a vote more than FUTURE_VOTE_ROUNDS ahead is refused before its signature is checked",
     [(VOTES, "if v.round > self.round.saturating_add(FUTURE_VOTE_ROUNDS) {", "if false {")]),
    ("keep_far_future_timeouts", "a timeout far beyond the node's round and its own certificates is refused before its check",
     [(VIEW, "if t.round > self.round.max(justified_round(t)).saturating_add(FUTURE_VOTE_ROUNDS) {", "if false {")]),
    ("hold_far_votes", "only votes of the current round or a neighbour are held unchecked",
     [(VOTES, "let rounds = self.round.saturating_sub(1)..=self.round.saturating_add(1);",
              "let rounds = 0..=u64::MAX;")]),
    # A cost rule: each sync request costs a storage read of up to SYNC_BATCH blocks.
    ("serve_every_sync_request", "a peer is served at most one sync request per SYNC_SERVE_INTERVAL",
     [(NODE, "if self.sync_served.get(&from).is_some_and(|t| now < *t + SYNC_SERVE_INTERVAL) {", "if false {")]),
    # Attribution rules: a vote is convicting evidence only against the connection it came over.
    ("accept_relayed_votes", "a vote comes over its signer's own connection (else not_signer, convicting the relayer)",
     [(NODE, "Message::Vote(v) if v.voter != from => Err(Refusal::NotSigner),",
       "Message::Vote(v) if false && v.voter != from => Err(Refusal::NotSigner),")]),
    ("never_convict_a_peer", "a refusal that proves a fault convicts the sending peer and asks for its bar",
     [(FAULTS, "if !refusal.proves_fault() {", "if true {")]),
    ("never_throttle_a_peer", "a peer past the waste limit in a second is throttled",
     [(FAULTS, "if w.in_window <= WASTE_LIMIT ||", "if true ||")]),
    ("junk_gossip_is_no_waste", "gossip refused entirely as junk counts towards the sending peer's throttle",
     [(NODE, "    results.iter().all(junk)", "    results.is_empty() && results.iter().all(junk)")]),
    ("reputation_records_nothing", "a failed round is recorded against its leader, who leaves the schedule",
     [(LEADER, "            self.record.insert(round - 1, (leader, false));", "            let _ = leader;")]),
    ("restart_forgets_reputation", "a restart replays the epoch's committed rounds into leader reputation",
     [(CORE, "            Some(r) => (r.committed.0, r.committed.1, r.epoch, r.safety, r.committed_rounds),",
       "            Some(r) => (r.committed.0, r.committed.1, r.epoch, r.safety, Vec::new()),")]),
    ("tc_not_relayed", "a replica that aggregates a TC broadcasts it once",
     [(VIEW, "        if self.on_tc(now, tc.clone(), out) {", "        if self.on_tc(now, tc.clone(), out) && false {")]),
    ("fallback_keeps_backoff", "the view timer's back-off starts again when the stall fallback begins",
     [(VIEW, "        if self.reputation.stall_fallback_begins(&self.p.schedule, epoch, round) {",
             "        if self.reputation.stall_fallback_begins(&self.p.schedule, epoch, round) && false {")]),
    ("vote_batch_skips_pairing", "a vote batch's one-pass check verifies the pairing equation, not only G2",
     [(VOTE_BATCH, "    if bls_message_point::finish(key_side, &signature) {",
                   "    if true || bls_message_point::finish(key_side, &signature) {")]),
    ("subgroup_one_round", "a subgroup batch runs 18 rounds of small coefficients (one misses a cancelling torsion pair 1 in 13)",
     [(SUBGROUP, "pub(crate) const ROUNDS: usize = 18;", "pub(crate) const ROUNDS: usize = 1;")]),
    ("pending_id_by_nonce", "a proposal's transaction skips its signature check only if the very same one is pending",
     [(MEMPOOL, "self.pending_at(&tx.sender, tx.nonce).filter(|p| p.tx() == tx).map(|p| *p.hash())",
                "self.pending_at(&tx.sender, tx.nonce).map(|p| *p.hash())")]),
    ("merge_keeps_a_full_sender", "merged shard walks block a sender the block had no room for, as one whole-pool walk does",
     [(SELECT, "            blocked.insert(&step.tx.tx().sender);", "            let _ = blocked.len();")]),
]

ROOT, COPY, TARGET = os.environ["MUTANTS_ROOT"], os.environ["MUTANTS_COPY"], os.environ["MUTANTS_TARGET"]
EXCLUDE = set(os.environ.get("MUTANTS_EXCLUDE_TESTS", "pipeline crypto_vectors pinning setup_limits").split())
ENV = dict(os.environ, CARGO_TARGET_DIR=TARGET, CARGO_PROFILE_RELEASE_DEBUG="0",
           CARGO_PROFILE_RELEASE_INCREMENTAL="true", RUST_BACKTRACE="0")

def die(msg, code=2):
    print(f"mutants: {msg}", file=sys.stderr)
    sys.exit(code)

args = sys.argv[1:]
list_only = "--list" in args
rebaseline = "--baseline" in args
names = [a for a in args if not a.startswith("--")]
if any(a.startswith("--") and a not in ("--list", "--baseline") for a in args):
    die("usage: scripts/mutants.sh [--list] [--baseline] [NAME...]")
MUTATIONS = [m if len(m) == 4 else m + ("",) for m in MUTATIONS]
table = {m[0]: m for m in MUTATIONS}
unknown = [n for n in names if n not in table]
if unknown:
    die(f"unknown mutation(s) {unknown}; known: {sorted(table)}")
selected = [table[n] for n in names] if names else MUTATIONS

def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)

head = sh(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True).stdout.strip()
if list_only:  # checks the snippets against HEAD without touching the copy (a run may be using it)
    for name, rule, subs, eq in selected:
        for path, old, _ in subs:
            n = sh(["git", "-C", ROOT, "show", f"{head}:{path}"], capture_output=True).stdout.count(old)
            if n != 1:
                die(f"mutation {name}: snippet found {n} times in {path} at HEAD (must be exactly once): {old!r}")
        print(f"{name:28} {sorted({s[0] for s in subs})[0]:36} {rule}" + (" [equivalent]" if eq else ""))
    print(f"{len(selected)} mutations, every snippet found once (HEAD {head[:7]})")
    sys.exit(0)

# ---- the separate copy (one run at a time) ----------------------------------------------------------------
import fcntl
os.makedirs(TARGET, exist_ok=True)
lock = open(os.path.join(TARGET, "mutants.lock"), "w")
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    die(f"another scripts/mutants.sh run is using {COPY}")
if not os.path.isdir(COPY):
    sh(["git", "-C", ROOT, "worktree", "add", "--detach", "--force", COPY, head], capture_output=True)
if os.path.realpath(COPY) == os.path.realpath(ROOT):
    die("MUTANTS_COPY must not be the working tree")
sh(["git", "-C", COPY, "checkout", "--detach", "--force", "-q", head])
sh(["git", "-C", COPY, "clean", "-fdq", "engine"])
tests_dir = os.path.join(ROOT, "engine", "tests")
for f in sorted(os.listdir(tests_dir)):
    if f.startswith("safety_rules_") and f.endswith(".rs"):   # new tests, committed or not
        with open(os.path.join(tests_dir, f)) as src, open(os.path.join(COPY, "engine", "tests", f), "w") as dst:
            dst.write(src.read())

def read(path):
    with open(os.path.join(COPY, path)) as f:
        return f.read()

def write(path, text):
    with open(os.path.join(COPY, path), "w") as f:
        f.write(text)

def check_snippets(m):
    for path, old, _ in m[2]:
        n = read(path).count(old)
        if n != 1:
            die(f"mutation {m[0]}: snippet found {n} times in {path} (must be exactly once): {old!r}")

for m in selected:
    check_snippets(m)

# ---- build and test ---------------------------------------------------------------------------------------
test_targets = sorted(f[:-3] for f in os.listdir(os.path.join(COPY, "engine", "tests"))
                      if f.endswith(".rs") and f[:-3] not in EXCLUDE)

def build():
    cmd = ["cargo", "test", "--release", "-p", "hsbench-engine", "--no-run", "--message-format=json", "--lib"]
    for t in test_targets:
        cmd += ["--test", t]
    p = subprocess.run(cmd, cwd=COPY, env=ENV, capture_output=True, text=True)
    if p.returncode != 0:
        # With --message-format=json the compiler's and linker's messages are JSON on stdout: show them rendered
        # (stderr alone says only "could not compile … due to 1 previous error").
        rendered = []
        for line in p.stdout.splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("reason") == "compiler-message" and msg["message"].get("level") == "error":
                rendered.append(msg["message"].get("rendered") or msg["message"].get("message", ""))
        return None, ("".join(rendered)[-3000:] + "\n" + p.stderr[-1000:]).strip()
    exes = {}
    for line in p.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["profile"]["test"]:
            exes[msg["target"]["name"]] = msg["executable"]
    return exes, ""

def list_tests(exe, ignored=False):
    """The tests of one binary, without #[ignore]d ones (measurements, known failures)."""
    if not ignored:
        skip = set(list_tests(exe, ignored=True))
    out = subprocess.run([exe, "--list"] + (["--ignored"] if ignored else []), capture_output=True, text=True,
                         env=ENV).stdout
    names = [l[: -len(": test")] for l in out.splitlines() if l.endswith(": test")]
    return names if ignored else [n for n in names if n not in skip]

def run_test(exe, name, timeout):
    t0 = time.monotonic()
    try:
        p = subprocess.run([exe, "--exact", name, "--test-threads=1", "-q"], cwd=os.path.join(COPY, "engine"),
                           env=ENV, capture_output=True, text=True, timeout=timeout)
        ok = p.returncode == 0 and " 1 passed;" in p.stdout  # exactly the one test ran (no silent filter miss)
        status = "ok" if ok else "failed"
    except subprocess.TimeoutExpired:
        ok, status = False, "timeout"
    return ok, status, time.monotonic() - t0

t0 = time.monotonic()
exes, err = build()
if exes is None:
    die(f"the unmutated copy does not build:\n{err}")
print(f"built the unmutated copy in {time.monotonic() - t0:.0f} s: {', '.join(sorted(exes))}", flush=True)
tests = [(target, exe, name) for target, exe in sorted(exes.items()) for name in list_tests(exe)]
baseline_file = os.path.join(TARGET, "baseline-times.json")
baseline = {}
if os.path.exists(baseline_file) and not rebaseline:
    with open(baseline_file) as f:
        baseline = json.load(f)
missing = [t for t in tests if f"{t[0]}::{t[2]}" not in baseline]
if missing:
    print(f"baseline: timing {len(missing)} tests on the unmutated copy", flush=True)
    for target, exe, name in missing:
        ok, status, secs = run_test(exe, name, 1800)
        baseline[f"{target}::{name}"] = round(secs, 2) if ok else None
        print(f"  {secs:7.2f} s  {status:7} {target}::{name}", flush=True)
    with open(baseline_file, "w") as f:
        json.dump(baseline, f, indent=1, sort_keys=True)
present = {f"{t[0]}::{t[2]}" for t in tests}
broken = [k for k in baseline if baseline[k] is None and k in present]
if broken:
    print(f"warning: failing without any mutation, left out: {broken} (re-run with --baseline once fixed)")
order = sorted((t for t in tests if baseline.get(f"{t[0]}::{t[2]}") is not None),
               key=lambda t: baseline[f"{t[0]}::{t[2]}"])
print(f"{len(order)} tests, {sum(baseline[f'{t[0]}::{t[2]}'] for t in order):.0f} s in all unmutated", flush=True)

results = []
for name, rule, subs, eq in selected:
    originals = {path: read(path) for path, _, _ in subs}
    try:
        for path, old, new in subs:
            text = read(path)
            if text.count(old) != 1:
                die(f"mutation {name}: snippet not found exactly once in {path}: {old!r}")
            write(path, text.replace(old, new))
        b0 = time.monotonic()
        exes, err = build()
        build_s = time.monotonic() - b0
        if exes is None:
            die(f"mutation {name} does not compile (fix the table):\n{err}")
        caught, spent = None, 0.0
        for target, _, test in order:
            limit = float(os.environ.get("MUTANTS_TEST_TIMEOUT", 5 * baseline[f"{target}::{test}"] + 30))
            ok, status, secs = run_test(exes[target], test, limit)
            spent += secs
            if not ok:
                caught = f"{target}::{test}" + (" (timeout)" if status == "timeout" else "")
                break
    finally:
        for path, text in originals.items():
            write(path, text)
    results.append((name, rule, caught, spent, eq))
    survived = "survived (equivalent)" if eq else "SURVIVED"
    print(f"{name:28} {'caught by ' + caught if caught else survived:90} {spent:7.1f} s test, {build_s:.0f} s build",
          flush=True)

if subprocess.run(["git", "-C", COPY, "diff", "--quiet"]).returncode != 0:
    die("the copy was not reverted cleanly")
print()
print(f"| {'mutation':26} | {'rule':70} | {'caught by':80} | {'seconds':>7} |")
print(f"|{'-' * 28}|{'-' * 72}|{'-' * 82}|{'-' * 9}|")
for name, rule, caught, spent, eq in results:
    survived = "survived (equivalent mutant)" if eq else "**SURVIVED**"
    print(f"| {name:26} | {rule:70} | {caught or survived:80} | {spent:7.1f} |")
counted = [r for r in results if not (r[4] and not r[2])]
n = sum(1 for r in counted if r[2])
equivalent = len(results) - len(counted)
print(f"caught {n}/{len(counted)}" + (f" ({equivalent} equivalent mutant(s) survived, not counted)" if equivalent else ""))
with open(os.path.join(TARGET, "last-results.json"), "w") as f:
    json.dump([dict(name=r[0], rule=r[1], caught_by=r[2], seconds=round(r[3], 1), equivalent=bool(r[4]))
               for r in results], f, indent=1)
sys.exit(0 if n == len(counted) else 1)
PY
