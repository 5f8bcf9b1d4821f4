/**
 * SEO plugins (SPEC §10, #13 §3): Yoast, Rank Math and SEOPress read post meta; AIOSEO 4 reads its own
 * `{prefix}aioseo_posts` table. With that table present (AIOSEO 4's schema, created here in the real database:
 * SQLite through the drop-in, or MariaDB), a publish writes one row per post and a republish updates it in place,
 * while the meta keys of the other three stay as they were.
 */
import { expect, test } from '@playwright/test';

import { payloadA, publish, sampleContent } from '../../simulator/src/publisher';
import { stack, wpEval } from '../support/stack';
import { readPost } from '../support/wordpress';

/** AIOSEO 4's `aioseo_posts` columns (as its migrations create them; its 4.x releases add columns, never rename). */
const AIOSEO_POSTS_COLUMNS = [
	'id bigint(20) unsigned NOT NULL AUTO_INCREMENT',
	'post_id bigint(20) unsigned NOT NULL',
	'title text DEFAULT NULL',
	'description text DEFAULT NULL',
	'keywords mediumtext DEFAULT NULL',
	'keyphrases longtext DEFAULT NULL',
	'page_analysis longtext DEFAULT NULL',
	'canonical_url text DEFAULT NULL',
	'og_title text DEFAULT NULL',
	'og_description text DEFAULT NULL',
	"og_object_type varchar(64) DEFAULT 'default'",
	"og_image_type varchar(64) DEFAULT 'default'",
	'og_image_custom_url text DEFAULT NULL',
	'og_image_custom_fields text DEFAULT NULL',
	'og_custom_image_width int(11) DEFAULT NULL',
	'og_custom_image_height int(11) DEFAULT NULL',
	'og_video varchar(255) DEFAULT NULL',
	'og_custom_url text DEFAULT NULL',
	'og_article_section text DEFAULT NULL',
	'og_article_tags text DEFAULT NULL',
	'twitter_use_og tinyint(1) DEFAULT 1',
	"twitter_card varchar(64) DEFAULT 'default'",
	"twitter_image_type varchar(64) DEFAULT 'default'",
	'twitter_image_custom_url text DEFAULT NULL',
	'twitter_image_custom_fields text DEFAULT NULL',
	'twitter_title text DEFAULT NULL',
	'twitter_description text DEFAULT NULL',
	'seo_score int(11) NOT NULL DEFAULT 0',
	'schema_type varchar(20) DEFAULT NULL',
	'schema_type_options longtext DEFAULT NULL',
	'pillar_content tinyint(1) DEFAULT NULL',
	'robots_default tinyint(1) NOT NULL DEFAULT 1',
	'robots_noindex tinyint(1) NOT NULL DEFAULT 0',
	'robots_noarchive tinyint(1) NOT NULL DEFAULT 0',
	'robots_nosnippet tinyint(1) NOT NULL DEFAULT 0',
	'robots_nofollow tinyint(1) NOT NULL DEFAULT 0',
	'robots_noimageindex tinyint(1) NOT NULL DEFAULT 0',
	'robots_noodp tinyint(1) NOT NULL DEFAULT 0',
	'robots_notranslate tinyint(1) NOT NULL DEFAULT 0',
	'robots_max_snippet int(11) DEFAULT NULL',
	'robots_max_videopreview int(11) DEFAULT NULL',
	"robots_max_imagepreview varchar(20) DEFAULT 'none'",
	'tabs mediumtext DEFAULT NULL',
	'images longtext DEFAULT NULL',
	'priority tinytext DEFAULT NULL',
	'frequency tinytext DEFAULT NULL',
	'videos longtext DEFAULT NULL',
	'video_thumbnail text DEFAULT NULL',
	'video_scan_date datetime DEFAULT NULL',
	'local_seo longtext DEFAULT NULL',
	'created datetime NOT NULL',
	'updated datetime NOT NULL',
];

type Row = { id: string; post_id: string; title: string; description: string; keyphrases: string; created: string; updated: string; seo_score: string; robots_default: string };

