# Shared helpers for the project's shell scripts (sourced, not run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.state"
mkdir -p "$STATE"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

require_root_debian() {
    [ -r /etc/debian_version ] || die "this setup needs Debian (12). Elsewhere install by hand: \
libvirt + QEMU, Redis, Chromium, Node.js/npm, Python 3.11 with venv, then 'make test'."
    [ "$(id -u)" = 0 ] || die "run as root (apt-get, libvirtd). Or install by hand: libvirt-daemon-system \
qemu-system-x86 qemu-utils libvirt-clients libvirt-dev pkg-config redis-server chromium nodejs npm."
}

# apt_install PKG...: install the packages that are missing, updating lists once if needed.
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    require_root_debian
    say "apt: installing ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$STATE/apt.log" 2>&1; then
        apt-get update -q >>"$STATE/apt.log" 2>&1 || die "apt-get update failed, see $STATE/apt.log"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$STATE/apt.log" 2>&1 \
            || die "apt-get install ${missing[*]} failed, see $STATE/apt.log"
    fi
}

# wait_for SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.5
    done
}
