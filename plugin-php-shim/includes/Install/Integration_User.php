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
 * A dedicated integration user with the `igny8_integration` role: it can edit, publish, assign terms and upload,
 * and never has `unfiltered_html` (so kses stays on for IGNY8 content). With user 0 WordPress drops term input,
 * with an administrator it keeps `<script>`.
 *
 * The plugin creates the account itself, under a random login nobody can register in advance, and remembers it by
 * id plus a random marker kept both in an option and in the user's meta. An account it did not create is never
 * adopted, whatever its login or role: when the recorded account is gone or does not carry the marker, a new one is
 * created and every other holder of the role loses it and all its sessions. No password, application password or
 * session (auth cookie) can ever act as the account; only the executor switches to it, in-process.
 */
final class Integration_User implements Feature {

	public const ROLE = 'igny8_integration';

	/** Prefix of the login; a random suffix of 16 hex digits follows. */
	public const LOGIN_PREFIX = 'igny8-integration-';

	public const ID_OPTION = 'igny8_integration_user_id';

	public const MARKER_OPTION = 'igny8_integration_user_marker';

	public const MARKER_META = '_igny8_integration_marker';

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
		// After core's cookie and application-password handlers (priority 20): no session acts as the account.
		add_filter( 'determine_current_user', array( $this, 'refuse_session' ), 99, 1 );
	}

	/**
	 * The integration account is for in-process operations only, never a login.
	 *
	 * @param \WP_User|\WP_Error $user User being authenticated.
	 * @return \WP_User|\WP_Error
	 */
	public function refuse_interactive_login( $user ) {
		if ( $user instanceof \WP_User && self::is_integration_account( $user ) ) {
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
		return $user instanceof \WP_User && self::is_integration_account( $user ) ? false : (bool) $available;
	}

	/**
	 * No auth cookie resolves to the integration account (it never logs in, so any session for it is forged or
	 * left over from an account that was adopted by an older version).
	 *
	 * @param int|false $user_id User the request authenticated as.
	 * @return int|false
	 */
	public function refuse_session( $user_id ) {
		if ( is_int( $user_id ) && $user_id > 0 ) {
			$user = get_userdata( $user_id );
			if ( $user instanceof \WP_User && self::is_integration_account( $user ) ) {
				return false;
			}
		}
		return $user_id;
	}

	/**
	 * The recorded account, or anything holding the role: neither may authenticate.
	 *
	 * @param \WP_User $user User.
	 */
	private static function is_integration_account( \WP_User $user ): bool {
		return (int) $user->ID === (int) get_option( self::ID_OPTION, 0 ) || in_array( self::ROLE, (array) $user->roles, true );
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
	 * Id of the integration user: the recorded one when it is ours, else a new one. 0 when it cannot be created.
	 */
	public static function ensure_user(): int {
		$recorded = self::recorded();
		if ( null !== $recorded ) {
			return (int) $recorded->ID;
		}
		self::ensure_role();
		$suffix = bin2hex( random_bytes( 8 ) );
		$marker = bin2hex( random_bytes( 16 ) );
		$id     = wp_insert_user(
			array(
				'user_login'   => self::LOGIN_PREFIX . $suffix,
				'user_pass'    => wp_generate_password( 64, true, true ),
				'user_email'   => self::LOGIN_PREFIX . $suffix . '@invalid.local',
				'display_name' => 'IGNY8 Integration',
				'role'         => self::ROLE,
			)
		);
		if ( is_wp_error( $id ) ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the site owner needs the cause.
			error_log( 'IGNY8 Bridge could not create its integration user: ' . $id->get_error_message() );
			return 0;
		}
		$id = (int) $id;
		update_user_meta( $id, self::MARKER_META, $marker );
		$previous = (int) get_option( self::ID_OPTION, 0 );
		update_option( self::MARKER_OPTION, $marker, 'yes' );
		update_option( self::ID_OPTION, $id, 'yes' );
		self::retire_others( $id, $previous );
		return $id;
	}

	/**
	 * Id of the integration user (creating it if it went missing or is not ours).
	 */
	public static function id(): int {
		$recorded = self::recorded();
		return null !== $recorded ? (int) $recorded->ID : self::ensure_user();
	}

	/**
	 * The recorded account, if it is the one the plugin created: the id option, the marker in both places, and
	 * exactly the role.
	 */
	private static function recorded(): ?\WP_User {
		$id     = (int) get_option( self::ID_OPTION, 0 );
		$marker = (string) get_option( self::MARKER_OPTION, '' );
		$user   = $id > 0 ? get_userdata( $id ) : false;
		if ( ! $user instanceof \WP_User || strlen( $marker ) < 32 ) {
			return null;
		}
		$stored = (string) get_user_meta( $id, self::MARKER_META, true );
		if ( ! hash_equals( $marker, $stored ) || array( self::ROLE ) !== array_values( (array) $user->roles ) ) {
			return null;
		}
		return $user;
	}

	/**
	 * After a re-creation: every other account holding the role (an adopted one, or the old fixed-login account of
	 * an older version) loses the role, and it and the previously recorded account lose every session.
	 *
	 * @param int $keep     The new integration user.
	 * @param int $previous The account recorded before.
	 */
	private static function retire_others( int $keep, int $previous ): void {
		$ids = array_map( 'intval', get_users( array( 'role' => self::ROLE, 'fields' => 'ID', 'blog_id' => get_current_blog_id() ) ) );
		if ( $previous > 0 ) {
			$ids[] = $previous;
		}
		foreach ( array_unique( $ids ) as $id ) {
			if ( $id === $keep ) {
				continue;
			}
			$user = get_userdata( $id );
			if ( ! $user instanceof \WP_User ) {
				continue;
			}
			$user->remove_role( self::ROLE );
			delete_user_meta( $id, self::MARKER_META );
			\WP_Session_Tokens::get_instance( $id )->destroy_all();
		}
	}
}
