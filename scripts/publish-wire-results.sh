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

if [ -n "$(git status --porcelain)" ] && [ "${ALLOW_DIRTY:-0}" != 1 ]; then
    echo "publish-wire-results: the tree has uncommitted changes; commit them (or ALLOW_DIRTY=1 for a trial run)" >&2
    exit 1
fi
HS=${HSBENCH:-target/dist/hsbench}
[ -x "$HS" ] || cargo build --profile dist -p hsbench
cpu=$(python3 -c "
import re
flags = open('/proc/cpuinfo').read()
print('avx512ifma' if re.search(r'\bavx512ifma\b', flags) else 'avx2')")
OUT=${1:-results/$(date +%Y-%m-%d)-${cpu}-$(nproc)core-wire}
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
