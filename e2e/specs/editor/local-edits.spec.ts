/**
 * WordPress edits are never silently lost, and IGNY8 hears of them (issue #13 §4), against the real WordPress, the
 * real sidecar and the simulator: an edit typed in the block editor marks the post "edited in WordPress" in the
 * sidebar and reaches the simulator as a content update (HTML without block delimiters); the body-image rewrite of
 * IGNY8's own publish is not an edit; a republish under `overwrite` keeps the editor's version as a revision and
 * warns LOCAL_EDITS_OVERWRITTEN; under `keep_local` it answers 409 LOCAL_EDITS until the payload says "force".
 */
import type { Page } from '@playwright/test';
import type { RequestUtils } from '@wordpress/e2e-test-utils-playwright';

import { payloadA, publish, sampleContent } from '../../../simulator/src/publisher';
import { expect, test } from '../../support/editor-test';
import { connectToSimulator, freshContentId, openIgny8Sidebar, openPublishedPost, publishSample, simulator } from '../../support/igny8-ui';
import { stack, wpEval } from '../../support/stack';
import { readPost } from '../../support/wordpress';

type Warning = { code: string; field?: string; message: string; revision_id?: number | null };
type Reply = { success: boolean; code?: string; fields?: string[]; data?: { post_id: number; warnings: Warning[] } };
type SimContent = { title: string; content_html: string; excerpt: string; source: string; wordpress_modified_at: string };

const contents = () => simulator< Record< string, SimContent > >( 'GET', '/contents' );

/** An edit made by an editor outside the block editor (same save path: wp_update_post → wp_after_insert_post). */
function editAsAdmin( postId: number, fields: Record< string, string > ): void {
	wpEval( `wp_set_current_user( 1 ); wp_update_post( wp_slash( array_merge( array( 'ID' => ${ postId } ), json_decode( ${ JSON.stringify( JSON.stringify( fields ) ) }, true ) ) ) );` );
}

async function setPolicy( requestUtils: RequestUtils, policy: 'overwrite' | 'keep_local' ) {
	await requestUtils.rest( { path: '/igny8/v1/settings', method: 'POST', data: { republish_policy: policy } } );
}

async function saveDraft( page: Page ) {
	await page.getByRole( 'region', { name: 'Editor top bar' } ).getByRole( 'button', { name: 'Save draft' } ).click();
	// "Saved" shows only for a moment: wait for the editor store to say the save is done.
	await page.waitForFunction( () => {
		const editor = ( window as unknown as { wp: { data: { select: ( store: string ) => { isSavingPost: () => boolean; isEditedPostDirty: () => boolean } } } } ).wp.data.select( 'core/editor' );
		return ! editor.isSavingPost() && ! editor.isEditedPostDirty();
	} );
}

