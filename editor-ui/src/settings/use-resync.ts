/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useCallback, useEffect, useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { envelopeData, toApiError, type ApiError } from '../common/api-error';
import { routes } from '../common/contract';
import { useMountedRef } from '../common/use-mounted-ref';
import type { ResyncProgress } from '../../../sidecar/src/contract/wire-types';

/** The progress of "Resync everything" as the sidecar answers it: the sidecar's own type (erased at build). */
export type { ResyncProgress } from '../../../sidecar/src/contract/wire-types';

/** Posts per request: small enough that the bar moves, large enough to be quick. */
const BATCH = 25;

/**
 * "Resync everything": the same job as `wp igny8 resync --all`. Loads the current pass, and on run() continues it
 * (or starts a new one when the last finished) one batch per request until it is done.
 */
export function useResync() {
	const [ progress, setProgress ] = useState< ResyncProgress | null >( null );
	const [ isRunning, setIsRunning ] = useState( false );
	const [ error, setError ] = useState< ApiError | null >( null );
	const mounted = useMountedRef();
	// Set by run(): the first load's reply may arrive after a run began, and must not replace its progress with
	// the previous pass's (which would show "done" in the middle of the new pass).
	const runStarted = useRef( false );

	useEffect( () => {
		apiFetch( { path: routes.resync } ).then(
			( reply ) => {
				if ( mounted.current && ! runStarted.current ) {
					setProgress( envelopeData< ResyncProgress >( reply ) );
				}
			},
			() => undefined // The button still works; the first run answers the progress.
		);
	}, [ mounted ] );

	const run = useCallback( async () => {
		runStarted.current = true;
		setIsRunning( true );
		setError( null );
		try {
			let restart = progress?.state !== 'running';
			for ( let step = 0; step < 100_000; step++ ) {
				const next = envelopeData< ResyncProgress >(
					await apiFetch( {
						path: routes.resync,
						method: 'POST',
						data: { restart, batch: BATCH },
					} )
				);
				restart = false;
				if ( ! mounted.current ) {
					return;
				}
				setProgress( next );
				if ( next.state === 'done' ) {
					break;
				}
			}
		} catch ( failure ) {
			if ( mounted.current ) {
				setError(
					toApiError(
						failure,
						__(
							'The request did not reach WordPress.',
							'igny8-bridge'
						)
					)
				);
			}
		} finally {
			if ( mounted.current ) {
				setIsRunning( false );
			}
		}
	}, [ mounted, progress ] );

	return { progress, isRunning, error, run };
}
