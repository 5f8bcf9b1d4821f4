/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useDispatch, useSelect } from '@wordpress/data';
import { store as editorStore } from '@wordpress/editor';
import { useCallback, useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { store as noticesStore } from '@wordpress/notices';

/**
 * Internal dependencies
 */
import { envelopeData, isRouteMissing, toApiError } from '../common/api-error';
import { useMountedRef } from '../common/use-mounted-ref';
import { igny8Meta, routes, SYNC_STATES } from '../common/contract';
import type {
	Igny8Post,
	SyncController,
	SyncState,
	SyncStateName,
	SyncStateReply,
} from './types';

export const SYNC_NOW_NOTICE_ID = 'igny8-bridge/sync-now';

const isStateName = ( value: unknown ): value is SyncStateName =>
	SYNC_STATES.includes( value as SyncStateName );

export function fromRouteReply( reply: SyncStateReply ): SyncState {
	const state = isStateName( reply.state ) ? reply.state : 'never';
	const retrying =
		state === 'pending' && reply.attempts > 0 && !! reply.last_error;
	return {
		state: retrying ? 'failed' : state,
		retrying,
		attempts: typeof reply.attempts === 'number' ? reply.attempts : null,
		lastError: reply.last_error || null,
		nextRetryAt: reply.next_retry_at || null,
		lastSyncedAt: reply.last_synced_at || null,
		syncMode: reply.sync_mode || null,
		igny8Status: reply.igny8_status || null,
		source: 'route',
	};
}

/**
 * The state WordPress mirrored into post meta. A post IGNY8 published carries `_igny8_last_synced` without a
 * sync state: that is a sync (the publish itself).
 * @param mirrored The mirrored sync meta.
 */
export function fromMirroredMeta(
	mirrored: Igny8Post[ 'mirroredSync' ]
): SyncState {
	let state: SyncStateName = mirrored.lastSynced ? 'synced' : 'never';
	if ( isStateName( mirrored.state ) ) {
		state = mirrored.state;
	}
	return {
		state,
		retrying: false,
		attempts: null,
		lastError: mirrored.error,
		nextRetryAt: null,
		lastSyncedAt: mirrored.lastSynced,
		syncMode: null,
		igny8Status: null,
		source: 'meta',
	};
}

/**
 * How soon to look again: while a delivery is under way, and at the next automatic retry of a failed one.
 * @param sync The current state.
 */
function pollDelay( sync: SyncState ): number | null {
	switch ( sync.state ) {
		case 'pending':
		case 'in_flight':
			return sync.source === 'route' ? 1500 : 4000;
		case 'failed': {
			if ( ! sync.retrying ) {
				// Parked until a new change, Sync now or new credentials: look now and then.
				return 30_000;
			}
			const retryAt = sync.nextRetryAt
				? Date.parse( sync.nextRetryAt )
				: NaN;
			const untilRetry = Number.isNaN( retryAt )
				? 30_000
				: retryAt - Date.now() + 500;
			return Math.min( 30_000, Math.max( 2000, untilRetry ) );
		}
		default:
			return null;
	}
}

/** Counts completed manual saves (publish, update, status change), never autosaves. */
function useCompletedSaves(): number {
	const { isSaving, isAutosaving, didSucceed } = useSelect( ( select ) => {
		const editor = select( editorStore );
		return {
			isSaving: editor.isSavingPost(),
			isAutosaving: editor.isAutosavingPost(),
			didSucceed: editor.didPostSaveRequestSucceed(),
		};
	}, [] );
	const wasSaving = useRef( false );
	const [ completed, setCompleted ] = useState( 0 );
	useEffect( () => {
		if ( wasSaving.current && ! isSaving && didSucceed ) {
			setCompleted( ( n ) => n + 1 );
		}
		wasSaving.current = isSaving && ! isAutosaving;
	}, [ isSaving, isAutosaving, didSucceed ] );
	return completed;
}

/**
 * The post's sync state from `GET /igny8/v1/editor/posts/{id}/sync`, refetched after every save and while a
 * delivery is under way, and **Sync now** (`POST` on the same route). While that route is not available
 * (ROUTE_NOT_FOUND) or its service is down, the state WordPress mirrored into post meta is shown instead.
 *
 * @param post The post being edited.
 */
export function useSyncState( post: Igny8Post ): SyncController {
	const { postId, isManaged } = post;
	const [ sync, setSync ] = useState< SyncState | null >( null );
	const [ isLoading, setIsLoading ] = useState( false );
	const [ isSyncing, setIsSyncing ] = useState( false );
	const [ routeProblem, setRouteProblem ] = useState< string | null >( null );
	const [ routeMissing, setRouteMissing ] = useState( false );
	const completedSaves = useCompletedSaves();
	const { createErrorNotice, removeNotice } = useDispatch( noticesStore );

	// Only the newest request may write the state; nothing is written after unmount.
	const latestRequest = useRef( 0 );
	const mounted = useMountedRef();
	// Read at request time, so a change of these never triggers a load by itself.
	const latestPost = useRef( post );
	latestPost.current = post;
	// Once the route answered ROUTE_NOT_FOUND, later refreshes read the mirrored meta only (no repeated 404s).
	const routeKnownMissing = useRef( false );

	const readMirroredMeta = async (): Promise< SyncState > => {
		const { restBase, mirroredSync } = latestPost.current;
		if ( ! restBase ) {
			return fromMirroredMeta( mirroredSync );
		}
		const reply = await apiFetch< { meta?: Record< string, unknown > } >( {
			path: `/wp/v2/${ restBase }/${ postId }?context=edit&_fields=meta`,
		} );
		const meta = reply.meta ?? {};
		const str = ( key: string ) =>
			typeof meta[ key ] === 'string' && meta[ key ] !== ''
				? ( meta[ key ] as string )
				: null;
		return fromMirroredMeta( {
			state: str( igny8Meta.sync_state ),
			error: str( igny8Meta.sync_error ),
			lastSynced: str( igny8Meta.last_synced ),
		} );
	};

	const load = useCallback( async () => {
		if ( ! postId || ! isManaged ) {
			return;
		}
		const request = ++latestRequest.current;
		const isCurrent = () =>
			mounted.current && request === latestRequest.current;
		setIsLoading( true );
		let next: SyncState | null = null;
		let problem: string | null = null;
		let missing = routeKnownMissing.current;
		try {
			if ( missing ) {
				next = await readMirroredMeta();
			} else {
				next = fromRouteReply(
					envelopeData< SyncStateReply >(
						await apiFetch( { path: routes.editorSync( postId ) } )
					)
				);
			}
		} catch ( error ) {
			const apiError = toApiError(
				error,
				__( 'The IGNY8 sync state could not be read.', 'igny8-bridge' )
			);
			missing = missing || isRouteMissing( apiError );
			routeKnownMissing.current = missing;
			problem = missing ? null : apiError.message;
			try {
				next = await readMirroredMeta();
			} catch {
				next = fromMirroredMeta( latestPost.current.mirroredSync );
			}
		}
		if ( isCurrent() ) {
			setSync( next );
			setRouteProblem( problem );
			setRouteMissing( missing );
			setIsLoading( false );
		}
		// readMirroredMeta reads only refs and postId.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [ postId, isManaged ] );

	// First load, and again after every completed save (pending → synced without a reload).
	useEffect( () => {
		load();
	}, [ load, completedSaves ] );

	// Keep looking while a delivery is under way, and at a failed job's next automatic retry.
	useEffect( () => {
		const delay = sync ? pollDelay( sync ) : null;
		if ( delay === null ) {
			return undefined;
		}
		const timer = setTimeout( load, delay );
		return () => clearTimeout( timer );
	}, [ sync, load ] );

	const syncNow = useCallback( async () => {
		if ( ! postId ) {
			return;
		}
		setIsSyncing( true );
		removeNotice( SYNC_NOW_NOTICE_ID );
		const request = ++latestRequest.current;
		try {
			const reply = envelopeData< SyncStateReply >(
				await apiFetch( {
					path: routes.editorSync( postId ),
					method: 'POST',
				} )
			);
			routeKnownMissing.current = false;
			if ( mounted.current && request === latestRequest.current ) {
				setSync( fromRouteReply( reply ) );
				setRouteProblem( null );
				setRouteMissing( false );
			}
		} catch ( error ) {
			const apiError = toApiError(
				error,
				__( 'The request did not reach WordPress.', 'igny8-bridge' )
			);
			createErrorNotice(
				sprintf(
					/* translators: %s: why the request failed. */
					__( 'IGNY8 Sync now failed: %s', 'igny8-bridge' ),
					apiError.message
				),
				{ id: SYNC_NOW_NOTICE_ID }
			);
		} finally {
			if ( mounted.current ) {
				setIsSyncing( false );
			}
		}
	}, [ postId, createErrorNotice, mounted, removeNotice ] );

	return {
		sync: isManaged ? sync : null,
		isLoading,
		isSyncing,
		routeProblem,
		routeMissing,
		syncNow,
		refresh: load,
	};
}