test.describe( 'WordPress edits of IGNY8 posts', () => {
	test.afterEach( async ( { requestUtils } ) => {
		await simulator( 'DELETE', '/faults' );
		await setPolicy( requestUtils, 'overwrite' );
	} );

	test( 'an edit in the block editor shows "Edited in WordPress" and reaches IGNY8 as a content update', async ( { admin, page, requestUtils }, testInfo ) => {
		await connectToSimulator( requestUtils );
		const contentId = freshContentId();
		const postId = await publishSample( contentId, { status: 'draft' } );
		await openPublishedPost( admin, page, postId );
		const sidebar = await openIgny8Sidebar( page );
		await expect( sidebar.locator( '.igny8-local-edit' ) ).toHaveCount( 0 );

		const canvas = ( await page.locator( 'iframe[name="editor-canvas"]' ).count() ) > 0 ? page.frameLocator( 'iframe[name="editor-canvas"]' ) : page;
		const marker = `Edited in Chromium ${ contentId }`;
		const paragraph = canvas.locator( 'p.wp-block-paragraph, .wp-block-paragraph, [data-type="core/paragraph"]' ).first();
		await paragraph.click();
		await page.keyboard.press( 'End' );
		await page.keyboard.type( ` ${ marker }` );
		await saveDraft( page );

		const notice = sidebar.locator( '.igny8-local-edit' );
		await expect( notice ).toContainText( 'Edited in WordPress' );
		await expect( notice ).toContainText( /ago by admin \(content\)/ );
		await page.setViewportSize( { width: 1440, height: 1200 } );
		await sidebar.screenshot( { path: testInfo.outputPath( 'sidebar-edited-in-wordpress.png' ) } );

		await expect.poll( async () => ( await contents() )[ String( contentId ) ]?.content_html ?? '', { timeout: 20_000 } ).toContain( marker );
		const update = ( await contents() )[ String( contentId ) ] as SimContent;
		expect( update.content_html, 'HTML without block delimiters' ).not.toContain( '<!-- wp:' );
		expect( update.source ).toBe( 'wordpress' );
		expect( update.wordpress_modified_at ).toMatch( /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/ );
		expect( update.title ).toBe( readPost( postId ).post.post_title );
		const edit = JSON.parse( readPost( postId ).meta._igny8_local_edit ?? '{}' ) as { user_id?: number; fields?: string[] };
		expect( edit ).toMatchObject( { user_id: 1, fields: [ 'post_content' ] } );
		// Delivered: the content change is no longer pending in WordPress.
		await expect.poll( () => readPost( postId ).meta._igny8_content_pending ?? '', { timeout: 10_000 } ).toBe( '' );
	} );

	test( 'the body-image rewrite is not an edit; a republish (overwrite) keeps the edited version as a revision and warns', async ( { requestUtils } ) => {
		await connectToSimulator( requestUtils );
		const id = freshContentId();
		const image = `${ process.env.IGNY8_IMAGE_SERVER_URL as string }/img/local-edit-${ id }.png`;
		const c = sampleContent( id, { status: 'completed', html: `<p>Body with <img src="${ image }" alt="pic"> inline.</p>` } );
		const first = await publish( stack.wpUrl, stack.apiKey, payloadA( c ) );
		expect( first.status, JSON.stringify( first.body ) ).toBe( 201 );
		const postId = ( first.body as Reply ).data?.post_id as number;
		expect( readPost( postId ).post.post_content, 'the image URL was rewritten to the attachment' ).not.toContain( image );

		// A save that changes nothing (as the editor's Update without edits): no local edit, nothing sent as content.
		editAsAdmin( postId, {} );
		await new Promise( ( resolve ) => setTimeout( resolve, 1500 ) );
		expect( readPost( postId ).meta._igny8_local_edit, 'the image rewrite is not an edit' ).toBeUndefined();
		expect( ( await contents() )[ String( id ) ] ).toBeUndefined();

		const edited = `${ readPost( postId ).post.post_content }\n<p>Editor paragraph ${ id }</p>`;
		editAsAdmin( postId, { post_content: edited, post_title: `Editor title ${ id }` } );
		await expect.poll( async () => ( await contents() )[ String( id ) ]?.title ?? '', { timeout: 20_000 } ).toBe( `Editor title ${ id }` );

		const again = await publish( stack.wpUrl, stack.apiKey, payloadA( c ) );
		expect( again.status, JSON.stringify( again.body ) ).toBe( 200 );
		const warning = ( again.body as Reply ).data?.warnings.find( ( w ) => w.code === 'LOCAL_EDITS_OVERWRITTEN' );
		expect( warning, JSON.stringify( again.body ) ).toBeDefined();
		expect( warning?.message ).toContain( 'title, content_html' );
		const revisionId = warning?.revision_id as number;
		expect( revisionId ).toBeGreaterThan( 0 );
		expect( warning?.message ).toContain( `revision ${ revisionId }` );
		const revision = JSON.parse( wpEval( `$r = get_post( ${ revisionId } ); echo wp_json_encode( array( 'type' => $r->post_type, 'parent' => (int) $r->post_parent, 'title' => $r->post_title, 'content' => $r->post_content ) );` ).trim().split( '\n' ).pop() as string ) as Record< string, unknown >;
		expect( revision ).toMatchObject( { type: 'revision', parent: postId, title: `Editor title ${ id }` } );
		expect( revision.content ).toContain( `Editor paragraph ${ id }` );
		const after = readPost( postId );
		expect( after.post.post_content ).not.toContain( `Editor paragraph ${ id }` );
		expect( after.meta._igny8_local_edit, 'IGNY8 wrote it again: no longer edited' ).toBeUndefined();
	} );

	test( 'the settings screen shows both republish policies and the content sync switch, and saves them', async ( { admin, page, requestUtils }, testInfo ) => {
		await setPolicy( requestUtils, 'overwrite' );
		await admin.visitAdminPage( 'options-general.php', 'page=igny8-bridge' );
		const card = page.locator( '.igny8-card' ).filter( { has: page.getByRole( 'heading', { name: 'Publishing' } ) } );
		const policy = card.getByLabel( 'When IGNY8 republishes a post edited in WordPress' );
		await expect( policy ).toHaveValue( 'overwrite' );
		expect( await policy.locator( 'option' ).allTextContents() ).toEqual( [
			'Overwrite: keep the edited version as a revision',
			'Keep local edits: refuse the republish (409) unless IGNY8 forces it',
		] );
		const contentSync = card.getByLabel( 'Send WordPress edits to IGNY8' );
		await expect( contentSync ).toBeChecked();
		await policy.selectOption( 'keep_local' );
		await page.setViewportSize( { width: 1280, height: 1600 } );
		await card.screenshot( { path: testInfo.outputPath( 'settings-republish-policy.png' ) } );
		await page.getByRole( 'button', { name: 'Save settings' } ).click();
		await expect.poll( async () => ( ( await requestUtils.rest( { path: '/igny8/v1/settings' } ) ) as { data: { republish_policy: string } } ).data.republish_policy ).toBe( 'keep_local' );
		await page.reload();
		await expect( page.getByLabel( 'When IGNY8 republishes a post edited in WordPress' ) ).toHaveValue( 'keep_local' );
	} );

	test( 'keep_local: a republish of an edited post is refused with 409 LOCAL_EDITS naming the fields; "force": true overwrites', async ( { requestUtils } ) => {
		await connectToSimulator( requestUtils );
		await setPolicy( requestUtils, 'keep_local' );
		const id = freshContentId();
		const c = sampleContent( id, { status: 'draft' } );
		const first = await publish( stack.wpUrl, stack.apiKey, payloadA( c ) );
		expect( first.status ).toBe( 201 );
		const postId = ( first.body as Reply ).data?.post_id as number;

		// Not edited yet: keep_local republishes as usual.
		expect( ( await publish( stack.wpUrl, stack.apiKey, payloadA( c ) ) ).status ).toBe( 200 );

		editAsAdmin( postId, { post_title: `Editor title ${ id }` } );
		const refused = await publish( stack.wpUrl, stack.apiKey, payloadA( c ) );
		expect( refused.status, JSON.stringify( refused.body ) ).toBe( 409 );
		expect( refused.body as Reply ).toMatchObject( { success: false, code: 'LOCAL_EDITS', fields: [ 'title' ] } );
		expect( readPost( postId ).post.post_title, 'nothing was written' ).toBe( `Editor title ${ id }` );

		const forced = await publish( stack.wpUrl, stack.apiKey, { ...payloadA( c ), force: true } );
		expect( forced.status, JSON.stringify( forced.body ) ).toBe( 200 );
		expect( ( forced.body as Reply ).data?.warnings.map( ( w ) => w.code ) ).toContain( 'LOCAL_EDITS_OVERWRITTEN' );
		expect( readPost( postId ).post.post_title ).toBe( c.title );
	} );
} );
