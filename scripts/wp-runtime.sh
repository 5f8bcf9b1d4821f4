#!/usr/bin/env bash
# IGNY8 Bridge: embedded WordPress runtime. Real WordPress on Debian's PHP, served by `php -S` with workers
# (default) or by the production shapes nginx + PHP-FPM / Apache 2.4 + PHP-FPM (proxy_fcgi, .htaccess), on SQLite
# (default) or a private MariaDB server per instance. Every server runs with a private config under the instance dir
# on loopback ports, in its own process group: never a system service. Works offline on a fresh Debian 12 machine
# (only the Debian and npm registries are needed, and only for `deps` / the first `build`).
#
#   bash scripts/wp-runtime.sh deps     apt-get install what is missing (PHP + extensions, unzip, curl;
#                                       chromium when E2E=1; mariadb-server when WP_DB=mariadb)
#   bash scripts/wp-runtime.sh build    WordPress core + SQLite drop-in into the shared cache $IGNY8_HOME/dist
#   bash scripts/wp-runtime.sh setup    fresh site in the instance dir: install, plugin symlinked and activated
#   bash scripts/wp-runtime.sh start    the web server on 127.0.0.1:$WP_PORT (and PHP-FPM, MariaDB), waits for /wp-json/
#   bash scripts/wp-runtime.sh stop     stops the instance's servers (whole process groups)
#   bash scripts/wp-runtime.sh reset    stop + delete the instance dir
#   bash scripts/wp-runtime.sh ensure   deps + build + setup (only if there is no site yet) + start   (npm start)
#   bash scripts/wp-runtime.sh up       deps + build + fresh setup + start                            (CI)
#   bash scripts/wp-runtime.sh eval 'echo get_option("siteurl");'   PHP inside the installed WordPress ('-': stdin)
#   bash scripts/wp-runtime.sh wp ARGS  the real WP-CLI 2.10.0 (vendored, scripts/wp/wp-cli.sh) on the instance's site
#   bash scripts/wp-runtime.sh phpunit [ARGS]   the shim's PHPUnit suite inside the installed WordPress (apt: phpunit)
#   bash scripts/wp-runtime.sh info     key=value lines (WP_URL, WP_VERSION, WP_DB, STATE_DIR, SECRET_FILE, ...)
#
# Environment (see scripts/wp/README.md):
#   IGNY8_HOME (<repo>/.igny8)   WP_VERSION (6.1 | 6.5 | 6.6)   WP_DB (sqlite | mariadb)   WP_PORT (8888)
#   WP_SERVER (php = php -S | nginx = nginx + PHP-FPM | apache = Apache 2.4 + PHP-FPM via proxy_fcgi)
#   FPM_PORT (WP_PORT + 5)   PLUGIN_ZIP (a release zip: unpacked into wp-content/plugins instead of the symlink)
#   WP_WORKERS (8)   WP_STATE_DIR ($IGNY8_HOME/wp-$WP_VERSION-$WP_DB)   MARIADB_PORT (WP_PORT + 1000)
#   PLUGIN_DIR (<repo>/plugin-php-shim; "none" = no plugin)   EXTRA_PLUGIN_DIRS (space separated)
#   SIDECAR_PORT (8787)   IGNY8_SIDECAR_URL (http://127.0.0.1:$SIDECAR_PORT)   IGNY8_IMAGE_HOST_ALLOWLIST ('')
#   IGNY8_TRUSTED_PROXIES ('' = constant not defined; tests: 127.0.0.1 so X-Forwarded-For picks the rate-limit IP)
#   WP_SIDECAR (own | hosted: the site has no sidecar of its own, so no IGNY8_SIDECAR_URL and no sidecar.secret; it
#               enrols on a hosted sidecar in Settings → IGNY8 → Sidecar, which keeps its URL and secret in options)
#   E2E=1 (deps: chromium)   PHPUNIT=1 (deps: phpunit)
#   IGNY8_DEPS_CHECKED=1 (ensure: skip the deps check; npm start sets it after bootstrap.sh checked them)
set -euo pipefail
umask 022

T0=$(date +%s%N)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
ASSETS="$HERE/wp"

