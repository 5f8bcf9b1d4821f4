<?php
/**
 * Suppresses the WordPress → IGNY8 sync hook while the plugin itself writes.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sync;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * While operations from the sidecar run (IGNY8's own publish, sync write-backs), post saves must not be reported
 * back to IGNY8, or each publish would echo and loop. The sync hook checks is_suppressed().
 *
 *     Sync_Guard::suppress( static function () { ... } );
 *     if ( Sync_Guard::is_suppressed() ) { return; } // in the sync hook
 */
final class Sync_Guard {

	/**
	 * Nesting depth of suppress() calls.
	 *
	 * @var int
	 */
	private static int $depth = 0;

	/**
	 * Runs $work with the sync hook suppressed, and returns its result.
	 *
	 * @param callable $work Work to run.
	 * @return mixed
	 */
	public static function suppress( callable $work ) {
		++self::$depth;
		try {
			return $work();
		} finally {
			--self::$depth;
		}
	}

	/**
	 * Whether the sync hook must ignore the current write.
	 */
	public static function is_suppressed(): bool {
		return self::$depth > 0;
	}
}
