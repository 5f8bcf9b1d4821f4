<?php
/**
 * The user operations run as.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Install;

use Igny8\Bridge\Feature;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A dedicated `igny8-integration` user with the `igny8_integration` role: it can edit, publish, assign terms and
 * upload, and never has `unfiltered_html` (so kses stays on for IGNY8 content). With user 0 WordPress drops term
 * input, with an administrator it keeps `<script>`. The account cannot log in interactively.
 */
final class Integration_User implements Feature {

	public const ROLE = 'igny8_integration';

	public const LOGIN = 'igny8-integration';

	public const EMAIL = 'igny8-integration@invalid.local';

	public const ID_OPTION = 'igny8_integration_user_id';

	/**
	 * Capabilities of the role (anything not listed, notably unfiltered_html, is absent).
	 */
	public const CAPABILITIES = array(
		'read',
		'edit_posts',
		'edit_others_posts',
		'edit_published_posts',
		'edit_private_posts',
		'read_private_posts',
		'publish_posts',
		'delete_posts',
		'delete_others_posts',
		'delete_published_posts',
		'delete_private_posts',
		'edit_pages',
		'edit_others_pages',
		'edit_published_pages',
		'edit_private_pages',
		'read_private_pages',
		'publish_pages',
		'delete_pages',
		'delete_others_pages',
		'delete_published_pages',
		'delete_private_pages',
		'manage_categories',
		'upload_files',
		'assign_terms',
	);

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_filter( 'wp_authenticate_user', array( $this, 'refuse_interactive_login' ), 10, 1 );
		add_filter( 'wp_is_application_passwords_available_for_user', array( $this, 'refuse_application_passwords' ), 10, 2 );
	}

	/**
	 * The integration account is for in-process operations only, never a login.
	 *
	 * @param \WP_User|\WP_Error $user User being authenticated.
	 * @return \WP_User|\WP_Error
	 */
	public function refuse_interactive_login( $user ) {
		if ( $user instanceof \WP_User && self::LOGIN === $user->user_login ) {
			return new \WP_Error( 'igny8_integration_login', __( 'This account is used by the IGNY8 Bridge and cannot log in.', 'igny8-bridge' ) );
		}
		return $user;
	}

	/**
	 * No application passwords for the integration account.
	 *
	 * @param bool     $available Current decision.
	 * @param \WP_User $user      User.
	 */
	public function refuse_application_passwords( $available, $user ): bool {
		return $user instanceof \WP_User && self::LOGIN === $user->user_login ? false : (bool) $available;
	}

	/**
	 * Creates the role, or brings an existing one back to exactly CAPABILITIES.
	 */
	public static function ensure_role(): void {
		$role = get_role( self::ROLE );
		if ( null === $role ) {
			add_role( self::ROLE, 'IGNY8 Integration', array_fill_keys( self::CAPABILITIES, true ) );
			return;
		}
		foreach ( array_keys( $role->capabilities ) as $capability ) {
			if ( ! in_array( $capability, self::CAPABILITIES, true ) ) {
				$role->remove_cap( $capability );
			}
		}
		foreach ( self::CAPABILITIES as $capability ) {
			if ( empty( $role->capabilities[ $capability ] ) ) {
				$role->add_cap( $capability );
			}
		}
	}

	/**
	 * Id of the integration user, created (with the role) when missing. 0 when it cannot be created.
	 */
	public static function ensure_user(): int {
		$user = self::find();
		if ( null === $user ) {
			self::ensure_role();
			$id = wp_insert_user(
				array(
					'user_login'   => self::LOGIN,
					'user_pass'    => wp_generate_password( 64, true, true ),
					'user_email'   => self::EMAIL,
					'display_name' => 'IGNY8 Integration',
					'role'         => self::ROLE,
				)
			);
			if ( is_wp_error( $id ) ) {
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the site owner needs the cause.
				error_log( 'IGNY8 Bridge could not create its integration user: ' . $id->get_error_message() );
				return 0;
			}
			$user = get_userdata( (int) $id );
		}
		if ( ! $user instanceof \WP_User ) {
			return 0;
		}
		if ( array( self::ROLE ) !== array_values( $user->roles ) ) {
			$user->set_role( self::ROLE );
		}
		update_option( self::ID_OPTION, (int) $user->ID, 'yes' );
		return (int) $user->ID;
	}

	/**
	 * Id of the integration user (creating it if it went missing).
	 */
	public static function id(): int {
		$id   = (int) get_option( self::ID_OPTION, 0 );
		$user = $id > 0 ? get_userdata( $id ) : false;
		if ( $user instanceof \WP_User && self::LOGIN === $user->user_login && in_array( self::ROLE, $user->roles, true ) ) {
			return $id;
		}
		return self::ensure_user();
	}

	/**
	 * The existing integration user, if any.
	 */
	private static function find(): ?\WP_User {
		$user = get_user_by( 'login', self::LOGIN );
		return $user instanceof \WP_User ? $user : null;
	}
}
