/**
 * SPEC §6: "The editor's save must not wait on the network." A REST save of an IGNY8-managed post takes the same
 * time whether IGNY8 answers at once or after 5 seconds: the save only records a marker and pokes the local
 * sidecar, which answers 202 before it talks to IGNY8. (A correctness check, not a benchmark.)
 */
import { expect, test } from '@playwright/test';

import { asAdmin, createManagedPosts, expectTasks, simFault, simReset, taskIds } from '../support/sync';

test.beforeEach( async () => {
	await simReset();
} );

const median = ( values: number[] ) => [ ...values ].sort( ( a, b ) => a - b )[ Math.floor( values.length / 2 ) ] as number;

async function timedSaves( ids: number[] ): Promise< number[] > {
	const times: number[] = [];
	for ( const [ index, id ] of ids.entries() ) {
		const reply = await asAdmin( `/wp-json/wp/v2/posts/${ id }`, {
			method: 'POST',
			body: JSON.stringify( { status: index % 2 === 0 ? 'publish' : 'pending' } ),
		} );
		expect( reply.status ).toBe( 200 );
		times.push( reply.ms );
	}
	return times;
}

test( 'a save is not slowed down by a slow IGNY8', async () => {
	test.setTimeout( 60_000 );
	const tasks = taskIds( 8 );
	const ids = createManagedPosts( tasks );
	await timedSaves( [ ids[ 0 ] as number ] ); // warm-up (opcache, application password)

	const fast = await timedSaves( ids.slice( 1, 4 ) );
	await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', delayMs: 5_000, durationMs: 30_000 } );
	const slow = await timedSaves( ids.slice( 4, 7 ) );

	test.info().annotations.push( { type: 'save-ms-fast', description: fast.map( Math.round ).join( ',' ) } );
	test.info().annotations.push( { type: 'save-ms-slow-igny8', description: slow.map( Math.round ).join( ',' ) } );
	expect( median( slow ) - median( fast ) ).toBeLessThan( 1_000 );
	expect( Math.max( ...slow ) ).toBeLessThan( 4_000 );

	// And the slow deliveries still arrive.
	await expectTasks(
		Object.fromEntries( [ 4, 5, 6 ].map( ( index ) => [ tasks[ index ], { wordpress_status: ( index - 4 ) % 2 === 0 ? 'publish' : 'pending' } ] ) ),
		{ timeout: 20_000 }
	);
} );
