#!/usr/bin/env bash
# The vendored WP-CLI 2.10.0 (vendor/wp-cli: the official php-wpcli .deb, its MIT licence and SHA256SUMS).
# Neither Debian nor npm serves it, and the suite must run without anything outside the checkout: the .deb is
# checked against SHA256SUMS before it is unpacked (dpkg-deb -x, never installed) into $IGNY8_HOME/tools.
#
#   bash scripts/wp/wp-cli.sh path       verify + unpack once, print the phar's path
#   bash scripts/wp/wp-cli.sh ARGS...    run it (php PHAR ARGS); scripts/wp-runtime.sh wp points it at an instance
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENDOR="$ROOT/vendor/wp-cli"
DEB="php-wpcli_2.10.0_all.deb"
DIR="${IGNY8_HOME:-$ROOT/.igny8}/tools/wp-cli-2.10.0"
PHAR="$DIR/usr/bin/wp"

if [ ! -s "$PHAR" ]; then
  command -v dpkg-deb >/dev/null || { echo "wp-cli: dpkg-deb is needed to unpack $VENDOR/$DEB" >&2; exit 1; }
  want="$(awk -v f="$DEB" '$2 == f || $2 == "*" f { print $1 }' "$VENDOR/SHA256SUMS")"
  have="$(sha256sum "$VENDOR/$DEB" | cut -c1-64)"
  if [ -z "$want" ] || [ "$want" != "$have" ]; then
    echo "wp-cli: $VENDOR/$DEB does not match vendor/wp-cli/SHA256SUMS (sha256 $have): refusing to run it" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$DIR")"
  tmp="$(mktemp -d "$DIR.tmp.XXXXXX")"
  dpkg-deb -x "$VENDOR/$DEB" "$tmp"
  rm -rf "$DIR"
  mv "$tmp" "$DIR"   # atomic: a concurrent caller sees either nothing or the whole tree
fi

if [ "${1:-}" = path ]; then
  echo "$PHAR"
  exit 0
fi
exec php -d memory_limit=256M "$PHAR" "$@"
