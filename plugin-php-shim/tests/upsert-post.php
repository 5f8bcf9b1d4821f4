<?php
/**
 * Tests of the `upsert_post` operation against a real WordPress (no mocks): created/updated post, slashing,
 * kses, terms by id and name, renames, trash, schedule, bounds, rollback, a PHP fatal midway, image fetching
 * (SSRF refusals, allow-list, reuse, size/type/pixel caps, redirects) and concurrency (parallel processes).
 *
 * Run inside the embedded WordPress (scripts/wp-runtime.sh), with the image fixture port allow-listed:
 *
 *   IGNY8_IMAGE_HOST_ALLOWLIST=127.0.0.1:8897,localhost:8897 WP_PORT=8895 bash scripts/wp-runtime.sh up
 *   WP_PORT=8895 bash scripts/wp-runtime.sh eval 'require "plugin-php-shim/tests/upsert-post.php";'
 *
 * The first 127.0.0.1:PORT entry of IGNY8_IMAGE_HOST_ALLOWLIST serves the fixtures (tests/fixtures/image-server.php);
 * PORT+1 serves the same fixtures without being allow-listed. With `localhost:PORT` allow-listed too, the
 * host-name path (resolve, pin with CURLOPT_RESOLVE) is tested as well; otherwise that test is skipped. Exit status 0 = all passed. Content ids and term
 * names are new on every run, so the test can run again on the same site.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test script.

declare( strict_types=1 );

use Igny8\Bridge\Media\Address_Policy;
use Igny8\Bridge\Media\Attachments;
use Igny8\Bridge\Media\Image_Error;
use Igny8\Bridge\Media\Url_Guard;
use Igny8\Bridge\Operations\Executor;
use Igny8\Bridge\Operations\Upsert_Post;

if ( ! defined( 'ABSPATH' ) ) {
	fwrite( STDERR, "Run this inside WordPress: bash scripts/wp-runtime.sh eval 'require \"plugin-php-shim/tests/upsert-post.php\";'\n" );
	exit( 2 );
}

$GLOBALS['igny8t'] = array(
	'passed'  => 0,
	'failed'  => 0,
	'servers' => array(),
);

/**
 * Records one assertion.
 */
function igny8t_check( string $name, bool $ok, $detail = null ): void {
	if ( $ok ) {
		++$GLOBALS['igny8t']['passed'];
		echo "ok   {$name}\n";
		return;
	}
	++$GLOBALS['igny8t']['failed'];
	echo "FAIL {$name}" . ( null === $detail ? '' : ': ' . ( is_string( $detail ) ? $detail : wp_json_encode( $detail, JSON_UNESCAPED_SLASHES ) ) ) . "\n";
}

/**
 * Runs one op in this process.
 */
function igny8t_run( array $op ): array {
	return Executor::for_context( 'proxy' )->run( array( $op ) )[0];
}

/**
 * A complete op with overrides merged in (one level deep for post/meta).
 */
function igny8t_op( int $content_id, array $over = array() ): array {
	$op = array(
		'op'         => 'upsert_post',
		'content_id' => $content_id,
		'post_type'  => 'post',
		'post'       => array(
			'post_title'   => "Post {$content_id}",
			'post_content' => '<p>Body</p>',
			'post_status'  => 'publish',
		),
		'meta'       => array( '_igny8_content_id' => $content_id ),
	);
	foreach ( $over as $key => $value ) {
		if ( in_array( $key, array( 'post', 'meta' ), true ) && is_array( $value ) ) {
			$op[ $key ] = array_merge( $op[ $key ], $value );
		} else {
			$op[ $key ] = $value;
		}
	}
	return $op;
}

/**
 * Post ids carrying a content id (every status, straight from the database).
 */
function igny8t_posts_for( int $content_id ): array {
	global $wpdb;
	return array_map(
		'intval',
		$wpdb->get_col( $wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = '_igny8_content_id' AND meta_value = %s ORDER BY post_id", (string) $content_id ) )
	);
}

/**
 * Attachment ids with this source URL (database).
 */
function igny8t_attachments_for( string $url ): array {
	global $wpdb;
	return array_map(
		'intval',
		$wpdb->get_col( $wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = %s AND meta_value = %s", Attachments::source_meta_key(), $url ) )
	);
}

/**
 * Terms of a taxonomy with this exact name (database).
 */
function igny8t_terms_named( string $taxonomy, string $name ): array {
	global $wpdb;
	return array_map(
		'intval',
		$wpdb->get_col( $wpdb->prepare( "SELECT t.term_id FROM {$wpdb->terms} t INNER JOIN {$wpdb->term_taxonomy} tt ON tt.term_id = t.term_id WHERE tt.taxonomy = %s AND t.name = %s", $taxonomy, $name ) )
	);
}

/**
 * Lock rows present now that were not there when the test started (a killed process may have left some).
 */
function igny8t_locks(): array {
	global $wpdb;
	$names = $wpdb->get_col( "SELECT name FROM {$wpdb->prefix}igny8_locks" );
	if ( ! isset( $GLOBALS['igny8t']['locks_before'] ) ) {
		$GLOBALS['igny8t']['locks_before'] = $names;
	}
	return array_values( array_diff( $names, $GLOBALS['igny8t']['locks_before'] ) );
}

/**
 * Whether a result carries a warning with this code (and field, when given).
 */
function igny8t_has_warning( array $result, string $code, ?string $field = null ): bool {
	foreach ( $result['warnings'] ?? array() as $warning ) {
		if ( $warning['code'] === $code && ( null === $field || $warning['field'] === $field ) ) {
			return true;
		}
	}
	return false;
}

/**
 * Whether an op is refused with OPERATION_REFUSED (and this field, when given).
 */
function igny8t_refused( array $result, ?string $field = null ): bool {
	return false === $result['ok'] && 'OPERATION_REFUSED' === ( $result['error']['code'] ?? '' )
		&& ( null === $field || ( $result['error']['field'] ?? null ) === $field );
}

/**
 * Url_Guard's verdict: 'ok', 'IMAGE_REFUSED' or 'IMAGE_FAILED'.
 */
function igny8t_guard( string $url ): string {
	try {
		Url_Guard::check( $url );
		return 'ok';
	} catch ( Image_Error $error ) {
		return $error->warning_code();
	}
}

/**
 * Starts the fixture server on a port and waits for it.
 */
function igny8t_start_server( int $port ): bool {
	$router = __DIR__ . '/fixtures/image-server.php';
	$log    = get_temp_dir() . "igny8-fixture-{$port}.log";
	$proc   = proc_open(
		array( PHP_BINARY, '-S', "127.0.0.1:{$port}", '-t', __DIR__ . '/fixtures', $router ),
		array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $log, 'a' ), 2 => array( 'file', $log, 'a' ) ),
		$pipes,
		null,
		array( 'PHP_CLI_SERVER_WORKERS' => '4' ) + getenv()
	);
	if ( ! is_resource( $proc ) ) {
		return false;
	}
	$GLOBALS['igny8t']['servers'][] = $proc;
	for ( $i = 0; $i < 100; $i++ ) {
		$socket = @fsockopen( '127.0.0.1', $port, $errno, $errstr, 0.2 );
		if ( $socket ) {
			fclose( $socket );
			return true;
		}
		usleep( 50000 );
	}
	return false;
}

/**
 * How many times the fixture server on a port answered a GET of this path (from its request log).
 */
function igny8t_hits( int $port, string $path ): int {
	$log = (string) @file_get_contents( rtrim( sys_get_temp_dir(), '/' ) . "/igny8-fixture-hits-{$port}.log" );
	return substr_count( "\n" . $log, "\n{$path}\n" );
}

