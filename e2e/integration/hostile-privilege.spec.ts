/**
 * Privilege attacks from inside WordPress (issue #12): what a logged-in contributor, author, editor or even
 * administrator can do to IGNY8's identity and state through core paths, and what an account that exists before
 * the plugin does can gain. Everything runs against the real WordPress of the stack; only IGNY8 is simulated.
 */
import { expect, test } from '@playwright/test';

import { stack, wpEval } from '../support/stack';

function evalJson< T >( php: string ): T {
	const out = wpEval( `echo wp_json_encode( ( function () { ${ php } } )() );` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? 'null' ) as T;
}

type Role = 'contributor' | 'author' | 'editor' | 'administrator';
interface Actor {
	id: number;
	login: string;
	auth: string;
}

/** A fresh user of this role with an application password (core REST and XML-RPC auth). */
function makeActor( role: Role ): Actor {
	const login = `e2e-${ role }-${ Math.random().toString( 36 ).slice( 2, 8 ) }`;
	const { id, password } = evalJson< { id: number; password: string } >( `
		$id = wp_insert_user( array( 'user_login' => '${ login }', 'user_pass' => wp_generate_password( 24 ), 'user_email' => '${ login }@example.test', 'role' => '${ role }' ) );
		list( $pw ) = WP_Application_Passwords::create_new_application_password( $id, array( 'name' => 'e2e' ) );
		return array( 'id' => $id, 'password' => $pw );
	` );
	return { id, login, auth: 'Basic ' + Buffer.from( `${ login }:${ password }` ).toString( 'base64' ) };
}

/** A post of this author and status, with optional IGNY8 meta written directly (as our executor would). */
function makePost( author: number, status: string, meta: Record< string, string | number > = {} ): number {
	return evalJson< number >( `
		$id = wp_insert_post( array( 'post_title' => 'Privilege test', 'post_content' => 'x', 'post_status' => '${ status }', 'post_author' => ${ author } ) );
		foreach ( json_decode( ${ JSON.stringify( JSON.stringify( meta ) ) }, true ) as $k => $v ) { update_post_meta( $id, $k, $v ); }
		return $id;
	` );
}

/** Every `_igny8_*` meta row of the post, straight from the database. */
function igny8Meta( postId: number ): Record< string, string > {
	return evalJson< Record< string, string > >( `
		global $wpdb;
		$out = array();
		foreach ( $wpdb->get_results( $wpdb->prepare( "SELECT meta_key, meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key LIKE %s", ${ postId }, '\\\\_igny8\\\\_%' ) ) as $row ) { $out[ $row->meta_key ] = $row->meta_value; }
		return (object) $out;
	` );
}

async function rest( actor: Actor, path: string, body: unknown ) {
	const res = await fetch( `${ stack.wpUrl }/wp-json${ path }`, {
		method: 'POST',
		headers: { Authorization: actor.auth, 'Content-Type': 'application/json' },
		body: JSON.stringify( body ),
		signal: AbortSignal.timeout( 30_000 ),
	} );
	return { status: res.status, text: await res.text() };
}

/** wp.editPost over XML-RPC with custom fields (the other core path that writes meta). */
async function xmlrpcEditPost( actor: Actor, password: string, postId: number, fields: Record< string, string > ) {
	const members = Object.entries( fields )
		.map( ( [ key, value ] ) => `<value><struct><member><name>key</name><value><string>${ key }</string></value></member><member><name>value</name><value><string>${ value }</string></value></member></struct></value>` )
		.join( '' );
	const xml = `<?xml version="1.0"?><methodCall><methodName>wp.editPost</methodName><params>
		<param><value><int>1</int></value></param><param><value><string>${ actor.login }</string></value></param>
		<param><value><string>${ password }</string></value></param><param><value><int>${ postId }</int></value></param>
		<param><value><struct><member><name>custom_fields</name><value><array><data>${ members }</data></array></value></member></struct></value></param>
		</params></methodCall>`;
	const res = await fetch( `${ stack.wpUrl }/xmlrpc.php`, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: xml, signal: AbortSignal.timeout( 30_000 ) } );
	return res.text();
}

