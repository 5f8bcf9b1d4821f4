<?php
/**
 * Plugin Name: IGNY8 bench: all-PHP baseline
 * Description: BENCHMARK ONLY, never shipped. Publishes an IGNY8 payload in ONE PHP request the way the original PHP-only plugin did (no sidecar), so `npm run bench` can compare the shim + sidecar against it.
 * Version:     0.0.0
 * License:     GPL-2.0-or-later
 *
 * Route: POST /wp-json/igny8-baseline/v1/publish-content/ with X-IGNY8-API-KEY (the key's HMAC is stored in the
 * option igny8_baseline_key_hmac by scripts/bench.ts). Writes what SPEC §5 lists for spelling A: the post, every
 * _igny8_* meta key, the SEO keys of Yoast / SEOPress / AIOSEO / Rank Math, categories and tags created by name,
 * and the cluster and sector terms found by their IGNY8 id in term meta (created when missing). No image.
 *
 * Deliberately what the original did and no more: a meta lookup for idempotency, then wp_insert_post /
 * wp_update_post and the meta and term writes; no lock row, no transaction, no signing, no sidecar hop.
 *
 * @package Igny8\Bench
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Bench profile, only for requests with the header `X-IGNY8-Bench-Timing: 1` (the real plugin's requests too):
 * timestamps of request start, REST dispatch, the first lock row insert (the real plugin's upsert_post), the first
 * post write, all writes done, reply ready and the end of the shutdown work (the sync notify runs there). The
 * reply gets them as a Server-Timing header (boot, pre, lock, write, post, php); every request also appends one
 * JSON line to wp-content/igny8-bench-timing.log at the very end (for what happens after the reply is built).
 *
 * @param string $name Mark.
 */
function igny8_bench_mark( string $name ): void {
	if ( isset( $GLOBALS['igny8_bench_marks'] ) && ! isset( $GLOBALS['igny8_bench_marks'][ $name ] ) ) {
		$GLOBALS['igny8_bench_marks'][ $name ] = microtime( true );
	}
}

/**
 * Milliseconds between two marks (null when one is missing).
 *
 * @param array  $m Marks.
 * @param string $a From.
 * @param string $b To.
 */
function igny8_bench_ms( array $m, string $a, string $b ): ?float {
	return isset( $m[ $a ], $m[ $b ] ) ? round( ( $m[ $b ] - $m[ $a ] ) * 1000, 2 ) : null;
}