/**
 * Stops the fixture servers (the whole php -S process, workers included).
 */
function igny8t_stop_servers(): void {
	foreach ( $GLOBALS['igny8t']['servers'] as $proc ) {
		$status = proc_get_status( $proc );
		if ( $status['running'] ) {
			// php -S with workers: the master's children are its workers; TERM them by parent pid.
			foreach ( glob( '/proc/[0-9]*/stat' ) ?: array() as $stat ) {
				$line = @file_get_contents( $stat );
				if ( is_string( $line ) && preg_match( '/\) \S+ (\d+) /', $line, $m ) && (int) $m[1] === (int) $status['pid'] ) {
					@posix_kill( (int) basename( dirname( $stat ) ), 15 );
				}
			}
			proc_terminate( $proc, 15 );
		}
		proc_close( $proc );
	}
	$GLOBALS['igny8t']['servers'] = array();
}

/**
 * Starts one worker process (a separate WordPress bootstrap) running an op.
 */
function igny8t_spawn( array $op, array $env = array() ) {
	$cli  = dirname( __DIR__, 2 ) . '/scripts/wp/cli.php';
	$code = 'require ' . var_export( __DIR__ . '/upsert-post-worker.php', true ) . ';';
	$proc = proc_open(
		array( PHP_BINARY, '-d', 'memory_limit=256M', $cli, rtrim( ABSPATH, '/' ), 'eval', $code ),
		array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ),
		$pipes,
		null,
		array( 'IGNY8_TEST_OP' => wp_json_encode( $op ) ) + $env + getenv()
	);
	return array( $proc, $pipes );
}

/**
 * Waits for workers; returns [exit code, decoded result|null, stderr] each.
 */
function igny8t_wait( array $workers ): array {
	$out = array();
	foreach ( $workers as list( $proc, $pipes ) ) {
		$stdout = stream_get_contents( $pipes[1] );
		$stderr = stream_get_contents( $pipes[2] );
		fclose( $pipes[1] );
		fclose( $pipes[2] );
		$code  = proc_close( $proc );
		$out[] = array( $code, json_decode( trim( (string) $stdout ), true ), trim( (string) $stderr ) );
	}
	return $out;
}

register_shutdown_function( 'igny8t_stop_servers' );
igny8t_locks(); // Remembers the lock rows present before the test.

$run    = substr( md5( uniqid( '', true ) ), 0, 6 );
$base   = random_int( 1000, 9999 ) * 10000;
$fired  = array();
add_action(
	'igny8_bridge_post_upserted',
	static function ( $post_id, $created ) use ( &$fired ) {
		$fired[] = array( (int) $post_id, (bool) $created );
	},
	10,
	2
);
echo "# upsert_post tests on WordPress " . get_bloginfo( 'version' ) . ' (' . ( defined( 'DB_ENGINE' ) ? DB_ENGINE : 'mysql' ) . "), run {$run}\n";

// ------------------------------------------------------------------------------------------ address policy

$blocked = array( '0.0.0.0', '0.1.2.3', '10.1.2.3', '100.64.0.1', '100.127.255.255', '127.0.0.1', '127.8.9.10', '169.254.169.254',
	'172.16.0.1', '172.31.255.255', '192.168.1.1', '192.0.0.8', '198.18.0.1', '224.0.0.1', '240.0.0.1', '255.255.255.255',
	'::', '::1', '::ffff:127.0.0.1', '::ffff:8.8.8.8', '::127.0.0.1', 'fe80::1', 'febf::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
	'2001:db8::1', '2001::1', '2002:7f00:1::1', '64:ff9b::a9fe:a9fe', '100::1' );
$public  = array( '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.253.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e' );
$wrong   = array();
foreach ( $blocked as $ip ) {
	if ( Address_Policy::is_public( $ip ) ) {
		$wrong[] = "{$ip} allowed";
	}
}
foreach ( $public as $ip ) {
	if ( ! Address_Policy::is_public( $ip ) ) {
		$wrong[] = "{$ip} refused (" . Address_Policy::refusal( $ip ) . ')';
	}
}
igny8t_check( 'address policy: ' . count( $blocked ) . ' non-public addresses refused, ' . count( $public ) . ' public ones allowed', ! $wrong, $wrong );

// ---------------------------------------------------------------------------------------------- url guard

$allow = defined( 'IGNY8_IMAGE_HOST_ALLOWLIST' ) ? (string) IGNY8_IMAGE_HOST_ALLOWLIST : '';
$port  = preg_match( '/(?:^|,)\s*127\.0\.0\.1:(\d+)\s*(?:,|$)/', $allow, $m ) ? (int) $m[1] : 0;
igny8t_check( 'IGNY8_IMAGE_HOST_ALLOWLIST names a 127.0.0.1:PORT fixture entry (start the runtime with it)', $port > 0, $allow );
igny8t_check( 'environment type is local (the allow-list is honoured only there)', 'local' === wp_get_environment_type() );
$other  = $port + 1;
$fix    = "http://127.0.0.1:{$port}";
$nofix  = "http://127.0.0.1:{$other}";

$refusals = array(
	'http://169.254.169.254/latest/meta-data/',
	'http://localhost/x.png',
	'http://LOCALHOST./x.png',
	'http://[::1]/x.png',
	"http://[::1]:{$port}/x.png",
	'http://[::ffff:127.0.0.1]/x.png',
	'http://[fe80::1%25eth0]/x.png',
	'http://2130706433/x.png',
	'http://0x7f.0.0.1/x.png',
	'http://0177.0.0.1/x.png',
	'http://127.1/x.png',
	'http://10.0.0.1/x.png',
	'http://100.64.1.1/x.png',
	'http://192.168.0.1/x.png',
	'file:///etc/passwd',
	'gopher://example.com/x',
	'ftp://example.com/x.png',
	'dict://127.0.0.1:11211/',
	'http://user:pass@example.com/x.png',
	'http://example.com\\@127.0.0.1/x.png',
	"{$nofix}/img/a.png",
	home_url( '/wp-content/uploads/x.png' ),
	'//example.com/x.png',
	'http:///x.png',
);
$wrong = array();
foreach ( $refusals as $url ) {
	$verdict = igny8t_guard( $url );
	if ( 'IMAGE_REFUSED' !== $verdict ) {
		$wrong[] = "{$url} → {$verdict}";
	}
}
igny8t_check( 'url guard refuses ' . count( $refusals ) . ' SSRF vectors (metadata IP, localhost, [::1], mapped IPv6, numeric IPv4 forms, private ranges, file/gopher/ftp/dict, user info, backslash, non-allow-listed port, own host)', ! $wrong, $wrong );
if ( $port > 0 ) {
	$target = Url_Guard::check( "{$fix}/img/%7Ea.png?x=\xC3\xBC&y=1#frag" );
	igny8t_check( 'url guard allows the allow-listed host:port and rebuilds the URL (encoded, no fragment)', $target['allow_listed'] && '127.0.0.1' === $target['address'] && "{$fix}/img/%7Ea.png?x=%C3%BC&y=1" === $target['url'], $target );
}
igny8t_check( 'url guard: an unresolvable host is a fetch failure, not a refusal', 'IMAGE_FAILED' === igny8t_guard( "http://igny8-no-such-host-{$run}.invalid/x.png" ) );
igny8t_check( 'clean_html removes script/style with their text, also when nested to rebuild a tag', '<p>a</p><p>b</p>' === Upsert_Post::clean_html( '<p>a</p><script>alert(1)</script><STYLE type="x">p{}</STYLE><scr<script>x</script>ipt>alert(2)</script><p>b</p>' ) );
igny8t_check( 'clean_html drops an unclosed script to the end', '<p>a</p>' === Upsert_Post::clean_html( '<p>a</p><script>alert(1)' ) );

