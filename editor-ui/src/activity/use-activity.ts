/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useCallback, useEffect, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';
import { addQueryArgs } from '@wordpress/url';

/**
 * Internal dependencies
 */
import { envelopeData, toApiError, type ApiError } from '../common/api-error';
import { routes } from '../common/contract';
import { useMountedRef } from '../common/use-mounted-ref';
import type { ActivityFilters, ActivityPage, Retention } from './types';

export const PER_PAGE = 50;

/**
 * The query of the filters: empty ones are left out.
 * @param filters The filters.
 * @param extra   More query arguments.
 */
export function activityQuery(
	filters: ActivityFilters,
	extra: Record< string, string | number > = {}
): Record< string, string | number > {
	const query: Record< string, string | number > = { ...extra };
	for ( const [ name, value ] of Object.entries( filters ) ) {
		if ( value.trim() !== '' ) {
			query[ name ] = value.trim();
		}
	}
	return query;
}

/**
 * One page of the log for the filters; reloads when they or the page change.
 * @param filters The filters.
 * @param page    The page (1 = newest).
 */
export function useActivity( filters: ActivityFilters, page: number ) {
	const mounted = useMountedRef();
	const [ data, setData ] = useState< ActivityPage | null >( null );
	const [ error, setError ] = useState< ApiError | null >( null );
	const [ loading, setLoading ] = useState( true );
	const [ generation, setGeneration ] = useState( 0 );

	useEffect( () => {
		setLoading( true );
		apiFetch( {
			path: addQueryArgs(
				routes.activity,
				activityQuery( filters, { page, per_page: PER_PAGE } )
			),
		} )
			.then( ( reply ) => {
				if ( mounted.current ) {
					setData( envelopeData< ActivityPage >( reply ) );
					setError( null );
				}
			} )
			.catch( ( failure: unknown ) => {
				if ( mounted.current ) {
					setError(
						toApiError(
							failure,
							__(
								'The activity log could not be loaded.',
								'igny8-bridge'
							)
						)
					);
				}
			} )
			.finally( () => {
				if ( mounted.current ) {
					setLoading( false );
				}
			} );
	}, [ filters, page, generation, mounted ] );

	const reload = useCallback( () => setGeneration( ( n ) => n + 1 ), [] );
	return { data, error, loading, reload };
}

/**
 * The filtered rows as CSV (the sidecar builds it), saved as a file.
 * @param filters The filters.
 */
export async function exportCsv( filters: ActivityFilters ): Promise< void > {
	const reply = await apiFetch( {
		path: addQueryArgs(
			routes.activity,
			activityQuery( filters, { format: 'csv' } )
		),
	} );
	const { csv } = envelopeData< { csv: string } >( reply );
	const url = URL.createObjectURL(
		new Blob( [ csv ], { type: 'text/csv;charset=utf-8' } )
	);
	const link = document.createElement( 'a' );
	link.href = url;
	link.download = `igny8-activity-${ new Date()
		.toISOString()
		.slice( 0, 19 )
		.replace( /:/g, '' ) }.csv`;
	document.body.appendChild( link );
	link.click();
	link.remove();
	URL.revokeObjectURL( url );
}

/** The retention settings (read and saved through the settings routes). */
export function useRetention() {
	const mounted = useMountedRef();
	const [ retention, setRetention ] = useState< Retention | null >( null );
	useEffect( () => {
		apiFetch( { path: routes.settings } )
			.then( ( reply ) => {
				if ( mounted.current ) {
					const settings = envelopeData< Retention >( reply );
					setRetention( {
						activity_retention_days:
							settings.activity_retention_days,
						activity_max_rows: settings.activity_max_rows,
					} );
				}
			} )
			.catch( () => undefined );
	}, [ mounted ] );
	const save = useCallback(
		async ( next: Retention ): Promise< void > => {
			const reply = await apiFetch( {
				path: routes.settings,
				method: 'POST',
				data: next,
			} );
			const settings = envelopeData< Retention >( reply );
			if ( mounted.current ) {
				setRetention( {
					activity_retention_days: settings.activity_retention_days,
					activity_max_rows: settings.activity_max_rows,
				} );
			}
		},
		[ mounted ]
	);
	return { retention, save };
}
