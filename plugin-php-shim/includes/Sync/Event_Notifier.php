<?php
/**
 * Tells the sidecar that sync changes were recorded.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sync;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Sidecar\Client;
use Igny8\Bridge\Sidecar\Context;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A signed `POST {sidecar}/_shim/events` with `{events:[snapshot…]}`, sent after the changes are already durable
 * in post meta. It is only a wake-up call: the sidecar answers 202 at once, and if this request is lost (sidecar
 * down, timeout) the sidecar's reconciler finds the markers later. So the save never waits on the network for
 * long: with fastcgi_finish_request / litespeed_finish_request the client already has its response; otherwise the
 * timeout is contract `sync.notify_timeout_ms` (250 ms) on loopback, and `sync.notify_timeout_remote_ms` (1 s: DNS,
 * TCP and a TLS handshake across a network) for a hosted sidecar.
 */
final class Event_Notifier {

	/**
	 * The client of a notify start() sent early and settle() has not collected yet.
	 *
	 * @var Client|null
	 */
	private static ?Client $early = null;

	/**
	 * Whether finish_response() ended the client's response in this request.
	 *
	 * @var bool
	 */
	private static bool $finished = false;

	/**
	 * The output buffer level hold_response() started (0: none).
	 *
	 * @var int
	 */
	private static int $held = 0;

	/**
	 * Under `php -S` (no fastcgi_finish_request): holds the rest of this request's output in a buffer, so that at
	 * `shutdown` (priority 0, before core flushes the buffers at 1) it goes out whole with its Content-Length. The
	 * client then has its reply before the sync's work: the snapshots, the notify and the sidecar recording it (the
	 * client waited for all of it, as a connection close ended the reply). True when held (or already held).
	 */
	public static function hold_response(): bool {
		if ( self::$held > 0 ) {
			return true;
		}
		// phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- only compared.
		if ( 'cli-server' !== PHP_SAPI || headers_sent() || 'HEAD' === ( $_SERVER['REQUEST_METHOD'] ?? '' ) ) {
			return false;
		}
		ob_start();
		self::$held = ob_get_level();
		add_action( 'shutdown', array( self::class, 'finish_response' ), 0 );
		return true;
	}

	/**
	 * Starts the notify of these events now without waiting for the sidecar (a REST save: its reply arrives while
	 * WordPress builds the response, instead of after it, at shutdown); settle() collects it at shutdown. Only where
	 * the client would otherwise wait for the notify (no fastcgi_finish_request / litespeed_finish_request), for a
	 * loopback sidecar, one body, one early notify per request. False: not started (send() covers the events).
	 *
	 * @param array<int,array<string,mixed>> $events Snapshots (already durable).
	 */
	public static function start( array $events ): bool {
		if ( ! $events || ! self::can_start() ) {
			return false;
		}
		$sync   = (array) ( Contract::get()['sync'] ?? array() );
		$bodies = self::batches( $events, max( 1, (int) ( $sync['max_events_per_notify'] ?? 250 ) ) );
		if ( 1 !== count( $bodies ) ) {
			return false;
		}
		try {
			$client = Client::for_context( self::context() );
		} catch ( Bridge_Error $error ) {
			return false;
		}
		if ( $client->over_network() || ! $client->notify_start( Contract::sidecar_path( 'events' ), $bodies[0], (int) ( $sync['notify_timeout_ms'] ?? 250 ) ) ) {
			return false;
		}
		self::$early = $client;
		return true;
	}

	/**
	 * Whether start() may send a notify early in this request: not where the client gets its reply first anyway
	 * (fastcgi_finish_request / litespeed_finish_request: PHP-FPM sends the notify after the reply), not in the CLI,
	 * and once per request. The caller checks it before it reads the snapshot (an editor save under PHP-FPM read one
	 * before its reply for nothing: the post's terms, their meta query and the encoding).
	 */
	public static function can_start(): bool {
		return null === self::$early && 'cli' !== PHP_SAPI && ! function_exists( 'fastcgi_finish_request' ) && ! function_exists( 'litespeed_finish_request' );
	}

	/**
	 * Waits (within the notify's timeout) for the notify start() sent; true when the sidecar took it.
	 */
	public static function settle(): bool {
		if ( null === self::$early ) {
			return false;
		}
		$client      = self::$early;
		self::$early = null;
		return $client->notify_finish();
	}

