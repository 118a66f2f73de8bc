#!/usr/bin/env bash
# Runs every test: installs the real OpenTelemetry SDK clients the end-to-end tests drive
# (Python SDK in a venv, Node SDK with npm ci), Debian's Alertmanager and chromium, runs the
# web UI's component tests, then runs the Rust test suite with nextest.
# Idempotent and quick when everything is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${E2E_VENV:-$HOME/.cache/sightline-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
export E2E_PYTHON="$venv/bin/python"

if [ ! -d tests/clients/node_modules ] || [ tests/clients/package-lock.json -nt tests/clients/node_modules/.package-lock.json ]; then
  (cd tests/clients && npm ci --no-audit --no-fund --loglevel=error)
fi

# The web UI's component tests (Vitest); cargo's build script builds the UI itself.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd ui && npm test --silent)

# Debian packages the tests drive: a real Alertmanager (alerting) and chromium (the web UI
# in a real browser).
missing=()
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
  else
    echo "missing: ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
  fi
fi

exec cargo nextest run --workspace --locked --no-fail-fast "$@"