// -------------------------------------------------------------------------------------------------- create

$c1       = $base + 1;
$cat      = "Guides {$run}";
$tag1     = "Tag one {$run}";
$tag2     = "Tag two {$run}";
$cluster  = $base + 45;
$sector   = $base + 12;
$tricky   = 'Back\\slash "quoted" \'single\' \\" end\\';
$json     = wp_json_encode( array( 'a\\b', 'c"d', "it's" ) );
$r1       = igny8t_run(
	igny8t_op(
		$c1,
		array(
			'post'  => array(
				'post_title'    => "Hello {$tricky}",
				'post_content'  => '<p>Body with <em>em</em> and a \\ backslash</p><script>document.cookie</script><style>body{display:none}</style><img src="x" onerror="alert(1)">',
				'post_excerpt'  => 'Excerpt \\ "x"',
				'post_status'   => 'publish',
				'author_email'  => 'admin@example.com',
			),
			'meta'  => array(
				'_igny8_task_id'            => 7,
				'_yoast_wpseo_title'        => "SEO {$tricky}",
				'_igny8_secondary_keywords' => $json,
				'_igny8_cluster_id'         => $cluster,
				'_igny8_sector_id'          => (string) $sector,
				'_igny8_meta_description'   => '<b>bold</b> desc',
			),
			'terms' => array(
				'category'       => array( array( 'name' => $cat ) ),
				'post_tag'       => array( array( 'name' => $tag1 ), array( 'name' => $tag2 ) ),
				'igny8_clusters' => array( array( 'name' => "Cluster {$cluster}", 'igny8_id' => $cluster, 'placeholder' => true ) ),
				'igny8_sectors'  => array( array( 'name' => "Health {$run}", 'igny8_id' => $sector ) ),
			),
		)
	)
);
$id1 = (int) ( $r1['post_id'] ?? 0 );
igny8t_check( 'create: ok, created=true, publish', true === $r1['ok'] && true === $r1['created'] && 'publish' === $r1['post_status'] && 'post' === $r1['post_type'] && $id1 > 0, $r1 );
igny8t_check( 'create: result shape (permalink, four term_ids lists, featured_image_id null, gallery_ids [], warnings [])',
	isset( $r1['permalink'] ) && str_starts_with( (string) $r1['permalink'], home_url() ) && array( 'category', 'post_tag', 'igny8_clusters', 'igny8_sectors' ) === array_keys( $r1['term_ids'] ?? array() )
	&& null === $r1['featured_image_id'] && array() === $r1['gallery_ids'] && array() === $r1['warnings'], $r1 );
clean_post_cache( $id1 );
$p1 = get_post( $id1 );
igny8t_check( 'create: title keeps backslashes and quotes (wp_slash)', "Hello {$tricky}" === $p1->post_title, $p1->post_title );
igny8t_check( 'create: JSON meta with backslash and quotes stored byte for byte and still decodes', $json === get_post_meta( $id1, '_igny8_secondary_keywords', true ) && array( 'a\\b', 'c"d', "it's" ) === json_decode( get_post_meta( $id1, '_igny8_secondary_keywords', true ), true ), get_post_meta( $id1, '_igny8_secondary_keywords', true ) );
igny8t_check( 'create: string meta keeps backslashes and quotes, tags stripped (sanitize_text_field)', "SEO {$tricky}" === get_post_meta( $id1, '_yoast_wpseo_title', true ) && 'bold desc' === get_post_meta( $id1, '_igny8_meta_description', true ), array( get_post_meta( $id1, '_yoast_wpseo_title', true ), get_post_meta( $id1, '_igny8_meta_description', true ) ) );
igny8t_check( 'create: integer meta stored as integers', '7' === get_post_meta( $id1, '_igny8_task_id', true ) && (string) $sector === get_post_meta( $id1, '_igny8_sector_id', true ) && (string) $c1 === get_post_meta( $id1, '_igny8_content_id', true ) );
igny8t_check( 'create: no <script>/<style> nor their text, no event handler; backslash in content kept', false === stripos( $p1->post_content, 'script' ) && false === stripos( $p1->post_content, 'cookie' ) && false === stripos( $p1->post_content, 'display:none' ) && false === stripos( $p1->post_content, 'onerror' ) && false !== strpos( $p1->post_content, 'a \\ backslash' ), $p1->post_content );
igny8t_check( 'create: excerpt kept with backslash', 'Excerpt \\ "x"' === $p1->post_excerpt, $p1->post_excerpt );
igny8t_check( 'create: author = the user with author_email who can edit posts', 1 === (int) $p1->post_author );
igny8t_check( 'create: _igny8_incomplete removed', '' === get_post_meta( $id1, '_igny8_incomplete', true ) );
$cat_ids = igny8t_terms_named( 'category', $cat );
igny8t_check( 'create: category created by name and assigned by id (not Uncategorized)', 1 === count( $cat_ids ) && $r1['term_ids']['category'] === $cat_ids && array( $cat ) === wp_get_post_terms( $id1, 'category', array( 'fields' => 'names' ) ), $r1['term_ids'] );
igny8t_check( 'create: both tags assigned', 2 === count( $r1['term_ids']['post_tag'] ) );
$cluster_term = get_term( $r1['term_ids']['igny8_clusters'][0] ?? 0, 'igny8_clusters' );
igny8t_check( 'create: placeholder cluster term created with its IGNY8 id in term meta', $cluster_term instanceof WP_Term && "Cluster {$cluster}" === $cluster_term->name && (string) $cluster === get_term_meta( $cluster_term->term_id, '_igny8_cluster_id', true ) );
$sector_id = $r1['term_ids']['igny8_sectors'][0] ?? 0;
igny8t_check( 'create: sector term created with its IGNY8 id', (string) $sector === get_term_meta( $sector_id, '_igny8_sector_id', true ) );
igny8t_check( 'create: igny8_bridge_post_upserted fired with (id, true)', array( $id1, true ) === end( $fired ) );
igny8t_check( 'create: no lock rows left', array() === igny8t_locks(), igny8t_locks() );

// -------------------------------------------------------------------------------------------------- update

