/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useEffect, useState } from '@wordpress/element';

/**
 * Internal dependencies
 */
import type { AuthorOption } from './types';

/** Users who can author posts, for the default author dropdown (`/wp/v2/users?who=authors`, view context). */
export function useAuthors(): { authors: AuthorOption[]; isLoading: boolean } {
	const [ authors, setAuthors ] = useState< AuthorOption[] >( [] );
	const [ isLoading, setIsLoading ] = useState( true );
	useEffect( () => {
		let active = true;
		apiFetch< AuthorOption[] >( {
			path: '/wp/v2/users?who=authors&per_page=100&context=view&_fields=id,name',
		} )
			.then( ( users ) => {
				if ( active ) {
					setAuthors(
						users.map( ( user ) => ( {
							id: user.id,
							name: user.name,
						} ) )
					);
				}
			} )
			.catch( () => {
				// Without the list the dropdown still offers the current value and the integration-user default.
			} )
			.finally( () => {
				if ( active ) {
					setIsLoading( false );
				}
			} );
		return () => {
			active = false;
		};
	}, [] );
	return { authors, isLoading };
}
