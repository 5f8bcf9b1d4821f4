/**
 * #13 §1: an article IGNY8 sends as HTML opens in the real block editor as native blocks (never one Classic block):
 * no core/freeform anywhere in the block tree, every block valid (no "unexpected or invalid content", no recovery
 * prompt), and the front end shows the same text, links and images as the HTML that was sent. Runs on every
 * WordPress version of the matrix (6.1, 6.5, 6.6-RC3): each serializes some blocks differently.
 */
import type { Page } from '@playwright/test';

import { expect, test } from '../../support/editor-test';
import { freshContentId, openPublishedPost, publishSample } from '../../support/igny8-ui';
import { PNG } from '../../support/image-server';
import { stack, wpEval } from '../../support/stack';
import { readPost, setOption } from '../../support/wordpress';

/** A real attachment in the media library, as the body-image import (#13 §2) leaves it before conversion. */
function localAttachment(): { id: number; url: string } {
	const out = wpEval( `
		require_once ABSPATH . 'wp-admin/includes/image.php';
		$upload = wp_upload_bits( 'igny8-body-' . wp_generate_password( 6, false ) . '.png', null, base64_decode( '${ PNG.toString( 'base64' ) }' ) );
		$id = wp_insert_attachment( array( 'post_mime_type' => 'image/png', 'post_title' => 'Body image', 'post_status' => 'inherit' ), $upload['file'] );
		wp_update_attachment_metadata( $id, wp_generate_attachment_metadata( $id, $upload['file'] ) );
		echo wp_json_encode( array( 'id' => $id, 'url' => wp_get_attachment_url( $id ) ) );
	` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? '{}' ) as { id: number; url: string };
}

/** Every element #13 §1 lists, with inline markup inside, as IGNY8 writes it. */
function fixtureArticle( image: { id: number; url: string } ): string {
	return [
		'<h1>Main heading</h1>',
		'<p>Intro with <strong>bold</strong>, <em>italic</em>, <a href="https://example.com/docs?a=1&amp;b=2">a link</a>, <code>inline code</code>, H<sub>2</sub>O and x<sup>2</sup>.<br>Second line.</p>',
		'<h2>Second level</h2>',
		'<h3>Third level</h3><h4>Fourth level</h4><h5>Fifth level</h5><h6>Sixth level</h6>',
		'<ul><li>First item</li><li>Second item with <a href="https://example.com/item">a link</a><ul><li>Nested item</li><li>Nested two<ol><li>Deep ordered</li></ol></li></ul></li></ul>',
		'<ol start="3"><li>Third</li><li>Fourth</li></ol>',
		'<blockquote><p>A quoted line.</p><p>Another quoted line.</p><cite>The Author</cite></blockquote>',
		`<figure><img class="wp-image-${ image.id }" src="${ image.url }" alt="Body image alt"><figcaption>Image caption with <em>emphasis</em></figcaption></figure>`,
		`<p><img class="wp-image-${ image.id }" src="${ image.url }" alt="Bare image alt"></p>`,
		'<table><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody><tr><td>Alpha</td><td>1</td></tr><tr><td>Beta</td><td><strong>2</strong></td></tr></tbody></table>',
		'<pre><code>const list = [1, 2];\nif (list.length &lt; 3) { run(); }</code></pre>',
		'<pre>Preformatted\n    keeps its spacing</pre>',
		'<hr>',
		'<p>https://www.youtube.com/watch?v=dQw4w9WgXcQ</p>',
		'https://vimeo.com/76979871',
		'<p>https://x.com/WordPress/status/1234567890</p>',
		'<dl><dt>Term</dt><dd>Definition</dd></dl>',
		'<p>Closing paragraph.</p>',
	].join( '\n' );
}

interface BlockReport {
	name: string;
	isValid: boolean;
}

