#!/usr/bin/env bash
# Installs everything `npm start` / `npm test` need on a fresh Debian machine, and nothing twice:
# Debian packages (PHP 8.2 + extensions, Chromium for E2E=1, MariaDB for WP_DB=mariadb) and npm packages.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/wp-runtime.sh deps
stamp="node_modules/.igny8-lock-hash"
want="$(sha256sum package-lock.json | cut -c1-64)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing npm packages (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
