#!/usr/bin/env bash
# Installs the system dependencies hsbench needs beyond the Rust toolchain:
#   - lavapipe (Mesa's CPU Vulkan driver) + the Vulkan loader, so the wgpu kernels run without a GPU;
#   - vulkan-tools (vulkaninfo) to check the driver;
#   - iproute2 + nftables for the network-namespace partition tests;
#   - chromium for the HTML report's browser test (harness/tests/report_html.rs, headless), tmux for the live
#     view's terminal test (harness/tests/live_tmux.rs).
#
# On Debian 12 (bookworm) Mesa comes from bookworm-backports (25.x): bookworm's own Mesa 22.3 miscompiles
# big WGSL kernels on lavapipe (see shared/FIELD-NOTES.md, "wgpu 30 on lavapipe"). Elsewhere the
# distribution's Mesa is used if it is >= 24.
#
# Idempotent: when everything is already installed it only runs a few dpkg-query calls.
# Never fails just because it cannot install (no apt-get, not root, apt-get failing): it says what is missing
# and goes on, since the test suite also runs without a Vulkan adapter (its GPU tests skip, outside CI).
# Set HSBENCH_SETUP_STRICT=1 to make that an error, and a Mesa older than MIN_MESA_MAJOR too; .ci/run sets
# it when CI=true, where the GPU tests fail without an adapter instead of skipping.
set -euo pipefail

MIN_MESA_MAJOR=24
PACKAGES=(mesa-vulkan-drivers libvulkan1 vulkan-tools iproute2 nftables chromium tmux)
# iproute2 + nftables: the network-namespace partitions of the wire tests (ip netns, veth, bridge; nft rules).
NET_PACKAGES=(iproute2 nftables)
# chromium: renders the HTML report in the test suite (headless, no display needed); tmux: a terminal for the
# live view's test.
TEST_PACKAGES=(chromium tmux)
BACKPORTS_FILE=/etc/apt/sources.list.d/backports.sources
DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { printf 'setup.sh: %s\n' "$*"; }
warn() { printf 'setup.sh: WARNING: %s\n' "$*" >&2; }
give_up() {
    warn "$*"
    warn "GPU kernels will find no Vulkan adapter; GPU tests take their no-adapter path."
    if [[ "${HSBENCH_SETUP_STRICT:-0}" == 1 ]]; then exit 1; fi
    exit 0
}

# Installed version of a package ("" when not installed).
pkg_version() {
    dpkg-query -W -f='${db:Status-Status} ${Version}\n' "$1" 2>/dev/null |
        awk '$1 == "installed" { print $2; exit }'
}

