<?php
/**
 * `wp igny8`: the plugin's WP-CLI commands.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Cli;

use Igny8\Bridge\Admin\Sidecar_Pairing;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Health\Health_Checks;
use Igny8\Bridge\Rest\Route_Call;
use WP_CLI;
use WP_CLI\Utils;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Operates the IGNY8 Bridge from the shell: sync state, retries, the sidecar pairing.
 *
 * Every command is a WordPress-side entry like the settings screen: it calls the plugin's own REST routes in this
 * process (the shim → sidecar proxy, one WordPress bootstrap per command, the sidecar never called back while it
 * waits) as the user given with `--user`, else the first administrator. Nothing here knows an IGNY8 field: the
 * sidecar's answers are printed as they come.
 *
 * ## EXIT STATUS
 *
 *     0 on success, 1 when a command failed (the error names the cause and its code).
 *
 * ## EXAMPLES
 *
 *     wp igny8 status
 *     wp igny8 sync --failed
 *     wp igny8 doctor
 */
final class Command {

	/**
	 * Shows the connection, the sidecar and the sync queue, as `GET /igny8/v1/status` answers them.
	 *
	 * ## OPTIONS
	 *
	 * [--format=<format>]
	 * : Output format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - yaml
	 *   - csv
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp igny8 status
	 *     wp igny8 status --format=json
	 *
	 * @param string[]             $args       Positional arguments (none).
	 * @param array<string,string> $assoc_args Options.
	 */
	public function status( $args, $assoc_args ): void {
		$data = $this->data_of( Route_Call::route( 'status' ) );
		$this->print_fields( is_array( $data ) ? $data : array(), $assoc_args );
	}

	/**
	 * Sends posts to IGNY8 now: the given posts, every pending change, or every failed post again.
	 *
	 * Queues the deliveries in the sidecar and returns; they are retried there while IGNY8 is down. Follow them with
	 * `wp igny8 status` or the posts list's IGNY8 column.
	 *
	 * ## OPTIONS
	 *
	 * [<post-id>...]
	 * : IGNY8-managed posts to send with their current state, even when nothing changed.
	 *
	 * [--all-pending]
	 * : Release every change that is waiting (manual sync mode holds changes until this or "Sync all pending").
	 *
	 * [--failed]
	 * : Deliver every failed or dead post again, from its latest recorded state.
	 *
	 * [--format=<format>]
	 * : Output format of the post rows (with post ids).
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 *   - ids
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp igny8 sync 12 14
	 *     wp igny8 sync --failed
	 *     wp igny8 sync --all-pending
	 *
	 * @param string[]             $args       Post ids.
	 * @param array<string,string> $assoc_args Options.
	 */
	public function sync( $args, $assoc_args ): void {
		$all_pending = (bool) Utils\get_flag_value( $assoc_args, 'all-pending', false );
		$failed      = (bool) Utils\get_flag_value( $assoc_args, 'failed', false );
		if ( (int) $all_pending + (int) $failed + (int) ( array() !== $args ) !== 1 ) {
			WP_CLI::error( 'Give post ids, --all-pending or --failed (one of them).' );
		}
		if ( $all_pending || $failed ) {
			$reply = Route_Call::route( $failed ? 'settings_sync_failed' : 'settings_sync_all' );
			$this->data_of( $reply );
			WP_CLI::success( $this->message_of( $reply, 'Queued.' ) );
			return;
		}

		$rows   = array();
		$failed = 0;
		foreach ( $args as $arg ) {
			$post_id = (int) $arg;
			if ( $post_id <= 0 || (string) $post_id !== trim( $arg ) ) {
				WP_CLI::warning( sprintf( '%s: not a post id.', $arg ) );
				++$failed;
				continue;
			}
			$reply = Route_Call::route( 'editor_sync_now', array( 'post_id' => $post_id ) );
			if ( ! Route_Call::succeeded( $reply ) ) {
				WP_CLI::warning( sprintf( 'Post %d: %s', $post_id, Route_Call::error_text( $reply ) ) );
				++$failed;
				continue;
			}
			$data   = $reply['body']['data'] ?? array();
			$rows[] = Output::row( is_array( $data ) ? $data : array() );
		}
		if ( array() !== $rows ) {
			$format = $assoc_args['format'] ?? 'table';
			if ( 'ids' === $format ) {
				echo esc_html( implode( ' ', array_map( static fn( array $row ): string => (string) ( $row['post_id'] ?? '' ), $rows ) ) ) . "\n";
			} else {
				Utils\format_items( $format, $rows, Output::columns( $rows ) );
			}
		}
		if ( $failed > 0 ) {
			WP_CLI::error( sprintf( '%d of %d posts could not be queued.', $failed, count( $args ) ) );
		}
		WP_CLI::success( sprintf( _n( '%d post queued.', '%d posts queued.', count( $rows ), 'igny8-bridge' ), count( $rows ) ) );
	}

