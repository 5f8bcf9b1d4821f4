/**
 * Global setup of the hosted instance (e2e/hosted.config.ts): PostgreSQL 15, two multi-site replicas behind the
 * loopback nginx upstream (scripts/hosted-stack.ts), and three fresh WordPress sites without a sidecar of their own,
 * each with its own IGNY8 simulator. Every site enrols the real way (the operator's `sites enroll` code, redeemed by
 * the site's Sidecar settings route) and saves its IGNY8 credentials through the hosted sidecar. Each project's tests
 * get their site's variables through IGNY8_HOSTED_SITES (e2e/support/stack.ts).
 */
import path from 'node:path';
import type { FullConfig } from '@playwright/test';

import { enrolSite, startHostedSidecar, type HostedSidecar } from '../scripts/hosted-stack.js';
import { startStack, type Stack } from '../scripts/stack.js';
import { HOSTED_SITES, hostedPorts } from './support/hosted-sites.js';
import { startImageServer } from './support/image-server.js';

export default async function hostedSetup( _config: FullConfig ) {
	const t0 = Date.now();
	const log = ( m: string ) => process.stdout.write( `[hosted] ${ m }\n` );
	const dir = process.env.IGNY8_HOSTED_DIR as string;
	const ports = hostedPorts();
	const images = startImageServer( ports.images );
	const stacks: Stack[] = [];
	let hosted: HostedSidecar | undefined;
	const teardown = async () => {
		images.close();
		await Promise.all( stacks.map( ( s ) => s.stop().catch( () => undefined ) ) );
		await hosted?.stop();
	};
	try {
		const starting = HOSTED_SITES.map( ( site ) =>
			startStack( {
				wpVersion: site.version,
				wpDb: site.db,
				wpPort: ports.wp( site.index ),
				simulatorPort: ports.simulator( site.index ),
				stateDir: path.join( dir, site.project ),
				hosted: true,
				fresh: true,
				imageAllowlist: `127.0.0.1:${ ports.images }`,
				trustedProxies: '127.0.0.1',
				extraPluginDirs: [ 'igny8-test-bootstrap-counter', 'igny8-test-faults' ].map( ( p ) => path.join( import.meta.dirname, 'fixtures/plugins', p ) ),
				log: ( m ) => log( `${ site.project }: ${ m }` ),
			} ).then( ( stack ) => {
				stacks.push( stack );
				return stack;
			} )
		);
		const sidecar = startHostedSidecar( {
			dir: path.join( dir, 'sidecar' ),
			pgPort: ports.pg,
			replicaPorts: ports.replicas,
			frontPort: ports.front,
			// No site uses it: each one saves its own IGNY8's base URL with its credentials.
			apiBaseUrl: 'http://127.0.0.1:9',
			log,
		} ).then( ( h ) => ( hosted = h ) );
		const settled = await Promise.allSettled( [ ...starting, sidecar ] );
		const failed = settled.find( ( r ): r is PromiseRejectedResult => r.status === 'rejected' );
		if ( failed ) {
			throw failed.reason;
		}
		const front = hosted as unknown as HostedSidecar;
		const sites: Record< string, Record< string, string > > = {};
		for ( const site of HOSTED_SITES ) {
			const stack = stacks.find( ( s ) => s.stateDir === path.join( dir, site.project ) ) as Stack;
			const t = Date.now();
			const { siteId } = await enrolSite( front, stack );
			log( `${ site.project }: enrolled on ${ front.url } as ${ siteId } (${ ( ( Date.now() - t ) / 1000 ).toFixed( 1 ) } s)` );
			sites[ site.project ] = {
				WP_BASE_URL: stack.wpUrl,
				WP_PORT: String( ports.wp( site.index ) ),
				IGNY8_API_KEY: stack.apiKey,
				IGNY8_SIMULATOR_URL: stack.simulator.url,
				IGNY8_STATE_DIR: stack.stateDir,
				IGNY8_DEBUG_LOG: stack.debugLog,
				IGNY8_SIDECAR_LOG: path.join( dir, 'sidecar', 'replica-1.log' ),
				IGNY8_WP_VERSION: stack.wpVersion,
				IGNY8_WP_DB: stack.wpDb,
				IGNY8_SITE_ID: siteId,
			};
		}
		Object.assign( process.env, {
			IGNY8_HOSTED_SITES: JSON.stringify( sites ),
			IGNY8_HOSTED_URL: front.url,
			IGNY8_HOSTED_REPLICAS: front.replicaUrls.join( ',' ),
			IGNY8_IMAGE_SERVER_URL: `http://127.0.0.1:${ ports.images }`,
		} );
		log( `ready in ${ ( ( Date.now() - t0 ) / 1000 ).toFixed( 1 ) } s` );
	} catch ( error ) {
		await teardown();
		throw error;
	}
	return teardown;
}
