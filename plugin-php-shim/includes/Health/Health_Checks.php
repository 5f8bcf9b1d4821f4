<?php
/**
 * The bridge's health checks: one home for Tools → Site Health and `wp igny8 doctor`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Health;

use Igny8\Bridge\Admin\Authorization_Check;
use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Rest\Route_Call;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Sidecar\Protocol;
use Igny8\Bridge\Sidecar\Transport;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Every check is a row `{check, status: pass|warn|fail|skip, label, description, message, action}`: what it checks in
 * plain language, what it found, and on a problem what to do. The sidecar's facts come from ONE signed exchange
 * (contract route `admin_health`, answered by sidecar/src/handlers/admin-health.ts): that it verifies proves the
 * sidecar answers, speaks this protocol and holds the same key. The shim reads the facts generically (counts, times,
 * states); nothing here is an IGNY8 field. The last three checks are WordPress's own (cron, the Authorization
 * header, the base URL option).
 */
final class Health_Checks {

	/** A change waiting longer than this is a warning; ten times longer a failure. */
	private const QUEUE_WARN_SECONDS = 600;

	/** Overdue cron events older than this mean nothing fires them. */
	private const CRON_LATE_SECONDS = 900;

	/** The check ids, in order, with their labels and plain-language descriptions. */
	public const CHECKS = array(
		'sidecar'       => array( 'IGNY8 sidecar', 'The sidecar is the service that does the IGNY8 work for this site. It must be running and speak the same protocol version as the plugin.' ),
		'fingerprints'  => array( 'IGNY8 key fingerprints', 'WordPress and the sidecar sign every message with a shared secret; both sides must hold the same one.' ),
		'connection'    => array( 'IGNY8 connection', 'Whether the sidecar can log in to IGNY8 and deliver changes (connected, re-authorisation required, or paused after repeated refusals).' ),
		'queue'         => array( 'IGNY8 sync queue', 'Changes to IGNY8-managed posts wait in the sidecar\'s queue until IGNY8 has them; the oldest one should not wait long.' ),
		'failed_jobs'   => array( 'IGNY8 failed deliveries', 'Posts whose latest change IGNY8 refused, or that gave up after the most attempts.' ),
		'reconciler'    => array( 'IGNY8 reconciler', 'About every minute the sidecar asks WordPress for changes it may have missed (saved while it was down).' ),
		'cron'          => array( 'Scheduled publishing', 'Scheduled posts are published by WP-Cron or by a real cron job; IGNY8 learns of them when that fires.' ),
		'authorization' => array( 'Authorization header', 'IGNY8 may send its key as Authorization: Bearer; some servers strip that header before WordPress sees it.' ),
		'base_url'      => array( 'IGNY8 base URL', 'The address of IGNY8 that the sidecar talks to must use https.' ),
	);

	/** Checks that need the sidecar's facts. */
	private const NEEDS_SIDECAR = array( 'connection', 'queue', 'failed_jobs', 'reconciler' );

	/**
	 * The sidecar's facts: `{ok:true, data}` or `{ok:false, code, message, sidecar_kid?}`. One signed exchange.
	 *
	 * @return array<string,mixed>
	 */
	public static function report(): array {
		$reply = Route_Call::route( 'admin_health' );
		if ( Route_Call::succeeded( $reply ) ) {
			return array(
				'ok'   => true,
				'data' => is_array( $reply['body']['data'] ?? null ) ? $reply['body']['data'] : array(),
			);
		}
		$body = is_array( $reply['body'] ) ? $reply['body'] : array();
		return array(
			'ok'          => false,
			'code'        => is_string( $body['code'] ?? null ) ? $body['code'] : 'SIDECAR_BAD_RESPONSE',
			'message'     => Route_Call::error_text( $reply ),
			'sidecar_kid' => is_string( $body['sidecar_kid'] ?? null ) ? $body['sidecar_kid'] : null,
		);
	}

	/**
	 * Every check, in order.
	 *
	 * @param array<string,mixed>|null $report The sidecar's facts (null: ask now).
	 * @return array<int,array<string,string>>
	 */
	public static function all( ?array $report = null ): array {
		$report = $report ?? self::report();
		return array_map( static fn( string $id ): array => self::run( $id, $report ), array_keys( self::CHECKS ) );
	}

