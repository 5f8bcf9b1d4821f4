/**
 * WordPress dependencies
 */
import domReady from '@wordpress/dom-ready';
import { createElement, createRoot, render } from '@wordpress/element';

/**
 * Internal dependencies
 */
import { ActivityApp } from './activity-app';
import './activity.scss';

export const ROOT_ID = 'igny8-bridge-activity';

domReady( () => {
	const root = document.getElementById( ROOT_ID );
	if ( ! root ) {
		return;
	}
	// WordPress 6.2+ ships React 18 (createRoot); 6.1 ships React 17, where only render() exists.
	if ( typeof createRoot === 'function' ) {
		createRoot( root ).render( <ActivityApp /> );
	} else {
		render( <ActivityApp />, root );
	}
} );
