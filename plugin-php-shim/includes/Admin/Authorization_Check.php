<?php
/**
 * Tells the admin when the web server strips the Authorization header.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

use Igny8\Bridge\Feature;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Apache + PHP-FPM (`proxy_fcgi`, CGI, FastCGI) drops `Authorization` before PHP sees it unless the site's
 * configuration passes it on, so `Authorization: Bearer <key>` would fail while `X-IGNY8-API-KEY` works. A loopback
 * request to the site's own front end carries a probe Bearer token; the probe answer says only whether it arrived.
 * The result is a check of Health\Health_Checks (Site Health, `wp igny8 doctor`) and, when stripped, a notice on
 * Settings → IGNY8 (fresh on every load, nothing stored).
 */
final class Authorization_Check implements Feature {

	/** Query parameter of the probe request. */
	public const PROBE_PARAM = 'igny8-authorization-probe';

	/** The Bearer token the probe sends (not a credential: it only has to arrive unchanged). */
	private const PROBE_TOKEN = 'igny8-authorization-probe';

	/** The line for the site's .htaccess that passes the header on (README: "Authorization stripped"). */
	public const HTACCESS_LINE = 'SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1';

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'init', array( $this, 'answer_probe' ), 0 );
		add_action( 'admin_notices', array( $this, 'settings_notice' ) );
	}

	/**
	 * Answers the loopback probe: whether its Authorization header reached PHP. Reveals nothing else.
	 */
	public function answer_probe(): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- an anonymous, read-only probe.
		if ( ! isset( $_GET[ self::PROBE_PARAM ] ) ) {
			return;
		}
		nocache_headers();
		wp_send_json( array( 'authorization' => hash_equals( 'Bearer ' . self::PROBE_TOKEN, self::authorization_header() ) ) );
	}

	/**
	 * The Authorization header as PHP received it ('' when stripped), the way WP_REST_Server reads it.
	 */
	private static function authorization_header(): string {
		foreach ( array( 'HTTP_AUTHORIZATION', 'REDIRECT_HTTP_AUTHORIZATION' ) as $name ) {
			if ( isset( $_SERVER[ $name ] ) && is_string( $_SERVER[ $name ] ) && '' !== $_SERVER[ $name ] ) {
				return trim( wp_unslash( $_SERVER[ $name ] ) ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared, never output.
			}
		}
		return '';
	}

	/**
	 * Sends the probe: 'passed', 'stripped', or 'unknown' (the site could not reach itself).
	 */
	public static function probe(): string {
		$response = wp_remote_get(
			add_query_arg( self::PROBE_PARAM, '1', home_url( '/' ) ),
			array(
				'headers'     => array( 'Authorization' => 'Bearer ' . self::PROBE_TOKEN ),
				'timeout'     => 5,
				'redirection' => 0,
				/** This filter is documented in wp-includes/class-wp-http-streams.php */
				'sslverify'   => apply_filters( 'https_local_ssl_verify', false ),
			)
		);
		$body = is_wp_error( $response ) ? null : json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( ! is_array( $body ) || ! isset( $body['authorization'] ) ) {
			return 'unknown';
		}
		return true === $body['authorization'] ? 'passed' : 'stripped';
	}

	/**
	 * What to do about a stripped header, for the notice and Site Health.
	 */
	public static function fix_text(): string {
		return sprintf(
			/* translators: 1: X-IGNY8-API-KEY header name, 2: the .htaccess line, 3: the nginx line */
			__( 'IGNY8 sends its key in %1$s, which works on this server. For Authorization: Bearer to work too, add this line at the top of the site\'s .htaccess (Apache): %2$s — or, on nginx, %3$s in the PHP location.', 'igny8-bridge' ),
			'X-IGNY8-API-KEY',
			self::HTACCESS_LINE,
			'fastcgi_param HTTP_AUTHORIZATION $http_authorization;'
		);
	}

	/**
	 * On Settings → IGNY8: a warning when the header is stripped.
	 */
	public function settings_notice(): void {
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( ! $screen || 'settings_page_' . Settings_Page::SLUG !== $screen->id || ! current_user_can( 'manage_options' ) ) {
			return;
		}
		if ( 'stripped' !== self::probe() ) {
			return;
		}
		printf(
			'<div class="notice notice-warning" id="igny8-authorization-stripped"><p><strong>%1$s</strong> %2$s</p></div>',
			esc_html__( 'This web server strips the Authorization header.', 'igny8-bridge' ),
			esc_html( self::fix_text() )
		);
	}
}
