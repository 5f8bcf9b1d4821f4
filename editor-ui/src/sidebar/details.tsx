/**
 * External dependencies
 */
import type { ReactNode } from 'react';

/**
 * WordPress dependencies
 */
import { VisuallyHidden } from '@wordpress/components';
import { createElement } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

export interface Detail {
	key: string;
	label: string;
	value: ReactNode;
}

/**
 * Label / value pairs as a definition list (read as pairs by screen readers).
 * @param root0
 * @param root0.items
 * @param root0.className
 */
export function DetailList( {
	items,
	className = '',
}: {
	items: Detail[];
	className?: string;
} ) {
	return (
		<dl className={ `igny8-details ${ className }`.trim() }>
			{ items.map( ( item ) => (
				<div className="igny8-details__row" key={ item.key }>
					<dt>{ item.label }</dt>
					<dd>{ item.value }</dd>
				</div>
			) ) }
		</dl>
	);
}

/** A value that is not set: a dash for the eye, words for screen readers. */
export function Missing() {
	return (
		<span className="igny8-missing">
			<span aria-hidden="true">—</span>
			<VisuallyHidden>{ __( 'Not set', 'igny8-bridge' ) }</VisuallyHidden>
		</span>
	);
}