const ATTACK = { _igny8_task_id: 424242, _igny8_content_id: 434343, _igny8_keyword_ids: '[1,2,3]', _igny8_sync_state: 'synced' };

test.describe( 'item 1: no role can write _igny8_* meta through core REST or XML-RPC', () => {
	const cases: Array< [ Role, string ] > = [
		[ 'contributor', 'draft' ],
		[ 'author', 'publish' ],
		[ 'editor', 'publish' ],
		[ 'administrator', 'publish' ],
	];
	for ( const [ role, status ] of cases ) {
		test( `${ role }: POST /wp/v2/posts/<own post> {meta:{_igny8_task_id,…}} writes nothing`, async () => {
			const actor = makeActor( role );
			const postId = makePost( actor.id, status );
			const r = await rest( actor, `/wp/v2/posts/${ postId }`, { title: 'edited', meta: ATTACK } );
			expect( igny8Meta( postId ), r.text.slice( 0, 300 ) ).toEqual( {} );
			// A new post with the meta in the create call: the same.
			const created = await rest( actor, '/wp/v2/posts', { title: 'created', status, meta: ATTACK } );
			const createdId = ( JSON.parse( created.text ) as { id?: number } ).id ?? 0;
			if ( createdId > 0 ) {
				expect( igny8Meta( createdId ), created.text.slice( 0, 300 ) ).toEqual( {} );
			}
		} );
	}

	test( 'editor: cannot unmanage or re-point a post IGNY8 published (change or delete its identity meta)', async () => {
		const actor = makeActor( 'editor' );
		const postId = makePost( actor.id, 'publish', { _igny8_content_id: 515151, _igny8_task_id: 525252 } );
		const r = await rest( actor, `/wp/v2/posts/${ postId }`, { meta: { _igny8_content_id: null, _igny8_task_id: 1 } } );
		// (The post is managed, so its sync state may gain write-back keys; its identity must not change.)
		expect( igny8Meta( postId ), r.text.slice( 0, 300 ) ).toMatchObject( { _igny8_content_id: '515151', _igny8_task_id: '525252' } );
	} );

	test( 'editor: wp.editPost custom_fields over XML-RPC writes nothing', async () => {
		const actor = makeActor( 'editor' );
		const password = evalJson< string >( `list( $pw ) = WP_Application_Passwords::create_new_application_password( ${ actor.id }, array( 'name' => 'xmlrpc' ) ); return $pw;` );
		const postId = makePost( actor.id, 'publish' );
		const reply = await xmlrpcEditPost( actor, password, postId, { _igny8_task_id: '616161', _igny8_content_id: '626262' } );
		expect( igny8Meta( postId ), reply.slice( 0, 400 ) ).toEqual( {} );
	} );

	test( 'reads stay: the edit context still shows the IGNY8 meta, and an ordinary save still works', async () => {
		const actor = makeActor( 'editor' );
		const postId = makePost( actor.id, 'publish', { _igny8_content_id: 717171 } );
		const res = await fetch( `${ stack.wpUrl }/wp-json/wp/v2/posts/${ postId }?context=edit&_fields=meta`, { headers: { Authorization: actor.auth } } );
		const body = ( await res.json() ) as { meta: Record< string, unknown > };
		expect( body.meta._igny8_content_id ).toBe( 717171 );
		// The block editor sends the whole meta object it read (plus its edit) on any meta change: the unchanged
		// _igny8_* values must not fail the save, and nothing of ours is written by it.
		const save = await rest( actor, `/wp/v2/posts/${ postId }`, { title: 'ordinary save', meta: body.meta } );
		expect( save.status, save.text ).toBe( 200 );
		expect( igny8Meta( postId ) ).toMatchObject( { _igny8_content_id: '717171' } );
		expect( Object.keys( igny8Meta( postId ) ) ).not.toContain( '_igny8_task_id' );
		// The same echo with one _igny8_* value changed is refused, and the change is not written.
		const changed = await rest( actor, `/wp/v2/posts/${ postId }`, { meta: { ...body.meta, _igny8_task_id: 727272 } } );
		expect( changed.status, changed.text.slice( 0, 300 ) ).toBe( 403 );
		expect( Object.keys( igny8Meta( postId ) ) ).not.toContain( '_igny8_task_id' );
	} );
} );
