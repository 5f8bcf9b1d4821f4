/**
 * IGNY8 simulator: a test double of the remote IGNY8 SaaS (the only test double the project allows).
 *
 * Implements the endpoints the bridge calls (SPEC §6), records every request it receives, and lets tests
 * inject faults through the /__sim control API. Run standalone with `tsx simulator/src/server.ts`.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';

import { SimAuth } from './auth.js';
import { type Fault, FaultBook } from './faults.js';

export interface ReceivedRequest {
	at: number;
	method: string;
	path: string;
	auth: string | undefined;
	body: unknown;
}

export interface SimulatorOptions {
	port?: number;
	host?: string;
	email?: string;
	password?: string;
	apiKey?: string;
	accessTtlSeconds?: number;
	siteId?: number;
}

export interface Simulator {
	url: string;
	auth: SimAuth;
	faults: FaultBook;
	received: ReceivedRequest[];
	/** Latest task state per task id, as IGNY8 would store it. */
	tasks: Map< string, Record< string, unknown > >;
	/** Latest content reported from WordPress per content id (`PUT /writer/content/{id}/`, webhook `content_updated`). */
	contents: Map< string, Record< string, unknown > >;
	close(): Promise< void >;
}

const ok = ( data: unknown ) => ( { success: true, data } );
const fail = ( error: string, code: string ) => ( { success: false, error, code } );

