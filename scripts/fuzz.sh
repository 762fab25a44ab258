#!/usr/bin/env bash
# libFuzzer (cargo-fuzz) targets of fuzz/: every decoder of the canonical encoding and the TOML config parser.
#
#   scripts/fuzz.sh install                 installs cargo-fuzz if missing (cargo install cargo-fuzz --locked)
#   scripts/fuzz.sh build                   builds every target (instrumented, sanitizer on)
#   scripts/fuzz.sh smoke                   checks the seeds are current, builds (dev profile: a cold build is
#                                           ~4x faster), then runs every target on its seed corpus for
#                                           FUZZ_SMOKE_SECONDS (default 5) each; fails on any finding
#   scripts/fuzz.sh long [SECONDS] [TARGET...]
#                                           runs each target (default: all) for SECONDS (default 600 = 10 min)
#   scripts/fuzz.sh list                    names the targets
#   scripts/fuzz.sh seeds [--check]         regenerates fuzz/corpus/ (fuzz/examples/gen_corpus.rs); --check
#                                           only fails when a committed seed is stale
#
# A finding is a panic, an abort, a sanitizer report, an input running over FUZZ_TIMEOUT seconds (default 10) or
# one allocation over FUZZ_MALLOC_LIMIT_MB (default 256: decoders must not allocate from an unchecked length
# field). The failing input lands in fuzz/artifacts/<target>/; each is named at the end, with the command that
# reproduces it. FUZZ_ARGS adds libFuzzer flags to every run (e.g. FUZZ_ARGS=-max_len=65536). A target with a libFuzzer dictionary in fuzz/dict/<target>.dict gets it. The committed seeds in fuzz/corpus/<target>/ are never written to: inputs the fuzzer finds
# go to a scratch folder (smoke) or to fuzz/target/corpus/<target>/ (long, kept between runs; git-ignored).
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer, sancov); with a stable toolchain this script sets
# RUSTC_BOOTSTRAP=1 so the stable compiler accepts them. FUZZ_SANITIZER (default "address") is passed as
# `--sanitizer`; set it to "none" where ASan does not work (libFuzzer with coverage, but no ASan checks).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
FUZZ_DIR=$ROOT/fuzz

export RUSTC_BOOTSTRAP=1
SANITIZER=${FUZZ_SANITIZER:-address}
SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-5}
TIMEOUT=${FUZZ_TIMEOUT:-10}
MALLOC_LIMIT_MB=${FUZZ_MALLOC_LIMIT_MB:-256}

log() { printf 'fuzz.sh: %s\n' "$*"; }
die() {
    printf 'fuzz.sh: ERROR: %s\n' "$*" >&2
    exit 1
}

have_cargo_fuzz() { cargo fuzz --version >/dev/null 2>&1; }

install() {
    if have_cargo_fuzz; then
        log "cargo-fuzz already installed: $(cargo fuzz --version)"
        return
    fi
    log "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked || die "could not install cargo-fuzz (cargo install cargo-fuzz --locked failed)"
    have_cargo_fuzz || die "cargo-fuzz installed but \`cargo fuzz\` does not run (is ~/.cargo/bin on PATH?)"
}

require_cargo_fuzz() {
    have_cargo_fuzz || die "cargo-fuzz is not installed: run \`scripts/fuzz.sh install\` first"
}

targets() { (cd "$FUZZ_DIR" && cargo fuzz list); }

# Build profile of the fuzz binaries: "release" (optimised; `long` and `build`) or "dev" (unoptimised; `smoke`,
# whose cold build is ~4x faster — what matters for a few seconds per target in CI). FUZZ_PROFILE overrides.
PROFILE=${FUZZ_PROFILE:-release}

# The instrumented build needs ~3.5 GB (dev) under fuzz/target; a linker that runs out of disk dies with
# "ld terminated with signal 7 [Bus error]", which names nothing. Say so before building.
FUZZ_MIN_FREE_MB=${FUZZ_MIN_FREE_MB:-4096}
check_disk() {
    mkdir -p "$FUZZ_DIR/target"
    local free_mb
    free_mb=$(df -Pm "$FUZZ_DIR/target" | awk 'NR == 2 { print $4 }')
    [[ $free_mb =~ ^[0-9]+$ ]] || return 0
    if ((free_mb < FUZZ_MIN_FREE_MB)); then
        log "WARNING: only $free_mb MB free under $FUZZ_DIR/target (the build needs ~3.5 GB);" \
            "a linker Bus error below means the disk filled up"
    fi
}

build() {
    require_cargo_fuzz
    check_disk
    log "building every target (sanitizer: $SANITIZER, profile: $PROFILE)"
    local start=$SECONDS profile_flag=()
    [[ $PROFILE == dev ]] && profile_flag=(--dev)
    (cd "$FUZZ_DIR" && cargo fuzz build "${profile_flag[@]}" --sanitizer "$SANITIZER") ||
        die "cargo fuzz build failed (sanitizer $SANITIZER); where ASan does not work try FUZZ_SANITIZER=none"
    log "build took $((SECONDS - start)) s"
}