	/**
	 * Checks that the bridge works: the same checks as Tools → Site Health.
	 *
	 * The sidecar answers with this protocol, both sides hold the same key, the IGNY8 connection, the queue (the
	 * oldest waiting change), failed and dead deliveries, the reconciler, scheduled publishing (cron), the
	 * Authorization header and the https base URL. Exits 1 when a check fails, naming the cause and what to do;
	 * warnings and skipped checks are printed, and do not fail the command.
	 *
	 * ## OPTIONS
	 *
	 * [--format=<format>]
	 * : Output format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 *   - yaml
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp igny8 doctor || echo "the IGNY8 Bridge needs attention"
	 *
	 * @param string[]             $args       Positional arguments (none).
	 * @param array<string,string> $assoc_args Options.
	 */
	public function doctor( $args, $assoc_args ): void {
		$checks = Health_Checks::all();
		$format = $assoc_args['format'] ?? 'table';
		Utils\format_items( $format, $checks, 'table' === $format ? array( 'check', 'status', 'message', 'action' ) : array( 'check', 'status', 'label', 'message', 'action' ) );
		$failing = array_values( array_filter( $checks, static fn( array $check ): bool => 'fail' === $check['status'] ) );
		if ( array() !== $failing ) {
			WP_CLI::error( sprintf( '%d check(s) failed: %s %s', count( $failing ), $failing[0]['message'], $failing[0]['action'] ) );
		}
		WP_CLI::success( 'No check failed.' );
	}

	/**
	 * Shows the activity log: IGNY8's calls in and the deliveries out, newest first.
	 *
	 * The log is kept by the sidecar (Tools → IGNY8 Activity shows the same rows); retention is set there.
	 *
	 * ## OPTIONS
	 *
	 * [--since=<time>]
	 * : Only rows at or after this time: an ISO 8601 time (2026-01-31T12:00:00Z), epoch seconds, or a relative time
	 * strtotime() understands ("-1 hour", "yesterday").
	 *
	 * [--kind=<kind>]
	 * : Only rows of this kind: publish, lookup, site_metadata (calls in); status, content_update, keywords,
	 * structure, term (deliveries out).
	 *
	 * [--outcome=<outcome>]
	 * : Only rows with this outcome: ok, error, delivered, failed, parked, dead.
	 *
	 * [--post=<post-id>]
	 * : Only rows about this post.
	 *
	 * [--search=<id>]
	 * : Only rows with this IGNY8 content id or request id.
	 *
	 * [--limit=<n>]
	 * : How many rows at most.
	 * ---
	 * default: 50
	 * ---
	 *
	 * [--format=<format>]
	 * : Output format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - csv
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp igny8 log
	 *     wp igny8 log --since="-1 hour" --kind=status
	 *     wp igny8 log --outcome=failed --format=csv > failed.csv
	 *
	 * @param string[]             $args       Positional arguments (none).
	 * @param array<string,string> $assoc_args Options.
	 */
	public function log( $args, $assoc_args ): void {
		$query = array();
		if ( isset( $assoc_args['since'] ) ) {
			$since = (string) $assoc_args['since'];
			if ( ! preg_match( '/^\d+$/', $since ) && ! preg_match( '/^\d{4}-\d{2}-\d{2}T/', $since ) ) {
				$time = strtotime( $since );
				if ( false === $time ) {
					WP_CLI::error( sprintf( '--since=%s is not a time (use an ISO 8601 time, epoch seconds or e.g. "-1 hour").', $since ) );
				}
				$since = (string) $time;
			}
			$query['since'] = $since;
		}
		foreach ( array( 'kind' => 'kind', 'outcome' => 'outcome', 'post' => 'post_id', 'search' => 'search' ) as $option => $param ) {
			if ( isset( $assoc_args[ $option ] ) ) {
				$query[ $param ] = (string) $assoc_args[ $option ];
			}
		}
		$limit  = max( 1, (int) ( $assoc_args['limit'] ?? 50 ) );
		$format = (string) ( $assoc_args['format'] ?? 'table' );
		$rows   = array();
		$per    = min( $limit, (int) ( Contract::get()['activity']['page_size_max'] ?? 100 ) );
		// The next page by keyset (`before_id` = the last row's id: an index seek, where a page number is an OFFSET).
		$paging = array( 'page' => '1' );
		for ( $page = 1; count( $rows ) < $limit; $page++ ) {
			$data = $this->data_of( Route_Call::route( 'activity_list', array(), null, $query + $paging + array( 'per_page' => (string) $per ) ) );
			$rows = array_merge( $rows, is_array( $data['rows'] ?? null ) ? $data['rows'] : array() );
			if ( array_key_exists( 'next_before_id', (array) $data ) ) {
				if ( ! is_int( $data['next_before_id'] ) ) {
					break;
				}
				$paging = array( 'before_id' => (string) $data['next_before_id'] );
			} elseif ( $page >= (int) ( $data['pages'] ?? 1 ) ) {
				break;
			} else {
				$paging = array( 'page' => (string) ( $page + 1 ) );
			}
		}
		// The sidecar's rows as they come (PHP knows none of their fields); json keeps their types.
		$rows = array_slice( $rows, 0, $limit );
		if ( 'json' === $format ) {
			WP_CLI::line( (string) wp_json_encode( $rows, JSON_UNESCAPED_SLASHES ) );
			return;
		}
		if ( array() === $rows ) {
			WP_CLI::log( 'No activity matches.' );
			return;
		}
		$rows = array_map( array( Output::class, 'row' ), $rows );
		Utils\format_items( $format, $rows, Output::columns( $rows ) );
	}

