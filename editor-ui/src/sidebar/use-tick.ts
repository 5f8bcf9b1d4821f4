/**
 * WordPress dependencies
 */
import { useEffect, useState } from '@wordpress/element';

/**
 * Re-renders every `intervalMs` so relative times ("5 mins ago") stay true while the editor is open.
 * @param intervalMs How often.
 */
export function useTick( intervalMs: number ): number {
	const [ tick, setTick ] = useState( 0 );
	useEffect( () => {
		const timer = setInterval(
			() => setTick( ( n ) => n + 1 ),
			intervalMs
		);
		return () => clearInterval( timer );
	}, [ intervalMs ] );
	return tick;
}