/** The block tree the editor built, flattened (inner blocks included). */
function editorBlocks( page: Page ): Promise< BlockReport[] > {
	return page.evaluate( () => {
		type Block = { name: string; isValid: boolean; innerBlocks: Block[] };
		const wp = ( window as unknown as { wp: { data: { select: ( store: string ) => { getBlocks: () => Block[] } } } } ).wp;
		const flat: BlockReport[] = [];
		const walk = ( blocks: Block[] ) =>
			blocks.forEach( ( block ) => {
				flat.push( { name: block.name, isValid: block.isValid } );
				walk( block.innerBlocks );
			} );
		walk( wp.data.select( 'core/block-editor' ).getBlocks() );
		return flat;
	} );
}

/** The top-level blocks, in order, with the attributes that tell which element each came from. */
function topLevelBlocks( page: Page ): Promise< string[] > {
	// A caption is a string up to 6.4 and a RichTextData object (empty one included) from 6.5: compare its text.
	return page.evaluate( () => {
		type Block = { name: string; attributes: Record< string, unknown > };
		const wp = ( window as unknown as { wp: { data: { select: ( store: string ) => { getBlocks: () => Block[] } } } } ).wp;
		return wp.data.select( 'core/block-editor' ).getBlocks().map( ( { name, attributes: a } ) => {
			if ( name === 'core/heading' ) return `${ name } h${ String( a.level ) }`;
			if ( name === 'core/list' ) return `${ name } ${ a.ordered ? 'ol' : 'ul' }`;
			if ( name === 'core/embed' ) return `${ name } ${ String( a.providerNameSlug ) }`;
			if ( name === 'core/image' ) return `${ name } ${ typeof a.id === 'number' && a.id > 0 ? 'id' : 'no-id' }${ String( a.caption ?? '' ) !== '' ? ' caption' : '' }`;
			return name;
		} );
	} );
}

/** Text (whitespace removed: blocks add line breaks between elements), link targets and image sources of some HTML. */
interface Rendered {
	text: string;
	links: string[];
	images: Array< { src: string; alt: string } >;
}

async function renderedOf( page: Page, selector: string ): Promise< Rendered > {
	return page.locator( selector ).first().evaluate( ( root ) => ( {
		text: ( root.textContent ?? '' ).replace( /\s+/g, '' ),
		links: [ ...root.querySelectorAll( 'a[href]' ) ].map( ( a ) => a.getAttribute( 'href' ) ?? '' ),
		images: [ ...root.querySelectorAll( 'img' ) ].map( ( img ) => ( { src: img.getAttribute( 'src' ) ?? '', alt: img.getAttribute( 'alt' ) ?? '' } ) ),
	} ) );
}

// Offline, core's oEmbed proxy answers 404 for the embeds' previews (the block stays a valid core/embed).
test.use( { expectedConsole: [ /status of 404.*oembed\/1\.0\/proxy/ ] } );

