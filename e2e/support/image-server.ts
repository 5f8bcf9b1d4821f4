/**
 * The test fixture host for featured images (allow-listed by exact host:port in the test site's wp-config; every
 * other private address stays refused). It counts downloads so tests can prove an image is reused, not refetched.
 * `/slow/NAME.png?s=N` answers the PNG after N seconds (time budget tests).
 */
import http from 'node:http';

/** A real 1×1 PNG. */
export const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
	'base64'
);

export function startImageServer( port: number ): http.Server {
	const hits = new Map< string, number >();
	const server = http.createServer( ( req, res ) => {
		const url = new URL( req.url ?? '/', `http://127.0.0.1:${ port }` );
		if ( url.pathname === '/__hits' ) {
			res.writeHead( 200, { 'Content-Type': 'application/json' } );
			res.end( JSON.stringify( Object.fromEntries( hits ) ) );
			return;
		}
		hits.set( url.pathname, ( hits.get( url.pathname ) ?? 0 ) + 1 );
		if ( url.pathname.startsWith( '/slow/' ) ) {
			// The PNG after `s` seconds (default 15): longer than the fetcher's per-image timeout, so it uses up time budget.
			const timer = setTimeout( () => {
				res.writeHead( 200, { 'Content-Type': 'image/png', 'Content-Length': PNG.length } );
				res.end( PNG );
			}, 1000 * Number( url.searchParams.get( 's' ) ?? 15 ) );
			res.on( 'close', () => clearTimeout( timer ) );
		} else if ( url.pathname.startsWith( '/img/' ) ) {
			res.writeHead( 200, { 'Content-Type': 'image/png', 'Content-Length': PNG.length } );
			res.end( PNG );
		} else if ( url.pathname === '/redirect' ) {
			res.writeHead( 302, { Location: url.searchParams.get( 'to' ) ?? '/' } );
			res.end();
		} else if ( url.pathname === '/error' ) {
			res.writeHead( 500, { 'Content-Type': 'text/plain' } );
			res.end( 'boom' );
		} else if ( url.pathname === '/fake.png' ) {
			// Says PNG, is HTML: the leading bytes decide.
			res.writeHead( 200, { 'Content-Type': 'image/png' } );
			res.end( '<html><script>alert(1)</script></html>' );
		} else {
			res.writeHead( 404 );
			res.end();
		}
	} );
	server.listen( port, '127.0.0.1' );
	return server;
}

export async function imageHits( baseUrl: string ): Promise< Record< string, number > > {
	return ( await fetch( `${ baseUrl }/__hits` ) ).json() as Promise< Record< string, number > >;
}