	/**
	 * Sends the events (chunked by `sync.max_events_per_notify`). Returns how many chunks the sidecar accepted.
	 *
	 * @param array<int,array<string,mixed>> $events Snapshots.
	 */
	public static function send( array $events ): int {
		if ( ! $events ) {
			return 0;
		}
		$sync     = (array) ( Contract::get()['sync'] ?? array() );
		$finished = self::finish_response();
		$chunk    = max( 1, (int) ( $sync['max_events_per_notify'] ?? 250 ) );
		try {
			$client = Client::for_context( self::context() ); // No operation runner: an events reply runs nothing.
		} catch ( Bridge_Error $error ) {
			return 0;
		}
		$waiting = $client->over_network() ? (int) ( $sync['notify_timeout_remote_ms'] ?? 1000 ) : (int) ( $sync['notify_timeout_ms'] ?? 250 );
		$timeout = $finished ? max( $waiting, (int) ( $sync['notify_timeout_after_finish_ms'] ?? 2000 ) ) : $waiting;
		$path     = Contract::sidecar_path( 'events' );
		$accepted = 0;
		// Beyond a few chunks the reconciler is the better tool; never hold a worker for a bulk edit of thousands.
		foreach ( array_slice( self::batches( $events, $chunk ), 0, 4 ) as $body ) {
			if ( $client->notify( $path, $body, $timeout ) ) {
				++$accepted;
			}
		}
		return $accepted;
	}

	/**
	 * Events bodies of at most `$chunk` events and the contract's body cap (an event carrying a post's content can
	 * be large). An event too large on its own is left to the reconciler.
	 *
	 * @param array<int,array<string,mixed>> $events Events.
	 * @param int                            $chunk  Most events per body.
	 * @return string[]
	 */
	private static function batches( array $events, int $chunk ): array {
		$flags  = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE;
		$cap    = Contract::limit( 'max_body_bytes' ) - 64;
		$bodies = array();
		$parts  = array();
		$size   = 0;
		foreach ( $events as $event ) {
			$part = wp_json_encode( $event, $flags );
			if ( ! is_string( $part ) || strlen( $part ) > $cap ) {
				continue;
			}
			if ( $parts && ( count( $parts ) >= $chunk || $size + strlen( $part ) + 1 > $cap ) ) {
				$bodies[] = '{"events":[' . implode( ',', $parts ) . ']}';
				$parts    = array();
				$size     = 0;
			}
			$parts[] = $part;
			$size   += strlen( $part ) + 1;
		}
		if ( $parts ) {
			$bodies[] = '{"events":[' . implode( ',', $parts ) . ']}';
		}
		return $bodies;
	}

	/**
	 * Ends the HTTP response first when the SAPI allows it (or hold_response() held it), so the sync's work never
	 * delays the client. Once per request; true when the client has its whole response.
	 */
	public static function finish_response(): bool {
		if ( self::$finished || 'cli' === PHP_SAPI ) {
			return self::$finished;
		}
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			self::$finished = (bool) fastcgi_finish_request();
		} elseif ( function_exists( 'litespeed_finish_request' ) ) {
			self::$finished = (bool) litespeed_finish_request();
		} elseif ( self::$held > 0 ) {
			self::$finished = self::end_held_response();
			self::$held     = 0;
		}
		return self::$finished;
	}

	/**
	 * Sends the held output with its Content-Length. Only when nothing was sent yet and every buffer is a plain
	 * one (no compression or other handler whose output would differ from its contents); otherwise core flushes
	 * the buffers as usual and the reply ends with the request.
	 */
	private static function end_held_response(): bool {
		if ( headers_sent() || ob_get_level() < self::$held ) {
			return false;
		}
		foreach ( ob_get_status( true ) as $buffer ) {
			if ( 'default output handler' !== ( $buffer['name'] ?? '' ) || 0 === ( (int) ( $buffer['flags'] ?? 0 ) & PHP_OUTPUT_HANDLER_REMOVABLE ) ) {
				return false;
			}
		}
		$body = '';
		while ( ob_get_level() > 0 ) {
			$body = (string) ob_get_clean() . $body;
		}
		header( 'Content-Length: ' . strlen( $body ) );
		echo $body; // phpcs:ignore WordPress.Security.EscapeOutput -- the response as already built, unchanged.
		flush();
		return true;
	}

	/**
	 * The `ctx` claim of an events request: the site facts and settings the sidecar's worker needs later.
	 *
	 * @return array<string,mixed>
	 */
	private static function context(): array {
		return array(
			'request_id' => wp_generate_uuid4(),
			'route_id'   => 'sync_events',
			'params'     => (object) array(),
			'query'      => (object) array(),
			'user_id'    => get_current_user_id(),
			'site'       => Context::site(),
			'settings'   => (object) Settings::for_wire(),
			'facts'      => Context::facts(),
		);
	}
}