$r2 = igny8t_run(
	igny8t_op(
		$c1,
		array(
			'post'  => array( 'post_title' => 'Hello again' ),
			'meta'  => array( '_igny8_task_id' => null, '_yoast_wpseo_title' => 'SEO 2' ),
			'terms' => array(
				'post_tag'       => array( array( 'name' => $tag1 ) ),
				'igny8_clusters' => array( array( 'name' => "Real cluster {$run}", 'igny8_id' => $cluster ) ),
			),
		)
	)
);
clean_post_cache( $id1 );
igny8t_check( 'update: same post, created=false', true === $r2['ok'] && $id1 === $r2['post_id'] && false === $r2['created'], $r2 );
igny8t_check( 'update: title changed', 'Hello again' === get_post( $id1 )->post_title );
igny8t_check( 'update: stale tag removed, the other kept', array( $tag1 ) === wp_get_post_terms( $id1, 'post_tag', array( 'fields' => 'names' ) ) );
igny8t_check( 'update: absent taxonomies untouched (category, sector)', $cat_ids === $r2['term_ids']['category'] && array( $sector_id ) === $r2['term_ids']['igny8_sectors'], $r2['term_ids'] );
igny8t_check( 'update: null meta deleted, other meta updated, untouched meta kept', '' === get_post_meta( $id1, '_igny8_task_id', true ) && 'SEO 2' === get_post_meta( $id1, '_yoast_wpseo_title', true ) && $json === get_post_meta( $id1, '_igny8_secondary_keywords', true ) );
$renamed = get_term( $cluster_term->term_id, 'igny8_clusters' );
igny8t_check( 'update: cluster found by IGNY8 id and renamed (same term id, id meta kept)', array( $cluster_term->term_id ) === $r2['term_ids']['igny8_clusters'] && "Real cluster {$run}" === $renamed->name && (string) $cluster === get_term_meta( $renamed->term_id, '_igny8_cluster_id', true ), array( $r2['term_ids'], $renamed->name ?? null ) );
igny8t_check( 'update: author kept when no author_email', 1 === (int) get_post( $id1 )->post_author );
igny8t_check( 'update: one post for the content id', array( $id1 ) === igny8t_posts_for( $c1 ) );
igny8t_check( 'update: igny8_bridge_post_upserted fired with (id, false)', array( $id1, false ) === end( $fired ) );

$r3 = igny8t_run( igny8t_op( $c1, array( 'terms' => array( 'igny8_clusters' => array( array( 'name' => "Cluster {$cluster}", 'igny8_id' => $cluster, 'placeholder' => true ) ) ) ) ) );
igny8t_check( 'placeholder name does not rename the term found by id', true === $r3['ok'] && array( $cluster_term->term_id ) === $r3['term_ids']['igny8_clusters'] && "Real cluster {$run}" === get_term( $cluster_term->term_id, 'igny8_clusters' )->name, $r3 );

// Name lookup: a term created by hand without an id adopts the id; a same-named term of another id is a sibling.
$adopt = wp_insert_term( "Adopt me {$run}", 'igny8_sectors' );
$r4    = igny8t_run( igny8t_op( $base + 2, array( 'terms' => array( 'igny8_sectors' => array( array( 'name' => "Adopt me {$run}", 'igny8_id' => $base + 99 ) ) ) ) ) );
igny8t_check( 'igny8 term without id meta found by name and given the id', true === $r4['ok'] && array( (int) $adopt['term_id'] ) === $r4['term_ids']['igny8_sectors'] && (string) ( $base + 99 ) === get_term_meta( (int) $adopt['term_id'], '_igny8_sector_id', true ), $r4 );
$r5 = igny8t_run( igny8t_op( $base + 3, array( 'terms' => array( 'igny8_sectors' => array( array( 'name' => "Adopt me {$run}", 'igny8_id' => $base + 98 ) ) ) ) ) );
$sibling = $r5['term_ids']['igny8_sectors'][0] ?? 0;
igny8t_check( 'same name, other IGNY8 id: a separate term with its own id', true === $r5['ok'] && $sibling > 0 && $sibling !== (int) $adopt['term_id'] && (string) ( $base + 98 ) === get_term_meta( $sibling, '_igny8_sector_id', true ), $r5 );
$r6 = igny8t_run( igny8t_op( $base + 4, array( 'terms' => array( 'category' => array( array( 'name' => strtoupper( $cat ) ), array( 'name' => $cat ) ) ) ) ) );
igny8t_check( 'category name in another case reuses the term (no duplicate)', true === $r6['ok'] && $cat_ids === $r6['term_ids']['category'] && 1 === count( igny8t_terms_named( 'category', $cat ) ), $r6 );
$r7 = igny8t_run( igny8t_op( $base + 5, array( 'terms' => array( 'category' => array(), 'post_tag' => array( array( 'name' => "Cats & Dogs {$run}" ) ) ) ) ) );
$r7b = igny8t_run( igny8t_op( $base + 5, array( 'terms' => array( 'post_tag' => array( array( 'name' => "Cats & Dogs {$run}" ) ) ) ) ) );
igny8t_check( 'category [] → the default category; a name with & is reused on republish', true === $r7['ok'] && array( (int) get_option( 'default_category' ) ) === $r7['term_ids']['category'] && $r7['term_ids']['post_tag'] === $r7b['term_ids']['post_tag'] && 1 === count( $r7b['term_ids']['post_tag'] ), array( $r7, $r7b ) );
$r8 = igny8t_run( igny8t_op( $base + 6, array( 'post_type' => 'page', 'terms' => array( 'post_tag' => array( array( 'name' => 'x' ) ), 'igny8_clusters' => array( array( 'name' => "Page cluster {$run}" ) ) ) ) ) );
igny8t_check( 'page: terms of a taxonomy pages do not use are skipped with a warning; clusters assigned', true === $r8['ok'] && 'page' === $r8['post_type'] && igny8t_has_warning( $r8, 'TAXONOMY_NOT_SUPPORTED', 'terms.post_tag' ) && 1 === count( $r8['term_ids']['igny8_clusters'] ), $r8 );
$r9 = igny8t_run( igny8t_op( $base + 7, array( 'post' => array( 'author_email' => 'nobody@example.com' ) ) ) );
igny8t_check( 'unknown author_email → fallback author with a warning', true === $r9['ok'] && igny8t_has_warning( $r9, 'AUTHOR_NOT_FOUND' ) && (int) get_post( $r9['post_id'] )->post_author === Igny8\Bridge\Install\Integration_User::id(), $r9 );

// ---------------------------------------------------------------------------------------- trash / untrash

$rt = igny8t_run( igny8t_op( $c1, array( 'post' => array( 'post_status' => 'trash' ) ) ) );
igny8t_check( 'trash: same post, status trash, via wp_trash_post (trash meta recorded)', true === $rt['ok'] && $id1 === $rt['post_id'] && 'trash' === $rt['post_status'] && 'publish' === get_post_meta( $id1, '_wp_trash_meta_status', true ), $rt );
$ru = igny8t_run( igny8t_op( $c1, array( 'post' => array( 'post_status' => 'publish', 'post_title' => 'Back from trash' ) ) ) );
clean_post_cache( $id1 );
igny8t_check( 'untrash: a trashed post is found (not duplicated) and published again', true === $ru['ok'] && $id1 === $ru['post_id'] && false === $ru['created'] && 'publish' === $ru['post_status'] && array( $id1 ) === igny8t_posts_for( $c1 ) && '' === get_post_meta( $id1, '_wp_trash_meta_status', true ), $ru );
igny8t_check( 'untrash: the __trashed slug suffix is gone', false === strpos( get_post( $id1 )->post_name, '__trashed' ), get_post( $id1 )->post_name );
$rnew = igny8t_run( igny8t_op( $base + 8, array( 'post' => array( 'post_status' => 'trash' ) ) ) );
igny8t_check( 'a new post can be created straight into the trash', true === $rnew['ok'] && true === $rnew['created'] && 'trash' === $rnew['post_status'], $rnew );
$rd = igny8t_run( igny8t_op( $c1, array( 'post' => array( 'post_status' => 'draft' ) ) ) );
igny8t_check( 'publish → draft', true === $rd['ok'] && 'draft' === $rd['post_status'] && $id1 === $rd['post_id'], $rd );

// ------------------------------------------------------------------------------------------------ schedule

