/**
 * Helpers for the browser specs of the IGNY8 UI: content published the way IGNY8 publishes it, the sidebar,
 * the simulator's fault switch, and the IGNY8 login the sync needs.
 */
import type { Locator, Page } from '@playwright/test';
import type { Admin, RequestUtils } from '@wordpress/e2e-test-utils-playwright';

import { payloadA, publish, sampleContent, type SampleContent } from '../../simulator/src/publisher.js';
import { expect } from './editor-test.js';
import { stack } from './stack.js';

/** The simulator's account (simulator/src/auth.ts). */
export const SIMULATOR_LOGIN = { email: 'dev@igny8.test', password: 'igny8-dev-password' };

/** A content id no other test of this run uses (IGNY8 content ids are global to the site). */
export function freshContentId(): number {
	return 100_000 + Math.floor( Math.random() * 800_000 );
}

/** Publishes sample content through the public API, as IGNY8 does; returns the WordPress post id. */
export async function publishSample( contentId: number, overrides: Partial< SampleContent > = {} ): Promise< number > {
	const reply = await publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( contentId, overrides ) ) );
	const postId = ( reply.body as { data?: { post_id?: number } } ).data?.post_id;
	if ( reply.status >= 300 || typeof postId !== 'number' ) {
		throw new Error( `publish of content ${ contentId } failed: HTTP ${ reply.status } ${ JSON.stringify( reply.body ) }` );
	}
	return postId;
}

/**
 * Opens a post IGNY8 published. Its content is plain HTML, shown as a Classic block; on 6.1 TinyMCE starts at once
 * and throws ("Node cannot be null or undefined") when the layout changes while it is still starting. So wait until
 * the canvas (in the page on 6.1, in the editor-canvas iframe on 6.5) shows the title and, where TinyMCE runs,
 * every Classic block's editor is up, before touching the UI.
 */
export async function openPublishedPost( admin: Admin, page: Page, postId: number ): Promise< void > {
	await admin.editPost( postId );
	await expect
		.poll( async () => {
			let title = false;
			let classic = 0;
			let started = 0;
			for ( const frame of page.frames() ) {
				const seen = await frame
					.evaluate( () => {
						// Only where TinyMCE runs in that document (6.1); 6.5's iframed Classic block starts it on selection.
						const tinymce = ( window as { tinymce?: { editors: Array< { initialized: boolean } > } } ).tinymce;
						return {
							title: !! document.querySelector( '.editor-post-title, .editor-post-title__input' ),
							classic: tinymce ? document.querySelectorAll( '.block-editor-block-list__block.wp-block-freeform' ).length : 0,
							started: tinymce ? tinymce.editors.filter( ( editor ) => editor.initialized ).length : 0,
						};
					} )
					.catch( () => ( { title: false, classic: 0, started: 0 } ) );
				title ||= seen.title;
				classic += seen.classic;
				started += seen.started;
			}
			return title && classic === started;
		} )
		.toBe( true );
}

/** The editor's settings area, where plugin sidebars render. */
export const editorSettings = ( page: Page ): Locator => page.getByRole( 'region', { name: 'Editor settings' } );

/** Opens the IGNY8 sidebar from its pinned toolbar button and returns its region. */
export async function openIgny8Sidebar( page: Page ): Promise< Locator > {
	const toggle = page.getByRole( 'region', { name: 'Editor top bar' } ).getByRole( 'button', { name: 'IGNY8', exact: true } );
	if ( ( await toggle.getAttribute( 'aria-pressed' ) ) !== 'true' ) {
		await toggle.click();
	}
	const sidebar = editorSettings( page );
	await expect( sidebar.getByRole( 'button', { name: 'Status and sync' } ).or( sidebar.getByText( 'Not managed by IGNY8' ) ) ).toBeVisible();
	return sidebar;
}

/** The sync state line of the sidebar (a live region). */
export const syncState = ( scope: Locator ): Locator => scope.locator( '.igny8-sync-state' ).first();

/** Drives the simulator's control API (faults, received requests, tasks). */
export async function simulator< T = unknown >( method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown ): Promise< T > {
	const res = await fetch( `${ stack.simulatorUrl }/__sim${ path }`, {
		method,
		headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify( body ),
	} );
	if ( ! res.ok ) {
		throw new Error( `simulator ${ method } ${ path }: HTTP ${ res.status }` );
	}
	return ( ( await res.json() ) as { data: T } ).data;
}

/** Connects the site to the simulator with the JWT login (sync target `tasks`), through the settings route. */
export async function connectToSimulator(
	requestUtils: RequestUtils,
	extra: Record< string, unknown > = {}
): Promise< Record< string, unknown > > {
	const reply = ( await requestUtils.rest( {
		path: '/igny8/v1/settings',
		method: 'POST',
		data: {
			api_base_url: stack.simulatorUrl,
			email: SIMULATOR_LOGIN.email,
			password: SIMULATOR_LOGIN.password,
			sync_target: 'tasks',
			sync_mode: 'auto',
			connection_enabled: true,
			...extra,
		},
	} ) ) as { data?: Record< string, unknown > };
	return reply.data ?? {};
}
