/**
 * The image-fetch SSRF guard under attack (issue #12, item 6), beyond publish-safety.spec.ts: ports other than
 * 80/443 (no port scanning through the site), the site's own addresses under another name, and warnings that
 * tell the API-key holder nothing about what answered (no status, no curl error: no scan oracle).
 */
import { expect, test } from '@playwright/test';

import { publish } from '../../simulator/src/publisher';
import { stack, wpEval } from '../support/stack';

interface Warning {
	code: string;
	message: string;
	field: string;
}
const images = () => process.env.IGNY8_IMAGE_SERVER_URL as string;
const contentId = () => 960_000 + Math.floor( Math.random() * 30_000 );

async function publishWithImage( url: string ): Promise< Warning[] > {
	const r = await publish( stack.wpUrl, stack.apiKey, { content_id: contentId(), title: 'Image guard', content_html: '<p>x</p>', featured_image: { url, alt: 'x' } } );
	expect( r.status, JSON.stringify( r.body ) ).toBe( 201 );
	return ( ( r.body as { data: { warnings: Warning[] } } ).data.warnings ?? [] ).filter( ( w ) => w.field === 'featured_image' );
}

/** Url_Guard's verdict inside WordPress with chosen server variables: 'ok', or the refusal's warning code. */
function guard( url: string, server: Record< string, string > = {} ): string {
	const out = wpEval( `foreach ( json_decode( ${ JSON.stringify( JSON.stringify( server ) ) }, true ) as $k => $v ) { $_SERVER[ $k ] = $v; }
		try { Igny8\\Bridge\\Media\\Url_Guard::check( ${ JSON.stringify( url ) } ); echo 'ok'; } catch ( Igny8\\Bridge\\Media\\Image_Error $e ) { echo $e->warning_code(); }` );
	return out.trim().split( '\n' ).pop() ?? '';
}

test.describe( 'item 6: image fetch SSRF guard gaps', () => {
	for ( const port of [ 8080, 22, 6379, 8443 ] ) {
		test( `a public address on port ${ port } is refused before any connection`, async () => {
			const started = Date.now();
			const warnings = await publishWithImage( `http://1.1.1.1:${ port }/x.png` );
			expect( warnings ).toEqual( [ expect.objectContaining( { code: 'IMAGE_REFUSED' } ) ] );
			expect( Date.now() - started, 'no connect attempt (it would wait for the connect timeout)' ).toBeLessThan( 10_000 );
		} );
	}

	test( 'ports 80 and 443 on a public address pass the guard (the control)', () => {
		expect( guard( 'http://1.1.1.1/x.png' ) ).toBe( 'ok' );
		expect( guard( 'https://1.1.1.1:443/x.png' ) ).toBe( 'ok' );
	} );

	test( 'the server\'s own address (SERVER_ADDR) as a literal is refused', () => {
		expect( guard( 'http://1.1.1.1/x.png', { SERVER_ADDR: '1.1.1.1' } ) ).toBe( 'IMAGE_REFUSED' );
		expect( guard( 'http://[2606:4700:4700::1111]/x.png', { SERVER_ADDR: '2606:4700:4700::1111' } ) ).toBe( 'IMAGE_REFUSED' );
	} );

	test( 'the site host as a literal with an explicit default port is refused (regression check: passed before too)', () => {
		// The site's public address is 1.1.1.1 (home_url names it); the attacker spells the port out.
		const out = wpEval( `add_filter( 'home_url', function () { return 'http://1.1.1.1'; } ); add_filter( 'site_url', function () { return 'http://1.1.1.1'; } );
			try { Igny8\\Bridge\\Media\\Url_Guard::check( 'http://1.1.1.1:80/x.png' ); echo 'ok'; } catch ( Igny8\\Bridge\\Media\\Image_Error $e ) { echo $e->warning_code(); }` );
		expect( out.trim().split( '\n' ).pop() ).toBe( 'IMAGE_REFUSED' );
	} );

	test( 'warnings never carry the remote HTTP status or a curl error number', async () => {
		const answered500 = await publishWithImage( `${ images() }/error` );
		expect( answered500 ).toHaveLength( 1 );
		const notAnImage = await publishWithImage( `${ images() }/fake.png` );
		expect( notAnImage ).toHaveLength( 1 );
		for ( const warning of [ ...answered500, ...notAnImage ] ) {
			expect( warning.message ).not.toMatch( /HTTP|\b[1-5]\d\d\b|curl|error \d+|not a JPEG/i );
			expect( warning.message ).toMatch( /could not be fetched/i );
		}
	} );
} );
