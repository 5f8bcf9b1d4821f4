/**
 * WordPress dependencies
 */
import { registerPlugin } from '@wordpress/plugins';

/**
 * Internal dependencies
 */
import { Igny8Sidebar } from './sidebar/igny8-sidebar';

registerPlugin( 'igny8-bridge', { render: Igny8Sidebar } );