export function createSimulatorApp( options: SimulatorOptions = {} ) {
	const auth = new SimAuth(
		{ email: options.email ?? 'dev@igny8.test', password: options.password ?? 'igny8-dev-password' },
		options.apiKey ?? '',
		options.accessTtlSeconds ?? 900
	);
	const faults = new FaultBook();
	const received: ReceivedRequest[] = [];
	const tasks = new Map< string, Record< string, unknown > >();
	const terms = new Map< string, Record< string, unknown > >();
	const structures = new Map< string, Record< string, unknown > >();
	const contents = new Map< string, Record< string, unknown > >();
	const briefs = new Map< string, unknown >();
	const siteId = options.siteId ?? 7;

	const app = express();
	app.disable( 'x-powered-by' );
	app.use( express.json( { limit: '2mb' } ) );

	// Control API for tests; never recorded, never faulted.
	const control = express.Router();
	control.post( '/reset', ( _req, res ) => {
		faults.clear();
		received.length = 0;
		tasks.clear();
		terms.clear();
		structures.clear();
		contents.clear();
		briefs.clear();
		auth.accessTtlSeconds = options.accessTtlSeconds ?? 900;
		auth.authCalls = 0;
		res.json( ok( {} ) );
	} );
	control.post( '/faults', ( req, res ) => {
		faults.add( req.body as Fault );
		res.json( ok( {} ) );
	} );
	control.delete( '/faults', ( _req, res ) => {
		faults.clear();
		res.json( ok( {} ) );
	} );
	control.post( '/config', ( req, res ) => {
		const body = req.body as { accessTtlSeconds?: number; apiKey?: string };
		if ( typeof body.accessTtlSeconds === 'number' ) {
			auth.accessTtlSeconds = body.accessTtlSeconds;
		}
		if ( typeof body.apiKey === 'string' ) {
			auth.apiKey = body.apiKey;
		}
		res.json( ok( {} ) );
	} );
	control.post( '/revoke-refresh-tokens', ( _req, res ) => {
		auth.revokeAllRefreshTokens();
		res.json( ok( {} ) );
	} );
	control.get( '/received', ( req, res ) => {
		const prefix = typeof req.query.path === 'string' ? req.query.path : '';
		res.json( ok( received.filter( ( r ) => r.path.startsWith( prefix ) ) ) );
	} );
	control.get( '/tasks', ( _req, res ) => {
		res.json( ok( Object.fromEntries( tasks ) ) );
	} );
	// Seed a task as IGNY8 holds it (e.g. with keyword_ids), and its brief.
	control.post( '/tasks/:id', ( req, res ) => {
		const id = String( req.params.id );
		tasks.set( id, { id: Number( id ), ...( req.body as object ) } );
		res.json( ok( tasks.get( id ) ) );
	} );
	control.post( '/briefs/:id', ( req, res ) => {
		briefs.set( String( req.params.id ), req.body );
		res.json( ok( {} ) );
	} );
	control.get( '/terms', ( _req, res ) => {
		res.json( ok( Object.fromEntries( terms ) ) );
	} );
	control.get( '/structures', ( _req, res ) => {
		res.json( ok( Object.fromEntries( structures ) ) );
	} );
	control.get( '/contents', ( _req, res ) => {
		res.json( ok( Object.fromEntries( contents ) ) );
	} );
	app.use( '/__sim', control );

	// Record, then apply any injected fault.
	app.use( async ( req: Request, res: Response, next: NextFunction ) => {
		received.push( {
			at: Date.now(),
			method: req.method,
			path: req.path,
			auth: req.headers.authorization,
			body: req.body,
		} );
		const fault = faults.take( req.method, req.path );
		if ( fault?.delayMs ) {
			await new Promise( ( resolve ) => setTimeout( resolve, fault.delayMs ) );
		}
		if ( fault?.status ) {
			if ( fault.retryAfter !== undefined ) {
				res.set( 'Retry-After', String( fault.retryAfter ) );
			}
			res.status( fault.status ).json( fail( `Injected fault ${ fault.status }`, 'SIMULATED_FAULT' ) );
			return;
		}
		next();
	} );

	const requireAuth = ( allowApiKey: boolean ) => async ( req: Request, res: Response, next: NextFunction ) => {
		if ( await auth.authorize( req.headers.authorization, allowApiKey ) ) {
			next();
			return;
		}
		res.status( 401 ).json( fail( 'Authentication credentials were not provided or are invalid.', 'UNAUTHORIZED' ) );
	};

	const api = express.Router();
	api.post( '/auth/login/', async ( req, res ) => {
		auth.authCalls += 1;
		const body = ( req.body ?? {} ) as { email?: unknown; password?: unknown };
		if ( ! auth.checkPassword( body.email, body.password ) ) {
			res.status( 401 ).json( fail( 'Invalid email or password.', 'INVALID_CREDENTIALS' ) );
			return;
		}
		res.json( ok( { user: { email: auth.user.email }, ...( await auth.issue() ) } ) );
	} );
	const refresh = async ( req: Request, res: Response ) => {
		auth.authCalls += 1;
		const tokens = await auth.refresh( ( req.body as { refresh?: unknown } | undefined )?.refresh );
		if ( ! tokens ) {
			res.status( 401 ).json( fail( 'Token is invalid or expired', 'TOKEN_INVALID' ) );
			return;
		}
		res.json( ok( tokens ) );
	};
	api.post( '/auth/token/refresh/', refresh );
	api.post( '/auth/refresh/', refresh );
	api.get( '/auth/sites/', requireAuth( true ), ( _req, res ) => {
		res.json( ok( { count: 1, results: [ { id: siteId, name: 'Simulated site', platform: 'wordpress' } ] } ) );
	} );

	api.get( '/writer/tasks/:id/', requireAuth( false ), ( req, res ) => {
		const task = tasks.get( String( req.params.id ) );
		if ( ! task ) {
			res.status( 404 ).json( fail( 'Task not found', 'NOT_FOUND' ) );
			return;
		}
		res.json( ok( task ) );
	} );
	api.get( '/writer/tasks/:id/brief/', requireAuth( false ), ( req, res ) => {
		const brief = briefs.get( String( req.params.id ) );
		if ( brief === undefined ) {
			res.status( 404 ).json( fail( 'No brief for this task', 'NOT_FOUND' ) );
			return;
		}
		res.json( ok( brief ) );
	} );
	api.put( '/writer/tasks/:id/', requireAuth( false ), ( req, res ) => {
		const id = String( req.params.id );
		const task = { id: Number( id ), ...tasks.get( id ), ...( req.body as object ), updated_at: new Date().toISOString() };
		tasks.set( id, task );
		res.json( ok( task ) );
	} );
	api.put( '/planner/keywords/bulk-update/', requireAuth( false ), ( req, res ) => {
		const ids = ( req.body as { keyword_ids?: unknown } ).keyword_ids;
		res.json( ok( { updated_count: Array.isArray( ids ) ? ids.length : 0 } ) );
	} );
	/** A WordPress edit of a content (issue #13 §4): the latest version per content id, as IGNY8 would keep it. */
	const contentProblem = ( body: Record< string, unknown > ): string | undefined => {
		if ( typeof body.title !== 'string' || typeof body.content_html !== 'string' ) {
			return 'title and content_html are required.';
		}
		if ( body.content_html.includes( '<!-- wp:' ) ) {
			return 'content_html must be HTML, without block delimiters.';
		}
		if ( body.source !== 'wordpress' || typeof body.wordpress_modified_at !== 'string' ) {
			return 'source "wordpress" and wordpress_modified_at are required.';
		}
		return undefined;
	};
	api.put( '/writer/content/:id/', requireAuth( false ), ( req, res ) => {
		const body = ( req.body ?? {} ) as Record< string, unknown >;
		const problem = contentProblem( body );
		if ( problem !== undefined ) {
			res.status( 400 ).json( fail( problem, 'VALIDATION_ERROR' ) );
			return;
		}
		const id = String( req.params.id );
		const content = { id: Number( id ), ...contents.get( id ), ...body, updated_at: new Date().toISOString() };
		contents.set( id, content );
		res.json( ok( content ) );
	} );
	const webhook = ( req: Request, res: Response ) => {
		const body = req.body as { task_id?: unknown; event?: unknown; content_id?: unknown };
		if ( body.event === 'content_updated' ) {
			const problem = contentProblem( req.body as Record< string, unknown > );
			if ( problem !== undefined || ( typeof body.content_id !== 'number' && typeof body.content_id !== 'string' ) ) {
				res.status( 400 ).json( fail( problem ?? 'content_id is required.', 'VALIDATION_ERROR' ) );
				return;
			}
			const id = String( body.content_id );
			contents.set( id, { id: Number( id ), ...contents.get( id ), ...( req.body as object ), updated_at: new Date().toISOString() } );
			res.json( ok( { received: true } ) );
			return;
		}
		if ( body.task_id !== undefined && body.task_id !== null ) {
			const id = String( body.task_id );
			tasks.set( id, { id: Number( id ), ...tasks.get( id ), ...( req.body as object ) } );
		}
		res.json( ok( { received: true } ) );
	};
	api.post( '/integration/webhook/wordpress/', requireAuth( true ), webhook );
	api.post( '/integration/webhooks/wordpress/status/', requireAuth( true ), webhook );
	// Taxonomy changes (SPEC §6): the latest report per WordPress term id, as IGNY8 would keep it.
	api.post( '/integration/webhooks/wordpress/metadata/', requireAuth( true ), ( req, res ) => {
		const body = ( req.body ?? {} ) as { event?: unknown; term_id?: unknown };
		if ( typeof body.event !== 'string' || ( typeof body.term_id !== 'number' && typeof body.term_id !== 'string' ) ) {
			res.status( 400 ).json( fail( 'event and term_id are required.', 'VALIDATION_ERROR' ) );
			return;
		}
		terms.set( String( body.term_id ), { ...( req.body as object ), received_at: new Date().toISOString() } );
		res.json( ok( { received: true } ) );
	} );
	// Site structure import (SPEC §6): the latest structure per IGNY8 site id.
	api.post( '/system/sites/:siteId/import/', requireAuth( true ), ( req, res ) => {
		const body = ( req.body ?? {} ) as { site_info?: unknown; post_types?: unknown; taxonomies?: unknown };
		if ( typeof body.site_info !== 'object' || ! Array.isArray( body.post_types ) || ! Array.isArray( body.taxonomies ) ) {
			res.status( 400 ).json( fail( 'site_info, post_types and taxonomies are required.', 'VALIDATION_ERROR' ) );
			return;
		}
		structures.set( String( req.params.siteId ), { ...( req.body as object ), imported_at: new Date().toISOString() } );
		res.json( ok( { imported: true, site_id: Number( req.params.siteId ) || req.params.siteId } ) );
	} );
	app.use( '/api/v1', api );

	app.use( ( _req, res ) => {
		res.status( 404 ).json( fail( 'Not found', 'NOT_FOUND' ) );
	} );

	return { app, auth, faults, received, tasks, contents };
}

export async function startSimulator( options: SimulatorOptions = {} ): Promise< Simulator > {
	const parts = createSimulatorApp( options );
	const server: Server = await new Promise( ( resolve, reject ) => {
		const s = parts.app.listen( options.port ?? 0, options.host ?? '127.0.0.1', () => resolve( s ) );
		s.once( 'error', reject );
	} );
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${ port }`,
		auth: parts.auth,
		faults: parts.faults,
		received: parts.received,
		tasks: parts.tasks,
		contents: parts.contents,
		close: () => new Promise( ( resolve ) => server.close( () => resolve() ) ),
	};
}

if ( import.meta.url === `file://${ process.argv[ 1 ] }` ) {
	const sim = await startSimulator( {
		port: Number( process.env.SIMULATOR_PORT ?? 8790 ),
		apiKey: process.env.IGNY8_API_KEY ?? '',
		email: process.env.IGNY8_SIM_EMAIL,
		password: process.env.IGNY8_SIM_PASSWORD,
	} );
	process.stdout.write( `IGNY8 simulator listening on ${ sim.url }\n` );
	const stop = () => void sim.close().then( () => process.exit( 0 ) );
	process.on( 'SIGTERM', stop );
	process.on( 'SIGINT', stop );
}
