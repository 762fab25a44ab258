#!/usr/bin/env bash
# What a user runs on a GPU host to produce the GPU numbers:
#   1. installs the Vulkan loader if missing (Debian/Ubuntu: libvulkan1; the GPU's own Vulkan driver — e.g.
#      the NVIDIA driver's ICD — must already be there; lavapipe is not installed here on purpose),
#   2. lists the adapters and checks that a real GPU (not lavapipe) is picked,
#   3. builds hsbench (release) and runs `hsbench crypto` (CPU backends and gpu, default sweep),
#      `hsbench verify` on the Wycheproof vectors with gpu and cpu-batch, and the node ceiling twice: with the
#      CPU sigverify stage (bench-configs/node-ceiling.toml) and with the GPU one (node-ceiling-gpu.toml),
#   4. sweeps the Ed25519 kernel's workgroup size (`[crypto] gpu_workgroup`, WORKGROUPS) at two batch sizes, so
#      the per-adapter default (two subgroups on a GPU) is checked against what this GPU measures,
#   5. runs the Ed25519 sweep again with the challenge computed on the device (`[crypto] gpu_hash_on_device`),
#   6. writes everything to results/gpu-<host>-<date>/.
# Environment: ADAPTER (name substring, default: the most GPU-like adapter), ALLOW_CPU_ADAPTER=1 to run on
# lavapipe anyway, SKIP_CEILING=1, CRYPTO_ARGS (extra `hsbench crypto` arguments), WORKGROUPS (sizes to sweep,
# default "32 64 128 256"; empty skips the sweep).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    echo "gpu-run: Vulkan loader missing; installing libvulkan1"
    if command -v apt-get >/dev/null; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libvulkan1
    else
        echo "gpu-run: install the Vulkan loader (libvulkan.so.1) with your package manager, then rerun" >&2
        exit 1
    fi
fi

export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}"
[ -n "${ADAPTER:-}" ] && export WGPU_ADAPTER_NAME="$ADAPTER"
cargo build --release -p hsbench
HS=target/release/hsbench
OUT="results/gpu-$(hostname -s)-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"

$HS devices | tee "$OUT/devices.txt"
$HS devices --json > "$OUT/devices.json"
if grep -q '"device_type": "Cpu"' "$OUT/devices.json" && ! grep -qE '"device_type": "(DiscreteGpu|IntegratedGpu)"' "$OUT/devices.json"; then
    if [ "${ALLOW_CPU_ADAPTER:-0}" != 1 ]; then
        echo "gpu-run: only a CPU adapter (lavapipe) was found: these would not be GPU numbers." >&2
        echo "         install the GPU's Vulkan driver, or set ALLOW_CPU_ADAPTER=1 to measure lavapipe" >&2
        exit 1
    fi
fi

# shellcheck disable=SC2086
$HS crypto --backends cpu,cpu-batch,cpu-par,gpu --out "$OUT" ${CRYPTO_ARGS:-} | tee "$OUT/crypto.txt"
for b in gpu cpu-batch; do
    $HS verify --backend "$b" --input engine/tests/vectors/wycheproof_ed25519_test.json \
        --output "$OUT/verify-wycheproof-$b.jsonl" 2> >(tee "$OUT/verify-wycheproof-$b.txt" >&2)
done
for w in ${WORKGROUPS-32 64 128 256}; do
    printf '[crypto]\ngpu_workgroup = %s\n' "$w" > "$OUT/workgroup-$w.toml"
    $HS crypto --quiet --backends gpu --ops ed25519-verify --batch-sizes 4096,65536 --config "$OUT/workgroup-$w.toml" \
        --out "$OUT/workgroup-$w" | tee "$OUT/workgroup-$w.txt"
done
printf '[crypto]\ngpu_hash_on_device = true\n' > "$OUT/hash-on-device.toml"
$HS crypto --quiet --backends gpu --ops ed25519-verify --config "$OUT/hash-on-device.toml" --out "$OUT/hash-on-device" \
    | tee "$OUT/hash-on-device.txt"
cmp "$OUT/verify-wycheproof-gpu.jsonl" "$OUT/verify-wycheproof-cpu-batch.jsonl" && echo "gpu-run: gpu and cpu-batch verdicts identical"
if [ "${SKIP_CEILING:-0}" != 1 ]; then
    $HS ceiling --config bench-configs/node-ceiling.toml --out "$OUT" | tee "$OUT/ceiling-cpu.txt"
    $HS ceiling --config bench-configs/node-ceiling-gpu.toml --out "$OUT" | tee "$OUT/ceiling-gpu.txt"
fi
echo "gpu-run: results in $OUT"
