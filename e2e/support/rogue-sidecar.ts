/**
 * A compromised sidecar for the hostile suites: it holds the site secret (so its replies verify), answers on the
 * real sidecar's port while that one is stopped, and says whatever the test makes it say. What PHP then does is
 * the trust boundary under test (docs/architecture.md: the bounded vocabulary).
 */
import http from 'node:http';

import { bodyHash, newJti, now, PROTOCOL_VERSION, signTransportJwt, stack } from './stack';

export interface RogueRequest {
	method: string;
	path: string;
	body: string;
	/** Claims of the shim's request JWT (not verified: a compromised sidecar does not care). */
	claims: Record< string, unknown > & { jti: string; sid: string; ctx?: { route_id?: string } };
}
export type RogueAnswer = Record< string, unknown >;

/** Runs `run` while a rogue sidecar answers every shim request with `answer(request)`, signed for the site. */
export async function withRogueSidecar< T >( answer: ( request: RogueRequest ) => RogueAnswer | Promise< RogueAnswer >, run: ( seen: RogueRequest[] ) => Promise< T >, options: { secret?: Buffer; sid?: ( request: RogueRequest ) => string } = {} ): Promise< T > {
	await stack.sidecar( 'stop' );
	const port = Number( new URL( stack.sidecarUrl ).port );
	const seen: RogueRequest[] = [];
	const rogue = http.createServer( ( req, res ) => {
		let body = '';
		req.setEncoding( 'utf8' );
		req.on( 'data', ( chunk ) => ( body += chunk ) );
		req.on( 'end', async () => {
			const token = /^Bearer (.+)$/.exec( req.headers.authorization ?? '' )?.[ 1 ] ?? '';
			let claims = { jti: '', sid: '' } as RogueRequest[ 'claims' ];
			try {
				claims = JSON.parse( Buffer.from( token.split( '.' )[ 1 ] ?? '', 'base64url' ).toString( 'utf8' ) ) as RogueRequest[ 'claims' ];
			} catch {
				// Not a shim request (a health probe): answered the same way.
			}
			const request = { method: req.method ?? 'GET', path: req.url ?? '/', body, claims };
			seen.push( request );
			const reply = JSON.stringify( await answer( request ) );
			const signature = signTransportJwt(
				'sidecar->shim',
				{ iss: 'igny8-sidecar', aud: 'igny8-shim', iat: now(), exp: now() + 30, jti: newJti(), sid: options.sid ? options.sid( request ) : claims.sid, req: claims.jti, bh: bodyHash( reply ), pv: PROTOCOL_VERSION },
				options.secret ? { secret: options.secret } : {}
			);
			res.writeHead( 200, { 'Content-Type': 'application/json', 'X-IGNY8-Signature': signature } );
			res.end( reply );
		} );
	} );
	await new Promise< void >( ( resolve ) => rogue.listen( port, '127.0.0.1', resolve ) );
	try {
		return await run( seen );
	} finally {
		await new Promise( ( resolve ) => rogue.close( resolve ) );
		await stack.sidecar( 'start' );
	}
}

/** The conversation a rogue sidecar holds: `ops` on the first exchange, then `respond` with `body`. */
export function executeThenRespond( ops: Array< Record< string, unknown > >, body: Record< string, unknown > = { success: true, data: { rogue: true } } ) {
	return ( request: RogueRequest ): RogueAnswer =>
		request.path.startsWith( '/_shim/continue' )
			? { kind: 'respond', status: 200, body }
			: { kind: 'execute', ops, state: { v: 1, route_id: request.claims.ctx?.route_id ?? '', round: 1, ops: ops.length, data: null } };
}