if ( ! empty( $_SERVER['HTTP_X_IGNY8_BENCH_TIMING'] ) ) {
	$GLOBALS['igny8_bench_marks'] = array( 'start' => (float) ( $_SERVER['REQUEST_TIME_FLOAT'] ?? microtime( true ) ) );
	add_filter(
		'rest_pre_dispatch',
		static function ( $result ) {
			igny8_bench_mark( 'dispatch' );
			return $result;
		},
		-1000
	);
	$GLOBALS['igny8_bench_sql'] = empty( $_SERVER['HTTP_X_IGNY8_BENCH_QUERIES'] ) ? null : array();
	add_filter(
		'query',
		static function ( $sql ) {
			if ( is_string( $sql ) && false !== stripos( $sql, 'igny8_locks' ) && 0 === stripos( ltrim( $sql ), 'INSERT' ) ) {
				igny8_bench_mark( 'lock' );
			}
			if ( is_array( $GLOBALS['igny8_bench_sql'] ) && is_string( $sql ) ) {
				// Profile (header X-IGNY8-Bench-Queries): each query with the first caller outside wpdb and core's meta/option API.
				$caller = '';
				foreach ( debug_backtrace( DEBUG_BACKTRACE_IGNORE_ARGS ) as $frame ) { // phpcs:ignore WordPress.PHP.DevelopmentFunctions
					$file = (string) ( $frame['file'] ?? '' );
					if ( '' !== $file && false === strpos( $file, 'wp-includes' ) && false === strpos( $file, 'igny8-bench-baseline' ) && false === strpos( $file, 'sqlite' ) ) {
						$caller = basename( $file ) . ':' . ( $frame['line'] ?? 0 );
						break;
					}
				}
				$GLOBALS['igny8_bench_sql'][] = $caller . ' ' . substr( preg_replace( '/\s+/', ' ', $sql ), 0, 160 );
			}
			return $sql;
		}
	);
	add_filter(
		'wp_insert_post_data',
		static function ( $data ) {
			igny8_bench_mark( 'write0' );
			return $data;
		},
		-1000
	);
	add_action(
		'igny8_bridge_post_upserted',
		static function () {
			igny8_bench_mark( 'write1' );
		}
	);
	add_filter(
		'rest_post_dispatch',
		static function ( $response ) {
			igny8_bench_mark( 'end' );
			$m = $GLOBALS['igny8_bench_marks'];
			if ( $response instanceof WP_REST_Response ) {
				$parts = array(
					'boot'  => igny8_bench_ms( $m, 'start', 'dispatch' ),
					'pre'   => igny8_bench_ms( $m, 'dispatch', isset( $m['lock'] ) ? 'lock' : 'write0' ),
					'lock'  => igny8_bench_ms( $m, 'lock', 'write0' ),
					'write' => igny8_bench_ms( $m, 'write0', 'write1' ),
					'post'  => igny8_bench_ms( $m, 'write1', 'end' ),
					'php'   => igny8_bench_ms( $m, 'start', 'end' ),
				);
				$header = array();
				foreach ( $parts as $name => $ms ) {
					if ( null !== $ms ) {
						$header[] = "{$name};dur={$ms}";
					}
				}
				$response->header( 'Server-Timing', implode( ', ', $header ) );
			}
			return $response;
		},
		PHP_INT_MAX
	);
	add_action(
		'shutdown',
		static function () {
			// Registered during shutdown, so it runs after every `shutdown` action (the sync notify included).
			register_shutdown_function(
				static function () {
					igny8_bench_mark( 'done' );
					$m    = $GLOBALS['igny8_bench_marks'];
					$line = array(
						'method'   => $_SERVER['REQUEST_METHOD'] ?? '',
						'uri'      => $_SERVER['REQUEST_URI'] ?? '',
						'php'      => igny8_bench_ms( $m, 'start', 'end' ),
						'shutdown' => igny8_bench_ms( $m, 'end', 'done' ),
						'total'    => igny8_bench_ms( $m, 'start', 'done' ),
						'queries'  => get_num_queries(),
						'plugin'   => (string) ( $_SERVER['HTTP_X_IGNY8_BENCH_PLUGIN'] ?? 'active' ),
						'bench_id' => (string) ( $_SERVER['HTTP_X_IGNY8_BENCH_ID'] ?? '' ),
					);
					if ( is_array( $GLOBALS['igny8_bench_sql'] ) ) {
						$line['sql'] = $GLOBALS['igny8_bench_sql'];
					}
					file_put_contents( WP_CONTENT_DIR . '/igny8-bench-timing.log', wp_json_encode( $line ) . "\n", FILE_APPEND | LOCK_EX );
				}
			);
		},
		PHP_INT_MAX
	);
}

add_action(
	'rest_api_init',
	static function () {
		// The bare cost of a WordPress bootstrap + REST dispatch, for the profile of `npm run bench`.
		register_rest_route(
			'igny8-baseline/v1',
			'/noop',
			array(
				'methods'             => 'GET',
				'callback'            => static function () {
					return new WP_REST_Response( array( 'success' => true ) );
				},
				'permission_callback' => '__return_true',
			)
		);
		foreach ( array( 'post-by-content-id', 'post-status' ) as $lookup ) {
			register_rest_route(
				'igny8-baseline/v1',
				'/' . $lookup . '/(?P<content_id>\\d+)',
				array(
					'methods'             => 'GET',
					'callback'            => static function ( WP_REST_Request $request ) use ( $lookup ) {
						return igny8_bench_baseline_lookup( (int) $request['content_id'], 'post-status' === $lookup );
					},
					'permission_callback' => 'igny8_bench_baseline_permission',
				)
			);
		}
		register_rest_route(
			'igny8-baseline/v1',
			'/publish-content/?',
			array(
				'methods'             => 'POST',
				'callback'            => 'igny8_bench_baseline_publish',
				'permission_callback' => 'igny8_bench_baseline_permission',
			)
		);
	}
);

