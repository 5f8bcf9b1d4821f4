<?php
/**
 * The posts lists' IGNY8 tools: the "Sync to IGNY8" bulk action, the sync-state filter, the failed count.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Rest\Route_Call;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * On the list screens (edit.php) of the allowed post types:
 * - bulk action "Sync to IGNY8": each selected post through the editor's Sync now route (`editor_sync_now`, the
 *   shim → sidecar proxy in this request, `edit_post` checked per post), then a notice with the counts;
 * - a "Sync state" filter (`igny8_sync_state` = synced | pending | failed | dead | never, or a comma list) and a
 *   "Sync failed" view link, reading the sync meta the sidecar writes back (the same rules as the IGNY8 column);
 * - the number of failed and dead posts on Settings → IGNY8, the way core counts pending comments.
 */
final class Posts_List_Sync implements Feature {

	public const ACTION = 'igny8_sync';
	public const FILTER = 'igny8_sync_state';
	public const STATES = array( 'synced', 'pending', 'failed', 'dead', 'never' );

	/** Most posts one bulk action sends (each is one sidecar exchange in this request). */
	private const MAX_BULK = 100;

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'load-edit.php', array( $this, 'on_list_screen' ) );
		add_action( 'pre_get_posts', array( $this, 'filter_query' ) );
	}

	/**
	 * Hooks the list tools for the listed post type when IGNY8 may manage it.
	 */
	public function on_list_screen(): void {
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		$type   = $screen ? (string) $screen->post_type : '';
		if ( '' === $type || ! in_array( $type, Settings::allowed_post_types(), true ) ) {
			return;
		}
		add_filter( "bulk_actions-edit-{$type}", array( $this, 'add_bulk_action' ) );
		add_filter( "handle_bulk_actions-edit-{$type}", array( $this, 'handle_bulk_action' ), 10, 3 );
		add_action( 'restrict_manage_posts', array( $this, 'render_filter' ), 10, 1 );
		add_filter( "views_edit-{$type}", array( $this, 'add_view' ) );
		add_action( 'admin_notices', array( $this, 'bulk_notice' ) );
		add_filter( 'removable_query_args', array( $this, 'removable_args' ) );
	}

	/**
	 * Adds "Sync to IGNY8".
	 *
	 * @param array<string,string> $actions Bulk actions.
	 * @return array<string,string>
	 */
	public function add_bulk_action( $actions ): array {
		$actions                 = (array) $actions;
		$actions[ self::ACTION ] = __( 'Sync to IGNY8', 'igny8-bridge' );
		return $actions;
	}

	/**
	 * Runs "Sync to IGNY8" on the selected posts (core checked the bulk-posts nonce before this filter).
	 *
	 * @param string $redirect Where core sends the browser next.
	 * @param string $action   The chosen action.
	 * @param int[]  $post_ids Selected posts.
	 */
	public function handle_bulk_action( $redirect, $action, $post_ids ): string {
		if ( self::ACTION !== $action ) {
			return (string) $redirect;
		}
		$queued   = 0;
		$problems = array();
		foreach ( array_slice( array_map( 'intval', (array) $post_ids ), 0, self::MAX_BULK ) as $post_id ) {
			$reply = Route_Call::route( 'editor_sync_now', array( 'post_id' => $post_id ) );
			if ( Route_Call::succeeded( $reply ) ) {
				++$queued;
				continue;
			}
			$problems[] = $post_id;
		}
		return add_query_arg(
			array(
				'igny8_queued'  => $queued,
				'igny8_refused' => implode( ',', $problems ),
			),
			(string) $redirect
		);
	}

	/**
	 * The notice after the bulk action.
	 */
	public function bulk_notice(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- display only: counts of what just ran.
		if ( ! isset( $_GET['igny8_queued'] ) ) {
			return;
		}
		$queued  = absint( $_GET['igny8_queued'] );
		$refused = array_filter( array_map( 'absint', explode( ',', sanitize_text_field( wp_unslash( (string) ( $_GET['igny8_refused'] ?? '' ) ) ) ) ) );
		// phpcs:enable WordPress.Security.NonceVerification.Recommended
		if ( $queued > 0 ) {
			printf(
				'<div class="notice notice-success is-dismissible"><p>%s</p></div>',
				esc_html(
					/* translators: %d: number of posts. */
					sprintf( _n( '%d post queued for IGNY8.', '%d posts queued for IGNY8.', $queued, 'igny8-bridge' ), $queued )
				)
			);
		}
		if ( array() !== $refused ) {
			printf(
				'<div class="notice notice-error is-dismissible"><p>%s</p></div>',
				esc_html(
					sprintf(
						/* translators: %s: post ids. */
						__( 'Not sent to IGNY8 (not managed by IGNY8, or the sidecar is unavailable): posts %s.', 'igny8-bridge' ),
						implode( ', ', $refused )
					)
				)
			);
		}
	}

	/**
	 * The bulk action's query args are removed from the address bar after the notice.
	 *
	 * @param string[] $args Removable args.
	 * @return string[]
	 */
	public function removable_args( $args ): array {
		return array_merge( (array) $args, array( 'igny8_queued', 'igny8_refused' ) );
	}

	/**
	 * The "Sync state" dropdown next to core's filters.
	 *
	 * @param string $post_type Listed type.
	 */
	public function render_filter( $post_type ): void {
		if ( ! in_array( (string) $post_type, Settings::allowed_post_types(), true ) ) {
			return;
		}
		$current = implode( ',', self::requested_states() );
		$labels  = self::labels();
		echo '<label for="filter-by-igny8-sync" class="screen-reader-text">' . esc_html__( 'Filter by IGNY8 sync state', 'igny8-bridge' ) . '</label>';
		echo '<select name="' . esc_attr( self::FILTER ) . '" id="filter-by-igny8-sync">';
		echo '<option value="">' . esc_html__( 'All sync states', 'igny8-bridge' ) . '</option>';
		foreach ( $labels as $state => $label ) {
			printf( '<option value="%1$s"%2$s>%3$s</option>', esc_attr( $state ), selected( $current, $state, false ), esc_html( $label ) );
		}
		if ( 'failed,dead' === $current ) {
			printf( '<option value="failed,dead" selected="selected">%s</option>', esc_html__( 'Sync failed or dead', 'igny8-bridge' ) );
		}
		echo '</select>';
	}

	/**
	 * A "Sync failed (N)" view above the list: the failed and dead posts in one click.
	 *
	 * @param array<string,string> $views Views.
	 * @return array<string,string>
	 */
	public function add_view( $views ): array {
		$views  = (array) $views;
		$screen = get_current_screen();
		$type   = $screen ? (string) $screen->post_type : 'post';
		$count  = self::failed_count( array( $type ) );
		if ( 0 === $count && array( 'failed', 'dead' ) !== self::requested_states() ) {
			return $views;
		}
		$url                  = add_query_arg( array( 'post_type' => $type, self::FILTER => 'failed,dead' ), admin_url( 'edit.php' ) );
		$views['igny8_failed'] = sprintf(
			'<a href="%1$s"%2$s>%3$s <span class="count">(%4$s)</span></a>',
			esc_url( $url ),
			array( 'failed', 'dead' ) === self::requested_states() ? ' class="current" aria-current="page"' : '',
			esc_html__( 'IGNY8 sync failed', 'igny8-bridge' ),
			esc_html( number_format_i18n( $count ) )
		);
		return $views;
	}

	/**
	 * Narrows the admin list query to the requested sync states.
	 *
	 * @param \WP_Query $query Query.
	 */
	public function filter_query( $query ): void {
		$screen = is_admin() && function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( ! $query instanceof \WP_Query || ! $query->is_main_query() || null === $screen || 'edit' !== $screen->base ) {
			return;
		}
		$states = self::requested_states();
		if ( array() === $states ) {
			return;
		}
		$meta_query   = (array) $query->get( 'meta_query' );
		$meta_query[] = self::meta_query( $states );
		$query->set( 'meta_query', $meta_query );
	}

	/**
	 * Managed posts of the allowed types in the failed or dead state, for the menu bubble and the view.
	 *
	 * @param string[]|null $post_types Types (null: every allowed type).
	 */
	public static function failed_count( ?array $post_types = null ): int {
		$query = new \WP_Query(
			array(
				'post_type'              => $post_types ?? Settings::allowed_post_types(),
				'post_status'            => 'any',
				'fields'                 => 'ids',
				'posts_per_page'         => 1,
				'meta_query'             => array( self::meta_query( array( 'failed', 'dead' ) ) ), // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_query -- one indexed meta_key lookup.
				'update_post_meta_cache' => false,
				'update_post_term_cache' => false,
				'suppress_filters'       => true,
			)
		);
		return (int) $query->found_posts;
	}

	/**
	 * The menu bubble, as core's `awaiting-mod` comment count.
	 */
	public static function bubble(): string {
		$count = self::failed_count();
		if ( 0 === $count ) {
			return '';
		}
		return sprintf(
			' <span class="awaiting-mod count-%1$d"><span class="pending-count" aria-hidden="true">%2$s</span><span class="screen-reader-text">%3$s</span></span>',
			$count,
			esc_html( number_format_i18n( $count ) ),
			esc_html(
				/* translators: %s: number of posts. */
				sprintf( _n( '%s post failed to sync to IGNY8', '%s posts failed to sync to IGNY8', $count, 'igny8-bridge' ), number_format_i18n( $count ) )
			)
		);
	}

	/**
	 * The meta query of some sync states: the column's rules (Posts_List_Column::describe) as SQL.
	 *
	 * @param string[] $states Known states.
	 * @return array<int|string,mixed>
	 */
	public static function meta_query( array $states ): array {
		$state_key  = Contract::meta_key( 'sync_state' );
		$marker_key = Contract::meta_key( 'sync_pending' );
		$synced_key = Contract::meta_key( 'last_synced' );
		$no_marker  = array(
			'relation' => 'OR',
			array(
				'key'     => $marker_key,
				'compare' => 'NOT EXISTS',
			),
			array(
				'key'   => $marker_key,
				'value' => '',
			),
		);
		$no_state   = array(
			'relation' => 'OR',
			array(
				'key'     => $state_key,
				'compare' => 'NOT EXISTS',
			),
			array(
				'key'   => $state_key,
				'value' => '',
			),
		);
		$by_state   = array(
			'failed'  => array(
				'key'   => $state_key,
				'value' => 'failed',
			),
			'dead'    => array(
				'key'   => $state_key,
				'value' => 'dead',
			),
			'pending' => array(
				'relation' => 'OR',
				array(
					'key'     => $state_key,
					'value'   => array( 'pending', 'pending_manual', 'in_flight' ),
					'compare' => 'IN',
				),
				array(
					'relation' => 'AND',
					array(
						'key'     => $marker_key,
						'value'   => '',
						'compare' => '!=',
					),
					array(
						'relation' => 'OR',
						array(
							'key'     => $state_key,
							'compare' => 'NOT EXISTS',
						),
						array(
							'key'     => $state_key,
							'value'   => array( 'failed', 'dead', 'pending_manual', 'in_flight' ),
							'compare' => 'NOT IN',
						),
					),
				),
			),
			'synced'  => array(
				'relation' => 'AND',
				$no_marker,
				array(
					'relation' => 'OR',
					array(
						'key'   => $state_key,
						'value' => 'synced',
					),
					array(
						'relation' => 'AND',
						$no_state,
						array(
							'key'     => $synced_key,
							'value'   => '',
							'compare' => '!=',
						),
					),
				),
			),
			'never'   => array(
				'relation' => 'AND',
				$no_marker,
				$no_state,
				array(
					'relation' => 'OR',
					array(
						'key'     => $synced_key,
						'compare' => 'NOT EXISTS',
					),
					array(
						'key'   => $synced_key,
						'value' => '',
					),
				),
			),
		);
		$managed = array( 'relation' => 'OR' );
		foreach ( Managed_Posts::managed_keys() as $key ) {
			$managed[] = array(
				'key'     => $key,
				'compare' => 'EXISTS',
			);
		}
		$wanted = array( 'relation' => 'OR' );
		foreach ( $states as $state ) {
			$wanted[] = $by_state[ $state ];
		}
		return array(
			'relation' => 'AND',
			$managed,
			$wanted,
		);
	}

	/**
	 * The states asked for in the address (`igny8_sync_state=failed` or `failed,dead`), unknown ones dropped.
	 *
	 * @return string[]
	 */
	private static function requested_states(): array {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a list filter, read only.
		$raw = isset( $_GET[ self::FILTER ] ) ? sanitize_text_field( wp_unslash( (string) $_GET[ self::FILTER ] ) ) : '';
		return array_values( array_intersect( self::STATES, explode( ',', $raw ) ) );
	}

	/**
	 * Dropdown labels.
	 *
	 * @return array<string,string>
	 */
	private static function labels(): array {
		return array(
			'synced'  => __( 'Synced', 'igny8-bridge' ),
			'pending' => __( 'Pending', 'igny8-bridge' ),
			'failed'  => __( 'Failed', 'igny8-bridge' ),
			'dead'    => __( 'Dead (gave up)', 'igny8-bridge' ),
			'never'   => __( 'Never synced', 'igny8-bridge' ),
		);
	}
}
