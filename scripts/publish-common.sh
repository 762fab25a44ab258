# Sourced by the publish scripts (publish-results.sh, publish-wire-results.sh): what every published set starts
# with. `publish_start NAME` refuses a dirty tree unless ALLOW_DIRTY=1 (a published number must name the commit it
# came from; the fingerprint records it), sets HS to the binary (HSBENCH, default target/dist/hsbench, built with
# `--profile dist` from this tree) and CPU_CLASS to `avx512ifma` or `avx2`.
publish_start() {
    if [ -n "$(git status --porcelain)" ] && [ "${ALLOW_DIRTY:-0}" != 1 ]; then
        echo "$1: the tree has uncommitted changes; commit them (or ALLOW_DIRTY=1 for a trial run)" >&2
        exit 1
    fi
    HS=${HSBENCH:-target/dist/hsbench}
    # Built every time unless HSBENCH names a binary: a dist binary left from an earlier commit would publish that
    # commit's numbers (cargo does nothing when it is current).
    [ -n "${HSBENCH:-}" ] || cargo build --profile dist -p hsbench
    CPU_CLASS=$(python3 -c "
import re
flags = open('/proc/cpuinfo').read()
print('avx512ifma' if re.search(r'\bavx512ifma\b', flags) else 'avx2')")
}