function aioseoRows( postId: number ): Row[] {
	const out = wpEval( `global $wpdb; echo wp_json_encode( $wpdb->get_results( $wpdb->prepare( "SELECT * FROM {$wpdb->prefix}aioseo_posts WHERE post_id = %d", ${ postId } ), ARRAY_A ) );` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? '[]' ) as Row[];
}

test.describe( 'SEO plugins', () => {
	test.beforeAll( () => {
		const ddl = `CREATE TABLE IF NOT EXISTS {$wpdb->prefix}aioseo_posts ( ${ AIOSEO_POSTS_COLUMNS.join( ', ' ) }, PRIMARY KEY (id), KEY ndx_aioseo_posts_post_id (post_id) ) {$wpdb->get_charset_collate()}`;
		wpEval( `global $wpdb; $wpdb->query( ${ JSON.stringify( ddl ) } ); if ( $wpdb->last_error ) { throw new Exception( $wpdb->last_error ); }` );
	} );
	test.afterAll( () => {
		wpEval( `global $wpdb; $wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}aioseo_posts" );` );
	} );

	test( 'AIOSEO 4: one aioseo_posts row per post, updated in place on republish; Yoast, Rank Math and SEOPress keys as before', async () => {
		const id = 700_000 + Math.floor( Math.random() * 99_000 );
		const first = sampleContent( id, { metaTitle: 'First SEO title', metaDescription: 'First description', primaryKeyword: 'main phrase', secondaryKeywords: [ 'second phrase', 'third "quoted"' ] } );
		const r1 = await publish( stack.wpUrl, stack.apiKey, payloadA( first ) );
		expect( r1.status ).toBe( 201 );
		const postId = ( r1.body as { data: { post_id: number } } ).data.post_id;

		const [ row, ...extra ] = aioseoRows( postId );
		expect( extra ).toEqual( [] );
		expect( row ).toMatchObject( { post_id: String( postId ), title: 'First SEO title', description: 'First description' } );
		expect( JSON.parse( row!.keyphrases ) ).toEqual( { focus: { keyphrase: 'main phrase' }, additional: [ { keyphrase: 'second phrase' }, { keyphrase: 'third "quoted"' } ] } );
		expect( row!.created ).toMatch( /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/ );
		// AIOSEO's own columns keep their defaults.
		expect( row ).toMatchObject( { seo_score: '0', robots_default: '1' } );

		const meta = ( c: typeof first ) => ( {
			_yoast_wpseo_title: c.metaTitle,
			_yoast_wpseo_metadesc: c.metaDescription,
			_yoast_wpseo_focuskw: c.primaryKeyword,
			rank_math_title: c.metaTitle,
			rank_math_description: c.metaDescription,
			rank_math_focus_keyword: [ c.primaryKeyword, ...( c.secondaryKeywords ?? [] ) ].join( ',' ),
			_seopress_titles_title: c.metaTitle,
			_seopress_titles_desc: c.metaDescription,
			_seopress_analysis_target_kw: [ c.primaryKeyword, ...( c.secondaryKeywords ?? [] ) ].join( ',' ),
			_aioseo_title: c.metaTitle,
			_aioseo_description: c.metaDescription,
		} );
		expect( readPost( postId ).meta ).toMatchObject( meta( first ) );

		const second = { ...first, metaTitle: 'Second SEO title', metaDescription: 'Second description', primaryKeyword: 'new phrase', secondaryKeywords: [] };
		const r2 = await publish( stack.wpUrl, stack.apiKey, payloadA( second ) );
		expect( r2.status ).toBe( 200 );
		const rows = aioseoRows( postId );
		expect( rows ).toHaveLength( 1 );
		expect( rows[ 0 ] ).toMatchObject( { id: row!.id, created: row!.created, title: 'Second SEO title', description: 'Second description' } );
		expect( JSON.parse( rows[ 0 ]!.keyphrases ) ).toEqual( { focus: { keyphrase: 'new phrase' }, additional: [] } );
		expect( rows[ 0 ]!.updated >= row!.updated ).toBe( true );
		expect( readPost( postId ).meta ).toMatchObject( meta( second ) );
	} );
} );
