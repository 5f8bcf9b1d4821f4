/**
 * Issue #14 §5: the status-map editor of Settings → IGNY8. Both directions, each status a choice of what the other
 * side accepts, checked again by the sidecar, "Reset to defaults"; the WordPress → IGNY8 map is the one
 * `/post-status` answers as `status_mapping`.
 */
import { expect, test } from '../../support/editor-test';
import { freshContentId, publishSample } from '../../support/igny8-ui';
import { wp } from '../../support/stack';

type PostStatus = { data: { wordpress_status: string; igny8_status: string; status_mapping: Record< string, string > } };

test( 'edit a status, see /post-status report it, refuse a bad map, reset to defaults', async ( { admin, page, requestUtils }, testInfo ) => {
	test.setTimeout( 120_000 );
	const contentId = freshContentId();
	await publishSample( contentId, { status: 'draft' } );
	const postStatus = async () => ( await wp< PostStatus >( `/wp-json/igny8/v1/post-status/${ contentId }` ) ).body.data;
	// Start from the defaults whatever an earlier run left.
	await requestUtils.rest( { path: '/igny8/v1/settings', method: 'POST', data: { status_map_igny8_to_wp: {}, status_map_wp_to_igny8: {} } } );
	expect( ( await postStatus() ).igny8_status ).toBe( 'draft' );

	await admin.visitAdminPage( 'options-general.php', 'page=igny8-bridge' );
	const card = page.locator( '.igny8-status-map' );
	await expect( card.getByRole( 'heading', { name: 'Status mapping' } ) ).toBeVisible();
	const wpToIgny8 = card.locator( 'table[data-direction="wp_to_igny8"]' );
	const igny8ToWp = card.locator( 'table[data-direction="igny8_to_wp"]' );
	await expect( card ).toContainText( '/post-status answers as status_mapping' );
	const reset = card.getByRole( 'button', { name: 'Reset to defaults' } );
	await expect( reset ).toBeDisabled();

	// The choices are what the other side accepts: WordPress statuses one way, IGNY8 statuses the other.
	const completed = igny8ToWp.getByLabel( 'Maps completed to' );
	await expect( completed ).toHaveValue( 'publish' );
	expect( await completed.locator( 'option' ).allTextContents() ).toEqual( [ 'publish', 'future', 'draft', 'pending', 'private', 'trash' ] );

	await wpToIgny8.getByLabel( 'Maps draft to' ).selectOption( 'pending' );
	await card.getByRole( 'button', { name: 'Save status maps' } ).click();
	await expect( card ).toContainText( 'Status maps saved.' );
	await expect.poll( postStatus ).toMatchObject( { wordpress_status: 'draft', igny8_status: 'pending', status_mapping: { draft: 'pending', publish: 'completed' } } );
	await expect( reset ).toBeEnabled();
	await card.screenshot( { path: testInfo.outputPath( 'status-map-editor.png' ) } );

	// Saved: a reload shows it. The sidecar refuses what the selects cannot offer (a status WordPress cannot take).
	await page.reload();
	await expect( page.locator( '.igny8-status-map table[data-direction="wp_to_igny8"]' ).getByLabel( 'Maps draft to' ) ).toHaveValue( 'pending' );
	const refused = await requestUtils
		.rest( { path: '/igny8/v1/settings', method: 'POST', data: { status_map_igny8_to_wp: { completed: 'inherit' } } } )
		.then( () => null, ( error: unknown ) => error as { code?: string; field?: string; error?: string } );
	expect( refused ).toMatchObject( { code: 'VALIDATION_FAILED', field: 'status_map_igny8_to_wp' } );
	expect( refused?.error ).toContain( '"completed" cannot map to "inherit"' );

	await page.locator( '.igny8-status-map' ).getByRole( 'button', { name: 'Reset to defaults' } ).click();
	await expect( page.locator( '.igny8-status-map' ) ).toContainText( 'Status maps reset to the defaults.' );
	await expect( page.locator( '.igny8-status-map table[data-direction="wp_to_igny8"]' ).getByLabel( 'Maps draft to' ) ).toHaveValue( 'draft' );
	await expect.poll( postStatus ).toMatchObject( { igny8_status: 'draft', status_mapping: { draft: 'draft' } } );
} );