/**
 * API-key check on the same header as the real plugin, constant time against a stored HMAC.
 *
 * @param WP_REST_Request $request Request.
 * @return true|WP_Error
 */
function igny8_bench_baseline_permission( WP_REST_Request $request ) {
	$key    = (string) $request->get_header( 'x_igny8_api_key' );
	$stored = (string) get_option( 'igny8_baseline_key_hmac', '' );
	if ( '' === $key || '' === $stored || ! hash_equals( $stored, hash_hmac( 'sha256', $key, wp_salt( 'auth' ) ) ) ) {
		return new WP_Error( 'API_KEY_INVALID', 'Invalid API key.', array( 'status' => 401 ) );
	}
	return true;
}

/**
 * Finds or creates a term of an IGNY8 taxonomy by the IGNY8 id stored in term meta, else by name.
 *
 * @param string      $taxonomy Taxonomy.
 * @param int         $igny8_id IGNY8 id.
 * @param string|null $name     Name.
 * @param string      $meta_key Term meta key holding the IGNY8 id.
 */
function igny8_bench_baseline_igny8_term( string $taxonomy, int $igny8_id, ?string $name, string $meta_key ): int {
	$found = get_terms(
		array(
			'taxonomy'   => $taxonomy,
			'hide_empty' => false,
			'fields'     => 'ids',
			'number'     => 1,
			'meta_key'   => $meta_key, // phpcs:ignore WordPress.DB.SlowDBQuery
			'meta_value' => (string) $igny8_id, // phpcs:ignore WordPress.DB.SlowDBQuery
		)
	);
	if ( ! is_wp_error( $found ) && $found ) {
		return (int) $found[0];
	}
	$name  = null !== $name && '' !== $name ? $name : ( 'igny8_clusters' === $taxonomy ? 'Cluster ' : 'Sector ' ) . $igny8_id;
	$exist = term_exists( $name, $taxonomy );
	if ( $exist ) {
		$term_id = (int) $exist['term_id'];
	} else {
		$made = wp_insert_term( wp_slash( $name ), $taxonomy );
		if ( is_wp_error( $made ) ) {
			return 0;
		}
		$term_id = (int) $made['term_id'];
	}
	update_term_meta( $term_id, $meta_key, (string) $igny8_id );
	return $term_id;
}

/**
 * Term ids for names of a flat or hierarchical taxonomy, creating missing terms.
 *
 * @param string $taxonomy Taxonomy.
 * @param array  $names    Names (or {name} objects).
 * @return int[]
 */
function igny8_bench_baseline_terms_by_name( string $taxonomy, array $names ): array {
	$ids = array();
	foreach ( $names as $name ) {
		$name = is_array( $name ) ? (string) ( $name['name'] ?? '' ) : (string) $name;
		if ( '' === $name ) {
			continue;
		}
		$exist = term_exists( $name, $taxonomy );
		if ( $exist ) {
			$ids[] = (int) $exist['term_id'];
			continue;
		}
		$made = wp_insert_term( wp_slash( $name ), $taxonomy );
		if ( ! is_wp_error( $made ) ) {
			$ids[] = (int) $made['term_id'];
		}
	}
	return $ids;
}

/**
 * The lookups (`/post-by-content-id/{id}`, `/post-status/{id}`) the way an all-PHP plugin answers them: one meta
 * query over every status, the post's own fields and IGNY8 meta, in this request.
 *
 * @param int  $content_id IGNY8 content id.
 * @param bool $status     Whether this is /post-status (the status fields) or /post-by-content-id (the summary).
 * @return WP_REST_Response|WP_Error
 */
