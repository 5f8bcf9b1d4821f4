/**
 * Images inside content_html are imported (issue #13 §2): each <img> is sideloaded under the featured image's SSRF
 * rules and source-URL reuse, the stored content points at the local attachment (wp-image-{id}, core/image id), alt
 * and caption are kept, a republish downloads nothing again, and an image that cannot be fetched stays remote with a
 * warning naming it while the post is still published.
 */
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
