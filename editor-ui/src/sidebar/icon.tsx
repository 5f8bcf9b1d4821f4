/**
 * WordPress dependencies
 */
import { Path, SVG } from '@wordpress/components';
import { createElement } from '@wordpress/element';

/** The toolbar icon of the IGNY8 sidebar: a figure eight in a rounded square. */
export const Igny8Icon = (
	<SVG
		xmlns="http://www.w3.org/2000/svg"
		viewBox="0 0 24 24"
		width="24"
		height="24"
		aria-hidden="true"
		focusable="false"
	>
		<Path d="M6 3h12a3 3 0 0 1 3 3v12a3 3 0 0 1-3 3H6a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3Zm0 1.5A1.5 1.5 0 0 0 4.5 6v12A1.5 1.5 0 0 0 6 19.5h12a1.5 1.5 0 0 0 1.5-1.5V6A1.5 1.5 0 0 0 18 4.5H6Zm6 2.25a2.75 2.75 0 0 1 1.87 4.77A3 3 0 1 1 9 13.75a3 3 0 0 1 1.13-2.23A2.75 2.75 0 0 1 12 6.75Zm0 1.5a1.25 1.25 0 1 0 0 2.5 1.25 1.25 0 0 0 0-2.5Zm0 4a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3Z" />
	</SVG>
);