function igny8_bench_baseline_lookup( int $content_id, bool $status ) {
	$found = get_posts(
		array(
			'post_type'        => array( 'post', 'page' ),
			'post_status'      => 'any',
			'numberposts'      => 1,
			'orderby'          => 'ID',
			'order'            => 'ASC',
			'meta_key'         => '_igny8_content_id', // phpcs:ignore WordPress.DB.SlowDBQuery
			'meta_value'       => (string) $content_id, // phpcs:ignore WordPress.DB.SlowDBQuery
			'suppress_filters' => true,
		)
	);
	if ( ! $found ) {
		return new WP_Error( 'POST_NOT_FOUND', 'No IGNY8-managed post has this content id.', array( 'status' => 404 ) );
	}
	$post   = $found[0];
	$map    = array(
		'publish' => 'completed',
		'draft'   => 'draft',
		'pending' => 'pending',
		'future'  => 'scheduled',
		'private' => 'completed',
		'trash'   => 'archived',
	);
	$common = array(
		'post_id'          => (int) $post->ID,
		'wordpress_status' => $post->post_status,
		'igny8_status'     => $map[ $post->post_status ] ?? 'draft',
		'content_id'       => $content_id,
		'url'              => (string) get_permalink( $post ),
		'last_synced'      => (string) get_post_meta( $post->ID, '_igny8_last_synced', true ),
	);
	$data   = $status ? $common + array( 'status_mapping' => $map ) : $common + array(
		'title'     => get_the_title( $post ),
		'status'    => $post->post_status,
		'post_type' => $post->post_type,
		'task_id'   => (int) get_post_meta( $post->ID, '_igny8_task_id', true ),
	);
	return new WP_REST_Response( array( 'success' => true, 'data' => $data ), 200 );
}

/**
 * The publish: one request, every write in-process.
 *
 * @param WP_REST_Request $request Request.
 * @return WP_REST_Response|WP_Error
 */