test.describe( 'IGNY8 HTML → native blocks', () => {
	test( 'opens in the block editor as valid native blocks, and the front end shows the same text, links and images', async ( {
		admin,
		page,
	}, testInfo ) => {
		const image = localAttachment();
		const html = fixtureArticle( image );
		const postId = await publishSample( freshContentId(), { html, status: 'publish' } );

		await openPublishedPost( admin, page, postId );
		const blocks = await editorBlocks( page );
		const names = new Set( blocks.map( ( b ) => b.name ) );
		expect( names.has( 'core/freeform' ), 'no Classic block anywhere' ).toBe( false );
		expect( [ ...names ].sort() ).toEqual(
			[ 'core/code', 'core/embed', 'core/heading', 'core/html', 'core/image', 'core/list', 'core/list-item', 'core/paragraph', 'core/preformatted', 'core/quote', 'core/separator', 'core/table' ].sort()
		);
		expect( blocks.filter( ( b ) => ! b.isValid ), 'every block is valid' ).toEqual( [] );
		expect( blocks.filter( ( b ) => b.name === 'core/embed' ) ).toHaveLength( 3 );
		expect( blocks.filter( ( b ) => b.name === 'core/list' ) ).toHaveLength( 4 );
		// Element by element: each top-level element of the fixture became the block #13 §1 names, in order.
		expect( await topLevelBlocks( page ) ).toEqual( [
			'core/heading h1',
			'core/paragraph',
			'core/heading h2',
			'core/heading h3',
			'core/heading h4',
			'core/heading h5',
			'core/heading h6',
			'core/list ul',
			'core/list ol',
			'core/quote',
			'core/image id caption',
			'core/image id',
			'core/table',
			'core/code',
			'core/preformatted',
			'core/separator',
			'core/embed youtube',
			'core/embed vimeo',
			'core/embed twitter',
			'core/html',
			'core/paragraph',
		] );

		// No invalid-content warning or recovery prompt, in the page (6.1) or the iframed canvas (6.5+).
		const canvas = ( await page.locator( 'iframe[name="editor-canvas"]' ).count() ) > 0 ? page.frameLocator( 'iframe[name="editor-canvas"]' ) : page;
		await expect( canvas.locator( '.block-editor-block-list__layout' ).first() ).toBeVisible();
		await expect( canvas.getByText( 'Main heading' ) ).toBeVisible();
		await expect( canvas.locator( '.block-editor-warning' ) ).toHaveCount( 0 );
		await expect( canvas.getByText( /unexpected or invalid content/i ) ).toHaveCount( 0 );
		await expect( canvas.getByRole( 'button', { name: /Attempt (Block )?Recovery/i } ) ).toHaveCount( 0 );
		// Once the embeds' previews have failed (offline), opening it changed nothing: the editor has nothing to save.
		await expect( canvas.getByText( /this content could not be embedded/ ) ).toHaveCount( 3 );
		expect( await page.evaluate( () => ( window as unknown as { wp: { data: { select: ( s: string ) => { isEditedPostDirty: () => boolean } } } } ).wp.data.select( 'core/editor' ).isEditedPostDirty() ) ).toBe( false );
		await page.setViewportSize( { width: 1440, height: 3000 } );
		await page.screenshot( { path: testInfo.outputPath( 'editor-native-blocks.png' ), fullPage: true } );

		// The front end against the HTML that was sent, rendered by the same browser.
		await page.goto( `${ stack.wpUrl }/?p=${ postId }` );
		const front = await renderedOf( page, '.wp-block-post-content, .entry-content' );
		await page.setContent( `<main id="sent">${ html }</main>` );
		const sent = await renderedOf( page, '#sent' );
		// An X post URL is stored as twitter.com, the host core's oEmbed knows.
		expect( front.text ).toBe( sent.text.replace( 'https://x.com/', 'https://twitter.com/' ) );
		// Links: every one that was sent; the only additions are the embeds' URLs (core links an embed it cannot fetch).
		expect( front.links.filter( ( href ) => ! /youtube|vimeo|twitter\.com/.test( href ) ) ).toEqual( sent.links );
		expect( front.images ).toEqual( sent.images );
	} );

	test( 'igny8_content_format "html" stores the HTML as sent; block content is kept as it is', async () => {
		setOption( 'igny8_content_format', 'html' );
		try {
			const asHtml = await publishSample( freshContentId(), { html: '<h2>Plain</h2><p>As <em>sent</em>.</p>' } );
			expect( readPost( asHtml ).post.post_content ).toBe( '<h2>Plain</h2><p>As <em>sent</em>.</p>' );
		} finally {
			setOption( 'igny8_content_format', 'blocks' );
		}
		const blocks = '<!-- wp:paragraph {"className":"mine"} -->\n<p class="mine">Own blocks</p>\n<!-- /wp:paragraph -->';
		const kept = await publishSample( freshContentId(), { html: blocks } );
		expect( readPost( kept ).post.post_content ).toBe( blocks );
		const converted = await publishSample( freshContentId(), { html: '<p>Converted</p>' } );
		expect( readPost( converted ).post.post_content ).toBe( '<!-- wp:paragraph -->\n<p>Converted</p>\n<!-- /wp:paragraph -->' );
	} );
} );
