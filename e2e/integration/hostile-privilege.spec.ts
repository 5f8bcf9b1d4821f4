/**
 * Privilege attacks from inside WordPress (issue #12): what a logged-in contributor, author, editor or even
 * administrator can do to IGNY8's identity and state through core paths, and what an account that exists before
 * the plugin does can gain. Everything runs against the real WordPress of the stack; only IGNY8 is simulated.
 */
import { expect, test } from '@playwright/test';

import { payloadA, publish, sampleContent } from '../../simulator/src/publisher';
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

interface IntegrationState {
	id: number;
	login: string;
	roles: string[];
}
const integrationUser = () =>
	evalJson< IntegrationState >( `
		$id = (int) get_option( 'igny8_integration_user_id' );
		$u = get_userdata( $id );
		return array( 'id' => $id, 'login' => $u ? $u->user_login : '', 'roles' => $u ? array_values( $u->roles ) : array() );
	` );
const rolesOf = ( id: number ) => evalJson< string[] >( `$u = get_userdata( ${ id } ); return $u ? array_values( $u->roles ) : array();` );
const sessionsOf = ( id: number ) => evalJson< number >( `return count( WP_Session_Tokens::get_instance( ${ id } )->get_all() );` );

/** A publish through the public API, as IGNY8 does: the executor runs it as the integration user. */
async function publishAs(): Promise< number > {
	const contentId = 900_000 + Math.floor( Math.random() * 90_000 );
	const reply = await publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( contentId, { title: 'Integration user test' } ) ) );
	const postId = ( reply.body as { data?: { post_id?: number } } ).data?.post_id;
	expect( typeof postId, JSON.stringify( reply.body ) ).toBe( 'number' );
	return postId as number;
}
const authorOf = ( postId: number ) => evalJson< number >( `return (int) get_post( ${ postId } )->post_author;` );

test.describe( 'item 2: the integration user is never an account the plugin did not create', () => {
	test( 'its login cannot be guessed (not the fixed igny8-integration)', () => {
		const user = integrationUser();
		expect( user.id ).toBeGreaterThan( 0 );
		expect( user.roles ).toEqual( [ 'igny8_integration' ] );
		expect( user.login ).not.toBe( 'igny8-integration' );
		expect( user.login ).toMatch( /^igny8-integration-[0-9a-f]{16,}$/ );
	} );

	test( 'an account registered under the old fixed login after the user was deleted is not adopted', async () => {
		const before = integrationUser();
		// The admin deletes the integration user; an open-registration visitor takes the login at once.
		wpEval( `require_once ABSPATH . 'wp-admin/includes/user.php'; wp_delete_user( ${ before.id }, 1 );` );
		const attacker = evalJson< number >(
			`return wp_insert_user( array( 'user_login' => 'igny8-integration', 'user_pass' => 'attacker-pass-123', 'user_email' => 'igny8-integration@invalid.local', 'role' => 'subscriber' ) );`
		);
		expect( attacker ).toBeGreaterThan( 0 );
		const postId = await publishAs();
		const after = integrationUser();
		expect( rolesOf( attacker ) ).toEqual( [ 'subscriber' ] );
		expect( after.id ).not.toBe( attacker );
		expect( after.id ).toBeGreaterThan( 0 );
		expect( after.roles ).toEqual( [ 'igny8_integration' ] );
		expect( authorOf( postId ) ).not.toBe( attacker );
		wpEval( `require_once ABSPATH . 'wp-admin/includes/user.php'; wp_delete_user( ${ attacker }, 1 );` );
	} );

	test( 'an account recorded as the integration user without the plugin\'s marker is replaced, stripped and logged out', async () => {
		// What an older version left behind after adopting someone's account: the id option points at it, it has
		// the role, and its owner holds a live session.
		const adopted = evalJson< number >( `
			$id = wp_insert_user( array( 'user_login' => 'e2e-adopted-' . wp_generate_password( 6, false ), 'user_pass' => 'attacker-pass-123', 'user_email' => 'adopted-' . wp_generate_password( 6, false ) . '@example.test', 'role' => 'igny8_integration' ) );
			WP_Session_Tokens::get_instance( $id )->create( time() + 3600 );
			update_option( 'igny8_integration_user_id', $id );
			return $id;
		` );
		expect( sessionsOf( adopted ) ).toBe( 1 );
		const postId = await publishAs();
		const after = integrationUser();
		expect( after.id ).not.toBe( adopted );
		expect( after.roles ).toEqual( [ 'igny8_integration' ] );
		expect( authorOf( postId ) ).not.toBe( adopted );
		expect( rolesOf( adopted ) ).not.toContain( 'igny8_integration' );
		expect( sessionsOf( adopted ) ).toBe( 0 );
	} );

	test( 'no session can act as the integration user (an auth cookie for it is not honoured)', async () => {
		await publishAs();
		const { id, login } = integrationUser();
		const { name, value } = evalJson< { name: string; value: string } >( `
			$exp = time() + 3600;
			$token = WP_Session_Tokens::get_instance( ${ id } )->create( $exp );
			return array( 'name' => AUTH_COOKIE, 'value' => wp_generate_auth_cookie( ${ id }, $exp, 'auth', $token ) );
		` );
		const res = await fetch( `${ stack.wpUrl }/wp-admin/profile.php`, { headers: { Cookie: `${ name }=${ value }` }, redirect: 'manual', signal: AbortSignal.timeout( 30_000 ) } );
		// Sent to the login page, or refused as nobody: never the account's profile (200 before the fix).
		expect( [ 302, 403 ] ).toContain( res.status );
		expect( await res.text() ).not.toContain( login );
	} );
} );
