/**
 * The @wordpress/e2e-test-utils-playwright fixtures (admin, editor, requestUtils, pageUtils), plus a guard that
 * fails the test on any console error or warning and any uncaught page error. The upstream fixture only echoes
 * console messages (its Jest setup is what makes them fail), so under Playwright we assert it ourselves.
 */
import { expect, test as base } from '@wordpress/e2e-test-utils-playwright';

/** Known noise from WordPress core itself, never from our code. */
const IGNORED = [ /JQMIGRATE/, /elements with non-unique id #_wpnonce/, /This is a global warning/ ];

export const test = base.extend< { consoleGuard: void; expectedConsole: RegExp[] } >( {
	/**
	 * Console messages one test provokes on purpose, e.g. the browser's own "Failed to load resource: … 422" for a
	 * request the test makes fail. Set per test with `test.use( { expectedConsole: [ … ] } )`; keep them exact.
	 */
	expectedConsole: [ [], { option: true } ],
	consoleGuard: [
		async ( { page, expectedConsole }, use ) => {
			// This machine is offline. Core's editor pulls a few images from s.w.org (the welcome guide): answer
			// them empty instead of letting each fail as a console error that has nothing to do with our code.
			await page.route( ( url ) => url.hostname !== '127.0.0.1' && url.hostname !== 'localhost', ( route ) =>
				route.fulfill( { status: 204, body: '' } )
			);
			const problems: string[] = [];
			page.on( 'console', ( message ) => {
				const type = message.type();
				const text = message.text();
				const known = [ ...IGNORED, ...expectedConsole ].some( ( re ) => re.test( text ) || re.test( `${ text } (${ message.location().url })` ) );
				if ( ( type === 'error' || type === 'warning' ) && ! known ) {
					problems.push( `console.${ type }: ${ message.text() } (${ message.location().url })` );
				}
			} );
			page.on( 'pageerror', ( error ) => problems.push( `page error: ${ error.message }` ) );
			await use();
			expect( problems, 'the browser console must stay clean' ).toEqual( [] );
		},
		{ auto: true },
	],
} );

export { expect };
