//! Tests of configuration loading, inheritance and validation.

use super::*;
use hsbench_engine::crypto::VoteScheme;

fn invalid_key(text: &str) -> &'static str {
    let config = parse(text, "t.toml").expect("parses");
    match config.validate("t.toml") {
        Err(ConfigError::Invalid { key, .. }) => key,
        other => panic!("expected an invalid-config error, got {other:?}"),
    }
}

/// Found by the `config_fields` fuzz target (its seeds `fuzz/corpus/config/regression-*.toml`): huge durations
/// made `validate` itself panic in `Duration::from_secs_f64`. Every seconds field is bounded instead.
#[test]
fn huge_durations_are_invalid_not_a_panic() {
    assert_eq!(invalid_key("[run]\nduration_s = 1e20\nrate_tps = 1e-15\n"), "run.duration_s");
    assert_eq!(
        invalid_key("[run]\nduration_s = 1e30\nprofile = { ramp = { from = 1e-25, to = 1e-25 } }\n"),
        "run.duration_s"
    );
    assert_eq!(invalid_key("[run]\ndrain_s = 1e30\n"), "run.drain_s");
    assert_eq!(invalid_key("[ceiling]\nbound_s = 1e30\n"), "ceiling.bound_s");
    assert_eq!(invalid_key("[run]\nprofile = { step = { rates = [10.0], step_s = 1e300 } }\n"), "run.profile");
}

/// Every shipped configuration (bench-configs/*.toml) loads and validates: a user can run each as it is.
/// An unknown leader election rule is a parse error pointing at the value (file:line:column) and naming the rules
/// there are.
#[test]
fn an_unknown_leader_election_is_refused_with_the_choices() {
    let err = parse("[consensus]\nleader_election = \"random\"\n", "t.toml").expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("t.toml:2:") && text.contains("round-robin") && text.contains("reputation"), "{text}");
}

#[test]
fn every_shipped_config_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-configs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("bench-configs/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let loaded = load(Some(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            loaded.config.validate(&loaded.origin).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen += 1;
        }
    }
    assert!(seen >= 4, "only {seen} configurations found in {}", dir.display());
}

#[test]
fn embedded_smoke_config_parses_and_validates() {
    let loaded = load(None).expect("smoke parses");
    assert_eq!(loaded.origin, SMOKE_ORIGIN);
    loaded.config.validate(&loaded.origin).expect("smoke validates");
    let c = &loaded.config;
    assert_eq!(c.cluster.validators, 4);
    assert_eq!(c.cluster.clock, ClockKind::Wall);
    assert_eq!(c.cluster.vote_scheme, VoteScheme::Bls);
    assert_eq!(c.crypto.backend, crate::backends::BackendName::CPU_BATCH);
    assert_eq!(c.cluster.storage, StorageKind::Memory);
    assert_eq!(c.mempool.chain_id, c.cluster.chain_id);
    assert!(c.run.duration_s <= 15.0, "the smoke run must stay short");
}

#[test]
fn smoke_config_sets_every_key() {
    // Every key the program knows is written out (and commented) in smoke.toml, so the file documents them.
    let written: toml::Table = toml::from_str(SMOKE_TOML).unwrap();
    let effective: toml::Table = toml::from_str(&load(None).unwrap().config.to_toml().unwrap()).unwrap();
    for (section, table) in &effective {
        let Some(table) = table.as_table() else { continue };
        for key in table.keys() {
            let present = written.get(section).and_then(|s| s.get(key)).is_some();
            let inherited = section == "mempool" && key == "chain_id";
            assert!(present || inherited, "smoke.toml lacks {section}.{key}");
        }
    }
}

#[test]
fn the_backend_is_one_key_and_the_removed_ones_say_where_it_went() {
    use crate::backends::BackendName;
    assert_eq!(parse("", "t.toml").unwrap().crypto.backend, BackendName::CPU_BATCH);
    let c = parse("[crypto]\nbackend = \"cpu-par\"\n", "t.toml").unwrap();
    assert_eq!(c.crypto.backend, BackendName::CPU_PAR);
    for (text, key) in [
        ("[cluster]\nverify_backend = \"cpu\"\n", "cluster.verify_backend"),
        ("[pipeline]\nverify_backend = \"cpu-par\"\n", "pipeline.verify_backend"),
    ] {
        let err = parse(text, "old.toml").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { key: k, .. } if k == key), "{err}");
        let message = err.to_string();
        assert!(message.contains("old.toml") && message.contains("[crypto] backend = \""), "{message}");
    }
    assert_eq!(invalid_key("[crypto]\ngpu_in_flight = 0\n"), "crypto.gpu_batch");
    assert_eq!(invalid_key("[crypto]\ngpu_workgroup = 0\n"), "crypto.gpu_workgroup");
    assert_eq!(invalid_key("[crypto]\ngpu_workgroup = 2048\n"), "crypto.gpu_workgroup");
    let err = parse("[crypto]\nbackend = \"tpu\"\n", "t.toml").unwrap_err().to_string();
    assert!(err.contains("unknown backend \"tpu\""), "{err}");
}

