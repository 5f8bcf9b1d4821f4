/**
 * Issue #14 §1, the shim side of the activity log: `GET /igny8/v1/activity` is for administrators only, and with
 * IGNY8_DEBUG defined, the shim writes one line per proxied call to debug.log (route, ms, HTTP
 * status, outcome, request id), and never the API key; without it, nothing.
 */
import { randomUUID } from 'node:crypto';

import { expect, test } from '@playwright/test';

import { stack, wpEval } from '../support/stack';

/** Two proxied calls in one php-cli bootstrap: an IGNY8 lookup with the API key, and the admin's activity page. */
function calls( debug: boolean, ids: [ string, string ] ): void {
	wpEval( `
		${ debug ? "define( 'IGNY8_DEBUG', true );" : '' }
		$lookup = new WP_REST_Request( 'GET', '/igny8/v1/post-by-content-id/987654321' );
		$lookup->set_header( 'X-IGNY8-API-KEY', ${ JSON.stringify( stack.apiKey ) } );
		$lookup->set_header( 'X-Request-ID', '${ ids[ 0 ] }' );
		rest_do_request( $lookup );
		wp_set_current_user( 1 );
		$page = new WP_REST_Request( 'GET', '/igny8/v1/activity' );
		$page->set_query_params( array( 'per_page' => '1' ) );
		$page->set_header( 'X-Request-ID', '${ ids[ 1 ] }' );
		rest_do_request( $page );
	` );
}

const linesFor = ( ids: string[] ) =>
	stack
		.readLog( 'debug' )
		.split( '\n' )
		.filter( ( line ) => line.includes( 'IGNY8 Bridge debug:' ) && ids.some( ( id ) => line.includes( id ) ) );

test( 'IGNY8_DEBUG: one debug.log line per proxied call with route, ms, status, outcome and request id; never the key', async () => {
	const ids: [ string, string ] = [ randomUUID(), randomUUID() ];
	calls( true, ids );
	const lines = linesFor( ids );
	expect( lines ).toHaveLength( 2 );
	expect( lines[ 0 ] ).toMatch( new RegExp( `IGNY8 Bridge debug: GET /igny8/v1/post-by-content-id/987654321 \\d+ms 404 POST_NOT_FOUND request_id=${ ids[ 0 ] }$` ) );
	expect( lines[ 1 ] ).toMatch( new RegExp( `IGNY8 Bridge debug: GET /igny8/v1/activity \\d+ms 200 ok request_id=${ ids[ 1 ] }$` ) );
	expect( stack.readLog( 'debug' ) ).not.toContain( stack.apiKey );

	const quiet: [ string, string ] = [ randomUUID(), randomUUID() ];
	calls( false, quiet );
	expect( linesFor( quiet ) ).toEqual( [] );
} );

test( 'the activity route answers administrators only: an editor and an anonymous caller are refused, nothing leaks', async () => {
	const out = wpEval( `
		$editor = get_user_by( 'login', 'activity-editor' );
		$editor_id = $editor ? $editor->ID : wp_insert_user( array( 'user_login' => 'activity-editor', 'user_pass' => wp_generate_password(), 'role' => 'editor' ) );
		$answers = array();
		foreach ( array( 0, $editor_id, 1 ) as $user ) {
			wp_set_current_user( $user );
			$response = rest_do_request( new WP_REST_Request( 'GET', '/igny8/v1/activity' ) );
			$data = json_decode( (string) wp_json_encode( $response->get_data() ), true );
			$answers[] = array( 'status' => $response->get_status(), 'success' => $data['success'] ?? null, 'rows' => isset( $data['data']['rows'] ) );
		}
		echo wp_json_encode( $answers );
	` );
	const [ anonymous, editor, admin ] = JSON.parse( out.trim().split( '\n' ).pop() as string ) as Array< { status: number; success: boolean; rows: boolean } >;
	expect( [ 401, 403 ] ).toContain( anonymous?.status );
	expect( anonymous ).toMatchObject( { success: false, rows: false } );
	expect( editor ).toMatchObject( { status: 403, success: false, rows: false } );
	expect( admin ).toMatchObject( { status: 200, success: true, rows: true } );
} );