	/**
	 * One check.
	 *
	 * @param string                   $id     Check id (a key of CHECKS).
	 * @param array<string,mixed>|null $report The sidecar's facts (null: ask now, only for checks that need it).
	 * @return array<string,string>
	 */
	public static function run( string $id, ?array $report = null ): array {
		if ( null === $report && in_array( $id, array_merge( array( 'sidecar', 'fingerprints' ), self::NEEDS_SIDECAR ), true ) ) {
			$report = self::report();
		}
		$report = $report ?? array( 'ok' => false );
		switch ( $id ) {
			case 'sidecar':
				return self::sidecar( $report );
			case 'fingerprints':
				return self::fingerprints( $report );
			case 'cron':
				return self::cron();
			case 'authorization':
				return self::authorization();
			case 'base_url':
				return self::base_url();
		}
		if ( true !== $report['ok'] ) {
			return self::row( $id, 'skip', 'Not checked: the sidecar\'s signed report did not come through (see the sidecar and key fingerprint checks).', 'Fix those two checks first.' );
		}
		$data = (array) $report['data'];
		switch ( $id ) {
			case 'connection':
				return self::connection( (array) ( $data['connection'] ?? array() ) );
			case 'queue':
				return self::queue( (array) ( $data['queue'] ?? array() ) );
			case 'failed_jobs':
				return self::failed_jobs( (array) ( $data['queue'] ?? array() ) );
			default:
				return self::reconciler( (array) ( $data['reconciler'] ?? array() ) );
		}
	}

	/**
	 * The sidecar answers, with this protocol.
	 *
	 * @param array<string,mixed> $report Facts.
	 * @return array<string,string>
	 */
	private static function sidecar( array $report ): array {
		$url = self::sidecar_url();
		if ( true === $report['ok'] ) {
			$sidecar = (array) ( $report['data']['sidecar'] ?? array() );
			return self::row( 'sidecar', 'pass', sprintf( 'The sidecar %1$s answers at %2$s and speaks protocol %3$s, as this plugin does.', self::text( $sidecar['version'] ?? '?' ), $url, self::text( $sidecar['protocol'] ?? Protocol::version() ) ) );
		}
		$code = (string) ( $report['code'] ?? '' );
		if ( 'SIDECAR_AUTH_MISMATCH' === $code ) {
			return self::row( 'sidecar', 'pass', sprintf( 'The sidecar answers at %s (it holds another key: see the fingerprints check).', $url ) );
		}
		if ( 'SIDECAR_VERSION_MISMATCH' === $code ) {
			return self::row( 'sidecar', 'fail', (string) $report['message'], 'Upgrade the plugin and the sidecar to the same release.' );
		}
		if ( 'SIDECAR_TLS_FAILED' === $code ) {
			return self::row( 'sidecar', 'fail', sprintf( '%1$s The sidecar URL is %2$s.', (string) $report['message'], $url ), 'The sidecar needs a certificate valid for the host in its URL. If a private CA signed it, name that CA\'s PEM file in wp-config.php with IGNY8_SIDECAR_CA_BUNDLE.' );
		}
		if ( 'SIDECAR_UNAVAILABLE' === $code ) {
			return self::row( 'sidecar', 'fail', sprintf( 'The sidecar does not answer at %s (SIDECAR_UNAVAILABLE).', $url ), 'Start the sidecar (`systemctl start igny8-sidecar`, or `npm start` in development) and check IGNY8_SIDECAR_URL.' );
		}
		return self::row( 'sidecar', 'fail', (string) ( $report['message'] ?? 'The sidecar did not answer.' ), sprintf( 'Check that the IGNY8 sidecar, not another service, listens at %s.', $url ) );
	}

	/**
	 * Both sides hold the same key.
	 *
	 * @param array<string,mixed> $report Facts.
	 * @return array<string,string>
	 */
	private static function fingerprints( array $report ): array {
		$site = Keys::fingerprint();
		if ( true === $report['ok'] ) {
			return self::row( 'fingerprints', 'pass', sprintf( 'WordPress and the sidecar both sign with key %s.', $site ) );
		}
		if ( 'SIDECAR_AUTH_MISMATCH' === ( $report['code'] ?? '' ) ) {
			return self::row(
				'fingerprints',
				'fail',
				sprintf( 'The key fingerprints differ: WordPress %1$s, sidecar %2$s (SIDECAR_AUTH_MISMATCH).', $site, self::text( $report['sidecar_kid'] ?? 'unknown' ) ),
				'Run `wp igny8 secret show` (or Settings → IGNY8 → Sidecar), put those lines in the sidecar\'s configuration and restart it.'
			);
		}
		return self::row( 'fingerprints', 'skip', 'Not checked: the sidecar did not answer.', 'Fix the sidecar check first.' );
	}

