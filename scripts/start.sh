#!/usr/bin/env bash
# `npm start`: WordPress (with the plugin active) + the sidecar + the IGNY8 simulator. Ctrl-C stops them all.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
E2E="${E2E:-}" bash "$ROOT/scripts/bootstrap.sh"
exec "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/start.ts"
