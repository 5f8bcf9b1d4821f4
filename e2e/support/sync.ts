/**
 * Helpers for the WordPress → IGNY8 sync tests: IGNY8-managed posts made and changed inside the real WordPress
 * (php-cli: its shutdown fires the sync hook and notifies the sidecar just like a web request), the simulator's
 * view of what arrived, and the editor's sync route as the admin.
 */
import { expect } from '@playwright/test';

import { stack, wpEval } from './stack';

export interface SimTask {
	id: number;
	status?: string;
	wordpress_status?: string;
	assigned_post_id?: number | null;
	post_url?: string | null;
	post_type?: string;
	synced_at?: string;
	content_id?: number;
	updated_at?: string;
}

export interface ReceivedRequest {
	at: number;
	method: string;
	path: string;
	auth: string | undefined;
	body: Record< string, unknown >;
}

function evalJson< T >( php: string ): T {
	const out = wpEval( `echo wp_json_encode( ( function () { ${ php } } )() );` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? 'null' ) as T;
}

/** A task id range no other test uses (the simulator keys its tasks by id). */
let nextTaskId = ( Date.now() % 100_000 ) * 1000;
export const taskIds = ( count: number ): number[] => Array.from( { length: count }, () => ++nextTaskId );

/**
 * Creates `taskIds.length` IGNY8-managed posts (status `draft`, or `initial`) in ONE php-cli run. The meta is
 * added after the insert, so creating them records no sync change; changing them later does.
 */
export function createManagedPosts( tasks: number[], options: { status?: string; keywordIds?: number[]; contentIdOffset?: number } = {} ): number[] {
	const status = options.status ?? 'draft';
	const keywords = JSON.stringify( options.keywordIds ?? [] );
	return evalJson< number[] >( `
		$ids = array();
		foreach ( json_decode( '${ JSON.stringify( tasks ) }', true ) as $task ) {
			$id = wp_insert_post( array( 'post_title' => 'Sync test ' . $task, 'post_content' => 'Body', 'post_status' => '${ status }', 'post_type' => 'post', 'post_author' => 1 ), true );
			if ( is_wp_error( $id ) ) { throw new Exception( $id->get_error_message() ); }
			update_post_meta( $id, '_igny8_task_id', $task );
			update_post_meta( $id, '_igny8_content_id', $task + ${ options.contentIdOffset ?? 500000000 } );
			update_post_meta( $id, '_igny8_keyword_ids', wp_slash( '${ keywords }' ) );
			$ids[] = $id;
		}
		return $ids;
	` );
}

/** Changes the WordPress status of posts in one php-cli run (the request's shutdown notifies the sidecar once). */
export function setStatus( ids: number[], status: string ): void {
	wpEval( `
		foreach ( json_decode( '${ JSON.stringify( ids ) }', true ) as $id ) {
			switch ( '${ status }' ) {
				case 'trash': wp_trash_post( $id ); break;
				case 'untrash': wp_untrash_post( $id ); break;
				case 'delete': wp_delete_post( $id, true ); break;
				case 'future':
					$when = time() + 7 * DAY_IN_SECONDS;
					wp_update_post( array( 'ID' => $id, 'post_status' => 'future', 'edit_date' => true, 'post_date' => get_date_from_gmt( gmdate( 'Y-m-d H:i:s', $when ) ), 'post_date_gmt' => gmdate( 'Y-m-d H:i:s', $when ) ) );
					break;
				default: wp_update_post( array( 'ID' => $id, 'post_status' => '${ status }' ) );
			}
		}
	` );
}

/** Post meta the sync writes back, per post. */
export function syncMeta( ids: number[] ): Record< string, Record< string, string > > {
	return evalJson( `
		$out = array();
		foreach ( json_decode( '${ JSON.stringify( ids ) }', true ) as $id ) {
			$out[ $id ] = array();
			foreach ( array( '_igny8_sync_pending', '_igny8_sync_state', '_igny8_sync_error', '_igny8_wordpress_status', '_igny8_last_synced' ) as $key ) {
				$out[ $id ][ $key ] = (string) get_post_meta( $id, $key, true );
			}
			$out[ $id ]['outbox'] = get_option( 'igny8_sync_deleted_' . $id ) ? 'yes' : '';
		}
		return (object) $out;
	` );
}

export function permalinks( ids: number[] ): Record< string, string > {
	return evalJson( `$out = array(); foreach ( json_decode( '${ JSON.stringify( ids ) }', true ) as $id ) { $out[ $id ] = get_permalink( $id ); } return (object) $out;` );
}

// ------------------------------------------------------------------ simulator

