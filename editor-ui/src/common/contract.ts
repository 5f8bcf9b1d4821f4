/**
 * What the UI needs from the one contract file that PHP and the sidecar also read (routes, status map, option
 * enums). Webpack keeps only the properties used here.
 */
import contract from '../../../plugin-php-shim/contract/igny8-contract.json';

export const REST_NAMESPACE = contract.rest_namespace;

/** Post types IGNY8 may ever manage (the settings choose among these). */
export const CONTRACT_POST_TYPES: readonly string[] = contract.post_types;

export const DEFAULT_POST_STATUSES: readonly string[] =
	contract.options.igny8_default_post_status.enum;

const WP_TO_IGNY8: Readonly< Record< string, string > > =
	contract.status_maps.wp_to_igny8;

/**
 * The IGNY8 status a WordPress status reports as (the contract's WP → IGNY8 map and its default).
 * @param wordpressStatus A WordPress post status.
 */
export function igny8StatusFor( wordpressStatus: string ): string {
	return (
		WP_TO_IGNY8[ wordpressStatus ] ??
		contract.status_maps.wp_to_igny8_default
	);
}

export const routes = {
	editorSync: ( postId: number ) =>
		`/${ REST_NAMESPACE }/editor/posts/${ postId }/sync`,
	settings: `/${ REST_NAMESPACE }/settings`,
	testConnection: `/${ REST_NAMESPACE }/settings/test-connection`,
	syncAllPending: `/${ REST_NAMESPACE }/settings/sync-all-pending`,
	syncStructure: `/${ REST_NAMESPACE }/settings/sync-structure`,
};
