/**
 * SPEC §6: the shutdown notify to the sidecar runs after the client has its response, so the editor's save does
 * not wait for it: under PHP-FPM (WP_SERVER=nginx | apache) after fastcgi_finish_request(); under `php -S` (no
 * such call) the save's output is held and sent whole with its Content-Length before the notify
 * (Sync\Event_Notifier::hold_response), where before the response waited until the notify gave up.
 *
 * The sidecar is replaced by a listener that accepts the notify and never answers, so the notify lasts as long as
 * PHP lets it (contract sync.notify_timeout_ms / notify_timeout_after_finish_ms). The save response arrives while
 * that connection is still open only if PHP answered the client first.
 */
import net from 'node:net';
import { expect, test } from '@playwright/test';

import { stack } from '../support/stack';
import { asAdmin, createManagedPosts, expectTasks, taskIds } from '../support/sync';

const fpm = ( process.env.WP_SERVER ?? 'php' ) !== 'php';

interface HeldNotify {
	openedAt: number;
	closedAt?: number;
	head: string;
}

/** Accepts connections on the sidecar's port, records them, answers nothing. */
function silentSidecar( port: number ): Promise< { held: HeldNotify[]; close: () => Promise< void > } > {
	const held: HeldNotify[] = [];
	const sockets = new Set< net.Socket >();
	const server = net.createServer( ( socket ) => {
		const entry: HeldNotify = { openedAt: performance.now(), head: '' };
		held.push( entry );
		sockets.add( socket );
		socket.on( 'data', ( chunk ) => {
			entry.head = ( entry.head + chunk.toString( 'latin1' ) ).slice( 0, 200 );
		} );
		socket.on( 'close', () => {
			entry.closedAt = performance.now();
			sockets.delete( socket );
		} );
		socket.on( 'error', () => undefined );
	} );
	return new Promise( ( resolve, reject ) => {
		server.once( 'error', reject );
		server.listen( port, '127.0.0.1', () =>
			resolve( {
				held,
				close: () =>
					new Promise( ( done ) => {
						sockets.forEach( ( s ) => s.destroy() );
						server.close( () => done() );
					} ),
			} )
		);
	} );
}

test( `the editor save response does not wait for the shutdown notify (${ fpm ? 'fastcgi_finish_request' : 'php -S: the held response with its Content-Length' })`, async () => {
	test.setTimeout( 60_000 );
	const tasks = taskIds( 2 );
	const [ warm, id ] = createManagedPosts( tasks ) as [ number, number ];
	// Warm-up with the real sidecar (opcache, the application password).
	expect( ( await asAdmin( `/wp-json/wp/v2/posts/${ warm }`, { method: 'POST', body: JSON.stringify( { status: 'publish' } ) } ) ).status ).toBe( 200 );

	await stack.sidecar( 'stop' );
	const sidecar = await silentSidecar( Number( new URL( stack.sidecarUrl ).port ) );
	try {
		const reply = await asAdmin( `/wp-json/wp/v2/posts/${ id }`, { method: 'POST', body: JSON.stringify( { status: 'publish' } ) } );
		const answeredAt = performance.now();
		expect( reply.status ).toBe( 200 );

		// The notify reached the (silent) sidecar: under FPM possibly only after the client had its response.
		await expect.poll( () => sidecar.held.filter( ( h ) => h.head.startsWith( 'POST /_shim/events' ) ).length, { timeout: 5_000 } ).toBe( 1 );
		const notify = sidecar.held.find( ( h ) => h.head.startsWith( 'POST /_shim/events' ) ) as HeldNotify;
		// PHP gives up on the unanswered notify after its timeout and closes the connection.
		await expect.poll( () => notify.closedAt, { timeout: 10_000 } ).toBeDefined();
		const closedAt = notify.closedAt as number;
		test.info().annotations.push( {
			type: 'timing',
			description: `save ${ Math.round( reply.ms ) } ms; notify held ${ Math.round( closedAt - notify.openedAt ) } ms, closed ${ Math.round( closedAt - answeredAt ) } ms after the response`,
		} );
		// The client had its response while PHP was still waiting on the notify.
		expect( closedAt ).toBeGreaterThan( answeredAt + 500 );
		expect( reply.ms ).toBeLessThan( closedAt - notify.openedAt );
	} finally {
		await sidecar.close();
		await stack.sidecar( 'start' );
	}
	// Nothing left in flight for the next spec: the restarted sidecar finds the save its silent stand-in never took
	// (the pending marker) and delivers it. Before this wait, sync-outage.spec run right after this file found that
	// late delivery in IGNY8 after its own reset ("IGNY8 has nothing" failed).
	await expectTasks( { [ tasks[ 1 ] as number ]: { wordpress_status: 'publish', assigned_post_id: id } }, { timeout: 30_000, message: 'the save the silent sidecar never took reaches IGNY8 after the restart' } );
} );