	/**
	 * IGNY8 connection state.
	 *
	 * @param array<string,mixed> $connection Facts.
	 * @return array<string,string>
	 */
	private static function connection( array $connection ): array {
		$state = self::text( $connection['state'] ?? 'disconnected' );
		$error = self::text( $connection['last_error'] ?? '' );
		if ( true === ( $connection['circuit_open'] ?? false ) && 'reauth_required' !== $state ) {
			return self::row( 'connection', 'fail', 'Deliveries to IGNY8 are paused (circuit open) since ' . self::text( $connection['paused_since'] ?? '?' ) . ': ' . $error, 'Check the credentials under Settings → IGNY8 and press Test connection; the queue resumes when it succeeds.' );
		}
		switch ( $state ) {
			case 'connected':
				return self::row( 'connection', 'pass', 'Connected to IGNY8.' );
			case 'reauth_required':
				return self::row( 'connection', 'fail', 'IGNY8 needs the credentials again (reauth required)' . ( '' === $error ? '.' : ': ' . $error ), 'Enter the IGNY8 email and password (or API key) under Settings → IGNY8 and press Test connection.' );
			case 'error':
				return self::row( 'connection', 'warn', 'The last IGNY8 call failed' . ( '' === $error ? '.' : ': ' . $error ), 'It is retried; if it persists, press Test connection under Settings → IGNY8.' );
		}
		return self::row( 'connection', 'warn', 'Not connected to IGNY8 yet.', 'Enter the IGNY8 base URL and credentials under Settings → IGNY8 and press Test connection.' );
	}

	/**
	 * The oldest waiting change.
	 *
	 * @param array<string,mixed> $queue Facts.
	 * @return array<string,string>
	 */
	private static function queue( array $queue ): array {
		$waiting = (int) ( $queue['pending'] ?? 0 ) + (int) ( $queue['in_flight'] ?? 0 );
		$age     = isset( $queue['oldest_waiting_seconds'] ) ? (int) $queue['oldest_waiting_seconds'] : null;
		$held    = (int) ( $queue['pending_manual'] ?? 0 );
		$extra   = $held > 0 ? sprintf( ' %d held by manual sync mode.', $held ) : '';
		if ( 0 === $waiting || null === $age ) {
			return self::row( 'queue', 'pass', 'Nothing is waiting for delivery.' . $extra );
		}
		$message = sprintf( '%1$d change(s) waiting; the oldest for %2$s.', $waiting, human_time_diff( time() - $age, time() ) ) . $extra;
		if ( $age < self::QUEUE_WARN_SECONDS ) {
			return self::row( 'queue', 'pass', $message );
		}
		return self::row( 'queue', $age < 10 * self::QUEUE_WARN_SECONDS ? 'warn' : 'fail', $message . ' The queue looks stuck.', 'Check the connection check and the sidecar log; deliveries are retried while IGNY8 is down.' );
	}

	/**
	 * Failed and dead jobs.
	 *
	 * @param array<string,mixed> $queue Facts.
	 * @return array<string,string>
	 */
	private static function failed_jobs( array $queue ): array {
		$failed = (int) ( $queue['failed'] ?? 0 );
		$dead   = (int) ( $queue['dead'] ?? 0 );
		if ( 0 === $failed + $dead ) {
			return self::row( 'failed_jobs', 'pass', 'No failed or dead deliveries.' );
		}
		return self::row(
			'failed_jobs',
			'warn',
			sprintf( '%1$d failed and %2$d dead deliveries.', $failed, $dead ),
			'Find them with the "IGNY8 sync failed" view of the posts list; retry them all with `wp igny8 sync --failed`.'
		);
	}

	/**
	 * The reconciler ran lately.
	 *
	 * @param array<string,mixed> $reconciler Facts.
	 * @return array<string,string>
	 */
	private static function reconciler( array $reconciler ): array {
		$interval = max( 1, (int) ( (int) ( $reconciler['interval_ms'] ?? 60000 ) / 1000 ) );
		$success  = is_string( $reconciler['last_success_at'] ?? null ) ? strtotime( $reconciler['last_success_at'] ) : false;
		$error    = self::text( $reconciler['last_error'] ?? '' );
		if ( false !== $success && time() - $success <= 3 * $interval + 30 ) {
			return self::row( 'reconciler', 'pass', sprintf( 'Last ran %s ago (every %d s).', human_time_diff( $success, time() ), $interval ) );
		}
		$when = false === $success ? 'It has not run successfully since the sidecar started' : sprintf( 'It last ran successfully %s ago', human_time_diff( $success, time() ) );
		return self::row( 'reconciler', 'warn', $when . ( '' === $error ? '.' : ': ' . $error ), 'Check the sidecar\'s WP_URL: the sidecar must reach this site\'s REST API.' );
	}

