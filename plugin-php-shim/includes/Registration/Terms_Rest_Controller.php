<?php
/**
 * Core's terms controller for the plugin's taxonomies, without routes where nothing can reach them.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Registration;

use Igny8\Bridge\Support\Rest_Scope;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The `rest_controller_class` of the contract's taxonomies: core's WP_REST_Terms_Controller unchanged, except that a
 * posts request (Support\Rest_Scope: an editor save) does not register the term routes it cannot reach. Their
 * argument schemas were built on every save; the post's reply still lists its terms and links to the routes.
 */
final class Terms_Rest_Controller extends \WP_REST_Terms_Controller {

	/**
	 * {@inheritDoc}
	 */
	public function register_routes() {
		if ( Rest_Scope::is_posts_request() ) {
			return;
		}
		parent::register_routes();
	}
}
