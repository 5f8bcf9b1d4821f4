#!/usr/bin/env bash
# `npm test`: installs what is missing (apt + npm), then runs every suite and prints "N passed, N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
E2E=1 bash "$ROOT/scripts/bootstrap.sh"
# phpcs (Debian's php-codesniffer) lints the PHP shim as part of the suite.
if ! command -v phpcs >/dev/null; then
  echo "Installing php-codesniffer…"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends php-codesniffer >/dev/null \
    || { $SUDO apt-get update -q >/dev/null && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends php-codesniffer >/dev/null; }
fi
[ "${IGNY8_TEST_MATRIX:-}" = "" ] || echo "Test matrix: $IGNY8_TEST_MATRIX"
case "${IGNY8_TEST_MATRIX:-}" in *mariadb*|"") WP_DB=mariadb bash "$ROOT/scripts/wp-runtime.sh" deps ;; esac
# nginx / Apache + PHP-FPM instances (their system services stay off: scripts/wp-runtime.sh runs private servers).
case "${IGNY8_TEST_MATRIX:-}" in *nginx*|"") WP_SERVER=nginx bash "$ROOT/scripts/wp-runtime.sh" deps quiet ;; esac
case "${IGNY8_TEST_MATRIX:-}" in *apache*|"") WP_SERVER=apache bash "$ROOT/scripts/wp-runtime.sh" deps quiet ;; esac
exec "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/test.ts" "$@"
