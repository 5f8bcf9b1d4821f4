<?php
/**
 * Tools → IGNY8 Activity: the host page of the activity log screen.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Tools → IGNY8 Activity for administrators. The log lives in the sidecar; the app (build/activity.js) reads it
 * through the proxied `GET /igny8/v1/activity` route (one WordPress bootstrap per page), so PHP prints no row and
 * knows no field of it.
 */
final class Activity_Page extends App_Page {

	public const SLUG = 'igny8-activity';

	/**
	 * {@inheritDoc}
	 */
	protected function app(): string {
		return 'activity';
	}

	/**
	 * {@inheritDoc}
	 */
	protected function screen_name(): string {
		return __( 'The IGNY8 activity screen', 'igny8-bridge' );
	}

	/**
	 * Adds the page under Tools.
	 *
	 * @return string|false
	 */
	protected function add_menu_entry() {
		return add_management_page(
			__( 'IGNY8 Activity', 'igny8-bridge' ),
			__( 'IGNY8 Activity', 'igny8-bridge' ),
			'manage_options',
			self::SLUG,
			array( $this, 'render' )
		);
	}
}
