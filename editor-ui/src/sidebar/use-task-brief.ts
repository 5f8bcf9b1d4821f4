/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useCallback, useEffect, useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { envelopeData, toApiError } from '../common/api-error';
import { routes } from '../common/contract';
import { useMountedRef } from '../common/use-mounted-ref';

/** `data` of `GET/POST /igny8/v1/editor/posts/{id}/brief`. */
export interface BriefReply {
	post_id: number;
	task_id: number | null;
	/** The brief as IGNY8 sent it (any JSON), or null when none is cached. */
	brief: unknown;
	cached_at: string | null;
	fetch: { state: string; last_error: string | null } | null;
}

export interface TaskBriefController {
	reply: BriefReply | null;
	isLoading: boolean;
	isRefreshing: boolean;
	problem: string | null;
	refreshBrief: () => Promise< void >;
}

const POLL_MS = 1500;
const MAX_POLLS = 40;

const fetching = ( reply: BriefReply | null ) =>
	reply?.fetch?.state === 'pending' || reply?.fetch?.state === 'in_flight';

/**
 * The task brief cached in the post (read through the plugin's route: the brief meta is not in core REST), and
 * **Refresh brief**: the sidecar fetches it from IGNY8 on its queue, and this polls until the fetch ends.
 *
 * @param postId    The post being edited.
 * @param hasTaskId Whether the post has an IGNY8 task (no brief otherwise).
 */
export function useTaskBrief(
	postId: number,
	hasTaskId: boolean
): TaskBriefController {
	const [ reply, setReply ] = useState< BriefReply | null >( null );
	const [ isLoading, setIsLoading ] = useState( false );
	const [ isRefreshing, setIsRefreshing ] = useState( false );
	const [ problem, setProblem ] = useState< string | null >( null );
	const mounted = useMountedRef();
	const polls = useRef( 0 );

	// One round trip to the brief route: the reply replaces the shown one, or its error becomes the problem.
	const exchange = useCallback(
		async (
			method: 'GET' | 'POST',
			setBusy: ( busy: boolean ) => void,
			failure: string
		) => {
			setBusy( true );
			try {
				const next = envelopeData< BriefReply >(
					await apiFetch( {
						path: routes.editorBrief( postId ),
						method,
					} )
				);
				if ( mounted.current ) {
					setReply( next );
					setProblem( null );
				}
			} catch ( error ) {
				if ( mounted.current ) {
					setProblem( toApiError( error, failure ).message );
				}
			} finally {
				if ( mounted.current ) {
					setBusy( false );
				}
			}
		},
		[ postId, mounted ]
	);

	const load = useCallback( async () => {
		if ( ! postId || ! hasTaskId ) {
			return;
		}
		await exchange(
			'GET',
			setIsLoading,
			__( 'The task brief could not be read.', 'igny8-bridge' )
		);
	}, [ postId, hasTaskId, exchange ] );

	useEffect( () => {
		load();
	}, [ load ] );

	// While a fetch is queued or under way, look again (bounded).
	useEffect( () => {
		if ( ! fetching( reply ) || polls.current >= MAX_POLLS ) {
			return undefined;
		}
		const timer = setTimeout( () => {
			polls.current += 1;
			load();
		}, POLL_MS );
		return () => clearTimeout( timer );
	}, [ reply, load ] );

	const refreshBrief = useCallback( async () => {
		if ( ! postId ) {
			return;
		}
		polls.current = 0;
		await exchange(
			'POST',
			setIsRefreshing,
			__( 'The request did not reach WordPress.', 'igny8-bridge' )
		);
	}, [ postId, exchange ] );

	return { reply, isLoading, isRefreshing, problem, refreshBrief };
}
