#!/usr/bin/env bash
# Runtime smoke test of the PHP shim inside a real WordPress (scripts/wp-runtime.sh), with NO sidecar running:
# activation leaves no PHP error, the tables exist, every failure is the unified envelope with its contract status,
# /status degrades to 200, a valid key gets 503 SIDECAR_UNAVAILABLE fast, /wp/v2 meta_key lookups are bounded.
#
#   bash plugin-php-shim/tests/runtime-smoke.sh        (WP_VERSION=6.1|6.5, WP_DB=sqlite|mariadb, WP_PORT=8890)
#
# It starts a fresh instance under $IGNY8_HOME (default /tmp/igny8-shim-smoke) and stops it on exit.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export IGNY8_HOME="${IGNY8_HOME:-/tmp/igny8-shim-smoke}"
export WP_PORT="${WP_PORT:-8890}"
# Nothing listens here: the sidecar is "down" for the whole test.
export SIDECAR_PORT="${SMOKE_DEAD_PORT:-9}"
export IGNY8_SIDECAR_URL="http://127.0.0.1:$SIDECAR_PORT"
RUNTIME="$ROOT/scripts/wp-runtime.sh"
[ -f "$RUNTIME" ] || { echo "scripts/wp-runtime.sh is missing"; echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
ko() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1" "expected [$3], got [$2]"; fi; }
wpeval() { bash "$RUNTIME" eval "$1" 2>&1; }

trap 'bash "$RUNTIME" stop >/dev/null 2>&1' EXIT
bash "$RUNTIME" up > "$IGNY8_HOME.up.log" 2>&1 || { cat "$IGNY8_HOME.up.log"; echo "0 passed, 1 failed"; exit 1; }
eval "$(bash "$RUNTIME" info | grep -E '^(WP_URL|DEBUG_LOG)=')"
B="$WP_URL/wp-json/igny8/v1"
KEY="smoke-key-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# body + status of one request: "<status> <compact body>"
req() { curl -s -o /tmp/igny8-smoke-body -w '%{http_code}' "$@"; }
field() { php -r '$d = json_decode(file_get_contents("/tmp/igny8-smoke-body"), true); $v = $d; foreach (explode(".", $argv[1]) as $k) { $v = is_array($v) && array_key_exists($k, $v) ? $v[$k] : "<missing>"; } echo is_bool($v) ? ($v ? "true" : "false") : (is_array($v) ? json_encode($v) : $v);' "$1"; }

errors=$( [ -f "$DEBUG_LOG" ] && grep -E 'PHP (Fatal|Warning|Notice|Parse)|igny8' "$DEBUG_LOG" | grep -v 'Deprecated' | head -5 )
check "activation logged no PHP error" "$errors" ""
check "tables exist" "$(wpeval 'global $wpdb; $n = 0; foreach (array("jti","auth_failures","locks") as $t) { $n += (int) ($wpdb->get_var($wpdb->prepare("SHOW TABLES LIKE %s", $wpdb->prefix . "igny8_" . $t)) === $wpdb->prefix . "igny8_" . $t); } echo $n;')" "3"
check "integration user has the role, no unfiltered_html" "$(wpeval '$u = get_userdata((int) get_option("igny8_integration_user_id")); echo implode(",", $u->roles), ":", user_can($u, "unfiltered_html") ? "yes" : "no";')" "igny8_integration:no"
check "re-activation is idempotent" "$(wpeval 'Igny8\Bridge\Install\Activator::activate(); $u = get_option("igny8_site_uuid"); Igny8\Bridge\Install\Activator::activate(); echo count(get_users(array("role" => "igny8_integration"))), ($u === get_option("igny8_site_uuid") ? " same-uuid" : " new-uuid");')" "1 same-uuid"

check "/status degrades to 200" "$(req "$B/status")" "200"
check "/status says sidecar unreachable" "$(field data.sidecar.reachable)" "false"
check "/status has X-Request-ID = request_id" "$(curl -s -D - -o /tmp/igny8-smoke-body "$B/status" | tr -d '\r' | sed -n 's/^X-Request-ID: //Ip')" "$(field request_id)"
check "no key → 401" "$(req "$B/site-metadata/")" "401"
check "no key → API_KEY_MISSING envelope" "$(field success)/$(field code)" "false/API_KEY_MISSING"
check "key in query → 400 API_KEY_IN_QUERY" "$(req "$B/site-metadata?api_key=x")/$(field code)" "400/API_KEY_IN_QUERY"
wpeval "var_dump( Igny8\\Bridge\\Security\\Api_Key::set( '$KEY' ) );" >/dev/null
check "short key refused by Api_Key::set" "$(wpeval 'echo is_wp_error( Igny8\Bridge\Security\Api_Key::set( "short" ) ) ? "refused" : "stored";')" "refused"
start=$(date +%s%N)
code=$(req -H "X-IGNY8-API-KEY: $KEY" "$B/site-metadata/")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "valid key, no sidecar → 503 SIDECAR_UNAVAILABLE" "$code/$(field code)" "503/SIDECAR_UNAVAILABLE"
if [ "$ms" -lt 2000 ]; then ok "503 within 2 s (${ms} ms)"; else ko "503 within 2 s" "took ${ms} ms"; fi
check "Bearer works too" "$(req -H "Authorization: Bearer $KEY" "$B/site-metadata")/$(field code)" "503/SIDECAR_UNAVAILABLE"
check "two different keys → 401 API_KEY_CONFLICT" "$(req -H "Authorization: Bearer x$KEY" -H "X-IGNY8-API-KEY: $KEY" "$B/site-metadata")/$(field code)" "401/API_KEY_CONFLICT"
check "wrong key → 401 API_KEY_INVALID" "$(req -H "X-IGNY8-API-KEY: wrong-$KEY" "$B/site-metadata")/$(field code)" "401/API_KEY_INVALID"
head -c 1100000 /dev/zero | tr '\0' 'a' > /tmp/igny8-smoke-big
check "body over the cap → 413" "$(req -H "X-IGNY8-API-KEY: $KEY" -H 'Content-Type: application/json' --data-binary @/tmp/igny8-smoke-big "$B/publish-content")/$(field code)" "413/PAYLOAD_TOO_LARGE"
check "invalid JSON without key → 401 (auth before parsing)" "$(req -H 'Content-Type: application/json' --data '{bad' "$B/publish-content")/$(field code)" "401/API_KEY_MISSING"
check "unknown route → 404 ROUTE_NOT_FOUND envelope" "$(req "$B/nope")/$(field code)" "404/ROUTE_NOT_FOUND"
check "settings need manage_options" "$(req "$B/settings")/$(field code)" "403/FORBIDDEN"
check "internal route without JWT → 401 SIGNATURE_INVALID" "$(req -X POST -H 'Content-Type: application/json' --data '{"ops":[]}' "$B/internal/ops")/$(field code)" "401/SIGNATURE_INVALID"
check "/wp/v2 meta_key=foo → 400" "$(req "$WP_URL/wp-json/wp/v2/posts?meta_key=foo")" "400"
check "/wp/v2 igny8 lookup without edit_posts → 400" "$(req "$WP_URL/wp-json/wp/v2/posts?meta_key=_igny8_content_id&meta_value=1")" "400"
check "/wp/v2 meta_value alone → 400" "$(req "$WP_URL/wp-json/wp/v2/posts?meta_value=1")" "400"
check "the API key does not authenticate /wp/v2" "$(req -H "X-IGNY8-API-KEY: $KEY" "$WP_URL/wp-json/wp/v2/users/me")" "401"
check "igny8 lookup as an editor returns only the match" "$(wpeval '
	$a = wp_insert_post(array("post_title" => "A", "post_status" => "publish")); update_post_meta($a, "_igny8_content_id", 77);
	$b = wp_insert_post(array("post_title" => "B", "post_status" => "publish"));
	wp_set_current_user(1);
	$r = rest_do_request(new WP_REST_Request("GET", "/wp/v2/posts", )); $all = count($r->get_data());
	$q = new WP_REST_Request("GET", "/wp/v2/posts"); $q->set_query_params(array("meta_key" => "_igny8_content_id", "meta_value" => "77"));
	$r = rest_do_request($q); echo $r->get_status(), ":", count($r->get_data()), ":", $r->get_data()[0]["id"] === $a ? "match" : "other", ":", $all > 1 ? "more" : "one";')" "200:1:match:more"
for i in $(seq 1 21); do curl -s -o /dev/null -H "X-IGNY8-API-KEY: bad-$i" "$B/site-metadata"; done
check "more than 20 failures → 429 RATE_LIMITED" "$(req -H "X-IGNY8-API-KEY: $KEY" "$B/site-metadata")/$(field code)" "429/RATE_LIMITED"
check "429 carries Retry-After" "$(curl -s -D - -o /dev/null -H "X-IGNY8-API-KEY: $KEY" "$B/site-metadata" | tr -d '\r' | grep -ci '^Retry-After: [0-9]')" "1"
check "rate limit is per IP: /status still public" "$(req "$B/status")" "200"
errors=$( [ -f "$DEBUG_LOG" ] && grep -E 'PHP (Fatal|Warning|Notice|Parse)' "$DEBUG_LOG" | grep -v 'Deprecated' | head -5 )
check "no PHP error during the run" "$errors" ""

rm -f /tmp/igny8-smoke-body /tmp/igny8-smoke-big
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
