/**
 * Images inside content_html are imported (issue #13 §2): each <img> is sideloaded under the featured image's SSRF
 * rules and source-URL reuse, the stored content points at the local attachment (wp-image-{id}, core/image id), alt
 * and caption are kept, a republish downloads nothing again, and an image that cannot be fetched stays remote with a
 * warning naming it while the post is still published. The per-request cap and the time budget (contract limits
 * max_body_images_per_request, body_images_time_budget_seconds) leave the images past them remote, named in a warning.
 */
import fs from 'node:fs';
import path from 'node:path';

import { expect, test } from '@playwright/test';

import { payloadA, publish, sampleContent } from '../../simulator/src/publisher';
import { imageHits } from '../support/image-server';
import { stack } from '../support/stack';
import { attachmentsFrom, readPost } from '../support/wordpress';

type Published = { success: boolean; data: { post_id: number; warnings: Array< { code: string; field?: string; message?: string } > } };

let next = 700_000 + Math.floor( Math.random() * 100_000 );
const images = () => process.env.IGNY8_IMAGE_SERVER_URL as string;

test( 'inline images are imported, alt and caption kept; a republish reuses them; a failing image warns while the post stands', async () => {
	const id = next++;
	const inline = `${ images() }/img/body-a-${ id }.png`;
	const figure = `${ images() }/img/body-b-${ id }.png`;
	const missing = `${ images() }/missing-${ id }.png`;
	const html =
		`<p>Intro with <img src="${ inline }" alt="Inline alt ${ id }"> inside.</p>` +
		`<figure><img src="${ figure }" alt="Figure alt"><figcaption>Caption ${ id }</figcaption></figure>` +
		`<p><img src="${ missing }" alt="gone"></p>`;
	const c = sampleContent( id, { status: 'completed', html } );

	const first = await publish( stack.wpUrl, stack.apiKey, payloadA( c ) );
	expect( first.status, JSON.stringify( first.body ) ).toBe( 201 );
	const body = first.body as Published;
	const warned = body.data.warnings.filter( ( w ) => w.field === 'content_html' );
	expect( warned.map( ( w ) => w.message ?? '' ).join( '\n' ) ).toContain( missing );
	expect( JSON.stringify( warned ) ).not.toMatch( /\b404\b|errno/ );

	const [ inlineId ] = attachmentsFrom( inline );
	const [ figureId ] = attachmentsFrom( figure );
	expect( inlineId, 'the inline image is an attachment' ).toBeGreaterThan( 0 );
	expect( figureId, 'the figure image is an attachment' ).toBeGreaterThan( 0 );
	const content = readPost( body.data.post_id ).post.post_content as string;
	expect( content ).not.toContain( inline );
	expect( content ).not.toContain( figure );
	expect( content ).toContain( `wp-image-${ inlineId }` );
	expect( content ).toContain( `"id":${ figureId }` );
	expect( content ).toContain( 'Inline alt' );
	expect( content ).toContain( `Caption ${ id }` );
	expect( content, 'the failed image keeps its remote URL' ).toContain( missing );

	const second = await publish( stack.wpUrl, stack.apiKey, payloadA( c ) );
	expect( second.status, JSON.stringify( second.body ) ).toBe( 200 );
	const hits = await imageHits( images() );
	expect( hits[ `/img/body-a-${ id }.png` ], 'a republish downloads nothing again' ).toBe( 1 );
	expect( hits[ `/img/body-b-${ id }.png` ] ).toBe( 1 );
	expect( attachmentsFrom( inline ) ).toEqual( [ inlineId ] );
} );

const limits = (
	JSON.parse( fs.readFileSync( path.resolve( import.meta.dirname, '../../plugin-php-shim/contract/igny8-contract.json' ), 'utf8' ) ) as {
		limits: { max_body_images_per_request: number; body_images_time_budget_seconds: number };
	}
).limits;