# The instrumented binaries `cargo fuzz build` leaves (run directly, so a source edit during a run does not
# trigger a rebuild per target; `build` runs first in every mode that fuzzes).
bin_dir() {
    local dir=release
    [[ $PROFILE == dev ]] && dir=debug
    printf '%s/target/%s/%s' "$FUZZ_DIR" "$(rustc -vV | sed -n 's/^host: //p')" "$dir"
}

# run TARGET SECONDS WORK_CORPUS: fuzzes TARGET for SECONDS with WORK_CORPUS (written to) and the committed
# seeds (read only). Returns non-zero on a finding.
run() {
    local target=$1 seconds=$2 work=$3
    local seeds=$FUZZ_DIR/corpus/$target bin
    bin=$(bin_dir)/$target
    [[ -x $bin ]] || die "no fuzz binary for $target at $bin (did \`scripts/fuzz.sh build\` succeed?)"
    [[ -d $seeds ]] || die "no seed corpus for $target (expected $seeds; see \`scripts/fuzz.sh seeds\`)"
    mkdir -p "$work" "$FUZZ_DIR/artifacts/$target"
    local extra=()
    [[ -f $FUZZ_DIR/dict/$target.dict ]] && extra+=(-dict="$FUZZ_DIR/dict/$target.dict")
    # detect_odr_violation=0: what `cargo fuzz run` sets for ASan too.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_odr_violation=0" "$bin" \
        -artifact_prefix="$FUZZ_DIR/artifacts/$target/" -max_total_time="$seconds" -timeout="$TIMEOUT" \
        -malloc_limit_mb="$MALLOC_LIMIT_MB" -print_final_stats=1 "${extra[@]}" ${FUZZ_ARGS:-} "$work" "$seeds"
}

# fuzz_all SECONDS CORPUS_ROOT TARGET...: runs each target, reports every failing one with its new artifacts.
fuzz_all() {
    local seconds=$1 corpus_root=$2
    shift 2
    local failed=() target marker start=$SECONDS
    marker=$(mktemp)
    for target in "$@"; do
        log "== $target: ${seconds} s"
        if ! run "$target" "$seconds" "$corpus_root/$target"; then
            failed+=("$target")
        fi
    done
    log "fuzzing took $((SECONDS - start)) s for ${#} targets"
    if ((${#failed[@]})); then
        for target in "${failed[@]}"; do
            local found
            found=$(find "$FUZZ_DIR/artifacts/$target" -type f -newer "$marker" 2>/dev/null || true)
            printf 'fuzz.sh: FAIL %s: %s\n' "$target" "${found:-no artifact written (see the log above)}" >&2
            for f in $found; do
                printf 'fuzz.sh:   reproduce: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer %s %s %s)\n' \
                    "$SANITIZER" "$target" "${f#"$FUZZ_DIR"/}" >&2
                printf 'fuzz.sh:   or, without a rebuild: %s/%s %s\n' "$(bin_dir)" "$target" "$f" >&2
            done
        done
        rm -f "$marker"
        die "${#failed[@]} of $# targets failed: ${failed[*]}"
    fi
    rm -f "$marker"
    log "all $# targets ran without a finding"
}

# seeds [--check]: regenerates (or checks) the committed seed corpus; a plain, uninstrumented build.
seeds() {
    [[ -z $1 || $1 == --check ]] || die "seeds: unknown option '$1'"
    cargo run -q --manifest-path "$FUZZ_DIR/Cargo.toml" --no-default-features --example gen_corpus -- ${1:+"$1"} ||
        die "the seed corpus is stale or could not be generated (see above)"
}

mode=${1:-}
case "$mode" in
    install) install ;;
    build) build ;;
    list) require_cargo_fuzz && targets ;;
    seeds) seeds "${2:-}" ;;
    smoke)
        PROFILE=${FUZZ_PROFILE:-dev}
        seeds --check
        build
        mapfile -t all < <(targets)
        ((${#all[@]})) || die "cargo fuzz list found no targets in $FUZZ_DIR"
        scratch=$(mktemp -d)
        trap 'rm -rf "$scratch"' EXIT
        fuzz_all "$SMOKE_SECONDS" "$scratch" "${all[@]}"
        ;;
    long)
        seconds=${2:-600}
        [[ $seconds =~ ^[0-9]+$ ]] || die "long: SECONDS must be a whole number, got '$seconds'"
        shift $(($# < 2 ? $# : 2))
        require_cargo_fuzz
        if (($#)); then chosen=("$@"); else mapfile -t chosen < <(targets); fi
        ((${#chosen[@]})) || die "no targets to run"
        build
        fuzz_all "$seconds" "$FUZZ_DIR/target/corpus" "${chosen[@]}"
        ;;
    *)
        sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        [[ -z $mode || $mode == help || $mode == -h || $mode == --help ]] || die "unknown mode '$mode'"
        ;;
esac