IGNY8_HOME="${IGNY8_HOME:-$ROOT/.igny8}"
WP_VERSION="${WP_VERSION:-6.1}"
WP_DB="${WP_DB:-sqlite}"
WP_SERVER="${WP_SERVER:-php}"
PLUGIN_ZIP="${PLUGIN_ZIP:-}"
WP_PORT_SET="${WP_PORT:+1}"
WP_PORT="${WP_PORT:-8888}"
WP_WORKERS="${WP_WORKERS:-8}"
STATE="${WP_STATE_DIR:-$IGNY8_HOME/wp-$WP_VERSION-$WP_DB}"
case "$STATE" in /*) ;; *) STATE="$(pwd)/$STATE" ;; esac
SIDECAR_PORT="${SIDECAR_PORT:-8787}"
IGNY8_SIDECAR_URL="${IGNY8_SIDECAR_URL:-http://127.0.0.1:$SIDECAR_PORT}"
IGNY8_IMAGE_HOST_ALLOWLIST="${IGNY8_IMAGE_HOST_ALLOWLIST:-}"
PLUGIN_DIR="${PLUGIN_DIR:-$ROOT/plugin-php-shim}"
WP_SIDECAR="${WP_SIDECAR:-own}"
PLUGIN_SLUG="igny8-bridge"
EXTRA_PLUGIN_DIRS="${EXTRA_PLUGIN_DIRS:-}"

DIST="$IGNY8_HOME/dist"
WP_BUILDS_PKG="@wp-playground/wordpress-builds@0.9.19"   # WordPress 6.2.6 ... 6.5.5, 6.6-RC3 ("beta")
SQLITE_PKG="@wp-playground/cli@3.1.56"                   # ships sqlite-database-integration.zip (plugin 3.0.2)
SQLITE_ZIP="$DIST/sqlite-database-integration-cli-3.1.56.zip"

SITE="$STATE/site"
PHP_LOG="$STATE/php-server.log"
PHP_PGID="$STATE/php.pgid"
SECRET_FILE="$STATE/sidecar.secret"
ENV_PHP="$STATE/igny8-env.php"
DEBUG_LOG="$SITE/wp-content/debug.log"
MYSQL_DATA="$STATE/mysql"
MYSQL_PGID="$STATE/mysqld.pgid"
MYSQL_LOG="$STATE/mysqld.log"
FPM_CONF="$STATE/php-fpm.conf"
FPM_PGID="$STATE/php-fpm.pgid"
FPM_LOG="$STATE/php-fpm.log"
WEB_CONF="$STATE/$WP_SERVER.conf"   # nginx.conf / apache.conf
WEB_PGID="$STATE/$WP_SERVER.pgid"
WEB_LOG="$STATE/$WP_SERVER-error.log"

say() { printf '[wp] %s\n' "$*"; }
die() { printf '[wp] ERROR: %s\n' "$*" >&2; exit 1; }
now_ns() { date +%s%N; }
secs_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
php_str() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\\\'}"; }   # PHP single-quoted literal
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else die "need root (or sudo) for: $*"; fi; }

case "$WP_VERSION" in
  6.1) CORE_SRC=debian ;;
  6.5) CORE_SRC=npm; NPM_WP_NAME=wp-6.5 ;;
  6.6) CORE_SRC=npm; NPM_WP_NAME=wp-beta ;;   # 6.6-RC3, the newest build obtainable offline
  *) die "WP_VERSION must be 6.1, 6.5 or 6.6 (got '$WP_VERSION')" ;;
esac
CORE="$DIST/wordpress-$WP_VERSION"
case "$WP_DB" in sqlite|mariadb) ;; *) die "WP_DB must be sqlite or mariadb (got '$WP_DB')" ;; esac
case "$WP_SERVER" in php|nginx|apache) ;; *) die "WP_SERVER must be php, nginx or apache (got '$WP_SERVER')" ;; esac
is_uint "$WP_PORT" || die "WP_PORT must be a number (got '$WP_PORT')"
case "$WP_SIDECAR" in own|hosted) ;; *) die "WP_SIDECAR must be own or hosted (got '$WP_SIDECAR')" ;; esac
is_uint "$WP_WORKERS" && [ "$WP_WORKERS" -ge 1 ] || die "WP_WORKERS must be a number >= 1 (got '$WP_WORKERS')"
MARIADB_PORT="${MARIADB_PORT:-$((WP_PORT + 1000))}"
is_uint "$MARIADB_PORT" || die "MARIADB_PORT must be a number (got '$MARIADB_PORT')"
FPM_PORT="${FPM_PORT:-$((WP_PORT + 5))}"
is_uint "$FPM_PORT" || die "FPM_PORT must be a number (got '$FPM_PORT')"
WP_URL="http://127.0.0.1:$WP_PORT"

# A unix socket path must stay under ~108 bytes; deep state dirs get one in /tmp instead.
MYSQL_SOCK="$STATE/mysql.sock"
if [ ${#MYSQL_SOCK} -gt 100 ]; then
  MYSQL_SOCK="${TMPDIR:-/tmp}/igny8-mysql-$(printf %s "$STATE" | md5sum | cut -c1-16).sock"
fi

# ---------------------------------------------------------------------------------------------------- locks

# fd 9: the instance lock (setup/start/stop/reset never run twice at once on one instance). Servers started
# in the background close it (9>&-), or they would hold it for their whole life.
lock_instance() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "another wp-runtime command holds $STATE/.lock for more than 300 s"
}

# ----------------------------------------------------------------------------------------------------- deps

deps() {
  local pkgs=() missing_mods=() mods pv="" m t
  t=$(now_ns)
  # The PHP modules were all there when php and its conf.d folders last looked like this: no php -m (two PHP start-ups).
  local php_key="" php_stamp="$IGNY8_HOME/.deps-php-ok"
  if command -v php >/dev/null; then
    php_key="$(stat -L -c '%n %Y %s' "$(command -v php)" /etc/php/*/*/conf.d 2>/dev/null | tr '\n' ' ')"
  fi
  if [ -n "$php_key" ] && [ -f "$php_stamp" ] && [ "$(sed -n 2p "$php_stamp")" = "$php_key" ]; then
    pv=$(sed -n 1p "$php_stamp")
  elif command -v php >/dev/null; then
    pv=$(php -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;')
    mods=" $(php -m 2>/dev/null | tr 'A-Z\n' 'a-z ') "
    for m in sqlite3 pdo_sqlite curl xml dom mbstring gd intl zip mysqli "zend opcache"; do
      [[ "$mods" == *" $m "* ]] || missing_mods+=("$m")
    done
    if [ ${#missing_mods[@]} -eq 0 ] && mkdir -p "$IGNY8_HOME" 2>/dev/null; then
      printf '%s\n%s\n' "$pv" "$php_key" > "$php_stamp.$$" && mv -f "$php_stamp.$$" "$php_stamp" || true
    fi
    for m in "${missing_mods[@]}"; do
      case "$m" in
        sqlite3|pdo_sqlite) pkgs+=("php$pv-sqlite3") ;;
        xml|dom) pkgs+=("php$pv-xml") ;;
        mysqli) pkgs+=("php$pv-mysql") ;;
        "zend opcache") pkgs+=("php$pv-opcache") ;;
        *) pkgs+=("php$pv-$m") ;;
      esac
    done
  else
    pkgs+=(php-cli php-sqlite3 php-curl php-xml php-mbstring php-gd php-intl php-zip php-mysql)
  fi
  command -v unzip >/dev/null || pkgs+=(unzip)
  command -v curl >/dev/null || pkgs+=(curl)
  [ -f /etc/ssl/certs/ca-certificates.crt ] || pkgs+=(ca-certificates)
  command -v flock >/dev/null && command -v setsid >/dev/null || pkgs+=(util-linux)
  if [ "${E2E:-}" = 1 ]; then command -v chromium >/dev/null || pkgs+=(chromium); fi
  if [ "${PHPUNIT:-}" = 1 ]; then command -v phpunit >/dev/null || pkgs+=(phpunit); fi
  local want_services=""
  if [ "$WP_DB" = mariadb ] && ! mariadbd_bin >/dev/null; then pkgs+=(mariadb-server mariadb-client); want_services=1; fi
  if [ "$WP_SERVER" != php ]; then
    # Their packages would start system services: the policy below keeps them off, we run private servers.
    fpm_bin >/dev/null || { pkgs+=("php${pv:-}-fpm"); want_services=1; }
    if [ "$WP_SERVER" = nginx ]; then command -v nginx >/dev/null || { pkgs+=(nginx); want_services=1; }; fi
    if [ "$WP_SERVER" = apache ]; then [ -x /usr/sbin/apache2 ] || { pkgs+=(apache2); want_services=1; }; fi
  fi
  # shellcheck disable=SC2207
  pkgs=($(printf '%s\n' "${pkgs[@]}" | awk 'NF && !seen[$0]++'))
  if [ ${#pkgs[@]} -eq 0 ]; then [ "${1:-}" = quiet ] || say "deps: all present"; return 0; fi

  say "deps: installing ${pkgs[*]} (apt-get)"
  mkdir -p "$IGNY8_HOME"
  local log="$IGNY8_HOME/apt.log"
  exec 8>"$IGNY8_HOME/.deps.lock"; flock -w 900 8 || die "deps: another install holds $IGNY8_HOME/.deps.lock"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  # The system services of MariaDB, nginx, Apache and PHP-FPM must not be started by the postinst: we run private servers.
  local policy_created=""
  if [ -n "$want_services" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    policy_created=1
  fi
  local rc=0
  { as_root "${apt[@]}" update && as_root "${apt[@]}" install --no-install-recommends "${pkgs[@]}"; } >"$log" 2>&1 || rc=$?
  [ -z "$policy_created" ] || as_root rm -f /usr/sbin/policy-rc.d
  if [ $rc -ne 0 ]; then
    tail -n 25 "$log" >&2
    die "deps: apt-get failed (exit $rc) installing: ${pkgs[*]} (full log: $log)"
  fi
  if [ -z "$pv" ]; then   # PHP was just installed: opcache is a separate package of the same version
    pv=$(php -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;')
    if ! has_opcache php; then
      as_root "${apt[@]}" install --no-install-recommends "php$pv-opcache" >>"$log" 2>&1 \
        || say "deps: php$pv-opcache not installed (optional; see $log)"
    fi
  fi
  flock -u 8
  say "deps: installed in $(secs_since "$t") s"
}

mariadbd_bin() {
  local b
  for b in "$(command -v mariadbd || true)" /usr/sbin/mariadbd "$(command -v mysqld || true)" /usr/sbin/mysqld; do
    [ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
  done
  return 1
}
need_cmd() { command -v "$1" >/dev/null || die "'$1' is missing; run: bash scripts/wp-runtime.sh deps"; }

# ---------------------------------------------------------------------------------------------------- build

core_ready() { [ -f "$CORE/wp-includes/version.php" ]; }
wp_version_of() { sed -n "s/.*\$wp_version = '\([^']*\)'.*/\1/p" "$1/wp-includes/version.php" 2>/dev/null | head -n1; }

# npm pack SPEC into DEST_FILE (atomically), run outside the repo so no workspace config is involved.
npm_pack_to() {
  local spec=$1 dest=$2 tmp f
  need_cmd npm
  tmp=$(mktemp -d)
  ( cd "$tmp" && npm pack --silent --ignore-scripts --no-audit --no-fund --loglevel=error "$spec" >/dev/null ) \
    || { rm -rf "$tmp"; die "build: 'npm pack $spec' failed (is the npm registry reachable?)"; }
  f=$(ls "$tmp"/*.tgz 2>/dev/null | head -n1)
  [ -n "$f" ] || { rm -rf "$tmp"; die "build: 'npm pack $spec' produced no tarball"; }
  mkdir -p "$(dirname "$dest")"
  cp "$f" "$dest.part.$$" && mv -f "$dest.part.$$" "$dest"
  rm -rf "$tmp"
}

build_core_debian() {   # $1 = work dir; WordPress 6.1.x from Debian's .debs (no apache, no dpkg -i)
  local w=$1 debs=(wordpress wordpress-theme-twentytwentythree wordpress-theme-twentytwentyone libjs-underscore libjs-cropper php-getid3)
  if ! apt-cache show wordpress >/dev/null 2>&1; then
    say "build: apt lists have no 'wordpress' package; running apt-get update"
    as_root apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null || die "build: apt-get update failed"
  fi
  mkdir -p "$w/debs"
  ( cd "$w/debs" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "${debs[@]}" >"$w/apt-download.log" 2>&1 ) \
    || { tail -n 20 "$w/apt-download.log" >&2; die "build: apt-get download ${debs[*]} failed"; }
  local d; for d in "$w"/debs/*.deb; do dpkg-deb -x "$d" "$w/root"; done
  # Debian's own config loader, .htaccess and CA bundle are symlinks into /etc: drop them before copying.
  rm -f "$w/root/usr/share/wordpress/wp-config.php" "$w/root/usr/share/wordpress/.htaccess" \
        "$w/root/usr/share/wordpress/wp-includes/certificates/ca-bundle.crt"
  mkdir -p "$w/core"
  cp -rL "$w/root/usr/share/wordpress/." "$w/core/"   # the other symlinks are relative, into the extracted debs
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$w/core/wp-includes/certificates/ca-bundle.crt"
  fi
}

build_core_npm() {   # $1 = work dir; Playground's builds: comment-stripped PHP in a zip + static assets in public/
  local w=$1 tgz="$DIST/npm/wp-playground-wordpress-builds-0.9.19.tgz"
  if [ ! -f "$tgz" ]; then
    say "build: fetching $WP_BUILDS_PKG (about 160 MB, once)"
    npm_pack_to "$WP_BUILDS_PKG" "$tgz"
  fi
  tar -xzf "$tgz" -C "$w" "package/src/wordpress/$NPM_WP_NAME.zip" "package/public/$NPM_WP_NAME" \
    || die "build: $tgz has no $NPM_WP_NAME.zip / public/$NPM_WP_NAME (corrupt download? delete it and retry)"
  unzip -q "$w/package/src/wordpress/$NPM_WP_NAME.zip" -d "$w/core"
  cp -rn "$w/package/public/$NPM_WP_NAME/." "$w/core/"   # JS/CSS/images stripped from the zip
  rm -rf "$w/core/wp-config.php" "$w/core/wordpress-remote-asset-paths" "$w/core/wp-content/database"
}

build() {
  local t; t=$(now_ns)
  if core_ready && [ -f "$SQLITE_ZIP" ]; then return 0; fi
  mkdir -p "$DIST"
  exec 7>"$DIST/.build.lock"
  flock -w 900 7 || die "build: another build holds $DIST/.build.lock for more than 900 s"
  if core_ready && [ -f "$SQLITE_ZIP" ]; then flock -u 7; return 0; fi   # built meanwhile by someone else
  rm -rf "$DIST"/.tmp.*
  if [ ! -f "$SQLITE_ZIP" ]; then
    local w; w=$(mktemp -d "$DIST/.tmp.XXXXXX")
    npm_pack_to "$SQLITE_PKG" "$w/cli.tgz"
    tar -xzf "$w/cli.tgz" -C "$w" package/sqlite-database-integration.zip \
      || die "build: $SQLITE_PKG has no sqlite-database-integration.zip"
    mv -f "$w/package/sqlite-database-integration.zip" "$SQLITE_ZIP"
    rm -rf "$w"
  fi
  if ! core_ready; then
    need_cmd unzip
    local w; w=$(mktemp -d "$DIST/.tmp.XXXXXX"); chmod 755 "$w"
    if [ "$CORE_SRC" = debian ]; then build_core_debian "$w"; else build_core_npm "$w"; fi
    [ -f "$w/core/wp-includes/version.php" ] || die "build: no wp-includes/version.php in the built core"
    rm -rf "$CORE"; mv "$w/core" "$CORE"; rm -rf "$w"
    say "build: WordPress $(wp_version_of "$CORE") core cached in $CORE ($(secs_since "$t") s)"
  fi
  flock -u 7
}

# ---------------------------------------------------------------------------------------------------- setup

ensure_secret() {   # 32 random bytes, base64url without padding, 0600; kept across setups of the instance
  if [ "$WP_SIDECAR" = hosted ]; then rm -f "$SECRET_FILE"; return 0; fi   # the enrolment generates the site's secret
  [ -s "$SECRET_FILE" ] && return 0
  ( umask 077
    head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=\n' > "$SECRET_FILE.tmp.$$"
    mv -f "$SECRET_FILE.tmp.$$" "$SECRET_FILE" )
  chmod 600 "$SECRET_FILE"
}

# The port-dependent constants, rewritten by setup and on every start (wp-config.php require_once's it).
write_env_php() {
  local tmp="$ENV_PHP.tmp.$$"
  {
    echo "<?php"
    echo "// Generated by scripts/wp-runtime.sh on every start: do not edit (your changes would be overwritten)."
    echo "define( 'WP_HOME', $(php_str "$WP_URL") );"
    echo "define( 'WP_SITEURL', $(php_str "$WP_URL") );"
    [ "$WP_SIDECAR" = hosted ] || echo "define( 'IGNY8_SIDECAR_URL', $(php_str "$IGNY8_SIDECAR_URL") );"
    echo "define( 'IGNY8_IMAGE_HOST_ALLOWLIST', $(php_str "$IGNY8_IMAGE_HOST_ALLOWLIST") );"
    [ -z "${IGNY8_TRUSTED_PROXIES:-}" ] || echo "define( 'IGNY8_TRUSTED_PROXIES', $(php_str "$IGNY8_TRUSTED_PROXIES") );"
    [ "$WP_DB" != mariadb ] || echo "define( 'DB_HOST', $(php_str "127.0.0.1:$MARIADB_PORT") );"
  } > "$tmp"
  mv -f "$tmp" "$ENV_PHP"
}

write_wp_config() {   # $1 = DB settings (PHP)
  local salts
  salts=$(php -r 'foreach (["AUTH_KEY","SECURE_AUTH_KEY","LOGGED_IN_KEY","NONCE_KEY","AUTH_SALT","SECURE_AUTH_SALT","LOGGED_IN_SALT","NONCE_SALT"] as $k) { echo "define( \x27$k\x27, \x27" . bin2hex(random_bytes(32)) . "\x27 );\n"; }')
  cat > "$SITE/wp-config.php" <<EOF
<?php
/**
 * Generated by scripts/wp-runtime.sh setup. Instance dir: dirname( __DIR__ ).
 * WP_HOME / WP_SITEURL / IGNY8_SIDECAR_URL / IGNY8_IMAGE_HOST_ALLOWLIST (and DB_HOST for MariaDB) live in
 * ../igny8-env.php, rewritten on every start from WP_PORT, SIDECAR_PORT, IGNY8_SIDECAR_URL, ...
 */
require_once dirname( __DIR__ ) . '/igny8-env.php';

$1
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
\$table_prefix = 'wp_';

$salts

define( 'WP_ENVIRONMENT_TYPE', 'local' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', true );
define( 'WP_DEBUG_DISPLAY', false );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', 'localhost,127.0.0.1' );

// Shim <-> sidecar secret: read at runtime from the 0600 file the sidecar also reads (IGNY8_SIDECAR_SECRET_FILE).
if ( ! defined( 'IGNY8_SIDECAR_SECRET' ) && is_readable( dirname( __DIR__ ) . '/sidecar.secret' ) ) {
	define( 'IGNY8_SIDECAR_SECRET', trim( (string) file_get_contents( dirname( __DIR__ ) . '/sidecar.secret' ) ) );
}

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
EOF
}

wp_cli() { php -d memory_limit=256M -d max_execution_time=0 "$ASSETS/cli.php" "$SITE" "$@"; }

link_plugin() {   # $1 = source dir, $2 = name under wp-content/plugins
  local src=$1 name=$2
  [ -d "$src" ] || die "setup: plugin dir '$src' does not exist"
  src="$(cd "$src" && pwd -P)"
  [ ! -e "$SITE/wp-content/plugins/$name" ] || die "setup: wp-content/plugins/$name already exists (duplicate plugin name?)"
  ln -s "$src" "$SITE/wp-content/plugins/$name"
}

setup() {
  local t; t=$(now_ns)
  core_ready && [ -f "$SQLITE_ZIP" ] || build
  need_cmd php
  stop_servers quiet
  rm -rf "$SITE" "$STATE/.installed"
  mkdir -p "$STATE"
  touch "$STATE/.igny8-instance"
  cp -a "$CORE" "$SITE"
  mkdir -p "$SITE/wp-content/mu-plugins" "$SITE/wp-content/uploads"
  cp "$ASSETS/mu-dev-env.php" "$SITE/wp-content/mu-plugins/00-igny8-dev-env.php"
  cp "$ASSETS/router.php" "$STATE/router.php"
  ensure_secret

  local db_php
  if [ "$WP_DB" = sqlite ]; then
    local plug="$SITE/wp-content/plugins/sqlite-database-integration"
    unzip -q "$SQLITE_ZIP" -d "$SITE/wp-content/plugins"
    mv "$SITE/wp-content/plugins/plugin-sqlite-database-integration" "$plug"
    # Plugin 3.x needs WP 6.4+. Cores without wpdb::$allow_unsafe_unquoted_parameters (6.1) read the
    # plugin's private copy through wpdb::__get() and die; WordPress Playground applies the same patch.
    if ! grep -qsE '^\s*(private|protected|public) \$allow_unsafe_unquoted_parameters' "$SITE"/wp-includes/*wpdb*.php; then
      sed -i 's/private \$allow_unsafe_unquoted_parameters/protected $allow_unsafe_unquoted_parameters/' \
        "$plug/wp-includes/sqlite/class-wp-sqlite-db.php"
    fi
    sed -e "s#{SQLITE_IMPLEMENTATION_FOLDER_PATH}#$plug#" -e "s#{SQLITE_PLUGIN}#sqlite-database-integration/load.php#" \
      "$plug/db.copy" > "$SITE/wp-content/db.php"
    db_php="define( 'DB_DIR', __DIR__ . '/wp-content/database/' );
define( 'DB_FILE', '.ht.sqlite' );
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', '' );
define( 'DB_PASSWORD', '' );
if ( ! defined( 'DB_HOST' ) ) {
	define( 'DB_HOST', '' );
}"
  else
    local pw; pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    mariadb_init
    mariadb_start
    mariadb_sql "CREATE DATABASE wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
      CREATE USER 'wordpress'@'127.0.0.1' IDENTIFIED BY '$pw';
      CREATE USER 'wordpress'@'localhost' IDENTIFIED BY '$pw';
      GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'127.0.0.1';
      GRANT ALL PRIVILEGES ON wordpress.* TO 'wordpress'@'localhost';"
    db_php="define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wordpress' );
define( 'DB_PASSWORD', '$pw' );"
  fi
  write_env_php
  write_wp_config "$db_php"

  wp_cli install || die "setup: the WordPress install failed (debug log: $DEBUG_LOG)"

  local activate=() d name
  if [ -n "$PLUGIN_ZIP" ]; then   # installed the way Upload Plugin does it: a real folder, not a symlink
    [ -f "$PLUGIN_ZIP" ] || die "setup: PLUGIN_ZIP '$PLUGIN_ZIP' does not exist"
    unzip -q "$PLUGIN_ZIP" -d "$SITE/wp-content/plugins"
    [ -f "$SITE/wp-content/plugins/$PLUGIN_SLUG/$PLUGIN_SLUG.php" ] || die "setup: $PLUGIN_ZIP has no $PLUGIN_SLUG/$PLUGIN_SLUG.php"
    activate+=("$PLUGIN_SLUG")
  elif [ "$PLUGIN_DIR" != none ]; then
    [ -f "$PLUGIN_DIR/$PLUGIN_SLUG.php" ] || die "setup: $PLUGIN_DIR/$PLUGIN_SLUG.php not found (PLUGIN_DIR=$PLUGIN_DIR); cannot activate the plugin"
    link_plugin "$PLUGIN_DIR" "$PLUGIN_SLUG"; activate+=("$PLUGIN_SLUG")
  fi
  for d in $EXTRA_PLUGIN_DIRS; do
    name=$(basename "$d")
    link_plugin "$d" "$name"; activate+=("$name")
  done
  if [ ${#activate[@]} -gt 0 ]; then
    wp_cli activate "${activate[@]}" || die "setup: plugin activation failed (see above; debug log: $DEBUG_LOG)"
  fi
  touch "$STATE/.installed"
  say "setup: fresh site in $SITE ($(secs_since "$t") s)"
}

# ensure on an existing site: link (and activate) plugins that are not there yet, re-point moved ones.
sync_plugins() {
  local activate=() d name src cur
  local pairs=()
  [ "$PLUGIN_DIR" = none ] || [ -n "$PLUGIN_ZIP" ] || pairs+=("$PLUGIN_DIR|$PLUGIN_SLUG")
  for d in $EXTRA_PLUGIN_DIRS; do pairs+=("$d|$(basename "$d")"); done
  for d in "${pairs[@]}"; do
    src=${d%|*}; name=${d##*|}
    [ -d "$src" ] || die "plugin dir '$src' does not exist"
    src="$(cd "$src" && pwd -P)"
    if [ -L "$SITE/wp-content/plugins/$name" ]; then
      cur=$(readlink "$SITE/wp-content/plugins/$name")
      [ "$cur" = "$src" ] || ln -sfn "$src" "$SITE/wp-content/plugins/$name"
    elif [ ! -e "$SITE/wp-content/plugins/$name" ]; then
      link_plugin "$src" "$name"; activate+=("$name")
    fi
  done
  if [ ${#activate[@]} -gt 0 ]; then
    wp_cli activate "${activate[@]}" || die "plugin activation failed (see above; debug log: $DEBUG_LOG)"
  fi
}

site_ready() { [ -f "$STATE/.installed" ] && [ -f "$SITE/wp-config.php" ]; }

# ------------------------------------------------------------------------------------------- process groups

# The pids whose process group is $1 (pure bash over /proc: no procps needed, and no child processes).
group_pids() {
  local f line a
  for f in /proc/[0-9]*/stat; do
    { read -r line < "$f"; } 2>/dev/null || continue
    read -r -a a <<< "${line##*) }"          # state ppid pgrp ...
    [ "${a[2]:-}" = "$1" ] && [ "${a[0]}" != Z ] && { f=${f#/proc/}; echo "${f%/stat}"; }
  done
  return 0
}
# Sets REPLY to the command line of pid $1, arguments joined by spaces (with a trailing space).
read_cmdline() {
  local -a a=()
  { mapfile -d '' -t a < "/proc/$1/cmdline"; } 2>/dev/null || return 1
  [ ${#a[@]} -gt 0 ] || return 1
  printf -v REPLY '%s ' "${a[@]}"
}
cmdline_has() { read_cmdline "$1" && [[ "$REPLY" == *"$2"* ]]; }
# The pids whose command line contains $1 (finds an instance's servers even without a pgid file).
pids_matching() {
  local f pid word longest="" words=()
  # Only the processes whose command line holds the marker's longest word (one grep over /proc instead of reading
  # every command line in bash: ~0.1 s less per call on a busy machine, and start calls it five times).
  read -r -a words <<< "$1"
  for word in "${words[@]}"; do [ ${#word} -le ${#longest} ] || longest=$word; done
  for f in $(grep -lsaF -- "$longest" /proc/[0-9]*/cmdline || true); do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
    cmdline_has "$pid" "$1" && echo "$pid"
  done
  return 0
}

# kill_instance_procs PGID_FILE MARKER TIMEOUT_S [whole]: TERM the recorded group (if its processes carry MARKER
# in their command line) and any stray process carrying MARKER, wait, then KILL what is left. With `whole`, every
# process of the recorded group goes as soon as one of them carries MARKER (nginx and PHP-FPM rename their workers).
kill_instance_procs() {
  local pgid_file=$1 marker=$2 timeout=$3 whole=${4:-} pids=() members=() ours="" p pgid i
  if [ -f "$pgid_file" ]; then
    pgid=$(cat "$pgid_file" 2>/dev/null || true)
    if is_uint "${pgid:-}"; then
      for p in $(group_pids "$pgid"); do
        members+=("$p")
        if cmdline_has "$p" "$marker"; then pids+=("$p"); ours=1; fi
      done
      [ -z "$whole" ] || [ -z "$ours" ] || pids=("${members[@]}")
    fi
  fi
  for p in $(pids_matching "$marker"); do pids+=("$p"); done
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      local alive=()
      for p in "${pids[@]}"; do proc_alive "$p" && alive+=("$p"); done
      [ ${#alive[@]} -eq 0 ] && break
      sleep 0.1
    done
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  fi
  rm -f "$pgid_file"
}

proc_alive() { local line a; { read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1; read -r -a a <<< "${line##*) }"; [ "${a[0]}" != Z ]; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Run "$@" detached in its own session / process group (setsid), recording the group id in $1.
spawn_group() {
  local pgid_file=$1 log=$2; shift 2
  rm -f "$pgid_file"
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pgid_file" "$@" </dev/null >>"$log" 2>&1 7>&- 8>&- 9>&- &
  local i; for ((i = 0; i < 50; i++)); do [ -s "$pgid_file" ] && return 0; sleep 0.02; done
  die "could not start $1"
}

# ---------------------------------------------------------------------------------------------------- MariaDB

php_marker() { echo "-t $SITE "; }            # unique to this instance's php -S command line
mysql_marker() { echo "--datadir=$MYSQL_DATA "; }

mariadb_sql() { mariadb --no-defaults --socket="$MYSQL_SOCK" -u "$(id -un)" -e "$1"; }

mariadb_init() {
  need_cmd mariadb-install-db
  mariadbd_bin >/dev/null || die "mariadbd is missing; run: WP_DB=mariadb bash scripts/wp-runtime.sh deps"
  rm -rf "$MYSQL_DATA"; mkdir -p "$MYSQL_DATA"
  local user_opt=(); [ "$(id -u)" != 0 ] || user_opt=(--user=root)
  mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$MYSQL_DATA" \
      --auth-root-authentication-method=socket --auth-root-socket-user="$(id -un)" \
      --skip-test-db --skip-name-resolve >"$STATE/mysql-install.log" 2>&1 \
    || { tail -n 20 "$STATE/mysql-install.log" >&2; die "mariadb-install-db failed (log: $STATE/mysql-install.log)"; }
}

mariadb_running() { [ -n "$(pids_matching "$(mysql_marker)")" ]; }

mariadb_start() {
  [ -d "$MYSQL_DATA/mysql" ] || die "no MariaDB data dir in $MYSQL_DATA; run setup first"
  local same_port=""; [ "$(cat "$STATE/mysqld.port" 2>/dev/null || true)" != "$MARIADB_PORT" ] || same_port=1
  if mariadb_running; then
    if [ -n "$same_port" ] && mariadb-admin --no-defaults --socket="$MYSQL_SOCK" -u "$(id -un)" ping >/dev/null 2>&1; then
      return 0
    fi
    [ -n "$same_port" ] || ! port_in_use "$MARIADB_PORT" || die "MariaDB port $MARIADB_PORT is already in use (set MARIADB_PORT)"
    mariadb_stop
  fi
  ! port_in_use "$MARIADB_PORT" || die "MariaDB port $MARIADB_PORT is already in use (set MARIADB_PORT)"
  local t bin user_opt=(); t=$(now_ns); bin=$(mariadbd_bin)
  [ "$(id -u)" != 0 ] || user_opt=(--user=root)
  : > "$MYSQL_LOG"
  echo "$MARIADB_PORT" > "$STATE/mysqld.port"
  spawn_group "$MYSQL_PGID" "$MYSQL_LOG" "$bin" --no-defaults "${user_opt[@]}" --datadir="$MYSQL_DATA" \
    --socket="$MYSQL_SOCK" --port="$MARIADB_PORT" --bind-address=127.0.0.1 --skip-networking=0 \
    --pid-file="$STATE/mysqld.pid" --log-error="$MYSQL_LOG" --tmpdir="${TMPDIR:-/tmp}" \
    --default-storage-engine=InnoDB --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --skip-name-resolve --skip-log-bin --performance-schema=OFF --innodb-buffer-pool-size=128M \
    --innodb-flush-log-at-trx-commit=2 --max-connections=200
  local i
  for ((i = 0; i < 300; i++)); do
    if mariadb-admin --no-defaults --socket="$MYSQL_SOCK" -u "$(id -un)" ping >/dev/null 2>&1; then
      say "MariaDB on 127.0.0.1:$MARIADB_PORT ($(secs_since "$t") s)"
      return 0
    fi
    [ -n "$(group_pids "$(cat "$MYSQL_PGID")")" ] || break
    sleep 0.1
  done
  tail -n 20 "$MYSQL_LOG" >&2
  mariadb_stop
  die "MariaDB did not start on port $MARIADB_PORT (log: $MYSQL_LOG)"
}

mariadb_stop() { kill_instance_procs "$MYSQL_PGID" "$(mysql_marker)" 60; rm -f "$STATE/mysqld.port"; }

# ------------------------------------------------------------------------------- PHP-FPM, nginx, Apache

fpm_bin() {
  local pv b
  pv=$(php -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;' 2>/dev/null || true)
  for b in ${pv:+"/usr/sbin/php-fpm$pv"} "$(command -v "php-fpm$pv" || true)" "$(command -v php-fpm || true)"; do
    [ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
  done
  return 1
}

# Whether PHP binary $1 has OPcache. Not `php -m | grep -q`: under pipefail grep's early exit made php die of SIGPIPE
# about half the time, so the servers ran without OPcache at random (5 of 10 checks said no on 2026-12-06).
has_opcache() {
  local mods; mods=$("$1" -m 2>/dev/null) || return 1
  [[ "${mods,,}" == *$'\nzend opcache'* ]]
}

# The php.ini settings of every server shape (php -S and PHP-FPM get the same ones, as -d flags) in PHP_OPTS.
php_ini_opts() {
  PHP_OPTS=(-d memory_limit=256M -d upload_max_filesize=64M -d post_max_size=64M -d max_execution_time=120
            -d max_input_time=120 -d display_errors=0 -d log_errors=1)
  if has_opcache "${1:-php}"; then
    PHP_OPTS+=(-d opcache.enable=1 -d opcache.validate_timestamps=1 -d opcache.revalidate_freq=0
               -d opcache.memory_consumption=128 -d opcache.max_accelerated_files=20000
               -d opcache.blacklist_filename="$(opcache_blacklist)")
  fi
}

# igny8-env.php is never cached by opcache (shared memory or file cache): tests rewrite it while the servers run
# (e2e/support/hosted-switch.ts), and a web request of the CI run at 86cc74f still ran the version from before a
# rewrite that the CLI already saw (hosted-https.spec: a publish over TLS with the CA just removed). A few lines,
# compiled per request: nothing measurable, the same for the plugin and the bench's baseline.
opcache_blacklist() {
  local list="$STATE/opcache-blacklist.txt"
  mkdir -p "$STATE"
  realpath -m "$ENV_PHP" > "$list"
  echo "$list"
}

fpm_marker() { echo "($FPM_CONF)"; }            # the master's title: "php-fpm: master process (<conf>)"
web_marker() { echo "$WEB_CONF "; }             # nginx -c <conf> -e ... / apache2 -f <conf> -DFOREGROUND

fpm_stop() { kill_instance_procs "$FPM_PGID" "$(fpm_marker)" 10 whole; }
web_stop() { kill_instance_procs "$WEB_PGID" "$(web_marker)" 10 whole; }
web_running() {
  if [ "$WP_SERVER" = php ]; then [ -n "$(pids_matching "$(php_marker)")" ]; else [ -n "$(pids_matching "$(web_marker)")" ]; fi
}

write_fpm_conf() {
  local user_lines=""
  [ "$(id -u)" != 0 ] || user_lines=$'user = root\ngroup = root'
  cat > "$FPM_CONF" <<EOF
; Generated by scripts/wp-runtime.sh start (WP_SERVER=$WP_SERVER): a private PHP-FPM, never the system service.
[global]
pid = $STATE/php-fpm.pid
error_log = $FPM_LOG
daemonize = no

[igny8]
$user_lines
listen = 127.0.0.1:$FPM_PORT
listen.allowed_clients = 127.0.0.1
pm = static
pm.max_children = $WP_WORKERS
catch_workers_output = yes
decorate_workers_output = no
EOF
}

write_nginx_conf() {
  mkdir -p "$STATE/nginx"
  local user_line=""; [ "$(id -u)" != 0 ] || user_line='user root root;'
  grep -v '^[[:space:]]*fastcgi_param[[:space:]]\+HTTP_HOST[[:space:]]' /etc/nginx/fastcgi_params > "$STATE/nginx/fastcgi_params"
  cat > "$WEB_CONF" <<EOF
# Generated by scripts/wp-runtime.sh start (WP_SERVER=nginx): the usual WordPress server block, private paths.
$user_line
worker_processes 2;
daemon off;
pid $STATE/nginx.pid;
error_log $WEB_LOG warn;
events { worker_connections 512; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $STATE/nginx-access.log;
  client_body_temp_path $STATE/nginx/body;
  proxy_temp_path $STATE/nginx/proxy;
  fastcgi_temp_path $STATE/nginx/fastcgi;
  uwsgi_temp_path $STATE/nginx/uwsgi;
  scgi_temp_path $STATE/nginx/scgi;
  client_max_body_size 64m;
  # 16k rather than the default 8k: the hostile specs' 10 KB API key must reach PHP (the 64 KB header is still nginx's 400).
  large_client_header_buffers 4 16k;
  sendfile on;
  server {
    listen 127.0.0.1:$WP_PORT;
    server_name 127.0.0.1;
    root $SITE;
    index index.php;
    # Dot-files on disk (the SQLite database wp-content/database/.ht.sqlite, .htaccess) are never served; a
    # virtual path with a dot segment still reaches WordPress.
    location ~ /\. {
      if (-e \$request_filename) { return 403; }
      try_files /.igny8-nonexistent /index.php?\$args;
    }
    location / { try_files \$uri \$uri/ /index.php?\$args; }
    location ~ \.php\$ {
      try_files \$uri =404;
      include $STATE/nginx/fastcgi_params;
      # Debian's fastcgi_params (security update) pass HTTP_HOST as \$host, without the port: on a port other
      # than 80/443 WordPress then redirects every front-end URL to itself. This server listens on one port only.
      fastcgi_param HTTP_HOST \$host:\$server_port;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_param HTTP_PROXY "";
      fastcgi_read_timeout 180s;
      fastcgi_pass 127.0.0.1:$FPM_PORT;
    }
  }
}
EOF
}

# The shared-hosting shape: Apache 2.4 (event MPM), PHP through mod_proxy_fcgi, WordPress's rules in .htaccess.
write_apache_conf() {
  local m mods=(mpm_event authz_core authz_host dir mime rewrite setenvif env headers alias proxy proxy_fcgi)
  mkdir -p "$STATE/apache-run"
  {
    echo "# Generated by scripts/wp-runtime.sh start (WP_SERVER=apache): private config, never the system service."
    echo "ServerRoot \"$STATE\""
    for m in "${mods[@]}"; do echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"; done
    [ "$(id -u)" != 0 ] || printf 'User www-data\nGroup www-data\n'
    cat <<EOF
Listen 127.0.0.1:$WP_PORT
ServerName 127.0.0.1
PidFile $STATE/apache.pid
DefaultRuntimeDir $STATE/apache-run
Mutex file:$STATE/apache-run default
ErrorLog $WEB_LOG
LogLevel warn
LogFormat "%h %l %u %t \"%r\" %>s %b %D" timed
CustomLog $STATE/apache-access.log timed
TypesConfig /etc/mime.types
StartServers 1
ServerLimit 4
ThreadsPerChild 16
MaxRequestWorkers 64
MinSpareThreads 8
MaxSpareThreads 32
Timeout 180
# As nginx's 16k header buffers: the hostile specs' 10 KB API key must reach PHP (64 KB is still Apache's own 400).
LimitRequestFieldSize 16384
DocumentRoot "$SITE"
DirectoryIndex index.php index.html
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory "$SITE">
  Options FollowSymLinks
  AllowOverride All
  Require all granted
</Directory>
<Directory "$ROOT">
  Options FollowSymLinks
  AllowOverride None
  Require all granted
</Directory>
<FilesMatch "^\.ht">
  Require all denied
</FilesMatch>
<FilesMatch "\.php\$">
  SetHandler "proxy:fcgi://127.0.0.1:$FPM_PORT"
</FilesMatch>
EOF
  } > "$WEB_CONF"
}

# WordPress's pretty-permalink rules the way many shared hosts' .htaccess carries them (no RewriteRule that passes
# Authorization on), plus the documented SetEnvIf line as the first line: the configured site. Without that line
# Apache + PHP-FPM drops Authorization; e2e/integration/api-key-auth.spec.ts takes it out to show that, and the
# plugin's notice, and puts it back.
write_htaccess() {
  [ -f "$SITE/.htaccess" ] && return 0
  cat > "$SITE/.htaccess" <<'EOF'
SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1
# BEGIN WordPress
<IfModule mod_rewrite.c>
RewriteEngine On
RewriteBase /
RewriteRule ^index\.php$ - [L]
RewriteCond %{REQUEST_FILENAME} !-f
RewriteCond %{REQUEST_FILENAME} !-d
RewriteRule . /index.php [L]
</IfModule>
# END WordPress
EOF
}

fpm_start() {
  local bin; bin=$(fpm_bin) || die "php-fpm is missing; run: WP_SERVER=$WP_SERVER bash scripts/wp-runtime.sh deps"
  fpm_stop
  ! port_in_use "$FPM_PORT" || die "PHP-FPM port $FPM_PORT is already in use (set FPM_PORT)"
  write_fpm_conf
  php_ini_opts "$bin"
  local root_opt=(); [ "$(id -u)" != 0 ] || root_opt=(--allow-to-run-as-root)
  : > "$FPM_LOG"
  spawn_group "$FPM_PGID" "$FPM_LOG" "$bin" --nodaemonize "${root_opt[@]}" --fpm-config "$FPM_CONF" "${PHP_OPTS[@]}"
  local i
  for ((i = 0; i < 100; i++)); do
    port_in_use "$FPM_PORT" && return 0
    [ -n "$(group_pids "$(cat "$FPM_PGID")")" ] || break
    sleep 0.1
  done
  tail -n 20 "$FPM_LOG" >&2
  fpm_stop
  die "PHP-FPM did not listen on 127.0.0.1:$FPM_PORT (log: $FPM_LOG)"
}

web_start() {
  web_stop
  : > "$WEB_LOG"
  if [ "$WP_SERVER" = nginx ]; then
    need_cmd nginx
    write_nginx_conf
    spawn_group "$WEB_PGID" "$WEB_LOG" nginx -c "$WEB_CONF" -e "$WEB_LOG" -p "$STATE/nginx/"
  else
    [ -x /usr/sbin/apache2 ] || die "apache2 is missing; run: WP_SERVER=apache bash scripts/wp-runtime.sh deps"
    write_apache_conf
    write_htaccess
    # Under root Apache serves as www-data: every directory above the site must let it through.
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null \
       && ! setpriv --reuid=www-data --regid=www-data --clear-groups test -r "$SITE/index.php" 2>/dev/null; then
      die "Apache runs as www-data, which cannot read $SITE/index.php: set WP_STATE_DIR to a directory www-data can reach (e.g. under /tmp)"
    fi
    spawn_group "$WEB_PGID" "$WEB_LOG" /usr/sbin/apache2 -f "$WEB_CONF" -DFOREGROUND
  fi
}

# ------------------------------------------------------------------------------------------ start / stop

php_server_stop() { kill_instance_procs "$PHP_PGID" "$(php_marker)" 5; }

web_stop_all() {   # whatever shape served this instance last
  php_server_stop
  WEB_CONF="$STATE/nginx.conf" WEB_PGID="$STATE/nginx.pgid" web_stop
  WEB_CONF="$STATE/apache.conf" WEB_PGID="$STATE/apache.pgid" web_stop
  fpm_stop
}

stop_servers() {
  [ -d "$STATE" ] || return 0
  web_stop_all
  mariadb_stop
  [ "${1:-}" = quiet ] || say "stopped $STATE"
}

start() {
  site_ready || die "no installed site in $STATE; run: bash scripts/wp-runtime.sh ensure (or setup)"
  need_cmd php; need_cmd curl
  if port_in_use "$WP_PORT" && ! { [ "$(cat "$STATE/wp.port" 2>/dev/null || true)" = "$WP_PORT" ] && web_running; }; then
    die "port $WP_PORT is already in use by another process (set WP_PORT)"
  fi
  web_stop_all
  ! port_in_use "$WP_PORT" || die "port $WP_PORT is still in use after stopping this instance's server"
  [ "$WP_DB" != mariadb ] || mariadb_start
  ensure_secret
  write_env_php
  cp "$ASSETS/router.php" "$STATE/router.php"
  echo "$WP_PORT" > "$STATE/wp.port"
  echo "$WP_SERVER" > "$STATE/wp.server"

  local t log pgid_file what
  t=$(now_ns)
  if [ "$WP_SERVER" = php ]; then
    php_ini_opts php
    if [ "${PHP_OPTS[*]}" != "${PHP_OPTS[*]/opcache.enable=1/}" ]; then
      # The compiled scripts also go to a file cache in the state folder: the first request after a restart loads
      # them instead of compiling WordPress again (a warm start's /wp-json/ probe: 1.3 s → 0.3 s at load average 8);
      # validate_timestamps still recompiles what changed.
      mkdir -p "$STATE/opcache"
      PHP_OPTS+=(-d opcache.enable_cli=1 -d opcache.file_cache="$STATE/opcache")
    fi
    : > "$PHP_LOG"
    # setsid: own process group, so stop kills the master *and* its forked workers.
    PHP_CLI_SERVER_WORKERS="$WP_WORKERS" spawn_group "$PHP_PGID" "$PHP_LOG" \
      php -S "127.0.0.1:$WP_PORT" "${PHP_OPTS[@]}" -t "$SITE" "$STATE/router.php"
    log=$PHP_LOG; pgid_file=$PHP_PGID; what="php -S 127.0.0.1:$WP_PORT up, $WP_WORKERS workers"
  else
    fpm_start
    web_start
    log=$WEB_LOG; pgid_file=$WEB_PGID
    what="$WP_SERVER on 127.0.0.1:$WP_PORT + PHP-FPM on 127.0.0.1:$FPM_PORT ($WP_WORKERS workers) up"
  fi
  local i code=000 pgid; pgid=$(cat "$pgid_file")
  for ((i = 0; i < 150; i++)); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$WP_URL/wp-json/" || true)
    [ "$code" = 200 ] && break
    [ -n "$(group_pids "$pgid")" ] || break
    sleep 0.1
  done
  if [ "$code" != 200 ]; then
    tail -n 20 "$log" >&2
    [ "$WP_SERVER" = php ] || { echo "--- $FPM_LOG (tail) ---" >&2; tail -n 10 "$FPM_LOG" >&2; }
    [ ! -s "$DEBUG_LOG" ] || { echo "--- $DEBUG_LOG (tail) ---" >&2; tail -n 10 "$DEBUG_LOG" >&2; }
    web_stop_all
    die "WordPress did not answer 200 on $WP_URL/wp-json/ (last HTTP status $code; log: $log)"
  fi
  say "$what, pgid $pgid ($(secs_since "$t") s)"
}

ready_line() {
  say "WordPress $(wp_version_of "$SITE") ($WP_DB) ready at $WP_URL in $(secs_since "$T0") s"
  say "  admin: $WP_URL/wp-admin/ (login admin, password \"password\")   state: $STATE"
}

# ----------------------------------------------------------------------------------------------- commands

info() {
  local url=$WP_URL running=no
  if [ -z "$WP_PORT_SET" ] && [ -f "$STATE/wp.port" ]; then url="http://127.0.0.1:$(cat "$STATE/wp.port")"; fi
  ! web_running || running=yes
  local ver; ver=$(wp_version_of "$SITE"); [ -n "$ver" ] || ver=$(wp_version_of "$CORE")
  cat <<EOF
WP_URL=$url
WP_VERSION=$ver
WP_DB=$WP_DB
STATE_DIR=$STATE
SITE_DIR=$SITE
SECRET_FILE=$SECRET_FILE
DEBUG_LOG=$DEBUG_LOG
WP_SERVER=$WP_SERVER
PHP_LOG=$( [ "$WP_SERVER" = php ] && echo "$PHP_LOG" || echo "$FPM_LOG" )
WP_ADMIN_USER=admin
WP_ADMIN_PASSWORD=password
IGNY8_SIDECAR_URL=$IGNY8_SIDECAR_URL
RUNNING=$running
EOF
  [ "$WP_DB" != mariadb ] || printf 'MARIADB_PORT=%s\nMARIADB_SOCKET=%s\nMARIADB_LOG=%s\n' \
    "$(cat "$STATE/mysqld.port" 2>/dev/null || echo "$MARIADB_PORT")" "$MYSQL_SOCK" "$MYSQL_LOG"
}

reset_guard() {   # never rm -rf a directory that is not an instance dir (WP_STATE_DIR=/ ...)
  [ -e "$STATE" ] && [ ! -e "$STATE/.igny8-instance" ] || return 0
  local f
  for f in "$STATE"/* "$STATE"/.[!.]* "$STATE"/..?*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    [ "$f" = "$STATE/.lock" ] || die "reset: $STATE does not look like a wp-runtime instance dir; not deleting it"
  done
}

reset() {
  stop_servers quiet
  rm -rf "$STATE"
  say "reset: deleted $STATE"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  deps) deps "${1:-}" ;;
  build) build; say "build: WordPress $(wp_version_of "$CORE") + SQLite drop-in cached in $DIST" ;;
  setup) lock_instance; setup ;;
  start) lock_instance; start; ready_line ;;
  stop) if [ -d "$STATE" ]; then lock_instance; stop_servers; else say "nothing to stop: no $STATE"; fi ;;
  reset) reset_guard; lock_instance; reset ;;
  ensure) [ "${IGNY8_DEPS_CHECKED:-}" = 1 ] || deps quiet; build; lock_instance; if site_ready; then sync_plugins; else setup; fi; start; ready_line ;;
  up) deps quiet; build; lock_instance; setup; start; ready_line ;;
  eval)
    [ $# -ge 1 ] || die "usage: bash scripts/wp-runtime.sh eval '<php code>'  (or - to read stdin)"
    site_ready || die "no installed site in $STATE; run setup / ensure first"
    [ -f "$ENV_PHP" ] || write_env_php
    [ "$WP_DB" != mariadb ] || mariadb_running || die "the MariaDB server of $STATE is not running; run: WP_DB=mariadb bash scripts/wp-runtime.sh start"
    # The web server's opcache file cache, read-only here: WordPress loads compiled (~0.1 s less CPU per eval).
    fc=(); [ ! -d "$STATE/opcache" ] || fc=(-d opcache.enable_cli=1 -d opcache.file_cache="$STATE/opcache" -d opcache.file_cache_only=1 -d opcache.blacklist_filename="$(opcache_blacklist)")
    exec php -d memory_limit=256M "${fc[@]}" "$ASSETS/cli.php" "$SITE" eval "$1" ;;
  wp)
    site_ready || die "no installed site in $STATE; run setup / ensure first"
    [ -f "$ENV_PHP" ] || write_env_php
    [ "$WP_DB" != mariadb ] || mariadb_running || die "the MariaDB server of $STATE is not running; run: WP_DB=mariadb bash scripts/wp-runtime.sh start"
    # wp-config.php reads the instance's constants itself (igny8-env.php: WP_HOME, DB_HOST, the sidecar URL).
    url="$(php -r 'require $argv[1]; echo WP_HOME;' "$ENV_PHP")"
    root=(); [ "$(id -u)" != 0 ] || root=(--allow-root)
    WP_CLI_CONFIG_PATH=/dev/null exec bash "$HERE/wp/wp-cli.sh" --path="$SITE" --url="$url" "${root[@]}" "$@" ;;
  phpunit)
    site_ready || die "no installed site in $STATE; run setup / ensure first"
    [ -f "$ENV_PHP" ] || write_env_php
    [ "$WP_DB" != mariadb ] || mariadb_running || die "the MariaDB server of $STATE is not running; run: WP_DB=mariadb bash scripts/wp-runtime.sh start"
    PHPUNIT=1 deps quiet
    IGNY8_WP_SITE="$SITE" exec php -d memory_limit=512M "$(command -v phpunit)" -c "$ROOT/plugin-php-shim/phpunit.xml.dist" "$@" ;;
  info) info ;;
  ""|-h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
  *) die "unknown command '$cmd' (deps|build|setup|start|stop|reset|ensure|up|eval|wp|phpunit|info)" ;;
esac
