#!/usr/bin/env bash
# What a user runs on a GPU host to produce the GPU numbers (and what the project runs on a lent device host, in
# one call of at most 8 minutes: that host reaches no registry, so the binary and the Vulkan loader travel):
#   1. makes sure the Vulkan loader is there: as is; else from .deb files in .gl/ (unpacked into /, as the device
#      tool's README says); else apt-get libvulkan1. The GPU's own Vulkan driver must already be installed; the
#      NVIDIA ICD under /usr/local/nvidia is used when no VK_DRIVER_FILES is set. lavapipe is not installed here,
#   2. lists the adapters and checks that a real GPU (not lavapipe) is picked,
#   3. runs `hsbench crypto` (cpu, cpu-batch, cpu-par on all host cores, and gpu), `hsbench verify` on the
#      Wycheproof vectors with gpu and cpu-batch (verdicts compared), and the node ceiling twice: with the CPU
#      sigverify stage (bench-configs/node-ceiling.toml) and with the GPU one (node-ceiling-gpu.toml),
#   4. sweeps the Ed25519 kernel's workgroup size (`[crypto] gpu_workgroup`, WORKGROUPS) at two batch sizes, so
#      the per-adapter default (two subgroups on a GPU) is checked against what this GPU measures,
#   5. runs the Ed25519 sweep again with the challenge computed on the device (`[crypto] gpu_hash_on_device`),
#   6. writes everything to OUT (default results/gpu-<host>-<date>/).
# Environment: HSBENCH (the binary; default target/release/hsbench, built if missing), ADAPTER (name substring,
# default: the most GPU-like adapter), ALLOW_CPU_ADAPTER=1 to run on lavapipe anyway, SKIP_CEILING=1,
# CEILING_MINUTES (budget of each ceiling search, default 1.5), CRYPTO_ARGS (the sweep's arguments, default
# "--batch-sizes 16,256,4096,65536 --repeats 3 --min-time-ms 100"), WORKGROUPS (sizes to sweep, default
# "32 64 128 256"; empty skips the sweep), OUT.
#
# On the project's lent device host (the device tool's README: no registry, at most 8 files back from $OUT): build
# and strip here, carry the binary and the loader packages in folders .git/info/exclude ignores, and pack the
# results into one file:
#   cargo build --release -p hsbench && mkdir -p .dev && strip -o .dev/hsbench target/release/hsbench   # ~15 MB
#   (.gl/: `apt-get download libvulkan1` as that README says)
#   run, carry [".dev", ".gl"]:  HSBENCH=.dev/hsbench OUT=/tmp/gpu bash scripts/gpu-run.sh; tar czf $OUT/gpu.tgz -C /tmp gpu
# The defaults are sized for one call of at most 8 minutes there (two 1.5-minute ceilings, a sweep of four batch
# sizes) — an estimate until it has run on that host; CEILING_MINUTES and CRYPTO_ARGS shrink it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    if compgen -G ".gl/*.deb" >/dev/null; then
        echo "gpu-run: Vulkan loader missing; unpacking the carried packages in .gl/"
        for f in .gl/*.deb; do dpkg -x "$f" /; done
        ldconfig
    elif command -v apt-get >/dev/null; then
        echo "gpu-run: Vulkan loader missing; installing libvulkan1"
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libvulkan1
    else
        echo "gpu-run: install the Vulkan loader (libvulkan.so.1) with your package manager, then rerun" >&2
        exit 1
    fi
fi
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$NVIDIA_ICD" ]; then
    export VK_DRIVER_FILES="$NVIDIA_ICD"
fi

export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}"
[ -n "${ADAPTER:-}" ] && export WGPU_ADAPTER_NAME="$ADAPTER"
HS=${HSBENCH:-target/release/hsbench}
[ -x "$HS" ] || cargo build --release -p hsbench
OUT=${OUT:-results/gpu-$(hostname -s)-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

"$HS" devices | tee "$OUT/devices.txt"
"$HS" devices --json > "$OUT/devices.json"
if grep -q '"device_type": "Cpu"' "$OUT/devices.json" && ! grep -qE '"device_type": "(DiscreteGpu|IntegratedGpu)"' "$OUT/devices.json"; then
    if [ "${ALLOW_CPU_ADAPTER:-0}" != 1 ]; then
        echo "gpu-run: only a CPU adapter (lavapipe) was found: these would not be GPU numbers." >&2
        echo "         install the GPU's Vulkan driver, or set ALLOW_CPU_ADAPTER=1 to measure lavapipe" >&2
        exit 1
    fi
fi

CRYPTO_ARGS=${CRYPTO_ARGS---batch-sizes 16,256,4096,65536 --repeats 3 --min-time-ms 100}
# shellcheck disable=SC2086
"$HS" crypto --quiet --backends cpu,cpu-batch,cpu-par,gpu --out "$OUT" $CRYPTO_ARGS | tee "$OUT/crypto.txt"
for b in gpu cpu-batch; do
    "$HS" verify --backend "$b" --input engine/tests/vectors/wycheproof_ed25519_test.json \
        --output "$OUT/verify-wycheproof-$b.jsonl" 2> >(tee "$OUT/verify-wycheproof-$b.txt" >&2)
done
for w in ${WORKGROUPS-32 64 128 256}; do
    printf '[crypto]\ngpu_workgroup = %s\n' "$w" > "$OUT/workgroup-$w.toml"
    "$HS" crypto --quiet --backends gpu --ops ed25519-verify --batch-sizes 4096,65536 --repeats 3 --min-time-ms 100 \
        --config "$OUT/workgroup-$w.toml" --out "$OUT/workgroup-$w" | tee "$OUT/workgroup-$w.txt"
done
printf '[crypto]\ngpu_hash_on_device = true\n' > "$OUT/hash-on-device.toml"
# shellcheck disable=SC2086
"$HS" crypto --quiet --backends gpu --ops ed25519-verify --config "$OUT/hash-on-device.toml" --out "$OUT/hash-on-device" \
    $CRYPTO_ARGS | tee "$OUT/hash-on-device.txt"
cmp "$OUT/verify-wycheproof-gpu.jsonl" "$OUT/verify-wycheproof-cpu-batch.jsonl" && echo "gpu-run: gpu and cpu-batch verdicts identical"
if [ "${SKIP_CEILING:-0}" != 1 ]; then
    for c in node-ceiling node-ceiling-gpu; do
        "$HS" ceiling --quiet --config "bench-configs/$c.toml" --budget-minutes "${CEILING_MINUTES:-1.5}" --out "$OUT" \
            | tee "$OUT/$c.txt"
    done
fi
echo "gpu-run: results in $OUT"
