<?php
/**
 * Tools → Site Health: the bridge's tests (Status) and its "IGNY8 Bridge" section (Info).
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Health;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Security\Api_Key;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Sidecar\Protocol;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Every check of Health_Checks is an asynchronous Site Health test backed by `GET /igny8/v1/admin/site-health/{check}`
 * (`manage_options`), so the Status page never waits on the sidecar. The tests of one page load share one sidecar
 * exchange (its facts are kept for a few seconds). The Info section is the non-secret configuration an owner pastes
 * into a support ticket: never a secret, an API key or a password (only whether one is present).
 */
final class Site_Health implements Feature {

	public const ROUTE = '/admin/site-health';

	/** The tests of one Status page load run one after another within about this long. */
	private const SHARED_REPORT_SECONDS = 5;

	private const REPORT_TRANSIENT = 'igny8_site_health_report';

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_filter( 'site_status_tests', array( $this, 'add_tests' ) );
		add_filter( 'debug_information', array( $this, 'add_info' ) );
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * The test route.
	 */
	public function register_routes(): void {
		register_rest_route(
			Contract::rest_namespace(),
			self::ROUTE . '/(?P<check>[a-z_]+)',
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'rest_result' ),
				'permission_callback' => static fn(): bool => current_user_can( 'view_site_health_checks' ),
				'args'                => array(
					'check' => array(
						'type' => 'string',
						'enum' => array_keys( Health_Checks::CHECKS ),
					),
				),
			)
		);
	}

	/**
	 * Registers one async test per check.
	 *
	 * @param array<string,mixed> $tests Site Health tests.
	 * @return array<string,mixed>
	 */
	public function add_tests( $tests ): array {
		$tests = (array) $tests;
		foreach ( Health_Checks::CHECKS as $id => $texts ) {
			$tests['async'][ 'igny8_' . $id ] = array(
				/* translators: %s: check name */
				'label'             => sprintf( __( 'IGNY8: %s', 'igny8-bridge' ), $texts[0] ),
				'test'              => rest_url( Contract::rest_namespace() . self::ROUTE . '/' . $id ),
				'has_rest'          => true,
				// WordPress's weekly background check runs it in-process (it cannot authenticate the REST call).
				'async_direct_test' => static fn(): array => self::result( Health_Checks::run( $id ) ),
			);
		}
		return $tests;
	}

	/**
	 * GET …/site-health/{check}: the Site Health result.
	 *
	 * @param \WP_REST_Request $request Request.
	 */
	public function rest_result( \WP_REST_Request $request ): \WP_REST_Response {
		$response = new \WP_REST_Response( self::result( Health_Checks::run( (string) $request['check'], self::shared_report() ) ) );
		$response->header( 'Cache-Control', 'no-store, private' );
		return $response;
	}

	/**
	 * The sidecar's facts, shared by the tests of one page load.
	 *
	 * @return array<string,mixed>
	 */
	private static function shared_report(): array {
		$cached = get_transient( self::REPORT_TRANSIENT );
		if ( is_array( $cached ) && isset( $cached['ok'] ) ) {
			return $cached;
		}
		$report = Health_Checks::report();
		set_transient( self::REPORT_TRANSIENT, $report, self::SHARED_REPORT_SECONDS );
		return $report;
	}

	/**
	 * A check row as a Site Health result.
	 *
	 * @param array<string,string> $row Check row.
	 * @return array<string,mixed>
	 */
	public static function result( array $row ): array {
		$status = array(
			'pass' => 'good',
			'warn' => 'recommended',
			'skip' => 'recommended',
			'fail' => 'critical',
		)[ $row['status'] ] ?? 'recommended';
		$description = '<p>' . esc_html( $row['description'] ) . '</p><p>' . esc_html( $row['message'] ) . '</p>';
		return array(
			/* translators: 1: check name, 2: what it found */
			'label'       => sprintf( __( 'IGNY8 %1$s: %2$s', 'igny8-bridge' ), lcfirst( preg_replace( '/^IGNY8 /', '', $row['label'] ) ?? $row['label'] ), $row['message'] ),
			'status'      => $status,
			'badge'       => array(
				'label' => __( 'IGNY8', 'igny8-bridge' ),
				'color' => 'critical' === $status ? 'red' : ( 'good' === $status ? 'blue' : 'orange' ),
			),
			'description' => $description,
			'actions'     => '' === $row['action'] ? '' : '<p><strong>' . esc_html__( 'What to do:', 'igny8-bridge' ) . '</strong> ' . esc_html( $row['action'] ) . '</p>',
			'test'        => 'igny8_' . $row['check'],
		);
	}

	/**
	 * Site Health → Info: the "IGNY8 Bridge" section.
	 *
	 * @param array<string,mixed> $info Sections.
	 * @return array<string,mixed>
	 */
	public function add_info( $info ): array {
		$info             = (array) $info;
		$info['igny8-bridge'] = array(
			'label'  => __( 'IGNY8 Bridge', 'igny8-bridge' ),
			'fields' => self::info_fields(),
		);
		return $info;
	}

	/**
	 * The non-secret configuration, as Site Health fields.
	 *
	 * @return array<string,array{label:string,value:string}>
	 */
	public static function info_fields(): array {
		$report   = Health_Checks::report();
		$data     = true === $report['ok'] ? (array) $report['data'] : array();
		$sidecar  = (array) ( $data['sidecar'] ?? array() );
		$queue    = (array) ( $data['queue'] ?? array() );
		$settings = Settings::for_wire();
		$fields   = array(
			'plugin_version'   => array( 'Plugin version', IGNY8_BRIDGE_VERSION ),
			'protocol'         => array( 'Protocol', Protocol::version() ),
			'sidecar_url'      => array( 'Sidecar URL', Health_Checks::sidecar_url() ),
			'sidecar'          => array( 'Sidecar', true === $report['ok'] ? sprintf( '%s (protocol %s, up %d s)', (string) ( $sidecar['version'] ?? '?' ), (string) ( $sidecar['protocol'] ?? '?' ), (int) ( $sidecar['uptime_seconds'] ?? 0 ) ) : (string) ( $report['message'] ?? '' ) ),
			'key_fingerprint'  => array( 'Key fingerprint (WordPress)', Keys::fingerprint() ),
			'secret_source'    => array( 'Secret defined in', Keys::from_constant() ? 'wp-config.php' : 'option' ),
			'connection'       => array( 'IGNY8 connection', (string) ( $data['connection']['state'] ?? 'unknown' ) . ( true === ( $data['connection']['circuit_open'] ?? false ) ? ' (circuit open)' : '' ) ),
			'queue'            => array( 'Sync queue', array() === $queue ? 'unknown' : sprintf( 'pending %d, in flight %d, held %d, synced %d, failed %d, dead %d', (int) ( $queue['pending'] ?? 0 ), (int) ( $queue['in_flight'] ?? 0 ), (int) ( $queue['pending_manual'] ?? 0 ), (int) ( $queue['synced'] ?? 0 ), (int) ( $queue['failed'] ?? 0 ), (int) ( $queue['dead'] ?? 0 ) ) ),
			'reconciler'       => array( 'Reconciler last run', (string) ( $data['reconciler']['last_success_at'] ?? 'never' ) ),
			'api_key_present'  => array( 'API key stored', Api_Key::is_present() ? 'yes' : 'no' ),
			'cron'             => array( 'Cron', defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ? 'real cron (DISABLE_WP_CRON)' : 'WP-Cron' ),
		);
		// Every contract option is non-secret (secrets live in the sidecar, sealed): shown as saved.
		foreach ( $settings as $name => $value ) {
			$fields[ $name ] = array( $name, is_scalar( $value ) ? ( is_bool( $value ) ? ( $value ? 'true' : 'false' ) : (string) $value ) : (string) wp_json_encode( $value, JSON_UNESCAPED_SLASHES ) );
		}
		$out = array();
		foreach ( $fields as $key => $field ) {
			$out[ $key ] = array(
				'label' => $field[0],
				'value' => $field[1],
			);
		}
		return $out;
	}
}
