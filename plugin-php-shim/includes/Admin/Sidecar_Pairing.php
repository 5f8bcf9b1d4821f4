<?php
/**
 * The Sidecar card of Settings → IGNY8: pairing state, the sidecar's env lines, secret reveal and rotation.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Rest\Envelope;
use Igny8\Bridge\Rest\Request_Id;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Sidecar\Client;
use Igny8\Bridge\Sidecar\Context;
use Igny8\Bridge\Sidecar\Hosted;
use Igny8\Bridge\Sidecar\Protocol;
use Igny8\Bridge\Sidecar\Transport;
use Igny8\Bridge\Security\Site_Id;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Three routes for `manage_options` only, answered by PHP (they must work while the sidecar is down or unpaired):
 *
 * - `GET  /igny8/v1/admin/sidecar`         the card: URL, whom an https sidecar's certificate must chain to
 *                                          (`tls`), reachable + version + round trip (GET /healthz), both key
 *                                          fingerprints and whether they match (a signed /status round trip),
 *                                          a version mismatch message, and the env lines with the secret masked;
 * - `GET  /igny8/v1/admin/sidecar/secret`  the same env lines with the secret, on demand (never in page source);
 * - `POST /igny8/v1/admin/sidecar/rotate`  "Generate new secret": the previous one stays valid for 10 minutes;
 * - `POST /igny8/v1/admin/sidecar/enrol`   {url, code}: enrol on a hosted sidecar (Sidecar\Hosted).
 */
final class Sidecar_Pairing implements Feature {

	public const ROUTE = '/admin/sidecar';

