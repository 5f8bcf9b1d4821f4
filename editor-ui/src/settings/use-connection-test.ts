/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useCallback, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { envelopeData, toApiError } from '../common/api-error';
import { useMountedRef } from '../common/use-mounted-ref';
import { routes } from '../common/contract';
import type { ConnectionTestResult, TestConnectionReply } from './types';

/**
 * **Test connection** (`POST /igny8/v1/settings/test-connection`) with the saved settings. A refusal by IGNY8
 * (`ok:false`) and a failed request both become a failed result with the reason.
 * @param onDone Called after each test (the connection state changed).
 */
export function useConnectionTest( onDone: () => void ) {
	const [ result, setResult ] = useState< ConnectionTestResult | null >(
		null
	);
	const [ isTesting, setIsTesting ] = useState( false );
	const mounted = useMountedRef();

	const test = useCallback( async () => {
		setIsTesting( true );
		setResult( null );
		let next: ConnectionTestResult;
		try {
			const reply = envelopeData< TestConnectionReply >(
				await apiFetch( {
					path: routes.testConnection,
					method: 'POST',
				} )
			);
			let message =
				reply.message ||
				( reply.ok ? __( 'Connected to IGNY8.', 'igny8-bridge' ) : '' );
			if (
				reply.ok &&
				Array.isArray( reply.sites ) &&
				reply.sites.length
			) {
				message +=
					' ' +
					sprintf(
						/* translators: %d: number of IGNY8 sites the account can see. */
						_n(
							'%d site available.',
							'%d sites available.',
							reply.sites.length,
							'igny8-bridge'
						),
						reply.sites.length
					);
			}
			next = {
				ok: reply.ok === true,
				message:
					message ||
					__( 'IGNY8 refused the connection.', 'igny8-bridge' ),
			};
		} catch ( error ) {
			next = {
				ok: false,
				message: toApiError(
					error,
					__( 'The request did not reach WordPress.', 'igny8-bridge' )
				).message,
			};
		}
		if ( mounted.current ) {
			setResult( next );
			setIsTesting( false );
		}
		onDone();
	}, [ mounted, onDone ] );

	return { result, isTesting, test };
}
