/**
 * IGNY8 credentials must not follow a rewritten base URL over plain http (issue #12, item 4, the https part):
 * `wp option update igny8_api_base_url http://evil`, or any plugin with an arbitrary-option bug, points the sync at
 * an attacker. Here the attacker listens on this machine's non-loopback address; the sync must send it nothing.
 */
import http from 'node:http';
import os from 'node:os';
import { expect, test } from '@playwright/test';

import { createManagedPosts, setStatus, taskIds } from '../support/sync';
import { wpEval } from '../support/stack';

const PORT = Number( process.env.STACK_CONTROL_PORT ?? 9200 ) + 70;
const publicAddress = () =>
	Object.values( os.networkInterfaces() )
		.flat()
		.find( ( i ) => i !== undefined && i.family === 'IPv4' && ! i.internal )?.address;

test( 'item 4: a plain-http, non-loopback IGNY8 base URL gets no credentials (password, token or API key)', async () => {
	const address = publicAddress();
	test.skip( address === undefined, 'no non-loopback IPv4 address on this machine' );
	const seen: Array< { method: string; url: string; authorization: string; body: string } > = [];
	const evil = http.createServer( ( req, res ) => {
		let body = '';
		req.on( 'data', ( c ) => ( body += c ) );
		req.on( 'end', () => {
			seen.push( { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization ?? '', body } );
			res.writeHead( 503, { 'Content-Type': 'application/json' } );
			res.end( '{}' );
		} );
	} );
	await new Promise< void >( ( resolve ) => evil.listen( PORT, '0.0.0.0', resolve ) );
	const before = wpEval( 'echo get_option( "igny8_api_base_url" );' ).trim().split( '\n' ).pop() as string;
	try {
		wpEval( `update_option( 'igny8_api_base_url', 'http://${ address }:${ PORT }' );` );
		const ids = createManagedPosts( taskIds( 1 ) );
		setStatus( ids, 'publish' );
		await new Promise( ( resolve ) => setTimeout( resolve, 6000 ) );
		const leaked = seen.filter( ( r ) => r.authorization !== '' || /password|refresh|token|api_key/i.test( r.body ) );
		expect( leaked.map( ( r ) => `${ r.method } ${ r.url } ${ r.authorization.slice( 0, 12 ) }…` ) ).toEqual( [] );
		expect( seen.length, 'nothing at all is sent over plain http off loopback' ).toBe( 0 );
	} finally {
		wpEval( `update_option( 'igny8_api_base_url', ${ JSON.stringify( before ) } );` );
		await new Promise( ( resolve ) => evil.close( resolve ) );
	}
} );
