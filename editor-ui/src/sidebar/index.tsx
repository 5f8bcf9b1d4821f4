/**
 * WordPress dependencies
 */
import { registerPlugin } from '@wordpress/plugins';

/**
 * Internal dependencies
 */
import { Igny8Plugin } from './igny8-plugin';
import { Igny8Icon } from './icon';
import './sidebar.scss';

registerPlugin( 'igny8-bridge', { render: Igny8Plugin, icon: Igny8Icon } );