$when = gmdate( 'Y-m-d H:i:s', time() + 3 * DAY_IN_SECONDS );
$rf   = igny8t_run( igny8t_op( $base + 9, array( 'post' => array( 'post_status' => 'future', 'post_date_gmt' => $when ) ) ) );
clean_post_cache( (int) ( $rf['post_id'] ?? 0 ) );
$pf = get_post( (int) ( $rf['post_id'] ?? 0 ) );
igny8t_check( 'future: scheduled with the given GMT date and the site-time date', true === $rf['ok'] && 'future' === $rf['post_status'] && $when === $pf->post_date_gmt && get_date_from_gmt( $when ) === $pf->post_date, array( $rf, $pf->post_date_gmt ?? null ) );
$past = gmdate( 'Y-m-d H:i:s', time() - 30 * DAY_IN_SECONDS );
$rp   = igny8t_run( igny8t_op( $base + 10, array( 'post' => array( 'post_status' => 'publish', 'post_date_gmt' => $past ) ) ) );
igny8t_check( 'publish with a past date keeps the date (edit_date)', true === $rp['ok'] && 'publish' === $rp['post_status'] && $past === get_post( $rp['post_id'] )->post_date_gmt, $rp );
$rdd  = igny8t_run( igny8t_op( $base + 11, array( 'post' => array( 'post_status' => 'draft', 'post_date_gmt' => $when ) ) ) );
igny8t_check( 'draft with a date keeps the date (edit_date)', true === $rdd['ok'] && 'draft' === $rdd['post_status'] && $when === get_post( $rdd['post_id'] )->post_date_gmt, $rdd );

// -------------------------------------------------------------------------------------------------- bounds

$cb     = $base + 20;
$bounds = array(
	'meta key _wp_page_template'         => array( igny8t_op( $cb, array( 'meta' => array( '_wp_page_template' => 'x.php' ) ) ), 'meta._wp_page_template' ),
	'attachment meta key'                => array( igny8t_op( $cb, array( 'meta' => array( '_igny8_image_source_url' => 'http://x' ) ) ), 'meta._igny8_image_source_url' ),
	'meta value not scalar'              => array( igny8t_op( $cb, array( 'meta' => array( '_igny8_meta_title' => array( 'x' ) ) ) ), 'meta._igny8_meta_title' ),
	'invalid JSON meta'                  => array( igny8t_op( $cb, array( 'meta' => array( '_igny8_keyword_ids' => '[1,2' ) ) ), 'meta._igny8_keyword_ids' ),
	'integer meta not an integer'        => array( igny8t_op( $cb, array( 'meta' => array( '_igny8_task_id' => 'abc' ) ) ), 'meta._igny8_task_id' ),
	'taxonomy nav_menu'                  => array( igny8t_op( $cb, array( 'terms' => array( 'nav_menu' => array( array( 'name' => 'x' ) ) ) ) ), 'terms.nav_menu' ),
	'post_type attachment'               => array( igny8t_op( $cb, array( 'post_type' => 'attachment' ) ), 'post_type' ),
	'post_type product (not allowed)'    => array( igny8t_op( $cb, array( 'post_type' => 'product' ) ), 'post_type' ),
	'status inherit'                     => array( igny8t_op( $cb, array( 'post' => array( 'post_status' => 'inherit' ) ) ), 'post.post_status' ),
	'status auto-draft'                  => array( igny8t_op( $cb, array( 'post' => array( 'post_status' => 'auto-draft' ) ) ), 'post.post_status' ),
	'post.meta_input passthrough'        => array( igny8t_op( $cb, array( 'post' => array( 'meta_input' => array( '_wp_page_template' => 'x' ) ) ) ), 'post.meta_input' ),
	'post.ID passthrough'                => array( igny8t_op( $cb, array( 'post' => array( 'ID' => 1 ) ) ), 'post.ID' ),
	'import_id argument'                 => array( igny8t_op( $cb, array( 'import_id' => 5 ) ), 'import_id' ),
	'tax_input argument'                 => array( igny8t_op( $cb, array( 'tax_input' => array() ) ), 'tax_input' ),
	'content_id ≠ meta._igny8_content_id' => array( igny8t_op( $cb, array( 'meta' => array( '_igny8_content_id' => $cb + 1 ) ) ), 'meta._igny8_content_id' ),
	'meta._igny8_content_id missing'     => array( array_merge( igny8t_op( $cb ), array( 'meta' => array() ) ), 'meta._igny8_content_id' ),
	'content_id 0'                       => array( igny8t_op( 0 ), 'content_id' ),
	'term name empty'                    => array( igny8t_op( $cb, array( 'terms' => array( 'category' => array( array( 'name' => '  ' ) ) ) ) ), 'terms.category.0.name' ),
	'term name over 200 characters'      => array( igny8t_op( $cb, array( 'terms' => array( 'post_tag' => array( array( 'name' => str_repeat( 'x', 201 ) ) ) ) ) ), 'terms.post_tag.0.name' ),
	'igny8_id on category'               => array( igny8t_op( $cb, array( 'terms' => array( 'category' => array( array( 'name' => 'x', 'igny8_id' => 3 ) ) ) ) ), 'terms.category.0.igny8_id' ),
	'11 images'                          => array( igny8t_op( $cb, array( 'featured_image' => array( 'url' => "{$fix}/img/a.png" ), 'gallery' => array_fill( 0, 10, array( 'url' => "{$fix}/img/b.png" ) ) ) ), 'gallery' ),
	'future without a date'              => array( igny8t_op( $cb, array( 'post' => array( 'post_status' => 'future' ) ) ), 'post.post_date_gmt' ),
	'date in another format'             => array( igny8t_op( $cb, array( 'post' => array( 'post_date_gmt' => '2026-07-01T08:00:00Z' ) ) ), 'post.post_date_gmt' ),
	'impossible date'                    => array( igny8t_op( $cb, array( 'post' => array( 'post_date_gmt' => '2026-02-30 08:00:00' ) ) ), 'post.post_date_gmt' ),
	'empty title'                        => array( igny8t_op( $cb, array( 'post' => array( 'post_title' => ' ' ) ) ), 'post.post_title' ),
	'image field not allowed'            => array( igny8t_op( $cb, array( 'featured_image' => array( 'url' => "{$fix}/img/a.png", 'path' => '/etc/passwd' ) ) ), 'featured_image.path' ),
);
foreach ( $bounds as $name => list( $op, $field ) ) {
	$result = igny8t_run( $op );
	igny8t_check( "refused: {$name}", igny8t_refused( $result, $field ), $result );
}
igny8t_check( 'refused ops wrote nothing', array() === igny8t_posts_for( $cb ) && array() === igny8t_posts_for( 0 ) );

// ------------------------------------------------------------------------------------------------ rollback

$cr        = $base + 30;
$boom_name = "Rollback category {$run}";
$thrower   = static function () {
	throw new RuntimeException( 'simulated failure in a term hook' );
};
add_action( 'created_term', $thrower );
$rr = igny8t_run( igny8t_op( $cr, array( 'terms' => array( 'post_tag' => array( array( 'name' => "Fine tag {$run}" ) ), 'category' => array( array( 'name' => $boom_name ) ) ) ) ) );
remove_action( 'created_term', $thrower );
igny8t_check( 'rollback: the op fails with OPERATION_FAILED', false === $rr['ok'] && 'OPERATION_FAILED' === $rr['error']['code'], $rr );
igny8t_check( 'rollback: no post, no term left behind', array() === igny8t_posts_for( $cr ) && array() === igny8t_terms_named( 'category', $boom_name ) && array() === igny8t_terms_named( 'post_tag', "Fine tag {$run}" ) );
igny8t_check( 'rollback: caches do not remember the rolled-back term', false === get_term_by( 'name', $boom_name, 'category' ) );
igny8t_check( 'rollback: no lock rows left', array() === igny8t_locks(), igny8t_locks() );
$rr2 = igny8t_run( igny8t_op( $cr, array( 'terms' => array( 'category' => array( array( 'name' => $boom_name ) ) ) ) ) );
igny8t_check( 'rollback: the retry creates exactly one post and one term', true === $rr2['ok'] && true === $rr2['created'] && 1 === count( igny8t_posts_for( $cr ) ) && 1 === count( igny8t_terms_named( 'category', $boom_name ) ), $rr2 );

