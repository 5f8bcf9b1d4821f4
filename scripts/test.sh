#!/usr/bin/env bash
# `npm test`: installs what is missing (apt + npm), then runs every suite and prints "N passed, N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
E2E=1 bash "$ROOT/scripts/bootstrap.sh"
[ "${IGNY8_TEST_MATRIX:-}" = "" ] || echo "Test matrix: $IGNY8_TEST_MATRIX"
case "${IGNY8_TEST_MATRIX:-}" in *mariadb*|"") WP_DB=mariadb bash "$ROOT/scripts/wp-runtime.sh" deps ;; esac
exec "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/test.ts" "$@"
