/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useCallback, useEffect, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { envelopeData, toApiError, type ApiError } from '../common/api-error';
import { useMountedRef } from '../common/use-mounted-ref';
import { routes } from '../common/contract';
import type { SidecarPairing } from './types';

/**
 * The Sidecar card's data (`GET /igny8/v1/admin/sidecar`, answered by PHP, so it works while the sidecar is down),
 * the secret on demand (`…/secret`: it is never part of the page or of the card's data), rotation, and enrolment on
 * a hosted sidecar (`…/enrol`).
 */
export function useSidecarPairing() {
	const [ pairing, setPairing ] = useState< SidecarPairing | null >( null );
	const [ revealedEnv, setRevealedEnv ] = useState< string | null >( null );
	const [ error, setError ] = useState< ApiError | null >( null );
	const [ busy, setBusy ] = useState<
		'load' | 'reveal' | 'rotate' | 'enrol' | null
	>( 'load' );
	const mounted = useMountedRef();

	const run = useCallback(
		async (
			kind: 'load' | 'reveal' | 'rotate' | 'enrol',
			enrolment?: { url: string; code: string }
		) => {
			setBusy( kind );
			setError( null );
			try {
				if ( kind === 'reveal' ) {
					const reply = envelopeData< { env: string } >(
						await apiFetch( { path: routes.sidecarSecret } )
					);
					if ( mounted.current ) {
						setRevealedEnv( reply.env );
					}
				} else {
					let request: {
						path: string;
						method?: string;
						data?: object;
					} = { path: routes.sidecar };
					if ( kind === 'rotate' ) {
						request = {
							path: routes.sidecarRotate,
							method: 'POST',
						};
					} else if ( kind === 'enrol' ) {
						request = {
							path: routes.sidecarEnrol,
							method: 'POST',
							data: enrolment,
						};
					}
					const reply = envelopeData< SidecarPairing >(
						await apiFetch( request )
					);
					if ( mounted.current ) {
						setPairing( reply );
						// A new secret: what was revealed is no longer the secret to paste.
						setRevealedEnv( null );
					}
				}
			} catch ( caught ) {
				if ( mounted.current ) {
					setError(
						toApiError(
							caught,
							__( 'The request failed.', 'igny8-bridge' )
						)
					);
				}
			} finally {
				if ( mounted.current ) {
					setBusy( null );
				}
			}
		},
		[ mounted ]
	);

	useEffect( () => {
		void run( 'load' );
	}, [ run ] );

	return {
		pairing,
		revealedEnv,
		error,
		busy,
		reload: () => run( 'load' ),
		reveal: () => run( 'reveal' ),
		hide: () => setRevealedEnv( null ),
		rotate: () => run( 'rotate' ),
		// Enrol on a hosted sidecar: the shim registers a fresh secret with the code, in one call.
		enrol: ( url: string, code: string ) => run( 'enrol', { url, code } ),
	};
}
