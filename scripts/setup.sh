#!/usr/bin/env bash
# Installs what the console needs on this machine: system packages (apt, as root), the
# project's venv (.venv) with the pinned Python packages, and the front-end libraries from npm
# copied into static/vendor. Idempotent: each step is skipped when its inputs did not change.
source "$(dirname "$0")/lib.sh"

apt_install libvirt-dev pkg-config gcc redis-server chromium
# Node.js may come from elsewhere than Debian (its own npm inside): install only when absent.
command -v npm >/dev/null || apt_install nodejs npm

PY="${PYTHON:-python3}"
"$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null \
    || die "Python 3.11 or newer is needed as '$PY' (set PYTHON=...)"

# Python packages, reinstalled only when requirements.txt changes.
if [ ! -x "$ROOT/.venv/bin/python" ]; then
    say "creating .venv"
    "$PY" -m venv "$ROOT/.venv"
fi
req_sum="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$STATE/requirements.sum" 2>/dev/null)" != "$req_sum" ]; then
    say "pip: installing requirements.txt into .venv"
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    "$ROOT/.venv/bin/pip" install -q --upgrade pip
    "$ROOT/.venv/bin/pip" install -q -r "$ROOT/requirements.txt"
    echo "$req_sum" >"$STATE/requirements.sum"
fi

# Front-end packages, installed from the lock file and copied into static/vendor.
lock_sum="$(cat "$ROOT/package.json" "$ROOT/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STATE/npm.sum" 2>/dev/null)" != "$lock_sum" ] || [ ! -d "$ROOT/static/vendor" ]; then
    say "npm: installing front-end libraries"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    vendor="$ROOT/static/vendor"
    rm -rf "$vendor"
    mkdir -p "$vendor"/{novnc,xterm,spice-html5,htmx,pico,swagger-ui,uplot}
    nm="$ROOT/node_modules"
    cp -r "$nm/@novnc/novnc/core" "$nm/@novnc/novnc/vendor" "$vendor/novnc/"
    cp "$nm/@xterm/xterm/lib/xterm.js" "$nm/@xterm/xterm/css/xterm.css" \
        "$nm/@xterm/addon-fit/lib/addon-fit.js" "$vendor/xterm/"
    cp -r "$nm/@spice-project/spice-html5/src" "$nm/@spice-project/spice-html5/spice.css" "$vendor/spice-html5/"
    cp "$nm/htmx.org/dist/htmx.min.js" "$vendor/htmx/"
    cp "$nm/@picocss/pico/css/pico.min.css" "$vendor/pico/"
    cp "$nm/swagger-ui-dist/swagger-ui-bundle.js" "$nm/swagger-ui-dist/swagger-ui.css" "$vendor/swagger-ui/"
    cp "$nm/uplot/dist/uPlot.iife.min.js" "$nm/uplot/dist/uPlot.min.css" "$vendor/uplot/"
    echo "$lock_sum" >"$STATE/npm.sum"
fi
say "setup complete"
