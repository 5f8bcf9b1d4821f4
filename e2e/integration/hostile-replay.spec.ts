/**
 * Replay protection when an object cache drop-in is present but does not persist (issue #12, item 9): drop-ins
 * that silently fall back to per-request memory when their backend is down. The drop-in here is exactly that (core's
 * own in-memory WP_Object_Cache behind object-cache.php), so wp_using_ext_object_cache() is true and nothing
 * survives the request. A signed internal request sent twice must still be refused the second time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

import { send } from '../support/hostile';
import { internalClaims, signTransportJwt, stack, wpEval } from '../support/stack';

const INTERNAL = '/wp-json/igny8/v1/internal/ops';
const DROP_IN = `<?php
// e2e (hostile-replay.spec.ts): an "external" object cache whose backend is down: per-request memory only.
require_once ABSPATH . WPINC . '/cache.php';
`;

test.describe( 'item 9: replay cache with a non-persistent object cache drop-in', () => {
	const dropIn = () => path.join( stack.stateDir, 'site/wp-content/object-cache.php' );
	test.afterEach( () => {
		fs.rmSync( dropIn(), { force: true } );
	} );

	for ( const withDropIn of [ false, true ] ) {
		test( `a signed internal request replayed verbatim is refused${ withDropIn ? ' (object-cache.php drop-in that does not persist)' : ' (no drop-in: the control)' }`, async () => {
			if ( withDropIn ) {
				fs.writeFileSync( dropIn(), DROP_IN );
				expect( wpEval( 'echo wp_using_ext_object_cache() ? "ext" : "none";' ).trim().split( '\n' ).pop() ).toBe( 'ext' );
			}
			const body = JSON.stringify( { ops: [ { op: 'list_pending', limit: 1 } ] } );
			const token = signTransportJwt( 'sidecar->shim', internalClaims( body ) );
			const call = () => send( 'POST', INTERNAL, { headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ token }` }, body } );
			const first = await call();
			expect( first.status, first.text ).toBe( 200 );
			const replay = await call();
			expect( replay.status, replay.text ).toBe( 401 );
			expect( replay.body ).toMatchObject( { success: false, code: 'SIGNATURE_INVALID' } );
		} );
	}
} );
