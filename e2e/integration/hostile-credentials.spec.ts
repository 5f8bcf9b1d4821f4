/**
 * IGNY8 credentials must not follow a rewritten base URL (issue #12, item 4): `wp option update igny8_api_base_url
 * http://evil`, or any plugin with an arbitrary-option bug, points the sync at an attacker.
 * - Over plain http off loopback nothing at all is sent (https is required everywhere except loopback).
 * - To any other URL, even one that passes the https rule (here a loopback listener), the credentials are not sent
 *   either: they are sealed for the URL they were entered for (AEAD associated data), the connection moves to
 *   reauth_required with a message naming it, and restoring the URL resumes the sync with nothing lost.
 */
import http from 'node:http';
import os from 'node:os';
import { expect, test } from '@playwright/test';

import { asAdmin, createManagedPosts, expectTasks, setStatus, syncState, taskIds } from '../support/sync';
import { wpEval } from '../support/stack';

const PORT = Number( process.env.STACK_CONTROL_PORT ?? 9200 ) + 3; // and + 4 (e2e/global-setup.ts)
const publicAddress = () =>
	Object.values( os.networkInterfaces() )
		.flat()
		.find( ( i ) => i !== undefined && i.family === 'IPv4' && ! i.internal )?.address;

type Seen = Array< { method: string; url: string; authorization: string; body: string } >;

/** A listener that records every request and answers 503. */
async function listen( port: number, host: string, seen: Seen ): Promise< http.Server > {
	const server = http.createServer( ( req, res ) => {
		let body = '';
		req.on( 'data', ( c ) => ( body += c ) );
		req.on( 'end', () => {
			seen.push( { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization ?? '', body } );
			res.writeHead( 503, { 'Content-Type': 'application/json' } );
			res.end( '{}' );
		} );
	} );
	await new Promise< void >( ( resolve ) => server.listen( port, host, resolve ) );
	return server;
}

const currentBaseUrl = () => wpEval( 'echo get_option( "igny8_api_base_url" );' ).trim().split( '\n' ).pop() as string;

test( 'item 4: credentials entered for one base URL are not sent to another (reauth_required names it; restoring resumes)', async () => {
	const seen: Seen = [];
	const evil = await listen( PORT + 1, '127.0.0.1', seen );
	const before = currentBaseUrl();
	const tasks = taskIds( 1 );
	const ids = createManagedPosts( tasks );
	try {
		wpEval( `update_option( 'igny8_api_base_url', 'http://127.0.0.1:${ PORT + 1 }' );` );
		setStatus( ids, 'publish' );
		await expect.poll( async () => ( await syncState( ids[ 0 ] as number ) ).state, { timeout: 15_000 } ).toBe( 'failed' );
		expect( ( await syncState( ids[ 0 ] as number ) ).last_error ).toMatch( /credentials were entered for http:\/\/127\.0\.0\.1:\d+.*nothing was sent/ );
		const settings = await asAdmin< { data: { connection: { state: string; last_error: string } } } >( '/wp-json/igny8/v1/settings' );
		expect( settings.body.data.connection ).toMatchObject( { state: 'reauth_required' } );
		expect( settings.body.data.connection.last_error ).toMatch( /Enter the credentials again in Settings → IGNY8/ );
		expect( seen.map( ( r ) => `${ r.method } ${ r.url } ${ r.authorization.slice( 0, 12 ) }…` ), 'nothing reaches the rewritten URL' ).toEqual( [] );
	} finally {
		wpEval( `update_option( 'igny8_api_base_url', ${ JSON.stringify( before ) } );` );
		await new Promise( ( resolve ) => evil.close( resolve ) );
	}
	// The next shim message carries the restored URL; the parked job is delivered with the original credentials.
	setStatus( ids, 'pending' );
	setStatus( ids, 'publish' );
	await expectTasks( { [ tasks[ 0 ] as number ]: { wordpress_status: 'publish', assigned_post_id: ids[ 0 ] } } );
} );

test( 'item 4: a plain-http, non-loopback IGNY8 base URL gets no credentials (password, token or API key)', async () => {
	const address = publicAddress();
	test.skip( address === undefined, 'no non-loopback IPv4 address on this machine' );
	const seen: Seen = [];
	const evil = await listen( PORT, '0.0.0.0', seen );
	const before = currentBaseUrl();
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
