/**
 * What the UI needs from the one contract file that PHP and the sidecar also read (routes, status map, option
 * enums). Webpack keeps only the properties used here.
 */
import contract from '../../../plugin-php-shim/contract/igny8-contract.json';

export const REST_NAMESPACE = contract.rest_namespace;

/** The sync states of a post, as the contract lists them. */
export type SyncStateName = keyof typeof contract.sync.states;
export const SYNC_STATES = Object.keys(
	contract.sync.states
) as SyncStateName[];

type MetaKey = keyof typeof contract.meta.post;
type RoleOf< Key > = Key extends `_igny8_${ infer Role }` ? Role : never;

/** IGNY8's own meta keys by role, from the contract: `igny8Meta.content_id` is `_igny8_content_id`. */
export const igny8Meta = Object.fromEntries(
	Object.keys( contract.meta.post )
		.filter( ( key ) => key.startsWith( '_igny8_' ) )
		.map( ( key ) => [ key.slice( '_igny8_'.length ), key ] )
) as { readonly [ Role in RoleOf< MetaKey > ]: `_igny8_${ Role }` };

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

export type StatusMapDirection = 'igny8_to_wp' | 'wp_to_igny8';

/** The contract's status maps (the defaults the settings' overrides go on top of) and what each side accepts. */
export const STATUS_MAP_DEFAULTS: Readonly<
	Record< StatusMapDirection, Readonly< Record< string, string > > >
> = {
	igny8_to_wp: contract.status_maps.igny8_to_wp,
	wp_to_igny8: contract.status_maps.wp_to_igny8,
};
export const WP_STATUSES: readonly string[] = contract.status_maps.wp_statuses;
export const IGNY8_STATUSES: readonly string[] = [
	...new Set( [
		...Object.keys( contract.status_maps.igny8_to_wp ),
		...Object.values( contract.status_maps.wp_to_igny8 ),
	] ),
];

export const routes = {
	editorSync: ( postId: number ) =>
		`/${ REST_NAMESPACE }/editor/posts/${ postId }/sync`,
	editorBrief: ( postId: number ) =>
		`/${ REST_NAMESPACE }/editor/posts/${ postId }/brief`,
	settings: `/${ REST_NAMESPACE }/settings`,
	testConnection: `/${ REST_NAMESPACE }/settings/test-connection`,
	syncAllPending: `/${ REST_NAMESPACE }/settings/sync-all-pending`,
	syncStructure: `/${ REST_NAMESPACE }/settings/sync-structure`,
	resync: `/${ REST_NAMESPACE }/settings/resync`,
	sidecar: `/${ REST_NAMESPACE }/admin/sidecar`,
	sidecarSecret: `/${ REST_NAMESPACE }/admin/sidecar/secret`,
	sidecarRotate: `/${ REST_NAMESPACE }/admin/sidecar/rotate`,
	sidecarEnrol: `/${ REST_NAMESPACE }/admin/sidecar/enrol`,
	activity: `/${ REST_NAMESPACE }/activity`,
};

/** The activity log's kinds (calls in, then deliveries out) and outcomes, from the contract. */
export const ACTIVITY_KINDS: readonly string[] = [
	...new Set( Object.values( contract.activity.inbound_routes ) ),
	...contract.activity.outbound_kinds,
];
export const ACTIVITY_OUTCOMES: Readonly< Record< string, string > > =
	contract.activity.outcomes;
export const RETENTION_BOUNDS = {
	days: contract.options.igny8_activity_retention_days,
	rows: contract.options.igny8_activity_max_rows,
};
