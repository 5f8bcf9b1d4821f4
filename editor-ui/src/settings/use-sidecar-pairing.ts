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
 * the secret on demand (`…/secret`: it is never part of the page or of the card's data) and rotation.
 */
export function useSidecarPairing() {
	const [ pairing, setPairing ] = useState< SidecarPairing | null >( null );
	const [ revealedEnv, setRevealedEnv ] = useState< string | null >( null );
	const [ error, setError ] = useState< ApiError | null >( null );
	const [ busy, setBusy ] = useState< 'load' | 'reveal' | 'rotate' | null >(
		'load'
	);
	const mounted = useMountedRef();

	const run = useCallback(
		async ( kind: 'load' | 'reveal' | 'rotate' ) => {
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
					const reply = envelopeData< SidecarPairing >(
						await apiFetch(
							kind === 'rotate'
								? { path: routes.sidecarRotate, method: 'POST' }
								: { path: routes.sidecar }
						)
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
	};
}