	/**
	 * Scheduled publishes fire.
	 *
	 * @return array<string,string>
	 */
	private static function cron(): array {
		global $wpdb;
		$real   = defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON;
		$runner = $real ? 'a real cron job (DISABLE_WP_CRON is set)' : 'WP-Cron (on page visits)';
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- a fresh count; caching would hide the problem.
		$missed = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_status = 'future' AND post_date_gmt < %s", gmdate( 'Y-m-d H:i:s', time() - self::CRON_LATE_SECONDS ) ) );
		$late   = 0;
		foreach ( (array) _get_cron_array() as $timestamp => $hooks ) {
			if ( (int) $timestamp < time() - self::CRON_LATE_SECONDS ) {
				$late += count( (array) $hooks );
			}
		}
		$action = $real
			? 'Check the server\'s crontab: it should request wp-cron.php (or run `wp cron event run --due-now`) every few minutes.'
			: 'Low-traffic sites: set DISABLE_WP_CRON and request wp-cron.php from a real cron job every few minutes.';
		if ( $missed > 0 ) {
			return self::row( 'cron', 'fail', sprintf( '%1$d scheduled post(s) missed their time; scheduled publishing runs through %2$s.', $missed, $runner ), $action );
		}
		if ( $late > 0 ) {
			return self::row( 'cron', 'warn', sprintf( '%1$d scheduled task(s) are more than %2$d minutes late; scheduled publishing runs through %3$s.', $late, self::CRON_LATE_SECONDS / 60, $runner ), $action );
		}
		return self::row( 'cron', 'pass', sprintf( 'Scheduled tasks run on time, through %s.', $runner ) );
	}

	/**
	 * Authorization reaches PHP.
	 *
	 * @return array<string,string>
	 */
	private static function authorization(): array {
		$result = Authorization_Check::probe();
		if ( 'stripped' === $result ) {
			return self::row( 'authorization', 'warn', 'The web server strips the Authorization header: IGNY8 keys sent as Authorization: Bearer are refused (X-IGNY8-API-KEY works).', Authorization_Check::fix_text() );
		}
		if ( 'unknown' === $result ) {
			return self::row( 'authorization', 'warn', 'Could not check: the site could not send a request to itself.', 'Check that this server can reach its own address (loopback requests).' );
		}
		return self::row( 'authorization', 'pass', 'The Authorization header reaches WordPress: IGNY8 may send its key as Authorization: Bearer or in X-IGNY8-API-KEY.' );
	}

	/**
	 * The IGNY8 base URL uses https.
	 *
	 * @return array<string,string>
	 */
	private static function base_url(): array {
		$url    = (string) get_option( 'igny8_api_base_url', '' );
		$scheme = (string) wp_parse_url( $url, PHP_URL_SCHEME );
		$host   = trim( (string) wp_parse_url( $url, PHP_URL_HOST ), '[]' );
		if ( '' === $url ) {
			return self::row( 'base_url', 'warn', 'No IGNY8 base URL is set.', 'Enter it under Settings → IGNY8 (e.g. https://api.igny8.com).' );
		}
		if ( 'https' === $scheme ) {
			return self::row( 'base_url', 'pass', sprintf( 'IGNY8 is reached over https (%s).', $url ) );
		}
		if ( 'http' === $scheme && Transport::is_loopback_host( $host ) ) {
			return self::row( 'base_url', 'warn', sprintf( '%s is plain http on a loopback address: fine for development only.', $url ), 'Use the https address of IGNY8 on a live site.' );
		}
		return self::row( 'base_url', 'fail', sprintf( '%s does not use https: the sidecar sends nothing to it.', $url ), 'Enter the https address of IGNY8 under Settings → IGNY8.' );
	}

	/**
	 * The configured sidecar URL, or a placeholder.
	 */
	public static function sidecar_url(): string {
		try {
			return Transport::configured()->base_url();
		} catch ( Bridge_Error $error ) {
			return '(no sidecar URL configured)';
		}
	}

	/**
	 * A scalar as text.
	 *
	 * @param mixed $value Value.
	 */
	private static function text( $value ): string {
		return is_scalar( $value ) ? (string) $value : '';
	}

	/**
	 * One row.
	 *
	 * @param string $id      Check id.
	 * @param string $status  pass | warn | fail | skip.
	 * @param string $message What it found.
	 * @param string $action  What to do (on a problem).
	 * @return array<string,string>
	 */
	private static function row( string $id, string $status, string $message, string $action = '' ): array {
		return array(
			'check'       => $id,
			'status'      => $status,
			'label'       => self::CHECKS[ $id ][0],
			'description' => self::CHECKS[ $id ][1],
			'message'     => $message,
			'action'      => 'pass' === $status ? '' : $action,
		);
	}
}
