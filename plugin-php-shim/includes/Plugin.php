<?php
/**
 * Plugin wiring.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Loads the contract and registers the features' hooks. Called once on `plugins_loaded`.
 *
 * A page view must cost next to nothing (issue #15: ≤ 2% of a page view with the plugin active), so the features
 * are registered by where they are needed: on every request only those that page views and content writes of any
 * origin need (taxonomies, the sync and structure recorders, settings sanitizing, the integration account guard,
 * the Authorization probe); the REST ones (routes, the namespace's errors, meta registration and its REST filters)
 * on the request's first `rest_api_init`, which core fires before any REST dispatch, also for a REST request made
 * inside an admin page or a CLI command (an HTTP request for a posts route, an editor save, gets only the meta and
 * the meta queries: Support\Rest_Scope); the admin screens' ones in wp-admin only. Classes load when a feature is
 * registered, so a page view loads none of the REST or admin code.
 */
final class Plugin {

	/**
	 * Whether load() already ran.
	 *
	 * @var bool
	 */
	private static bool $loaded = false;

	/**
	 * Feature classes registered in this request: class name => true.
	 *
	 * @var array<string,bool>
	 */
	private static array $registered = array();

	/**
	 * Registers the features this request needs now, and the REST ones for when REST starts.
	 *
	 * @throws \RuntimeException When the contract cannot be read.
	 */
	public static function load(): void {
		if ( self::$loaded ) {
			return;
		}
		self::$loaded = true;

		Contract::get();
		Install\Activator::maybe_upgrade();

		self::register(
			array(
				Registration\Taxonomies::class,
				Registration\Settings::class,
				Registration\Structure_Revision::class,
				Install\Integration_User::class,
				Sync\Change_Recorder::class,
				Sync\Term_Recorder::class,
				Admin\Authorization_Check::class,
			)
		);
		add_action( 'rest_api_init', array( self::class, 'load_rest' ), 0 );
		// Meta capabilities (the auth callbacks) are checked by the custom-fields box and XML-RPC too.
		if ( is_admin() || ( defined( 'XMLRPC_REQUEST' ) && XMLRPC_REQUEST ) || ( defined( 'WP_CLI' ) && WP_CLI ) ) {
			self::register( array( Registration\Meta::class ) );
		}
		if ( is_admin() ) {
			self::register(
				array(
					Admin\Editor_Assets::class,
					Admin\Settings_Page::class,
					Admin\Activity_Page::class,
					Admin\Posts_List_Column::class,
					Admin\Posts_List_Sync::class,
					Health\Site_Health::class,
				)
			);
		}
		if ( wp_doing_cron() ) {
			// WordPress's weekly Site Health check runs in cron and asks `site_status_tests` for every test.
			self::register( array( Health\Site_Health::class ) );
		}
		if ( defined( 'WP_CLI' ) && WP_CLI ) {
			Cli\Command::register_command();
		}

		/**
		 * Fires once the IGNY8 Bridge registered its hooks.
		 */
		do_action( 'igny8_bridge_loaded' );
	}

	/**
	 * The REST features, on the first `rest_api_init` (priority 0: before the routes they add on the same action).
	 */
	public static function load_rest(): void {
		self::register( array( Registration\Meta::class, Rest\Core_Meta_Query::class ) );
		if ( Support\Rest_Scope::is_posts_request() ) {
			// An editor save (`/wp/v2/posts/<id>`) reaches none of the plugin's routes: not built on every save.
			return;
		}
		self::register(
			array(
				Rest\Proxy_Controller::class,
				Rest\Internal_Controller::class,
				Rest\Namespace_Errors::class,
				Admin\Sidecar_Pairing::class,
				Health\Site_Health::class,
			)
		);
	}

	/**
	 * Registers each feature once per request.
	 *
	 * @param array<int,class-string<Feature>> $classes Feature classes.
	 */
	private static function register( array $classes ): void {
		foreach ( $classes as $class ) {
			if ( ! isset( self::$registered[ $class ] ) ) {
				self::$registered[ $class ] = true;
				( new $class() )->register();
			}
		}
	}
}
