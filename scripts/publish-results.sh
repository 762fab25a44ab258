#!/usr/bin/env bash
# A published results set: what a fleet operator reads before trusting hsbench's numbers. From one binary built with
# the publication profile (`dist`) from a clean tree, on this machine, back to back:
#
#   - the node ceiling with durable storage (redb) and BLS votes for committees of 4, 16 and 64 validators
#     (bench-configs/node-ceiling.toml otherwise);
#   - the same 4-validator ceiling with the admission stage on the node's core (admission = [last core]), so the
#     per-stage costs split the node stage into admission and the rest, which `plan` needs to project admission
#     shards;
#   - the 4-validator ceiling at the old 50 ms block interval, for the before/after of docs/NODE-MODE.md "Why the
#     SLO failed before the CPU" (`hsbench compare` between the two);
#   - `hsbench plan` for 100k and 1M tx/s from the 4-validator run with the admission split (plan averages the
#     stages of several files, so runs with and without an admission stage are not mixed), and `hsbench report`
#     over everything.
#
#   scripts/publish-results.sh [OUT]      default OUT: results/<date>-<cpu>-<n>core
#
# Environment: HSBENCH (the binary; default target/dist/hsbench, built with `--profile dist` if missing),
# BUDGET_MIN (minutes per ceiling search, default 5). Refuses to run from a dirty tree unless ALLOW_DIRTY=1: a
# published number must name the commit it came from (the fingerprint records it).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/publish-common.sh
publish_start publish-results
cores=$(nproc)
OUT=${1:-results/$(date +%Y-%m-%d)-${CPU_CLASS}-${cores}core}
BUDGET=${BUDGET_MIN:-5}
mkdir -p "$OUT/configs"
last_core=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')

# The configurations, derived from node-ceiling.toml so they differ from it only where named.
base=bench-configs/node-ceiling.toml
variant() { # NAME VALIDATORS INTERVAL_MS ADMISSION(yes|no)
    local file="$OUT/configs/$1.toml"
    sed -e "s/^validators = .*/validators = $2/" \
        -e 's/^storage = .*/storage = "redb"/' \
        -e "s/^min_block_interval_ms = .*/min_block_interval_ms = $3/" "$base" > "$file"
    if [ "$4" = yes ]; then
        sed -i 's/^cores = "auto".*//' "$file"
        printf '\n[pipeline.cores]\nadmission = [%s]\n' "$last_core" >> "$file"
    fi
    echo "$file"
}

run_ceiling() { # NAME CONFIG
    echo "publish-results: ceiling $1"
    "$HS" ceiling --config "$2" --budget-minutes "$BUDGET" --out "$OUT/$1" | tee "$OUT/$1.txt"
}

run_ceiling ceiling-4v "$(variant ceiling-4v 4 20 no)"
run_ceiling ceiling-4v-admission "$(variant ceiling-4v-admission 4 20 yes)"
run_ceiling ceiling-4v-50ms "$(variant ceiling-4v-50ms 4 50 no)"
run_ceiling ceiling-16v "$(variant ceiling-16v 16 20 no)"
run_ceiling ceiling-64v "$(variant ceiling-64v 64 20 no)"

one() { ls "$OUT/$1"/ceiling-*.json | head -1; }
"$HS" compare "$(one ceiling-4v-50ms)" "$(one ceiling-4v)" --markdown "$OUT/compare-50ms-vs-20ms.md" || true
for target in 100000 1000000; do
    "$HS" plan --target-tps "$target" --results "$(one ceiling-4v-admission)" \
        --out "$OUT/plan-$target" | tee "$OUT/plan-$target.txt"
done
# `report` reads result files or folders holding them (not folders of folders): every run's folder by name.
"$HS" report "$OUT"/ceiling-*/ "$OUT"/plan-*/ --out "$OUT/report"
echo "publish-results: done — $OUT (report: $OUT/report/report.md; in a browser: $OUT/report/index.html)"
