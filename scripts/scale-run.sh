#!/usr/bin/env bash
# Measured scaling: the node ceiling on 2, 4, 8 and 16 cores of one host (taskset), next to what `hsbench plan`
# projects from the smallest run — what a user runs on a large machine (and what the project runs on a lent
# 16-core device host, in one call of at most 8 minutes).
#
#   scripts/scale-run.sh [CORES...]        default: 2 4 8 16, each capped at the cores this process may use
#
# Environment: HSBENCH (the binary; default target/release/hsbench, built if missing), CONFIG (default
# bench-configs/node-scale.toml: compact searches), BUDGET_S (seconds for all the searches together, default 420),
# OUT (default results/scale-<host>-<date>).
# Writes OUT/cores-N/ceiling-*.json per core count, OUT/plan-N.txt (plan's cores for the rate measured on N cores,
# from the smallest run's per-stage costs) and OUT/scaling.md (measured ceiling, scaling efficiency, plan's cores).
set -euo pipefail
cd "$(dirname "$0")/.."

HS=${HSBENCH:-target/release/hsbench}
[ -x "$HS" ] || cargo build --release -p hsbench
CONFIG=${CONFIG:-bench-configs/node-scale.toml}
OUT=${OUT:-results/scale-$(hostname -s)-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

# The cores this process may run on, in id order (taskset, cpusets and containers restrict them).
mapfile -t allowed < <(python3 -c 'import os; print("\n".join(map(str, sorted(os.sched_getaffinity(0)))))')
wanted=("${@:-2 4 8 16}")
counts=()
for n in ${wanted[*]}; do
    if [ "$n" -le "${#allowed[@]}" ]; then counts+=("$n"); else echo "scale-run: $n cores asked, ${#allowed[@]} here: skipped"; fi
done
[ "${#counts[@]}" -gt 0 ] || { echo "scale-run: no core count fits this machine" >&2; exit 1; }
per_run_min=$(python3 -c "print(max(1.0, ${BUDGET_S:-420} / ${#counts[@]} / 60))")

for n in "${counts[@]}"; do
    cpus=$(IFS=,; echo "${allowed[*]:0:$n}")
    echo "scale-run: ceiling on $n cores ($cpus), budget $per_run_min min"
    taskset -c "$cpus" "$HS" ceiling --config "$CONFIG" --budget-minutes "$per_run_min" --out "$OUT/cores-$n" \
        | tee "$OUT/ceiling-$n.txt"
done

# Measured vs projected: for the rate measured on each core count, the cores `plan` says that rate needs, from the
# smallest run's per-stage costs.
base=$(ls "$OUT/cores-${counts[0]}"/ceiling-*.json | head -1)
ceiling_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['metrics'].get('ceiling_tps') or 0)" "$1"; }
base_rate=$(ceiling_of "$base")
{
    echo "| cores | ceiling (tx/s offered) | scaling efficiency vs ${counts[0]} cores | plan: cores for that rate (from ${counts[0]} cores) |"
    echo "|---|---|---|---|"
    for n in "${counts[@]}"; do
        file=$(ls "$OUT/cores-$n"/ceiling-*.json | head -1)
        rate=$(ceiling_of "$file")
        eff=$(python3 -c "b=$base_rate; r=$rate; print(f'{r / (b * $n / ${counts[0]}):.2f}' if b and r else 'n/a')")
        planned="n/a"
        if python3 -c "import sys; sys.exit(0 if $rate > 0 else 1)"; then
            "$HS" plan --target-tps "$rate" --results "$base" --out "$OUT/plan-$n" > "$OUT/plan-$n.txt" 2>&1 || true
            planned=$(python3 -c "
import glob, json
files = glob.glob('$OUT/plan-$n/*.json')
print(json.load(open(files[0]))['metrics']['cpu_only']['total_cores']['value'] if files else 'n/a')")
        fi
        echo "| $n | $rate | $eff | $planned |"
    done
} | tee "$OUT/scaling.md"
echo "scale-run: results in $OUT"
