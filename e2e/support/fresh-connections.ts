/**
 * Every `fetch` of a test process opens its own connection (`Connection: close`). Under load a server (Apache's
 * event MPM, the spec-owned Node servers) may close an idle kept-alive socket just as undici reuses it for the next
 * request, which then fails with "other side closed" although nothing was wrong with it. On loopback a connection
 * per request costs nothing measurable. A caller that sets its own Connection header keeps it.
 */
export function freshConnectionPerFetch(): void {
	const original = globalThis.fetch;
	globalThis.fetch = ( input, init = {} ) => {
		const headers = new Headers( init.headers ?? ( input instanceof Request ? input.headers : undefined ) );
		if ( ! headers.has( 'connection' ) ) {
			headers.set( 'connection', 'close' );
		}
		return original( input, { ...init, headers } );
	};
}
