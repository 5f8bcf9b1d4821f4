/**
 * WordPress dependencies
 */
import { useEffect, useRef } from '@wordpress/element';

/**
 * A ref that turns false when the component unmounts, so a request that finishes later does not set state.
 */
export function useMountedRef() {
	const mounted = useRef( true );
	useEffect(
		() => () => {
			mounted.current = false;
		},
		[]
	);
	return mounted;
}
