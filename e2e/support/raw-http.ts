/**
 * One HTTP request with nothing in between (no fetch normalisation, no retries, no keep-alive): for specs that send
 * hand-signed shim requests straight to a sidecar and look at exactly what comes back, signed or not.
 */
import http from 'node:http';

export interface RawReply {
	status: number;
	/** The JSON body, or `{ __not_json: <its first 300 characters> }`. */
	body: Record< string, unknown >;
	/** Whether the reply carries the sidecar's signature header (only replies after authentication do). */
	signed: boolean;
}

export function rawRequest( url: string | URL, options: { method: string; headers?: Record< string, string >; body?: string } ): Promise< RawReply > {
	const body = options.body ?? '';
	return new Promise( ( resolve, reject ) => {
		const req = http.request(
			new URL( url ),
			{ method: options.method, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength( body ), ...options.headers } },
			( res ) => {
				let text = '';
				res.setEncoding( 'utf8' );
				res.on( 'data', ( chunk ) => ( text += chunk ) );
				res.on( 'end', () => {
					let parsed: Record< string, unknown >;
					try {
						parsed = JSON.parse( text ) as Record< string, unknown >;
					} catch {
						parsed = { __not_json: text.slice( 0, 300 ) };
					}
					resolve( { status: res.statusCode ?? 0, body: parsed, signed: Boolean( res.headers[ 'x-igny8-signature' ] ) } );
				} );
			}
		);
		req.on( 'error', reject );
		req.end( body );
	} );
}