# Major version of a Debian version string: strips an epoch ("1:25.0.7-2~bpo12+1" -> 25).
major_of() {
    local v=${1#*:}
    printf '%s' "${v%%.*}"
}

mesa_ok() {
    local v
    v=$(pkg_version mesa-vulkan-drivers)
    [[ -n "$v" ]] || return 1
    local major
    major=$(major_of "$v")
    [[ "$major" =~ ^[0-9]+$ ]] && ((major >= MIN_MESA_MAJOR))
}

all_installed() {
    if [[ "$codename" == bookworm ]]; then
        mesa_ok || return 1 # 22.3 from bookworm main gets replaced by backports' 25.x
    else
        # Elsewhere the distribution's Mesa is all there is: accept it (warned about below).
        [[ -n "$(pkg_version mesa-vulkan-drivers)" ]] || return 1
    fi
    local p
    for p in libvulkan1 vulkan-tools "${NET_PACKAGES[@]}" "${TEST_PACKAGES[@]}"; do
        [[ -n "$(pkg_version "$p")" ]] || return 1
    done
}

report() {
    log "mesa-vulkan-drivers $(pkg_version mesa-vulkan-drivers), libvulkan1 $(pkg_version libvulkan1), vulkan-tools $(pkg_version vulkan-tools)"
    if command -v vulkaninfo >/dev/null 2>&1; then
        # driverInfo line reads e.g. "Mesa 25.0.7 (LLVM 19.1.4)".
        local info
        info=$(vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverInfo' | sed 's/^[[:space:]]*/  /' || true)
        if [[ -n "$info" ]]; then
            log "vulkaninfo --summary:"
            printf '%s\n' "$info"
        fi
    fi
}

# --- non-apt systems ---------------------------------------------------------------------------
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    log "no apt-get/dpkg here: not a Debian-family system, installing nothing."
    log "Install a Vulkan driver yourself: a GPU vendor driver, or Mesa >= ${MIN_MESA_MAJOR} lavapipe"
    log "(Fedora: mesa-vulkan-drivers vulkan-loader vulkan-tools; Arch: vulkan-swrast vulkan-icd-loader vulkan-tools;"
    log " macOS: wgpu uses Metal, nothing to install)."
    exit 0
fi

codename=""
if [[ -r /etc/os-release ]]; then
    codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
fi

if all_installed; then
    log "already installed, nothing to do."
    if ! mesa_ok; then
        warn "mesa-vulkan-drivers $(pkg_version mesa-vulkan-drivers) < ${MIN_MESA_MAJOR}: lavapipe results are not trustworthy."
        if [[ "${HSBENCH_SETUP_STRICT:-0}" == 1 ]]; then exit 1; fi
    fi
    report
    exit 0
fi

# --- privileges --------------------------------------------------------------------------------
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        give_up "not root and no password-less sudo; cannot install ${PACKAGES[*]} (Mesa >= ${MIN_MESA_MAJOR})."
    fi
fi

export DEBIAN_FRONTEND=noninteractive
APT_INSTALL=(apt-get install -y --no-install-recommends)

if [[ "$codename" == bookworm ]]; then
    # Same mirror as the main Debian source (first URIs: line of debian.sources, or deb.debian.org).
    mirror=""
    if [[ -r "$DEBIAN_SOURCES" ]]; then
        mirror=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$DEBIAN_SOURCES")
    fi
    mirror=${mirror:-http://deb.debian.org/debian}
    want=$(printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
        "$mirror" "$KEYRING")
    if [[ ! -f "$BACKPORTS_FILE" ]] || [[ "$(cat "$BACKPORTS_FILE")" != "$want" ]]; then
        log "writing $BACKPORTS_FILE (mirror $mirror)"
        printf '%s\n' "$want" | "${SUDO[@]}" tee "$BACKPORTS_FILE" >/dev/null ||
            give_up "cannot write $BACKPORTS_FILE; cannot install Mesa >= ${MIN_MESA_MAJOR} from bookworm-backports."
    fi
    log "apt-get update"
    "${SUDO[@]}" apt-get update -q || give_up "apt-get update failed; cannot install ${PACKAGES[*]}."
    log "installing mesa-vulkan-drivers libvulkan1 from bookworm-backports"
    "${SUDO[@]}" "${APT_INSTALL[@]}" -t bookworm-backports mesa-vulkan-drivers libvulkan1 ||
        give_up "installing mesa-vulkan-drivers libvulkan1 from bookworm-backports failed."
    if [[ -z "$(pkg_version vulkan-tools)" ]]; then
        # Optional: only for vulkaninfo. Not worth failing over.
        "${SUDO[@]}" "${APT_INSTALL[@]}" -t bookworm-backports vulkan-tools || warn "vulkan-tools not installed (optional)"
    fi
else
    log "apt-based system '${codename:-unknown}': installing ${PACKAGES[*]} from its own repositories"
    "${SUDO[@]}" apt-get update -q || give_up "apt-get update failed; cannot install ${PACKAGES[*]}."
    "${SUDO[@]}" "${APT_INSTALL[@]}" mesa-vulkan-drivers libvulkan1 ||
        give_up "installing mesa-vulkan-drivers libvulkan1 failed."
    "${SUDO[@]}" "${APT_INSTALL[@]}" vulkan-tools || warn "vulkan-tools not installed (optional)"
fi

# Installs those of the packages after WHY that are missing; WHY says what needs them when installing fails.
install_missing() {
    local why=$1 p missing=()
    shift
    for p in "$@"; do
        [[ -n "$(pkg_version "$p")" ]] || missing+=("$p")
    done
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        "${SUDO[@]}" "${APT_INSTALL[@]}" "${missing[@]}" || give_up "installing ${missing[*]} failed ($why)."
    fi
}
install_missing "the network-namespace partition tests need them" "${NET_PACKAGES[@]}"
install_missing "the HTML report's and the live view's tests need them" "${TEST_PACKAGES[@]}"

if ! mesa_ok; then
    warn "mesa-vulkan-drivers is $(pkg_version mesa-vulkan-drivers); Mesa < ${MIN_MESA_MAJOR} lavapipe is known to"
    warn "miscompile large WGSL kernels. Results from it are not trustworthy."
    if [[ "${HSBENCH_SETUP_STRICT:-0}" == 1 ]]; then exit 1; fi
fi
report
