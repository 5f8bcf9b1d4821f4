/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useDispatch } from '@wordpress/data';
import { useCallback, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { store as noticesStore } from '@wordpress/notices';

/**
 * Internal dependencies
 */
import { isRouteMissing, toApiError } from '../common/api-error';
import { useMountedRef } from '../common/use-mounted-ref';

/**
 * A one-click maintenance action (Sync all pending, Sync site structure) reported as a notice with a stable id.
 * @param path        The route to POST to.
 * @param noticeId    Stable id of the result notice.
 * @param doneMessage Success text when the server sends none.
 */
export function useSettingsAction(
	path: string,
	noticeId: string,
	doneMessage: string
) {
	const [ isRunning, setIsRunning ] = useState( false );
	const { createErrorNotice, createSuccessNotice, removeNotice } =
		useDispatch( noticesStore );
	const mounted = useMountedRef();

	const run = useCallback( async () => {
		setIsRunning( true );
		removeNotice( noticeId );
		try {
			const reply = await apiFetch< { message?: string } >( {
				path,
				method: 'POST',
			} );
			createSuccessNotice( reply?.message || doneMessage, {
				id: noticeId,
			} );
		} catch ( error ) {
			const apiError = toApiError(
				error,
				__( 'The request did not reach WordPress.', 'igny8-bridge' )
			);
			createErrorNotice(
				isRouteMissing( apiError )
					? __(
							'This action is not available in this version of the IGNY8 service yet.',
							'igny8-bridge'
						)
					: sprintf(
							/* translators: %s: why the action failed. */
							__( 'The action failed: %s', 'igny8-bridge' ),
							apiError.message
						),
				{ id: noticeId }
			);
		} finally {
			if ( mounted.current ) {
				setIsRunning( false );
			}
		}
	}, [
		mounted,
		path,
		noticeId,
		doneMessage,
		createErrorNotice,
		createSuccessNotice,
		removeNotice,
	] );

	return { isRunning, run };
}