export async function sim< T = unknown >( path: string, body?: unknown ): Promise< T > {
	for ( let attempt = 1; ; attempt++ ) {
		try {
			const res = await fetch( stack.simulatorUrl + '/__sim' + path, {
				method: body === undefined && ! path.startsWith( '/reset' ) && ! path.startsWith( '/revoke' ) ? 'GET' : 'POST',
				headers: { 'Content-Type': 'application/json' },
				...( body === undefined ? {} : { body: JSON.stringify( body ) } ),
			} );
			const json = ( await res.json() ) as { data: T };
			return json.data;
		} catch ( error ) {
			// A kept-alive socket the simulator closed just as we reused it ("other side closed"): ask again.
			if ( attempt >= 3 || ! ( error instanceof TypeError ) ) {
				throw error;
			}
		}
	}
}

export const simTasks = () => sim< Record< string, SimTask > >( '/tasks' );
export const simReceived = ( prefix: string ) => sim< ReceivedRequest[] >( `/received?path=${ encodeURIComponent( prefix ) }` );
/** The task updates IGNY8 received, for one task or all (PUTs only: the sidecar also GETs a task for its keyword ids). */
export const taskUpdates = async ( task?: number ) =>
	( await simReceived( task === undefined ? '/api/v1/writer/tasks/' : `/api/v1/writer/tasks/${ task }/` ) ).filter( ( r ) => r.method === 'PUT' );
export const simReset = () => sim( '/reset', {} );
export const simFault = ( fault: Record< string, unknown > ) => sim( '/faults', fault );

/** Waits until every task matches what `expected` says (partial match), polling the simulator. */
export async function expectTasks(
	expected: Record< number, Partial< SimTask > >,
	options: { timeout?: number; message?: string } = {}
): Promise< Record< string, SimTask > > {
	let tasks: Record< string, SimTask > = {};
	await expect
		.poll(
			async () => {
				tasks = await simTasks();
				return Object.entries( expected ).filter( ( [ id, want ] ) => {
					const got = tasks[ id ];
					return ! got || Object.entries( want ).some( ( [ k, v ] ) => ( got as unknown as Record< string, unknown > )[ k ] !== v );
				} ).length;
			},
			{ timeout: options.timeout ?? 15_000, intervals: [ 100, 200, 300, 500 ], message: options.message ?? 'tasks reach IGNY8 in their latest state' }
		)
		.toBe( 0 );
	return tasks;
}

// ------------------------------------------------------------------ WordPress REST as the admin

/** Per site (the hosted instance's specs may work on several): WordPress URL → Authorization header. */
const basicAuth = new Map< string, string >();

/** An application password for the admin (created once per worker and site). */
export function adminAuth(): string {
	let header = basicAuth.get( stack.wpUrl );
	if ( header === undefined ) {
		header =
			'Basic ' +
			Buffer.from(
				`admin:${ evalJson< string >( `list( $pw ) = WP_Application_Passwords::create_new_application_password( 1, array( 'name' => 'sync-e2e-' . wp_generate_password( 6, false ) ) ); return $pw;` ) }`
			).toString( 'base64' );
		basicAuth.set( stack.wpUrl, header );
	}
	return header;
}

export async function asAdmin< T = Record< string, unknown > >( route: string, init: RequestInit = {} ): Promise< { status: number; body: T; ms: number } > {
	const headers = new Headers( init.headers );
	headers.set( 'Authorization', adminAuth() );
	if ( init.body && ! headers.has( 'Content-Type' ) ) {
		headers.set( 'Content-Type', 'application/json' );
	}
	const started = performance.now();
	const res = await fetch( stack.wpUrl + route, { ...init, headers, signal: AbortSignal.timeout( 30_000 ) } );
	const text = await res.text();
	const ms = performance.now() - started;
	let body: unknown;
	try {
		body = JSON.parse( text );
	} catch {
		body = { __not_json: text.slice( 0, 300 ) };
	}
	return { status: res.status, body: body as T, ms };
}

export interface SyncStateBody {
	post_id: number;
	state: string;
	attempts: number;
	last_error: string | null;
	next_retry_at: string | null;
	last_synced_at: string | null;
	sync_mode: string;
}

export async function syncState( postId: number ): Promise< SyncStateBody > {
	const reply = await asAdmin< { success: boolean; data: SyncStateBody } >( `/wp-json/igny8/v1/editor/posts/${ postId }/sync` );
	expect( reply.status, JSON.stringify( reply.body ) ).toBe( 200 );
	return reply.body.data;
}

export async function saveSettings( settings: Record< string, unknown > ) {
	return asAdmin< { success: boolean; data: Record< string, unknown >; code?: string; field?: string } >( '/wp-json/igny8/v1/settings', {
		method: 'POST',
		body: JSON.stringify( settings ),
	} );
}
