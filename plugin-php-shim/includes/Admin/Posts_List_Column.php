<?php
/**
 * The "IGNY8" column of the posts lists.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Registration\Settings;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Adds an "IGNY8" column with each post's sync state to the list screens (edit.php) of the allowed post types.
 * It reads only post meta (`_igny8_sync_state`, `_igny8_sync_pending`, `_igny8_last_synced`, `_igny8_sync_error`,
 * the id keys), which WP_Query already primed for the listed posts: no query per row.
 */
final class Posts_List_Column implements Feature {

	public const COLUMN = 'igny8';

	/** Longest error text shown in the cell; the whole text is in its title attribute. */
	private const ERROR_EXCERPT_LENGTH = 60;

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'load-edit.php', array( $this, 'on_list_screen' ) );
	}

	/**
	 * Hooks the column for the listed post type when IGNY8 may manage it.
	 */
	public function on_list_screen(): void {
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		$type   = $screen ? (string) $screen->post_type : '';
		if ( '' === $type || ! in_array( $type, Settings::allowed_post_types(), true ) ) {
			return;
		}
		add_filter( "manage_{$type}_posts_columns", array( $this, 'add_column' ) );
		add_action( "manage_{$type}_posts_custom_column", array( $this, 'render_cell' ), 10, 2 );
		add_action( 'admin_enqueue_scripts', array( $this, 'add_styles' ) );
		add_filter( 'default_hidden_columns', array( $this, 'hide_term_columns_by_default' ), 10, 2 );
	}

	/**
	 * Hides the cluster and sector term columns until the user shows them (Screen Options): with them, the title
	 * column of a 1440 px screen shrinks to a few characters. The sidebar shows both for each post.
	 *
	 * @param string[]   $hidden Column ids hidden by default.
	 * @param \WP_Screen $screen The list screen.
	 * @return string[]
	 */
	public function hide_term_columns_by_default( $hidden, $screen ): array {
		$hidden = (array) $hidden;
		if ( $screen instanceof \WP_Screen && 'edit' === $screen->base ) {
			$hidden[] = 'taxonomy-igny8_clusters';
			$hidden[] = 'taxonomy-igny8_sectors';
		}
		return $hidden;
	}

	/**
	 * Puts the column before the date (or last).
	 *
	 * @param array<string,string> $columns Column id => label.
	 * @return array<string,string>
	 */
	public function add_column( $columns ): array {
		$columns = (array) $columns;
		$label   = __( 'IGNY8', 'igny8-bridge' );
		if ( ! isset( $columns['date'] ) ) {
			$columns[ self::COLUMN ] = $label;
			return $columns;
		}
		$out = array();
		foreach ( $columns as $id => $title ) {
			if ( 'date' === $id ) {
				$out[ self::COLUMN ] = $label;
			}
			$out[ $id ] = $title;
		}
		return $out;
	}

	/**
	 * Prints one cell.
	 *
	 * @param string $column  Column id.
	 * @param int    $post_id Post id.
	 */
	public function render_cell( $column, $post_id ): void {
		if ( self::COLUMN !== $column ) {
			return;
		}
		$cell = self::describe( (int) $post_id );
		if ( null === $cell ) {
			printf(
				'<span aria-hidden="true">—</span><span class="screen-reader-text">%s</span>',
				esc_html__( 'Not managed by IGNY8', 'igny8-bridge' )
			);
			return;
		}
		printf(
			'<span class="igny8-sync igny8-sync--%1$s"%2$s>%3$s</span>',
			esc_attr( $cell['state'] ),
			'' !== $cell['title'] ? ' title="' . esc_attr( $cell['title'] ) . '"' : '',
			esc_html( $cell['text'] )
		);
	}

	/**
	 * Styles of the column (only on the list screens where it is added).
	 */
	public function add_styles(): void {
		wp_add_inline_style(
			'wp-admin',
			'.fixed .column-igny8{width:10%}.igny8-sync--failed,.igny8-sync--dead{color:#b32d2e}.igny8-sync--synced{color:#00450c}'
		);
	}

	/**
	 * What the cell says about a post, or null when IGNY8 does not manage it.
	 *
	 * @param int $post_id Post id.
	 * @return array{state:string,text:string,title:string}|null
	 */
	public static function describe( int $post_id ): ?array {
		$post = get_post( $post_id );
		if ( ! $post instanceof \WP_Post || ! Managed_Posts::is_managed( $post ) ) {
			return null;
		}
		$state       = (string) get_post_meta( $post_id, Contract::meta_key( 'sync_state' ), true );
		$pending     = '' !== (string) get_post_meta( $post_id, Contract::meta_key( 'sync_pending' ), true );
		$last_synced = (string) get_post_meta( $post_id, Contract::meta_key( 'last_synced' ), true );

		if ( $pending && ! in_array( $state, array( 'pending_manual', 'in_flight', 'failed', 'dead' ), true ) ) {
			$state = 'pending';
		}
		if ( '' === $state ) {
			// Published by IGNY8 and not changed since: the publish itself was the sync.
			$state = '' !== $last_synced ? 'synced' : 'never';
		}

		switch ( $state ) {
			case 'synced':
				$ago = self::time_ago( $last_synced );
				return array(
					'state' => 'synced',
					/* translators: %s: how long ago, e.g. "5 mins". */
					'text'  => null === $ago ? __( 'Synced', 'igny8-bridge' ) : sprintf( __( 'Synced %s ago', 'igny8-bridge' ), $ago ),
					'title' => $last_synced,
				);
			case 'pending':
			case 'in_flight':
				return array( 'state' => 'pending', 'text' => __( 'Pending', 'igny8-bridge' ), 'title' => '' );
			case 'pending_manual':
				return array(
					'state' => 'pending',
					'text'  => __( 'Pending (manual)', 'igny8-bridge' ),
					'title' => __( 'Sent on Sync now or Sync all pending.', 'igny8-bridge' ),
				);
			case 'failed':
			case 'dead':
				$error = trim( (string) get_post_meta( $post_id, Contract::meta_key( 'sync_error' ), true ) );
				if ( '' === $error ) {
					return array( 'state' => $state, 'text' => __( 'Failed', 'igny8-bridge' ), 'title' => '' );
				}
				return array(
					'state' => $state,
					/* translators: %s: the sync error, shortened. */
					'text'  => sprintf( __( 'Failed: %s', 'igny8-bridge' ), self::excerpt( $error ) ),
					'title' => $error,
				);
			default:
				return array( 'state' => 'never', 'text' => __( 'Never synced', 'igny8-bridge' ), 'title' => '' );
		}
	}

	/**
	 * "5 mins" for a stored time: site time (`Y-m-d H:i:s`, as `current_time('mysql')`) or ISO 8601 with an offset.
	 *
	 * @param string $stored Stored time.
	 */
	private static function time_ago( string $stored ): ?string {
		if ( '' === $stored ) {
			return null;
		}
		try {
			$time = new \DateTimeImmutable( $stored, wp_timezone() );
		} catch ( \Exception $e ) {
			return null;
		}
		return human_time_diff( $time->getTimestamp(), time() );
	}

	/**
	 * Shortens a text to ERROR_EXCERPT_LENGTH characters.
	 *
	 * @param string $text Text.
	 */
	private static function excerpt( string $text ): string {
		$text = (string) preg_replace( '/\s+/', ' ', $text );
		if ( mb_strlen( $text ) <= self::ERROR_EXCERPT_LENGTH ) {
			return $text;
		}
		return rtrim( mb_substr( $text, 0, self::ERROR_EXCERPT_LENGTH - 1 ) ) . '…';
	}
}
