<?php
/**
 * Runs batches of operations from the sidecar.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Install\Integration_User;
use Igny8\Bridge\Sync\Sync_Guard;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The bounded vocabulary. An operation runs only if its name is in the contract's list for the context AND it
 * is implemented below; a batch naming anything outside the contract list is refused whole. Operations run as
 * the integration user (restored afterwards) with the sync hook suppressed; a batch of READ_ONLY_OPERATIONS alone
 * (the lookups' contract reads) runs as the current user, as nothing in it checks a capability.
 *
 * Adding an operation: write a class implementing Operation in this folder, make sure its name is in the
 * contract's `operations` list, and add one line to PROXY_OPERATIONS or INTERNAL_OPERATIONS.
 */
final class Executor {

	public const PROXY = 'proxy';

	public const INTERNAL = 'internal';

	/**
	 * Operations of proxied requests (the sidecar's `execute` replies).
	 */
	public const PROXY_OPERATIONS = array(
		'site_info'     => Site_Info::class,
		'find_posts'    => Find_Posts::class,
		'import_images' => Import_Images::class,
		'upsert_post'   => Upsert_Post::class,
		'save_settings' => Save_Settings::class,
		'set_api_key'   => Set_Api_Key::class,
		'list_managed'  => List_Managed::class,
	);

	/**
	 * Operations of the internal route (asynchronous sidecar → WordPress calls).
	 */
	public const INTERNAL_OPERATIONS = array(
		'write_sync_meta'      => Write_Sync_Meta::class,
		'clear_pending_marker' => Clear_Pending_Marker::class,
		'list_pending'         => List_Pending::class,
		'site_info'            => Site_Info::class,
		'clear_term_change'    => Clear_Term_Change::class,
	);

	/**
	 * Operations that only read and check no capability: a batch of these alone runs as the current user, without
	 * loading and switching to the integration user (two queries on every lookup).
	 */
	public const READ_ONLY_OPERATIONS = array( 'find_posts' );

	/**
	 * Most operations in one batch.
	 */
	private const MAX_OPS = array(
		self::PROXY    => 50,
		self::INTERNAL => 500,
	);

	/**
	 * Context name.
	 *
	 * @var string
	 */
	private string $context;

	/**
	 * Constructor.
	 *
	 * @param string $context PROXY or INTERNAL.
	 */
	private function __construct( string $context ) {
		$this->context = $context;
	}

	/**
	 * The executor of a context.
	 *
	 * @param string $context PROXY or INTERNAL.
	 */
	public static function for_context( string $context ): self {
		return new self( self::INTERNAL === $context ? self::INTERNAL : self::PROXY );
	}

	/**
	 * Runs a batch and returns one result per operation, in order:
	 * `{op, ok:true, ...}` or `{op, ok:false, error:{code, message}}`.
	 *
	 * @param array<int,mixed> $ops     Operations as decoded from JSON.
	 * @param string[]|null    $allowed Narrower list for this call (a route's `operations`); null: the context's.
	 * @return array<int,array<string,mixed>>
	 * @throws Bridge_Error OPERATION_REFUSED when the batch itself is outside the vocabulary.
	 */
	public function run( array $ops, ?array $allowed = null ): array {
		if ( count( $ops ) > self::MAX_OPS[ $this->context ] ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'Too many operations in one batch.' );
		}
		$vocabulary = Contract::operations( $this->context );
		$allowed    = null === $allowed ? $vocabulary : array_values( array_intersect( $allowed, $vocabulary ) );
		foreach ( $ops as $op ) {
			$name = is_array( $op ) ? ( $op['op'] ?? null ) : null;
			if ( ! is_string( $name ) || ! in_array( $name, $allowed, true ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', 'The batch contains an operation this route may not run; nothing was run.' );
			}
		}
		if ( ! $ops ) {
			return array();
		}
		if ( ! array_diff( array_map( static fn( array $op ): string => (string) $op['op'], $ops ), self::READ_ONLY_OPERATIONS ) ) {
			return Sync_Guard::suppress(
				function () use ( $ops ): array {
					return $this->run_checked( $ops );
				}
			);
		}

		$user_id = Integration_User::id();
		if ( $user_id <= 0 ) {
			throw new Bridge_Error( 'OPERATION_FAILED', 'The IGNY8 integration user is missing; deactivate and activate the plugin.' );
		}
		$previous_user = get_current_user_id();
		wp_set_current_user( $user_id );
		try {
			return Sync_Guard::suppress(
				function () use ( $ops ): array {
					return $this->run_checked( $ops );
				}
			);
		} finally {
			wp_set_current_user( $previous_user );
		}
	}

	/**
	 * Checks every operation first, then runs those that passed, in order.
	 *
	 * @param array<int,array<string,mixed>> $ops Operations.
	 * @return array<int,array<string,mixed>>
	 */
	private function run_checked( array $ops ): array {
		$map       = self::INTERNAL === $this->context ? self::INTERNAL_OPERATIONS : self::PROXY_OPERATIONS;
		$prepared  = array();
		foreach ( $ops as $index => $op ) {
			$name = (string) $op['op'];
			$args = $op;
			unset( $args['op'] );
			try {
				if ( ! isset( $map[ $name ] ) ) {
					throw new Bridge_Error( 'OPERATION_REFUSED', "The operation {$name} is not available in this plugin version." );
				}
				$args      = Operation_Args::checked( $name, $args );
				$operation = new $map[ $name ]();
				$operation->check( $args );
				$prepared[ $index ] = array( $name, $operation, $args, null );
			} catch ( Bridge_Error $error ) {
				$prepared[ $index ] = array( $name, null, $args, $error );
			}
		}

		$results = array();
		foreach ( $prepared as list( $name, $operation, $args, $error ) ) {
			if ( null === $error ) {
				try {
					$results[] = array_merge( array( 'op' => $name, 'ok' => true ), $operation->run( $args ) );
					continue;
				} catch ( Bridge_Error $failure ) {
					$error = $failure;
				} catch ( \Throwable $failure ) {
					// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- an unexpected failure must be findable.
					error_log( sprintf( 'IGNY8 Bridge: operation %s failed: %s in %s:%d', $name, $failure->getMessage(), $failure->getFile(), $failure->getLine() ) );
					$error = new Bridge_Error( 'OPERATION_FAILED', "The operation {$name} failed in WordPress." );
				}
			}
			$results[] = array(
				'op'    => $name,
				'ok'    => false,
				'error' => $error->to_operation_error(),
			);
		}
		return $results;
	}
}