	private const MASK = '••••••••••••••••';

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * Registers the routes.
	 */
	public function register_routes(): void {
		$namespace = Contract::rest_namespace();
		$allowed   = array( $this, 'can_manage' );
		register_rest_route(
			$namespace,
			self::ROUTE,
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'card' ),
				'permission_callback' => $allowed,
			)
		);
		register_rest_route(
			$namespace,
			self::ROUTE . '/secret',
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'reveal' ),
				'permission_callback' => $allowed,
			)
		);
		register_rest_route(
			$namespace,
			self::ROUTE . '/enrol',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'enrol' ),
				'permission_callback' => $allowed,
				'args'                => array(
					'url'  => array(
						'type'     => 'string',
						'required' => true,
					),
					'code' => array(
						'type'     => 'string',
						'required' => true,
					),
				),
			)
		);
		register_rest_route(
			$namespace,
			self::ROUTE . '/rotate',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'rotate' ),
				'permission_callback' => $allowed,
			)
		);
	}

	/**
	 * Only administrators see or change the pairing.
	 */
	public function can_manage(): bool {
		return current_user_can( 'manage_options' );
	}

	/**
	 * GET: the card.
	 */
	public function card(): \WP_REST_Response {
		return $this->no_store( Envelope::success( $this->state(), Request_Id::current() ) );
	}

	/**
	 * GET …/secret: the env lines with the secret.
	 */
	public function reveal(): \WP_REST_Response {
		$secret = $this->secret();
		if ( null === $secret ) {
			return $this->no_store( Envelope::error( new Bridge_Error( 'SIDECAR_AUTH_MISMATCH', 'This site has no usable sidecar secret.' ), Request_Id::current() ) );
		}
		return $this->no_store( Envelope::success( array( 'env' => $this->env_lines( true ) ), Request_Id::current() ) );
	}

	/**
	 * POST …/enrol: registers this site on a hosted sidecar, then answers the card.
	 *
	 * @param \WP_REST_Request $request Request with url and code.
	 */
	public function enrol( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			Hosted::enrol( (string) $request->get_param( 'url' ), (string) $request->get_param( 'code' ) );
		} catch ( Bridge_Error $error ) {
			return $this->no_store( Envelope::error( $error, Request_Id::current() ) );
		}
		return $this->no_store( Envelope::success( $this->state(), Request_Id::current() ) );
	}

	/**
	 * POST …/rotate: a new secret; the previous one keeps verifying for the grace period.
	 */
	public function rotate(): \WP_REST_Response {
		if ( null !== Hosted::current() && ! Hosted::url_fixed_elsewhere() ) {
			// A hosted sidecar learns the new secret in the same signed call; the old one stops at once.
			try {
				Hosted::rotate( Request_Id::current() );
			} catch ( Bridge_Error $error ) {
				return $this->no_store( Envelope::error( $error, Request_Id::current() ) );
			}
			return $this->no_store( Envelope::success( $this->state(), Request_Id::current() ) );
		}
		if ( Keys::from_constant() ) {
			return $this->no_store(
				Envelope::error(
					new Bridge_Error( 'CONFLICT', 'The secret is set by IGNY8_SIDECAR_SECRET in wp-config.php: change it there (and keep the old one as IGNY8_SIDECAR_SECRET_PREVIOUS for 10 minutes).' ),
					Request_Id::current()
				)
			);
		}
		Keys::rotate();
		return $this->no_store( Envelope::success( $this->state(), Request_Id::current() ) );
	}

	/**
	 * The card's data. Never holds the secret (the env lines are masked).
	 *
	 * @return array<string,mixed>
	 */
	private function state(): array {
		$site_kid = Keys::fingerprint();
		$state    = array(
			'url'            => null,
			'reachable'      => false,
			'version'        => null,
			'protocol'       => null,
			'plugin'         => array(
				'version'  => IGNY8_BRIDGE_VERSION,
				'protocol' => Protocol::version(),
			),
			'fingerprints'   => array(
				'site'    => $site_kid,
				'sidecar' => null,
				'match'   => null,
			),
			'secret_source'  => Keys::from_constant() ? 'wp-config' : 'option',
			'mode'           => null !== Hosted::current() && ! Hosted::url_fixed_elsewhere() ? 'hosted' : 'own',
			'hosted'         => Hosted::current(),
			'can_enrol'      => ! Keys::from_constant() && ! Hosted::url_fixed_elsewhere(),
			'previous_until' => $this->previous_until(),
			'tls'            => null,
			'latency_ms'     => null,
			'problem'        => null,
			'env'            => $this->env_lines( false ),
		);
		try {
			$transport    = Transport::configured();
			$state['url'] = $transport->base_url();
			$state['tls'] = $transport->trust();
		} catch ( Bridge_Error $error ) {
			$state['problem'] = array(
				'code'    => $error->error_code(),
				'message' => $error->getMessage(),
			);
			return $state;
		}

		// Reachable and which version: the unauthenticated liveness route.
		try {
			$started             = microtime( true );
			$raw                 = $transport->send( 'GET', Contract::sidecar_path( 'health' ), '', array( 'Accept' => 'application/json' ), 2000, $transport->is_network_hop() ? 8000 : 4000 );
			$state['latency_ms'] = (int) round( ( microtime( true ) - $started ) * 1000 );
			$health              = json_decode( $raw['body'], true, 4 );
			if ( 200 === $raw['status'] && is_array( $health ) && true === ( $health['ok'] ?? null ) ) {
				$state['reachable'] = true;
				$state['version']   = is_string( $health['version'] ?? null ) && preg_match( '/^[0-9A-Za-z.+-]{1,32}$/', $health['version'] ) ? $health['version'] : null;
				$state['protocol']  = is_string( $health['protocol'] ?? null ) && preg_match( '/^\d{1,4}\.\d{1,4}$/', $health['protocol'] ) ? $health['protocol'] : null;
			} else {
				$state['problem'] = array(
					'code'    => 'SIDECAR_BAD_RESPONSE',
					'message' => sprintf( 'Something answers at %s but it is not the IGNY8 sidecar (HTTP %d).', $transport->base_url(), $raw['status'] ),
				);
				return $state;
			}
		} catch ( Bridge_Error $error ) {
			$message = sprintf( 'The sidecar does not answer at %s. Is it running? (`systemctl status igny8-sidecar`)', $transport->base_url() );
			if ( 'SIDECAR_TLS_FAILED' === $error->error_code() ) {
				$message = $error->getMessage(); // Which check failed and what to do: the certificate, not the sidecar.
			} elseif ( 'hosted' === $state['mode'] || $transport->is_network_hop() ) {
				$message = sprintf( 'The sidecar does not answer at %1$s: %2$s Its operator can tell whether it is down.', $transport->base_url(), $error->getMessage() );
			}
			$state['problem'] = array(
				'code'    => $error->error_code(),
				'message' => $message,
			) + $error->details();
			return $state;
		}
		if ( null !== $state['protocol'] && ! Protocol::compatible( $state['protocol'], Protocol::version() ) ) {
			$mismatch         = Protocol::mismatch( $state['protocol'], $state['version'] );
			$state['problem'] = array(
				'code'    => $mismatch->error_code(),
				'message' => $mismatch->getMessage(),
			);
			return $state;
		}

		// Same secret on both sides: a signed round trip through the public status route.
		try {
			$request = new \WP_REST_Request( 'GET', '/' . Contract::rest_namespace() . '/status' );
			$ctx     = Context::build( $request, 'status', Request_Id::current() );
			Client::for_context( $ctx )->proxy( 'GET', '/' . Contract::rest_namespace() . '/status', '', '', '' );
			$state['fingerprints']['sidecar'] = $site_kid;
			$state['fingerprints']['match']   = true;
		} catch ( Bridge_Error $error ) {
			if ( 'SIDECAR_AUTH_MISMATCH' === $error->error_code() ) {
				$details                          = $error->details();
				$state['fingerprints']['sidecar'] = is_string( $details['sidecar_kid'] ?? null ) ? $details['sidecar_kid'] : null;
				$state['fingerprints']['match']   = false;
			}
			$state['problem'] = array(
				'code'    => $error->error_code(),
				'message' => 'SIDECAR_AUTH_MISMATCH' !== $error->error_code()
					? $error->getMessage()
					: ( 'hosted' === $state['mode']
						? 'The hosted sidecar does not accept this site\'s key: its operator may have disabled or removed the site. Enrol again with a new code.'
						: 'The sidecar has another secret: copy the lines below into its configuration and restart it.' ),
			);
		}
		return $state;
	}

	/**
	 * The lines the sidecar's env file needs.
	 *
	 * @param bool $with_secret Show the secret (only for the reveal route).
	 */
	private function env_lines( bool $with_secret ): string {
		$secret = $this->secret();
		$lines  = array();
		if ( Keys::from_constant() ) {
			$lines[] = '# The secret is IGNY8_SIDECAR_SECRET in wp-config.php.';
		}
		$lines[] = 'IGNY8_SIDECAR_SECRET=' . ( null === $secret ? '' : ( $with_secret ? $secret : self::MASK ) );
		$previous = $this->previous_secret();
		if ( null !== $previous ) {
			$lines[] = '# Accepted by the sidecar for 10 minutes after its start, while the site switches over:';
			$lines[] = 'IGNY8_SIDECAR_SECRET_PREVIOUS=' . ( $with_secret ? $previous : self::MASK );
		}
		// The sidecar answers only this site id (and derives its keys from it): pinned from the start, not on first use.
		$lines[] = 'IGNY8_SIDECAR_SITE_ID=' . Site_Id::current();
		$lines[] = 'WP_URL=' . untrailingslashit( home_url() );
		try {
			$parts = wp_parse_url( Transport::configured()->base_url() );
			$host  = is_array( $parts ) ? trim( (string) ( $parts['host'] ?? '127.0.0.1' ), '[]' ) : '127.0.0.1';
			$port  = is_array( $parts ) && isset( $parts['port'] ) ? (int) $parts['port'] : ( is_array( $parts ) && 'https' === ( $parts['scheme'] ?? '' ) ? 443 : 80 );
			$lines[] = 'SIDECAR_HOST=' . ( Transport::is_loopback_host( $host ) ? '127.0.0.1' : '0.0.0.0' );
			$lines[] = 'SIDECAR_PORT=' . $port;
		} catch ( Bridge_Error $error ) {
			$lines[] = 'SIDECAR_PORT=8787';
		}
		return implode( "\n", $lines ) . "\n";
	}

	/**
	 * The current secret text, or null.
	 */
	private function secret(): ?string {
		$secret = Keys::from_constant() ? (string) IGNY8_SIDECAR_SECRET : (string) get_option( Keys::OPTION, '' );
		return Keys::valid_secret( $secret ) ? $secret : null;
	}

	/**
	 * The previous option secret while its grace period lasts.
	 */
	private function previous_secret(): ?string {
		$previous = get_option( Keys::PREVIOUS_OPTION );
		if ( Keys::from_constant() || ! is_array( $previous ) || (int) ( $previous['until'] ?? 0 ) <= time() ) {
			return null;
		}
		$secret = (string) ( $previous['secret'] ?? '' );
		return Keys::valid_secret( $secret ) ? $secret : null;
	}

	/**
	 * When the previous secret stops verifying (unix time), or null.
	 */
	private function previous_until(): ?int {
		$previous = get_option( Keys::PREVIOUS_OPTION );
		return null !== $this->previous_secret() && is_array( $previous ) ? (int) $previous['until'] : null;
	}

	/**
	 * Keeps pairing data out of every cache.
	 *
	 * @param \WP_REST_Response $response Response.
	 */
	private function no_store( \WP_REST_Response $response ): \WP_REST_Response {
		$response->header( 'Cache-Control', 'no-store, private' );
		return $response;
	}
}