$cu      = $base + 31;
$ru1     = igny8t_run( igny8t_op( $cu, array( 'post' => array( 'post_title' => 'Before failure' ) ) ) );
$thrower2 = static function ( $meta_id, $object_id, $key ) {
	if ( '_igny8_meta_title' === $key ) {
		throw new RuntimeException( 'simulated failure while writing meta' );
	}
};
add_action( 'added_post_meta', $thrower2, 10, 3 );
$ru2 = igny8t_run( igny8t_op( $cu, array( 'post' => array( 'post_title' => 'After failure' ), 'meta' => array( '_igny8_meta_title' => 'x' ) ) ) );
remove_action( 'added_post_meta', $thrower2, 10 );
clean_post_cache( (int) $ru1['post_id'] );
igny8t_check( 'rollback of an update: the post keeps its previous title', false === $ru2['ok'] && 'Before failure' === get_post( (int) $ru1['post_id'] )->post_title, array( $ru2, get_post( (int) $ru1['post_id'] )->post_title ) );

// ---------------------------------------------------------------------------------- transaction guard

// After a deadlock MySQL has already rolled the whole transaction back; later statements would autocommit.
// The guard must block them, refuse the commit, and upsert_post must retry the whole attempt.
global $wpdb;
$tx = new Igny8\Bridge\Operations\Transaction();
$tx->begin();
$gid = wp_insert_post( array( 'post_title' => "tx guard {$run}", 'post_status' => 'draft', 'post_type' => 'post' ) );
$wpdb->last_error = 'Deadlock found when trying to get lock; try restarting transaction';
$blocked_query    = $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->posts} SET post_title = %s WHERE ID = %d", "changed {$run}", (int) $gid ) );
$commit_refused   = false;
try {
	$tx->commit();
} catch ( RuntimeException $e ) {
	$commit_refused = true;
}
$tx->rollback();
clean_post_cache( (int) $gid );
igny8t_check( 'transaction guard: after a deadlock error the next statement is blocked and commit refused', false === $blocked_query && null !== $tx->aborted() && $commit_refused, array( $blocked_query, $tx->aborted() ) );
igny8t_check( 'transaction: rollback removes the row inserted in the transaction', (int) $gid > 0 && null === $wpdb->get_var( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE ID = %d", (int) $gid ) ) );
igny8t_check( 'transaction guard: removed after rollback (queries run again)', 1 === (int) $wpdb->get_var( 'SELECT 1' ) );

$cdl       = $base + 33;
$deadlocks = 0;
$deadlock  = static function ( $meta_id, $object_id, $key ) use ( &$deadlocks ) {
	global $wpdb;
	if ( '_igny8_content_id' === $key && 0 === $deadlocks++ ) {
		$wpdb->last_error = 'Deadlock found when trying to get lock; try restarting transaction';
	}
};
add_action( 'added_post_meta', $deadlock, 10, 3 );
$rdl = igny8t_run( igny8t_op( $cdl, array( 'terms' => array( 'post_tag' => array( array( 'name' => "Deadlock tag {$run}" ) ) ) ) ) );
remove_action( 'added_post_meta', $deadlock, 10 );
igny8t_check( 'deadlock in the first attempt: upsert_post retries and succeeds with one post and one term', true === $rdl['ok'] && true === $rdl['created'] && 2 === $deadlocks && array( $rdl['post_id'] ) === igny8t_posts_for( $cdl ) && 1 === count( igny8t_terms_named( 'post_tag', "Deadlock tag {$run}" ) ), array( $rdl, $deadlocks, igny8t_posts_for( $cdl ) ) );

// ------------------------------------------------------------------------------------------------- fatal

$cf     = $base + 32;
$fatal  = igny8t_wait( array( igny8t_spawn( igny8t_op( $cf ), array( 'IGNY8_TEST_FATAL' => '1' ) ) ) )[0];
igny8t_check( 'fatal midway: the worker died with a PHP fatal error', 255 === $fatal[0] && false !== strpos( $fatal[2], 'simulated fatal' ), $fatal );
igny8t_check( 'fatal midway: no post (shutdown handler rolled back / deleted it), no lock rows', array() === igny8t_posts_for( $cf ) && array() === igny8t_locks(), array( igny8t_posts_for( $cf ), igny8t_locks() ) );
$t0 = microtime( true );
$rf2 = igny8t_run( igny8t_op( $cf ) );
igny8t_check( 'fatal midway: the retry succeeds at once (no stale lock)', true === $rf2['ok'] && true === $rf2['created'] && microtime( true ) - $t0 < 3, $rf2 );

$cw    = $base + 34;
$fatal = igny8t_wait( array( igny8t_spawn( igny8t_op( $cw ), array( 'IGNY8_TEST_FATAL' => 'wp-handler' ) ) ) )[0];
igny8t_check( "fatal under WordPress's fatal error handler (dies before shutdown actions): no post, no lock rows", 0 !== $fatal[0] && null === $fatal[1] && array() === igny8t_posts_for( $cw ) && array() === igny8t_locks(), array( $fatal[0], igny8t_posts_for( $cw ), igny8t_locks() ) );

$ck    = $base + 35;
$fatal = igny8t_wait( array( igny8t_spawn( igny8t_op( $ck ), array( 'IGNY8_TEST_FATAL' => 'kill' ) ) ) )[0];
igny8t_check( 'kill -9 midway: the database discarded the uncommitted post; only the lock row stays (until it expires)', array() === igny8t_posts_for( $ck ) && array( "content:{$ck}" ) === igny8t_locks(), array( $fatal[0], igny8t_posts_for( $ck ), igny8t_locks() ) );
$wpdb->delete( $wpdb->prefix . 'igny8_locks', array( 'name' => "content:{$ck}" ) ); // As if it had expired.
$rk = igny8t_run( igny8t_op( $ck ) );
igny8t_check( 'kill -9 midway: once the lock row is gone the retry creates the post', true === $rk['ok'] && true === $rk['created'] && array( $rk['post_id'] ) === igny8t_posts_for( $ck ), $rk );

// ------------------------------------------------------------------------------------------------- images

if ( $port > 0 && igny8t_start_server( $port ) && igny8t_start_server( $other ) ) {
	$ci   = $base + 40;
	$a    = "{$fix}/img/a-{$run}.png";
	$ri0  = igny8t_run( igny8t_op( $ci, array( 'featured_image' => array( 'url' => "{$nofix}/img/a-{$run}.png", 'alt' => 'Alt' ) ) ) );
	igny8t_check( 'image on a non-allow-listed 127.0.0.1 port: IMAGE_REFUSED warning, post still published', true === $ri0['ok'] && 'publish' === $ri0['post_status'] && null === $ri0['featured_image_id'] && igny8t_has_warning( $ri0, 'IMAGE_REFUSED', 'featured_image' ), $ri0 );

	$ri1 = igny8t_run( igny8t_op( $ci, array( 'featured_image' => array( 'url' => $a, 'alt' => 'Alt \\ "text"', 'caption' => 'Cap' ) ) ) );
	$att = (int) ( $ri1['featured_image_id'] ?? 0 );
	igny8t_check( 'allow-listed image sideloaded and set as the thumbnail', true === $ri1['ok'] && $att > 0 && $att === (int) get_post_thumbnail_id( $ri1['post_id'] ) && array() === $ri1['warnings'], $ri1 );
	$att_post = get_post( $att );
	igny8t_check( 'attachment: image/png, attached to the post, alt (slashes kept), caption, source URL meta', $att_post instanceof WP_Post && 'image/png' === $att_post->post_mime_type && (int) $att_post->post_parent === (int) $ri1['post_id']
		&& 'Alt \\ "text"' === get_post_meta( $att, '_wp_attachment_image_alt', true ) && 'Cap' === $att_post->post_excerpt && $a === get_post_meta( $att, '_igny8_image_source_url', true ), $att_post );
	igny8t_check( 'attachment file exists in uploads', is_file( (string) get_attached_file( $att ) ) );
	$ri2 = igny8t_run( igny8t_op( $ci, array( 'featured_image' => array( 'url' => $a, 'alt' => 'Alt' ) ) ) );
	igny8t_check( 'republish reuses the attachment (no second download, no second attachment)', true === $ri2['ok'] && $att === $ri2['featured_image_id'] && array( $att ) === igny8t_attachments_for( $a ) && 1 === igny8t_hits( $port, "/img/a-{$run}.png" ), array( $ri2, igny8t_attachments_for( $a ), igny8t_hits( $port, "/img/a-{$run}.png" ) ) );
	if ( Url_Guard::is_allow_listed( "localhost:{$port}" ) ) {
		$by_name = Url_Guard::check( "http://localhost:{$port}/img/host-{$run}.png" );
		$rh      = igny8t_run( igny8t_op( $base + 45, array( 'featured_image' => array( 'url' => "http://localhost:{$port}/img/host-{$run}.png" ) ) ) );
		igny8t_check( 'allow-listed host name: resolved, pinned to the checked address, fetched', '127.0.0.1' === $by_name['address'] && ! $by_name['ip_literal'] && true === $rh['ok'] && $rh['featured_image_id'] > 0 && array() === $rh['warnings'], array( $by_name, $rh ) );
	} else {
		echo "skip allow-listed host name (add localhost:{$port} to IGNY8_IMAGE_HOST_ALLOWLIST)\n";
	}
	$ri3 = igny8t_run( igny8t_op( $base + 41, array( 'featured_image' => array( 'url' => $a ) ) ) );
	igny8t_check( 'another post with the same image URL reuses the attachment', true === $ri3['ok'] && $att === $ri3['featured_image_id'] && 1 === count( igny8t_attachments_for( $a ) ), $ri3 );

	$gallery = array(
		array( 'url' => "{$fix}/img/b-{$run}.png", 'alt' => 'B' ),
		array( 'url' => "{$fix}/redirect?to=" . rawurlencode( "{$fix}/img/c-{$run}.jpg" ) ),
		array( 'url' => "{$fix}/redirect?to=" . rawurlencode( "{$nofix}/img/d-{$run}.png" ) ),
		array( 'url' => "{$fix}/redirect?to=" . rawurlencode( 'http://169.254.169.254/latest/meta-data/' ) ),
		array( 'url' => "{$fix}/redirect?to=" . rawurlencode( 'file:///etc/passwd' ) ),
		array( 'url' => "{$fix}/does-not-exist-{$run}.png" ),
		array( 'url' => "{$fix}/image.svg?{$run}" ),
		array( 'url' => "{$fix}/fake.png?{$run}" ),
		array( 'url' => 'gopher://127.0.0.1:70/x' ),
	);
	$rg  = igny8t_run( igny8t_op( $base + 42, array( 'featured_image' => array( 'url' => 'http://[::1]/x.png' ), 'gallery' => $gallery ) ) );
	$ok  = true === $rg['ok'] && 2 === count( $rg['gallery_ids'] );
	igny8t_check( 'gallery: the PNG and the JPEG behind an allow-listed redirect are sideloaded, in order', $ok && 'image/jpeg' === get_post_mime_type( $rg['gallery_ids'][1] ), $rg );
	igny8t_check( 'gallery ids stored as JSON in _igny8_gallery_images', $ok && wp_json_encode( $rg['gallery_ids'] ) === get_post_meta( $rg['post_id'], '_igny8_gallery_images', true ) );
	$expect = array(
		'featured_image' => 'IMAGE_REFUSED',
		'gallery.2'      => 'IMAGE_REFUSED',
		'gallery.3'      => 'IMAGE_REFUSED',
		'gallery.4'      => 'IMAGE_REFUSED',
		'gallery.5'      => 'IMAGE_FAILED',
		'gallery.6'      => 'IMAGE_REFUSED',
		'gallery.7'      => 'IMAGE_REFUSED',
		'gallery.8'      => 'IMAGE_REFUSED',
	);
	$got = array();
	foreach ( $rg['warnings'] ?? array() as $warning ) {
		$got[ $warning['field'] ] = $warning['code'];
	}
	ksort( $got );
	igny8t_check( 'gallery: [::1], redirects to a non-allow-listed port / metadata IP / file://, 404, SVG, HTML-as-PNG and gopher:// are warnings with their field', $expect === $got, $got );
	$rg2 = igny8t_run( igny8t_op( $base + 42, array( 'gallery' => array() ) ) );
	igny8t_check( 'gallery [] stores an empty list', true === $rg2['ok'] && '[]' === get_post_meta( $rg['post_id'], '_igny8_gallery_images', true ) );

	$rl = igny8t_run( igny8t_op( $base + 43, array( 'gallery' => array( array( 'url' => "{$fix}/big.png?{$run}" ), array( 'url' => "{$fix}/big-length.png?{$run}" ), array( 'url' => "{$fix}/huge.png?{$run}" ), array( 'url' => "{$fix}/loop?{$run}" ) ) ) ) );
	$got = array();
	foreach ( $rl['warnings'] ?? array() as $warning ) {
		$got[ $warning['field'] ] = $warning['code'];
	}
	igny8t_check( 'over 10 MB (streamed and with Content-Length), over 40 megapixels and a redirect loop are refused', true === $rl['ok'] && array() === $rl['gallery_ids'] && array( 'gallery.0' => 'IMAGE_REFUSED', 'gallery.1' => 'IMAGE_REFUSED', 'gallery.2' => 'IMAGE_REFUSED', 'gallery.3' => 'IMAGE_REFUSED' ) === $got, $rl );
	igny8t_check( 'no temp files of refused downloads left behind', array() === glob( get_temp_dir() . 'igny8-image*' ), glob( get_temp_dir() . 'igny8-image*' ) );

	// Rollback removes the files of attachments created in the failed attempt.
	$uploads_before = count( glob( wp_get_upload_dir()['path'] . '/rb-' . $run . '*' ) ?: array() );
	$during         = -1;
	$thrower3       = static function ( $meta_id, $object_id, $key ) use ( $run, &$during ) {
		if ( '_igny8_gallery_images' === $key ) {
			$during = count( glob( wp_get_upload_dir()['path'] . '/rb-' . $run . '*' ) ?: array() );
			throw new RuntimeException( 'simulated failure after the sideload' );
		}
	};
	add_action( 'added_post_meta', $thrower3, 10, 3 );
	$rx = igny8t_run( igny8t_op( $base + 44, array( 'gallery' => array( array( 'url' => "{$fix}/img/rb-{$run}.png" ) ) ) ) );
	remove_action( 'added_post_meta', $thrower3, 10 );
	igny8t_check( 'rollback after a sideload: the files existed during the attempt', $during > $uploads_before, $during );
	igny8t_check( 'rollback after a sideload: no post, no attachment row, no files in uploads', false === $rx['ok'] && array() === igny8t_posts_for( $base + 44 ) && array() === igny8t_attachments_for( "{$fix}/img/rb-{$run}.png" )
		&& $uploads_before === count( glob( wp_get_upload_dir()['path'] . '/rb-' . $run . '*' ) ?: array() ), array( $rx, glob( wp_get_upload_dir()['path'] . '/rb-' . $run . '*' ) ) );
} else {
	igny8t_check( 'image fixture servers started on 127.0.0.1:' . $port . ' and :' . $other, false );
}

// ------------------------------------------------------------------------------------------- concurrency
// Each lock is tested on its own (a shared image or term lock would serialise the whole write and hide a
// missing content lock), then everything together.

/**
 * Runs ops in parallel worker processes; returns the results and a summary of outcomes.
 */
function igny8t_parallel( array $ops ): array {
	$workers = array();
	// All workers bootstrap first, then start the operation at the same moment.
	$start = sprintf( '%.3f', microtime( true ) + 1.0 + 0.15 * count( $ops ) );
	foreach ( $ops as $op ) {
		$workers[] = igny8t_spawn( $op, array( 'IGNY8_TEST_START' => $start ) );
	}
	$results = igny8t_wait( $workers );
	$codes   = array_count_values(
		array_map(
			static function ( $r ) {
				return is_array( $r[1] ) ? ( $r[1]['ok'] ? 'ok' : $r[1]['error']['code'] ) : 'exit ' . $r[0] . ' ' . $r[2];
			},
			$results
		)
	);
	$oks     = array_values(
		array_filter(
			$results,
			static function ( $r ) {
				return is_array( $r[1] ) && true === $r[1]['ok'];
			}
		)
	);
	return array( $results, $oks, $codes );
}

/**
 * Checks N parallel publishes of one content id: one post, every success names it, one says created.
 */
function igny8t_check_same_content( string $label, int $content_id, array $oks, array $codes, int $n ): void {
	$post_ids = array_unique( array_map( static function ( $r ) { return $r[1]['post_id']; }, $oks ) );
	$created  = array_filter( $oks, static function ( $r ) { return true === $r[1]['created']; } );
	echo "#   {$label}: " . wp_json_encode( $codes ) . "\n";
	igny8t_check( "{$label}: exactly one post", 1 === count( igny8t_posts_for( $content_id ) ), igny8t_posts_for( $content_id ) );
	igny8t_check( "{$label}: every success names that post, exactly one says created", 1 === count( $post_ids ) && 1 === count( $created ), $codes );
	igny8t_check( "{$label}: all {$n} succeed (none waits past the lock timeout)", $n === count( $oks ), $codes );
}

// A: the content lock alone.
$cc = $base + 50;
list( , $oks, $codes ) = igny8t_parallel( array_fill( 0, 20, igny8t_op( $cc ) ) );
igny8t_check_same_content( '20 parallel processes, same content_id, nothing shared else', $cc, $oks, $codes, 20 );

// B: term locks alone (different content ids, the same new terms).
$shared_tag = "Shared new tag {$run}";
$ops        = array();
for ( $i = 0; $i < 10; $i++ ) {
	$ops[] = igny8t_op(
		$base + 60 + $i,
		array(
			'terms' => array(
				'post_tag'      => array( array( 'name' => $shared_tag ) ),
				'category'      => array( array( 'name' => "Shared new category {$run}" ) ),
				'igny8_sectors' => array( array( 'name' => "Sector {$run}", 'igny8_id' => $base + 888 ) ),
			),
		)
	);
}
list( , $oks, $codes ) = igny8t_parallel( $ops );
echo '#   10 parallel processes, other content_ids, same new terms: ' . wp_json_encode( $codes ) . "\n";
igny8t_check( '10 parallel processes sharing new terms: all ok, one tag, one category, one sector term', 10 === count( $oks ) && 1 === count( igny8t_terms_named( 'post_tag', $shared_tag ) ) && 1 === count( igny8t_terms_named( 'category', "Shared new category {$run}" ) ) && 1 === count( igny8t_terms_named( 'igny8_sectors', "Sector {$run}" ) ),
	array( $codes, igny8t_terms_named( 'post_tag', $shared_tag ), igny8t_terms_named( 'category', "Shared new category {$run}" ), igny8t_terms_named( 'igny8_sectors', "Sector {$run}" ) ) );

if ( $port > 0 ) {
	// C: the image lock alone (different content ids, the same new image URL).
	$img = "{$fix}/img/conc-{$run}.png";
	$ops = array();
	for ( $i = 0; $i < 10; $i++ ) {
		$ops[] = igny8t_op( $base + 70 + $i, array( 'featured_image' => array( 'url' => $img ) ) );
	}
	list( , $oks, $codes ) = igny8t_parallel( $ops );
	$thumbs = array_unique( array_map( static function ( $r ) { return $r[1]['featured_image_id']; }, $oks ) );
	echo '#   10 parallel processes, other content_ids, same new image: ' . wp_json_encode( $codes ) . "\n";
	igny8t_check( '10 parallel processes sharing a new image URL: all ok, one attachment, used by all', 10 === count( $oks ) && 1 === count( igny8t_attachments_for( $img ) ) && 1 === count( $thumbs ), array( $codes, igny8t_attachments_for( $img ), $thumbs ) );
	igny8t_check( '10 parallel processes sharing a new image URL: downloaded once', 1 === igny8t_hits( $port, "/img/conc-{$run}.png" ), igny8t_hits( $port, "/img/conc-{$run}.png" ) );
}

// D: everything at once, same content id.
$cd = $base + 80;
list( , $oks, $codes ) = igny8t_parallel(
	array_fill(
		0,
		20,
		igny8t_op(
			$cd,
			array(
				'terms'          => array(
					'category'       => array( array( 'name' => "Concurrent category {$run}" ) ),
					'igny8_clusters' => array( array( 'name' => "Conc cluster {$run}", 'igny8_id' => $base + 777 ) ),
				),
				'featured_image' => $port > 0 ? array( 'url' => "{$fix}/img/conc-all-{$run}.png" ) : null,
				'gallery'        => $port > 0 ? array( array( 'url' => "{$fix}/img/conc-all-{$run}.png" ), array( 'url' => "{$fix}/img/conc-g-{$run}.png" ) ) : null,
			)
		)
	)
);
igny8t_check_same_content( '20 parallel processes, same content_id, terms and images', $cd, $oks, $codes, 20 );
igny8t_check( '20 parallel processes: one category term, one cluster term', 1 === count( igny8t_terms_named( 'category', "Concurrent category {$run}" ) ) && 1 === count( igny8t_terms_named( 'igny8_clusters', "Conc cluster {$run}" ) ) );
if ( $port > 0 ) {
	igny8t_check( '20 parallel processes: one attachment per image URL (featured = first gallery image)', 1 === count( igny8t_attachments_for( "{$fix}/img/conc-all-{$run}.png" ) ) && 1 === count( igny8t_attachments_for( "{$fix}/img/conc-g-{$run}.png" ) ) );
}
igny8t_check( 'no lock rows left at the end', array() === igny8t_locks(), igny8t_locks() );

igny8t_stop_servers();
$passed = $GLOBALS['igny8t']['passed'];
$failed = $GLOBALS['igny8t']['failed'];
echo "# {$passed} passed, {$failed} failed\n";
exit( $failed > 0 ? 1 : 0 );