	/**
	 * Runs the reconciler now: finds every change WordPress recorded that the sidecar's queue is missing.
	 *
	 * The sidecar asks WordPress for the pending markers (after this command's request is answered) and enqueues what
	 * it lacks; the command waits for that pass and prints its counts.
	 *
	 * ## OPTIONS
	 *
	 * [--format=<format>]
	 * : Output format.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - yaml
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp igny8 reconcile
	 *
	 * @param string[]             $args       Positional arguments (none).
	 * @param array<string,string> $assoc_args Options.
	 */
	public function reconcile( $args, $assoc_args ): void {
		$started   = $this->data_of( Route_Call::route( 'settings_reconcile' ) );
		$requested = strtotime( (string) ( $started['requested_at'] ?? '' ) );
		$deadline  = time() + 60;
		do {
			sleep( 1 );
			$health     = $this->data_of( Route_Call::route( 'admin_health' ) );
			$reconciler = (array) ( $health['reconciler'] ?? array() );
			$ran        = strtotime( (string) ( $reconciler['last_run_at'] ?? '' ) );
		} while ( ( false === $ran || false === $requested || $ran < $requested ) && time() < $deadline );
		if ( false === $ran || false === $requested || $ran < $requested ) {
			WP_CLI::error( 'The reconciler did not finish within 60 s; it keeps running in the sidecar.' );
		}
		$success = strtotime( (string) ( $reconciler['last_success_at'] ?? '' ) );
		if ( false === $success || $success < $requested ) {
			WP_CLI::error( sprintf( 'The reconciler could not ask WordPress: %s', (string) ( $reconciler['last_error'] ?? 'unknown error' ) ) );
		}
		$report = (array) ( $reconciler['last_report'] ?? array() );
		$this->print_fields( $report, $assoc_args );
		WP_CLI::success( sprintf( 'Reconciled: %d listed, %d enqueued, %d write-backs owed.', (int) ( $report['listed'] ?? 0 ), (int) ( $report['enqueued'] ?? 0 ), (int) ( $report['writebacks'] ?? 0 ) ) );
	}