#[test]
fn effective_toml_round_trips() {
    let config = load(None).unwrap().config;
    let again = parse(&config.to_toml().unwrap(), "again").unwrap();
    assert_eq!(config, again);
}

#[test]
fn unknown_key_is_named_with_its_line() {
    let err = parse("[run]\nrate_tps = 10.0\nrate = 5\n", "t.toml").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ConfigError::Parse { .. }), "{msg}");
    assert!(msg.starts_with("t.toml:3:"), "{msg}");
    assert!(msg.contains("unknown field `rate`"), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    let err = parse("[clustre]\nvalidators = 4\n", "t.toml").unwrap_err().to_string();
    assert!(err.contains("unknown field `clustre`"), "{err}");
    let err = parse("[network]\nlatency = 4\n", "t.toml").unwrap_err().to_string();
    assert!(err.contains("unknown field `latency`"), "{err}");
}

#[test]
fn bad_enum_value_is_named() {
    let err = parse("[run]\nsubmit_to = \"random\"\n", "t.toml").unwrap_err().to_string();
    assert!(err.contains("unknown variant `random`") && err.contains("round-robin"), "{err}");
    let err = parse("[cluster]\nvote_scheme = \"rsa\"\n", "t.toml").unwrap_err().to_string();
    assert!(err.contains("unknown variant `rsa`"), "{err}");
    let err = parse("[cluster]\nclock = \"sundial\"\n", "t.toml").unwrap_err().to_string();
    assert!(err.contains("unknown variant `sundial`"), "{err}");
}

#[test]
fn wrong_type_and_syntax_errors() {
    let err = parse("[run]\nrate_tps = \"fast\"\n", "t.toml").unwrap_err().to_string();
    assert!(err.starts_with("t.toml:2:"), "{err}");
    let err = parse("[run\n", "t.toml").unwrap_err().to_string();
    assert!(err.starts_with("t.toml:1:") && !err.contains('\n'), "{err}");
}

#[test]
fn unreadable_file_names_path_and_os_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    let msg = load(Some(&path)).unwrap_err().to_string();
    assert!(msg.contains("missing.toml") && msg.contains("No such file"), "{msg}");
    assert!(load(Some(dir.path())).is_err(), "a directory is not a config");
}

#[test]
fn invalid_values_name_their_key() {
    assert_eq!(invalid_key("[cluster]\nvalidators = 3\n"), "cluster.validators");
    assert_eq!(invalid_key("[run]\nrate_tps = 0.0\n"), "run.rate_tps");
    assert_eq!(invalid_key("[run]\nrate_tps = -5.0\n"), "run.rate_tps");
    assert_eq!(invalid_key("[run]\nduration_s = 0.0\n"), "run.duration_s");
    assert_eq!(invalid_key("[run]\nduration_s = 3.0\nwarmup_s = 2.0\ncooldown_s = 1.0\n"), "run.warmup_s");
    assert_eq!(invalid_key("[run]\ndrain_s = -1.0\n"), "run.drain_s");
    assert_eq!(invalid_key("[run]\nrate_tps = 1e9\nduration_s = 100.0\n"), "run.rate_tps");
    assert_eq!(invalid_key("[workload]\naccounts = 1\n"), "workload.accounts");
    assert_eq!(invalid_key("[workload]\nmemo_bytes = 100000\n"), "workload.memo_bytes");
    assert_eq!(invalid_key("[workload]\ninitial_balance = 1\n"), "workload.initial_balance");
    assert_eq!(invalid_key("[workload]\namount = 9223372036854775807\n"), "workload.initial_balance");
    assert_eq!(invalid_key("[network]\nloss = 1.0\n"), "network.loss");
    assert_eq!(invalid_key("[cluster]\nstorage_dir = \"/tmp/x\"\n"), "cluster.storage_dir");
    assert_eq!(
        invalid_key("[workload]\nsignatures = false\ninvalid = { bad_signature = 0.1 }\n"),
        "workload.invalid.bad_signature"
    );
    assert_eq!(invalid_key("[wire]\npeers = [\"127.0.0.1:1\"]\nclients = [\"127.0.0.1:2\"]\n"), "wire.peers");
    assert_eq!(invalid_key("[wire]\nbyzantine = [{ id = 1, behaviour = \"sneaky\" }]\n"), "wire.byzantine");
    assert_eq!(invalid_key("[wire]\nbyzantine = [{ id = 9, behaviour = \"flood\" }]\n"), "wire.byzantine");
    assert_eq!(invalid_key("[[fault]]\nat_s = 1.0\nkill = 7\n"), "fault");
    let scheduled = parse("[[fault]]\nat_s = 1.0\nkill = 3\nrestart_after_s = 2.0\n", "t.toml").expect("parses");
    scheduled.validate("t.toml").expect("a schedule in the config validates");
    assert_eq!(scheduled.fault[0].kill, Some(3));
    let msg = parse("[cluster]\nvalidators = 3\n", "t.toml").unwrap().validate("t.toml").unwrap_err().to_string();
    assert_eq!(msg, "t.toml: cluster.validators: must be at least 4 (n = 3f + 1 with f ≥ 1), got 3");
}

