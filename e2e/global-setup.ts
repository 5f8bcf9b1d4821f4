/**
 * Starts a fresh stack for the run, logs the admin in once (saved storage state for the editor project),
 * and hands the workers what they need through environment variables.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FullConfig } from '@playwright/test';
import { RequestUtils } from '@wordpress/e2e-test-utils-playwright';

import { installSidecarTarball } from '../scripts/sidecar-install.js';
import { ROOT, serveStackControl, startStack } from '../scripts/stack.js';
import { releaseVersion } from '../scripts/versions.js';
import { startImageServer } from './support/image-server.js';

export default async function globalSetup( _config: FullConfig ) {
	// The editor bundle is a build artefact (git-ignored): the browser tests need the current one. scripts/test.ts
	// builds it once before its suites run side by side (IGNY8_EDITOR_BUILT=1).
	if ( process.env.IGNY8_EDITOR_BUILT !== '1' ) {
		execFileSync( 'npm', [ 'run', '--silent', 'build', '-w', 'editor-ui' ], { cwd: ROOT, stdio: [ 'ignore', 'ignore', 'inherit' ] } );
	}
	const release = process.env.IGNY8_FROM_RELEASE === '1' ? await releaseArtifacts() : undefined;
	const controlPort = Number( process.env.STACK_CONTROL_PORT ?? 9200 );
	// The spec-owned servers live at controlPort + 1 … + 9 (image server + 1, hostile-uninstall + 2, hostile-credentials
	// + 3/+ 4, hosted-https + 5/+ 8/+ 9, hosted-enrol + 6/+ 7; all taken now, a new spec shares one of a spec that runs
	// before or after it, the specs run one at a time): instances are 10 ports apart, so + 10 or more is the next one's.
	const imagePort = controlPort + 1;
	const images = startImageServer( imagePort );
	const stack = await startStack( {
		// Only this exact host:port is exempt from the SSRF refusals, and only because the site is `local`.
		imageAllowlist: `127.0.0.1:${ imagePort }`,
		// The client is loopback: trusting it as a proxy lets each rate-limit test pick its own client IP
		// (X-Forwarded-For), so no test locks the rest of the suite out.
		trustedProxies: '127.0.0.1',
		fresh: true,
		wpPort: Number( process.env.WP_PORT ?? 8900 ),
		sidecarPort: Number( process.env.SIDECAR_PORT ?? 9000 ),
		simulatorPort: Number( process.env.SIMULATOR_PORT ?? 9100 ),
		extraPluginDirs: [ 'igny8-test-bootstrap-counter', 'igny8-test-faults' ].map( ( p ) => path.join( import.meta.dirname, 'fixtures/plugins', p ) ),
		release,
		log: ( m ) => process.stdout.write( `[stack] ${ m }\n` ),
	} );
	const control = serveStackControl( stack, controlPort );

	Object.assign( process.env, {
		IGNY8_API_KEY: stack.apiKey,
		IGNY8_SIMULATOR_URL: stack.simulator.url,
		IGNY8_SIDECAR_URL: stack.sidecarUrl,
		IGNY8_STATE_DIR: stack.stateDir,
		IGNY8_SIDECAR_LOG: stack.sidecarLog,
		IGNY8_DEBUG_LOG: stack.debugLog,
		IGNY8_WP_VERSION: stack.wpVersion,
		IGNY8_WP_DB: stack.wpDb,
		STACK_CONTROL_URL: `http://127.0.0.1:${ controlPort }`,
		IGNY8_IMAGE_SERVER_URL: `http://127.0.0.1:${ imagePort }`,
	} );

	const teardown = async () => {
		control.close();
		images.close();
		await stack.stop();
	};
	try {
		// A fresh site each run: yesterday's cookies are worthless, log in again and save the state.
		const storageStatePath = process.env.STORAGE_STATE_PATH as string;
		fs.rmSync( storageStatePath, { force: true } );
		const requestUtils = await RequestUtils.setup( {
			baseURL: stack.wpUrl,
			user: { username: stack.admin.user, password: stack.admin.password },
			storageStatePath,
		} );
		await requestUtils.setupRest();
	} catch ( error ) {
		// Playwright runs no teardown after a failed setup: stop the servers here, or they outlive the run.
		await teardown();
		throw error;
	}
	return teardown;
}

/**
 * IGNY8_FROM_RELEASE=1 (the nginx + PHP-FPM instance of scripts/test.ts): the site gets dist/'s plugin zip, and the
 * sidecar is installed from dist/'s tarball into a fresh prefix (`npm install -g`), run by plain node with its
 * systemd unit's environment. `npm run release` must have written dist/ (scripts/test.ts runs it first).
 */
async function releaseArtifacts(): Promise< { pluginZip: string; sidecarEntry: string; unitFile: string } > {
	const version = releaseVersion();
	const pluginZip = path.join( ROOT, 'dist', `igny8-bridge-${ version }.zip` );
	const tgz = path.join( ROOT, 'dist', `igny8-bridge-sidecar-${ version }.tgz` );
	for ( const file of [ pluginZip, tgz ] ) {
		if ( ! fs.existsSync( file ) ) {
			throw new Error( `IGNY8_FROM_RELEASE=1 needs ${ path.relative( ROOT, file ) }: run npm run release first` );
		}
	}
	const prefix = path.join( `${ process.env.WP_STATE_DIR }-sidecar-prefix` );
	fs.rmSync( prefix, { recursive: true, force: true } );
	const installed = await installSidecarTarball( tgz, prefix );
	process.stdout.write( `[stack] sidecar ${ version } installed from ${ path.relative( ROOT, tgz ) } into ${ prefix } (${ installed.seconds.toFixed( 1 ) } s)\n` );
	const unitFile = path.join( path.dirname( path.dirname( installed.entry ) ), 'systemd/igny8-sidecar.service' );
	return { pluginZip, sidecarEntry: installed.entry, unitFile };
}