	/**
	 * Delivers every IGNY8-managed post's current state to IGNY8 once: a full re-sync.
	 *
	 * Walks the managed posts by ascending id, one batch per request, and queues each post's status delivery in the
	 * sidecar, coalesced with any change already waiting: a post is delivered once per pass, however often the pass
	 * is run. The pass keeps its cursor in the sidecar, so an interrupted run continues where it stopped when run
	 * again. A finished pass is not repeated unless `--restart` is given. Settings → IGNY8 → "Resync everything"
	 * runs the same job. The deliveries themselves leave from the sidecar's queue (retried while IGNY8 is down):
	 * follow them with `wp igny8 status` or `wp igny8 log --kind=status`.
	 *
	 * ## OPTIONS
	 *
	 * [--all]
	 * : Resync every managed post (required, unless --status).
	 *
	 * [--restart]
	 * : Start a new pass, even when the last one finished or is half done.
	 *
	 * [--status]
	 * : Only show the progress of the current pass; changes nothing.
	 *
	 * [--batch=<n>]
	 * : Posts per request (1 to 200).
	 * ---
	 * default: 50
	 * ---
	 *
	 * [--format=<format>]
	 * : Output format of the final progress.
	 * ---
	 * default: table
	 * options:
	 *   - table
	 *   - json
	 *   - yaml
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp igny8 resync --all
	 *     wp igny8 resync --all --restart
	 *     wp igny8 resync --status --format=json
	 *
	 * @param string[]             $args       Positional arguments (none).
	 * @param array<string,string> $assoc_args Options.
	 */
	public function resync( $args, $assoc_args ): void {
		if ( (bool) Utils\get_flag_value( $assoc_args, 'status', false ) ) {
			$this->print_fields( (array) $this->data_of( Route_Call::route( 'settings_resync_status' ) ), $assoc_args );
			return;
		}
		if ( ! (bool) Utils\get_flag_value( $assoc_args, 'all', false ) ) {
			WP_CLI::error( 'Give --all to resync every managed post (or --status to see the progress).' );
		}
		$batch = (int) ( $assoc_args['batch'] ?? 50 );
		if ( $batch < 1 || $batch > 200 ) {
			WP_CLI::error( '--batch must be between 1 and 200.' );
		}
		$body     = array(
			'restart' => (bool) Utils\get_flag_value( $assoc_args, 'restart', false ),
			'batch'   => $batch,
		);
		$progress = (array) $this->data_of( Route_Call::route( 'settings_resync', array(), $body ) );
		if ( ! empty( $progress['already_done'] ) ) {
			$this->print_fields( $progress, $assoc_args );
			WP_CLI::success(
				sprintf(
					'Nothing to do: resync pass %d finished at %s (%d posts). Run with --restart for a new pass.',
					(int) ( $progress['pass'] ?? 0 ),
					(string) ( $progress['finished_at'] ?? '?' ),
					(int) ( $progress['processed'] ?? 0 )
				)
			);
			return;
		}
		if ( empty( $progress['started'] ) ) {
			WP_CLI::log( sprintf( 'Resuming resync pass %d after post %d.', (int) ( $progress['pass'] ?? 0 ), (int) ( $progress['cursor'] ?? 0 ) ) );
		}
		$total = max( 1, (int) ( $progress['total'] ?? 0 ) );
		$bar   = Utils\make_progress_bar( 'Resyncing IGNY8-managed posts', $total );
		$shown = 0;
		$stuck = 0;
		$body  = array( 'batch' => $batch );
		for ( ;; ) {
			$processed = min( $total, (int) ( $progress['processed'] ?? 0 ) );
			if ( $processed > $shown ) {
				$bar->tick( $processed - $shown );
				$shown = $processed;
				$stuck = 0;
			}
			if ( 'done' === ( $progress['state'] ?? '' ) ) {
				break;
			}
			// A pass that does not move (another caller restarted it, a page that keeps failing) must not loop forever.
			if ( ++$stuck > 20 ) {
				$bar->finish();
				WP_CLI::error( 'The resync makes no progress; run it again to continue from its cursor.' );
			}
			$progress = (array) $this->data_of( Route_Call::route( 'settings_resync', array(), $body ) );
		}
		$bar->finish();
		$this->print_fields( $progress, $assoc_args );
		WP_CLI::success(
			sprintf(
				'Resync pass %d done: %d managed posts, %d queued for delivery, %d already on their way.',
				(int) ( $progress['pass'] ?? 0 ),
				(int) ( $progress['processed'] ?? 0 ),
				(int) ( $progress['enqueued'] ?? 0 ),
				(int) ( $progress['skipped'] ?? 0 )
			)
		);
	}