/// A `[pipeline.cores]` table naming a core this process may not run on (10000 exceeds every affinity
/// mask) is refused at validation, naming the stage and the core, instead of running that stage unpinned.
#[test]
fn a_core_map_naming_a_core_the_process_may_not_use_is_invalid() {
    let text = "[pipeline.cores]\nstorage = [10000]\n";
    assert_eq!(invalid_key(text), "pipeline.cores");
    let msg = parse(text, "t.toml").expect("parses").validate("t.toml").unwrap_err().to_string();
    assert!(msg.contains("storage") && msg.contains("10000"), "{msg}");
}

#[test]
fn chain_id_is_inherited_and_mismatch_refused() {
    let c = parse("[cluster]\nchain_id = 7\n", "t.toml").unwrap();
    assert_eq!(c.mempool.chain_id, 7);
    let c = parse("[cluster]\nchain_id = 7\n[mempool]\nchain_id = 7\n", "t.toml").unwrap();
    assert_eq!(c.mempool.chain_id, 7);
    let err = parse("[cluster]\nchain_id = 7\n[mempool]\nchain_id = 8\n", "t.toml").unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { key: "mempool.chain_id", .. }), "{err}");
}

#[test]
fn corpus_len_counts_slots_before_the_end() {
    let mut c = BenchConfig::default();
    c.run.rate_tps = 400.0;
    c.run.duration_s = 10.0;
    assert_eq!(c.corpus_len(), 4000);
    c.run.rate_tps = 3.0;
    c.run.duration_s = 1.5;
    assert_eq!(c.corpus_len(), 5); // 0, 1/3, 2/3, 1, 4/3
    c.run.rate_tps = 0.1;
    assert_eq!(c.corpus_len(), 1);
}

/// A profile that is not constant is counted exactly while it could ask for at most a million transactions
/// (the count agrees with the send times the generator builds), and bounded by its highest rate beyond: a ramp
/// from 5e120 tx/s (a fuzzer's find: counting it one by one took 16 s under ASan) is refused at once.
#[test]
fn a_varying_profile_is_counted_exactly_or_bounded_by_its_highest_rate() {
    use crate::loadgen::schedule::{Profile, intended_offsets};
    let mut c = BenchConfig::default();
    c.run.duration_s = 10.0;
    c.run.profile = Profile::Ramp { from: 100.0, to: 900.0 };
    let exact = intended_offsets(&c.run.profile, c.run.rate_tps, 10.0, u64::MAX).len() as u64;
    assert_eq!(c.corpus_len(), exact);
    c.run.profile = Profile::Wave { low: 50_000.0, high: 150_000.0, period_s: 4.0 };
    assert_eq!(c.corpus_len(), 1_500_001, "bounded: 150,000 tx/s × 10 s + 1");
    c.run.profile = Profile::Ramp { from: 5.164997206502047e120, to: 1.8395971959103483e-307 };
    assert_eq!(c.corpus_len(), u64::MAX);
    let err = c.validate("test").expect_err("refused");
    assert!(err.to_string().contains("more than the 20000000 a corpus may hold"), "{err}");
}

#[test]
fn duration_override_scales_warmup_only_when_needed() {
    let mut c = BenchConfig::default(); // 10 s, 2 s warm-up, 1 s cool-down
    assert!(c.set_duration(20.0).is_none());
    assert_eq!((c.run.warmup_s, c.run.cooldown_s), (2.0, 1.0));
    let note = c.set_duration(3.0).expect("scaled");
    assert!(note.contains("scaled"));
    assert!((c.run.warmup_s - 0.3).abs() < 1e-9 && (c.run.cooldown_s - 0.15).abs() < 1e-9);
    c.validate("t").unwrap();
}

/// `[pipeline.nice]`: sigverify at 10 by default; a table in the file replaces the default; an unknown stage, the
/// network (whose threads the network layer starts) and a value outside -20..=19 are refused under the key.
#[test]
fn pipeline_nice_names_stages_within_the_range() {
    let default = BenchConfig::default();
    assert_eq!(default.pipeline.nice, [("sigverify".to_string(), 10)].into());
    let c = parse("[pipeline.nice]\nnode = -5\n", "t.toml").expect("parses");
    assert_eq!(c.pipeline.nice, [("node".to_string(), -5)].into());
    c.validate("t.toml").expect("valid");
    for (text, needle) in [
        ("[pipeline.nice]\nsigverfy = 5\n", "no stage is called `sigverfy`"),
        ("[pipeline.nice]\nnetwork = 5\n", "network's threads"),
        ("[pipeline.nice]\nsigverify = 20\n", "sigverify = 20 is outside -20..=19"),
        ("[pipeline.nice]\nnode = -21\n", "node = -21 is outside"),
    ] {
        assert_eq!(invalid_key(text), "pipeline.nice", "{text}");
        let msg = parse(text, "t.toml").expect("parses").validate("t.toml").unwrap_err().to_string();
        assert!(msg.contains(needle), "{text}: {msg}");
    }
}
