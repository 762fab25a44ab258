#!/usr/bin/env bash
# A published results set of the wire between validators (issue 16's targets), from one binary built with the
# publication profile (`dist`) from a clean tree, on this machine, back to back:
#
#   - `hsbench cluster`, 4 validator processes, full mode (every validator verifies every transaction and executes
#     every block; bench-configs/cluster.toml) at RATES_FULL — around the 500 ms p99 SLO's edge on 2 cores;
#   - the same in the signature-free payload mode (bench-configs/cluster-signature-free.toml) at RATES_FREE;
#   - `hsbench cluster --nodes 4 --duration 30` on the embedded smoke config (the issue's acceptance run);
#   - `hsbench ceiling --wire` (node mode over the wire: validator 0 against its committee process) on
#     bench-configs/node-ceiling.toml, so the network stage's cost per transaction at the ceiling is measured;
#   - `hsbench report` over everything.
#
#   scripts/publish-wire-results.sh [OUT]      default OUT: results/<date>-<cpu>-<n>core-wire
#
# Environment: HSBENCH (the binary; default target/dist/hsbench, built with `--profile dist` if missing),
# BUDGET_MIN (minutes of the ceiling search, default 4), RATES_FULL (default "6000 7000"), RATES_FREE (default
# "15000 20000"), DURATION (s per cluster run, default 30). Refuses a dirty tree unless ALLOW_DIRTY=1.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/publish-common.sh
publish_start publish-wire-results
OUT=${1:-results/$(date +%Y-%m-%d)-${CPU_CLASS}-$(nproc)core-wire}
DURATION=${DURATION:-30}
mkdir -p "$OUT"

cluster() { # NAME CONFIG RATE
    echo "publish-wire-results: cluster $1 at $3 tx/s"
    # A run that misses the SLO still writes its result (that is the point near the edge); only a broken run stops.
    "$HS" cluster --config "$2" --rate "$3" --duration "$DURATION" --quiet --out "$OUT/$1-$3" | tee "$OUT/$1-$3.txt"
}
for rate in ${RATES_FULL:-6000 7000}; do cluster cluster-full bench-configs/cluster.toml "$rate"; done
for rate in ${RATES_FREE:-15000 20000}; do
    cluster cluster-signature-free bench-configs/cluster-signature-free.toml "$rate"
done
echo "publish-wire-results: cluster --nodes 4 --duration 30 (smoke)"
"$HS" cluster --nodes 4 --duration 30 --quiet --out "$OUT/cluster-smoke" | tee "$OUT/cluster-smoke.txt"
echo "publish-wire-results: ceiling --wire"
"$HS" ceiling --wire --config bench-configs/node-ceiling.toml --budget-minutes "${BUDGET_MIN:-4}" --quiet \
    --out "$OUT/ceiling-wire" | tee "$OUT/ceiling-wire.txt"
# The validators' data folders are scratch: keep the results, logs of failures aside.
find "$OUT" -mindepth 2 -maxdepth 2 -type d \( -name 'cluster-*' -o -name 'ceiling-wire-*' \) -exec rm -rf {} +
"$HS" report "$OUT"/cluster-*/ "$OUT"/ceiling-wire/ --out "$OUT/report"
echo "publish-wire-results: done — $OUT (report: $OUT/report/report.md; in a browser: $OUT/report/index.html)"