	/**
	 * Shows or rotates the secret the site and the sidecar sign their messages with.
	 *
	 * `show` prints the lines the sidecar's environment needs (with the secret: treat the output as a password).
	 * `rotate` generates a new secret; the previous one stays valid for 10 minutes, time to restart the sidecar
	 * with the new lines.
	 *
	 * ## OPTIONS
	 *
	 * <action>
	 * : What to do.
	 * ---
	 * options:
	 *   - show
	 *   - rotate
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp igny8 secret show > /etc/igny8-sidecar/env.new
	 *     wp igny8 secret rotate
	 *
	 * @param string[]             $args       The action.
	 * @param array<string,string> $assoc_args Options (none).
	 */
	public function secret( $args, $assoc_args ): void {
		$action = $args[0] ?? '';
		if ( 'rotate' === $action ) {
			$data = $this->data_of( Route_Call::run( 'POST', Sidecar_Pairing::ROUTE . '/rotate' ) );
			WP_CLI::success(
				sprintf(
					'New secret generated (fingerprint %s); the previous one is accepted for 10 minutes. Run `wp igny8 secret show` for the sidecar\'s lines and restart it.',
					(string) ( $data['fingerprints']['site'] ?? '?' )
				)
			);
			return;
		}
		$data = $this->data_of( Route_Call::run( 'GET', Sidecar_Pairing::ROUTE . '/secret' ) );
		WP_CLI::line( rtrim( (string) ( $data['env'] ?? '' ) ) );
	}

	/**
	 * The envelope's data, or a WP-CLI error naming the code.
	 *
	 * @param array{status:int,body:mixed} $reply Route reply.
	 * @return mixed
	 */
	private function data_of( array $reply ) {
		if ( ! Route_Call::succeeded( $reply ) ) {
			WP_CLI::error( Route_Call::error_text( $reply ) );
		}
		return is_array( $reply['body'] ) ? ( $reply['body']['data'] ?? array() ) : array();
	}

	/**
	 * The envelope's message.
	 *
	 * @param array{status:int,body:mixed} $reply    Route reply.
	 * @param string                       $fallback Without one.
	 */
	private function message_of( array $reply, string $fallback ): string {
		$message = is_array( $reply['body'] ) ? ( $reply['body']['message'] ?? '' ) : '';
		return is_string( $message ) && '' !== $message ? $message : $fallback;
	}

	/**
	 * An object as field/value rows (nested objects as dotted names), or as itself for json/yaml.
	 *
	 * @param array<string,mixed>  $data       Object.
	 * @param array<string,string> $assoc_args Options.
	 */
	private function print_fields( array $data, array $assoc_args ): void {
		$format = $assoc_args['format'] ?? 'table';
		if ( 'json' === $format || 'yaml' === $format ) {
			Utils\format_items( $format, array( $data ), array_keys( $data ) );
			if ( 'json' === $format ) {
				WP_CLI::line(); // The JSON ends without one: what follows (a success line) starts on its own line.
			}
			return;
		}
		$rows = array();
		foreach ( Output::flatten( $data ) as $field => $value ) {
			$rows[] = array(
				'field' => $field,
				'value' => $value,
			);
		}
		Utils\format_items( $format, $rows, array( 'field', 'value' ) );
	}

	/**
	 * Registers `wp igny8` (only under WP-CLI). Its commands run as the `--user` given, else the first administrator
	 * (whoever runs `wp` on the server can already do anything an administrator can).
	 */
	public static function register_command(): void {
		WP_CLI::add_command(
			'igny8',
			self::class,
			array(
				'shortdesc'     => 'Operates the IGNY8 Bridge: sync, checks, the sidecar secret.',
				'before_invoke' => array( self::class, 'act_as_administrator' ),
			)
		);
	}

	/**
	 * The current user, or the first administrator when WP-CLI runs without `--user`.
	 */
	public static function act_as_administrator(): void {
		if ( current_user_can( 'manage_options' ) ) {
			return;
		}
		if ( 0 !== get_current_user_id() ) {
			WP_CLI::error( 'The user given with --user cannot manage options: run `wp igny8` as an administrator.' );
		}
		$admins = get_users(
			array(
				'role'    => 'administrator',
				'orderby' => 'ID',
				'order'   => 'ASC',
				'number'  => 1,
				'fields'  => 'ID',
			)
		);
		if ( array() === $admins ) {
			WP_CLI::error( 'This site has no administrator to run `wp igny8` as; pass --user=<login>.' );
		}
		wp_set_current_user( (int) $admins[0] );
	}
}