function igny8_bench_baseline_publish( WP_REST_Request $request ) {
	$p = $request->get_json_params();
	if ( ! is_array( $p ) || empty( $p['content_id'] ) || ! isset( $p['title'], $p['content_html'] ) ) {
		return new WP_Error( 'VALIDATION_FAILED', 'content_id, title and content_html are required.', array( 'status' => 422 ) );
	}
	$content_id = (int) $p['content_id'];
	$map        = array(
		'completed' => 'publish',
		'published' => 'publish',
		'publish'   => 'publish',
		'draft'     => 'draft',
		'pending'   => 'pending',
		'review'    => 'pending',
	);
	$status     = $map[ (string) ( $p['status'] ?? 'draft' ) ] ?? 'draft';

	$existing = get_posts(
		array(
			'post_type'        => array( 'post', 'page' ),
			'post_status'      => 'any',
			'fields'           => 'ids',
			'numberposts'      => 1,
			'meta_key'         => '_igny8_content_id', // phpcs:ignore WordPress.DB.SlowDBQuery
			'meta_value'       => (string) $content_id, // phpcs:ignore WordPress.DB.SlowDBQuery
			'suppress_filters' => true,
		)
	);
	$fields = array(
		'post_title'   => sanitize_text_field( (string) $p['title'] ),
		'post_content' => wp_kses_post( (string) $p['content_html'] ),
		'post_excerpt' => (string) ( $p['excerpt'] ?? '' ),
		'post_status'  => $status,
		'post_type'    => 'post',
	);
	if ( $existing ) {
		$post_id = wp_update_post( wp_slash( $fields + array( 'ID' => (int) $existing[0] ) ), true );
		$created = false;
	} else {
		$post_id = wp_insert_post( wp_slash( $fields + array( 'post_author' => 1 ) ), true );
		$created = true;
	}
	if ( is_wp_error( $post_id ) ) {
		return $post_id;
	}

	$title       = sanitize_text_field( (string) ( $p['meta_title'] ?? $p['title'] ) );
	$description = sanitize_text_field( (string) ( $p['meta_description'] ?? '' ) );
	$keyword     = sanitize_text_field( (string) ( $p['primary_keyword'] ?? '' ) );
	$meta        = array(
		'_igny8_content_id'         => (string) $content_id,
		'_igny8_task_id'            => isset( $p['task_id'] ) ? (string) (int) $p['task_id'] : '',
		'_igny8_cluster_id'         => isset( $p['cluster_id'] ) ? (string) (int) $p['cluster_id'] : '',
		'_igny8_sector_id'          => isset( $p['sector_id'] ) ? (string) (int) $p['sector_id'] : '',
		'_igny8_content_type'       => (string) ( $p['content_type'] ?? 'post' ),
		'_igny8_content_structure'  => (string) ( $p['content_structure'] ?? '' ),
		'_igny8_source'             => 'igny8',
		'_igny8_meta_title'         => $title,
		'_igny8_meta_description'   => $description,
		'_igny8_primary_keyword'    => $keyword,
		'_igny8_secondary_keywords' => (string) wp_json_encode( array_values( (array) ( $p['secondary_keywords'] ?? array() ) ) ),
		'_igny8_keyword_ids'        => (string) wp_json_encode( array_values( (array) ( $p['keyword_ids'] ?? array() ) ) ),
		'_igny8_wordpress_status'   => $status,
		'_igny8_last_synced'        => current_time( 'mysql' ),
		'_yoast_wpseo_title'        => $title,
		'_yoast_wpseo_metadesc'     => $description,
		'_yoast_wpseo_focuskw'      => $keyword,
		'_seopress_titles_title'    => $title,
		'_seopress_titles_desc'     => $description,
		'_seopress_analysis_target_kw' => $keyword,
		'_aioseo_title'             => $title,
		'_aioseo_description'       => $description,
		'rank_math_title'           => $title,
		'rank_math_description'     => $description,
		'rank_math_focus_keyword'   => $keyword,
	);
	foreach ( $meta as $key => $value ) {
		if ( '' !== $value ) {
			update_post_meta( $post_id, $key, wp_slash( $value ) );
		}
	}

	$term_ids = array(
		'category'       => igny8_bench_baseline_terms_by_name( 'category', (array) ( $p['categories'] ?? array() ) ),
		'post_tag'       => igny8_bench_baseline_terms_by_name( 'post_tag', (array) ( $p['tags'] ?? array() ) ),
		'igny8_clusters' => array(),
		'igny8_sectors'  => array(),
	);
	if ( ! empty( $p['cluster_id'] ) && taxonomy_exists( 'igny8_clusters' ) ) {
		$term_ids['igny8_clusters'][] = igny8_bench_baseline_igny8_term( 'igny8_clusters', (int) $p['cluster_id'], $p['cluster_name'] ?? null, '_igny8_cluster_id' );
	}
	if ( ! empty( $p['sector_id'] ) && taxonomy_exists( 'igny8_sectors' ) ) {
		$term_ids['igny8_sectors'][] = igny8_bench_baseline_igny8_term( 'igny8_sectors', (int) $p['sector_id'], $p['sector_name'] ?? null, '_igny8_sector_id' );
	}
	foreach ( $term_ids as $taxonomy => $ids ) {
		if ( $ids && taxonomy_exists( $taxonomy ) ) {
			wp_set_object_terms( $post_id, array_values( array_filter( $ids ) ), $taxonomy, false );
		}
	}

	igny8_bench_mark( 'write1' );
	return new WP_REST_Response(
		array(
			'success' => true,
			'data'    => array(
				'post_id'          => (int) $post_id,
				'assigned_post_id' => (int) $post_id,
				'post_url'         => (string) get_permalink( $post_id ),
				'post_status'      => $status,
				'wordpress_status' => $status,
				'content_id'       => $content_id,
				'term_ids'         => $term_ids,
			),
		),
		$created ? 201 : 200
	);
}
