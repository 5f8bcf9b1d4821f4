/**
 * WordPress dependencies
 */
import { getDate } from '@wordpress/date';
import { __, _n, sprintf } from '@wordpress/i18n';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function span( seconds: number ): string {
	if ( seconds < MINUTE ) {
		return sprintf(
			/* translators: %d: number of seconds. */
			_n( '%d second', '%d seconds', seconds, 'igny8-bridge' ),
			seconds
		);
	}
	if ( seconds < HOUR ) {
		const minutes = Math.round( seconds / MINUTE );
		return sprintf(
			/* translators: %d: number of minutes. */
			_n( '%d min', '%d mins', minutes, 'igny8-bridge' ),
			minutes
		);
	}
	if ( seconds < DAY ) {
		const hours = Math.round( seconds / HOUR );
		return sprintf(
			/* translators: %d: number of hours. */
			_n( '%d hour', '%d hours', hours, 'igny8-bridge' ),
			hours
		);
	}
	const days = Math.round( seconds / DAY );
	/* translators: %d: number of days. */
	return sprintf( _n( '%d day', '%d days', days, 'igny8-bridge' ), days );
}

/**
 * "5 mins ago" / "in 2 mins", worded like PHP's human_time_diff() in the posts list. A time without an offset
 * (`current_time('mysql')`, as post meta stores it) is read in the site's timezone, as `getDate()` does.
 * (`humanTimeDiff` of @wordpress/date would do, but WordPress 6.1 does not ship it.)
 *
 * @param value A stored time: ISO 8601 or `Y-m-d H:i:s` in site time.
 * @param now   The current time in milliseconds.
 */
export function relativeTime(
	value: string,
	now: number = Date.now()
): string {
	const then = getDate( value ).getTime();
	if ( Number.isNaN( then ) ) {
		return value;
	}
	const seconds = Math.max( 1, Math.round( Math.abs( now - then ) / 1000 ) );
	return then <= now
		? /* translators: %s: a time span, e.g. "5 mins". */
			sprintf( __( '%s ago', 'igny8-bridge' ), span( seconds ) )
		: /* translators: %s: a time span, e.g. "5 mins". */
			sprintf( __( 'in %s', 'igny8-bridge' ), span( seconds ) );
}