test( 'per-request cap: images past max_body_images_per_request keep their remote URL, with a warning naming them; the post is published', async () => {
	const id = next++;
	const cap = limits.max_body_images_per_request;
	const urls = Array.from( { length: cap + 2 }, ( _, i ) => `${ images() }/img/cap-${ i }-${ id }.png` );
	const html = urls.map( ( url, i ) => `<p>Image ${ i }: <img src="${ url }" alt="cap ${ i }"></p>` ).join( '' );

	const res = await publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( id, { status: 'completed', html } ) ) );
	expect( res.status, JSON.stringify( res.body ) ).toBe( 201 );
	const body = res.body as Published;
	const capped = body.data.warnings.filter( ( w ) => w.code === 'TOO_MANY_IMAGES' );
	expect( capped, JSON.stringify( body.data.warnings ) ).toHaveLength( 1 );
	const message = capped[ 0 ]?.message ?? '';
	expect( capped[ 0 ]?.field ).toBe( 'content_html' );
	const over = urls.slice( cap );
	const within = urls.slice( 0, cap );
	for ( const url of over ) {
		expect( message, 'the warning names every image over the cap' ).toContain( url );
	}
	for ( const url of within ) {
		expect( message ).not.toContain( url );
	}

	const post = readPost( body.data.post_id ).post;
	expect( post.post_status ).toBe( 'publish' );
	const hits = await imageHits( images() );
	for ( const url of over ) {
		expect( post.post_content, 'an image over the cap keeps its remote URL' ).toContain( url );
		expect( hits[ new URL( url ).pathname ], 'an image over the cap is never fetched' ).toBeUndefined();
		expect( attachmentsFrom( url ) ).toEqual( [] );
	}
	for ( const url of within ) {
		expect( hits[ new URL( url ).pathname ], url ).toBe( 1 );
		expect( post.post_content ).not.toContain( url );
	}
	expect( attachmentsFrom( within[ 0 ] as string ) ).toHaveLength( 1 );
} );

test( 'time budget: slow images use up body_images_time_budget_seconds, the images after them keep their remote URL with a warning naming them; the post is published', async () => {
	const budget = limits.body_images_time_budget_seconds;
	test.setTimeout( ( budget + 60 ) * 1000 );
	const id = next++;
	// Each slow image answers after longer than the fetcher's per-image timeout (10 s): four of them outlast the budget.
	const slow = Array.from( { length: 4 }, ( _, i ) => `${ images() }/slow/budget-${ i }-${ id }.png?s=${ budget }` );
	const late = `${ images() }/img/budget-late-${ id }.png`;
	const html = [ ...slow, late ].map( ( url, i ) => `<p>Image ${ i }: <img src="${ url }" alt="budget ${ i }"></p>` ).join( '' );

	const started = Date.now();
	const res = await publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( id, { status: 'completed', html } ) ) );
	const seconds = ( Date.now() - started ) / 1000;
	expect( res.status, JSON.stringify( res.body ) ).toBe( 201 );
	const body = res.body as Published;
	const warned = body.data.warnings.filter( ( w ) => w.field === 'content_html' );
	const messages = warned.map( ( w ) => w.message ?? '' ).join( '\n' );
	for ( const url of [ ...slow, late ] ) {
		expect( messages, 'every image not imported is named' ).toContain( url );
	}
	expect( warned.find( ( w ) => ( w.message ?? '' ).includes( late ) )?.message ).toMatch( /time budget/ );
	expect( ( await imageHits( images() ) )[ `/img/budget-late-${ id }.png` ], 'no fetch starts once the budget is used up' ).toBeUndefined();
	expect( seconds, 'the publish waits no longer than the budget and the write' ).toBeLessThan( budget + 15 );

	const post = readPost( body.data.post_id ).post;
	expect( post.post_status ).toBe( 'publish' );
	expect( post.post_content ).toContain( late );
	expect( attachmentsFrom( late ) ).toEqual( [] );
} );
