/**
 * Reading WordPress state directly (php-cli inside the test site) to check what the HTTP APIs claim.
 */
import { wpEval } from './stack';

function evalJson< T >( php: string ): T {
	const out = wpEval( `echo wp_json_encode( ( function () { ${ php } } )() );` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? 'null' ) as T;
}

/** Every post (any status, trash included, any type) carrying this IGNY8 content id. */
export function postIdsForContent( contentId: number ): number[] {
	return evalJson< number[] >(
		`global $wpdb; return array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT p.ID FROM {$wpdb->posts} p JOIN {$wpdb->postmeta} m ON m.post_id = p.ID AND m.meta_key = '_igny8_content_id' WHERE m.meta_value = %s AND p.post_type <> 'revision' ORDER BY p.ID", '${ contentId }' ) ) );`
	);
}

export interface PostSnapshot {
	post: { ID: number; post_title: string; post_content: string; post_status: string; post_type: string; post_excerpt: string; post_author: string; post_date_gmt: string };
	meta: Record< string, string >;
	terms: Record< 'category' | 'post_tag' | 'igny8_clusters' | 'igny8_sectors', Array< { id: number; name: string; igny8_id: string } > >;
	thumbnail: number;
	thumbnail_alt: string;
}

export function readPost( postId: number ): PostSnapshot {
	return evalJson< PostSnapshot >( `
		$p = get_post( ${ postId } );
		$meta = array();
		foreach ( get_post_meta( $p->ID ) as $k => $v ) { $meta[ $k ] = $v[0]; }
		$terms = array();
		foreach ( array( 'category', 'post_tag', 'igny8_clusters', 'igny8_sectors' ) as $tax ) {
			$terms[ $tax ] = array_map( function ( $t ) { return array( 'id' => $t->term_id, 'name' => $t->name, 'igny8_id' => get_term_meta( $t->term_id, '_igny8_cluster_id', true ) . get_term_meta( $t->term_id, '_igny8_sector_id', true ) ); }, wp_get_object_terms( $p->ID, $tax ) );
		}
		$thumb = (int) get_post_thumbnail_id( $p->ID );
		return array( 'post' => $p->to_array(), 'meta' => $meta, 'terms' => $terms, 'thumbnail' => $thumb, 'thumbnail_alt' => (string) get_post_meta( $thumb, '_wp_attachment_image_alt', true ) );
	` );
}

/** Attachments sideloaded from this source URL. */
export function attachmentsFrom( url: string ): number[] {
	return evalJson< number[] >(
		`return array_map( 'intval', get_posts( array( 'post_type' => 'attachment', 'post_status' => 'any', 'fields' => 'ids', 'numberposts' => -1, 'meta_key' => '_igny8_image_source_url', 'meta_value' => ${ JSON.stringify( url ) } ) ) );`
	);
}

export function setOption( name: string, value: unknown ): void {
	wpEval( `update_option( ${ JSON.stringify( name ) }, json_decode( ${ JSON.stringify( JSON.stringify( value ) ) }, true ) );` );
}

/** A fresh application password for the admin (core REST auth for /wp/v2 calls). */
export function adminBasicAuth(): string {
	const password = evalJson< string >(
		`list( $pw ) = WP_Application_Passwords::create_new_application_password( 1, array( 'name' => 'e2e-' . wp_generate_password( 6, false ) ) ); return $pw;`
	);
	return 'Basic ' + Buffer.from( `admin:${ password }` ).toString( 'base64' );
}
