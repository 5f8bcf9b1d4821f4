/**
 * WordPress dependencies
 */
import { store as coreStore } from '@wordpress/core-data';
import { useSelect } from '@wordpress/data';
import { store as editorStore } from '@wordpress/editor';
import { useMemo } from '@wordpress/element';
import { decodeEntities } from '@wordpress/html-entities';

/**
 * Internal dependencies
 */
import { igny8Meta } from '../common/contract';
import type { Igny8Post, LocalEdit, TermSummary } from './types';

type Meta = Record< string, unknown >;

const NO_META: Meta = {};
const NO_IDS: number[] = [];

const positiveInt = ( value: unknown ): number | null => {
	const n = typeof value === 'string' ? Number( value ) : value;
	return typeof n === 'number' && Number.isInteger( n ) && n > 0 ? n : null;
};

const text = ( value: unknown ): string | null =>
	typeof value === 'string' && value.trim() !== '' ? value : null;

/**
 * `_igny8_secondary_keywords` is a JSON list; older posts may hold a comma-separated string.
 * @param value The meta value.
 */
function parseKeywordList( value: unknown ): string[] {
	const raw = text( value );
	if ( raw === null ) {
		return [];
	}
	try {
		const parsed: unknown = JSON.parse( raw );
		if ( Array.isArray( parsed ) ) {
			return parsed.filter(
				( k ): k is string => typeof k === 'string' && k.trim() !== ''
			);
		}
	} catch {
		// Not JSON: fall through to the comma-separated reading.
	}
	return raw
		.split( ',' )
		.map( ( k ) => k.trim() )
		.filter( Boolean );
}

/**
 * `_igny8_local_edit`: JSON `{at (GMT Y-m-d H:i:s), user_id, user_name, fields}` written by WordPress.
 * @param value The meta value.
 */
export function parseLocalEdit( value: unknown ): LocalEdit | null {
	const raw = text( value );
	if ( raw === null ) {
		return null;
	}
	try {
		const parsed = JSON.parse( raw ) as Record< string, unknown >;
		if ( typeof parsed.at !== 'string' ) {
			return null;
		}
		const at = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test( parsed.at )
			? parsed.at.replace( ' ', 'T' ) + 'Z'
			: parsed.at;
		return {
			at,
			userId: positiveInt( parsed.user_id ),
			userName: text( parsed.user_name ),
			fields: Array.isArray( parsed.fields )
				? parsed.fields.filter(
						( f ): f is string => typeof f === 'string'
					)
				: [],
		};
	} catch {
		return null;
	}
}

const termIds = ( value: unknown ): number[] =>
	Array.isArray( value )
		? value.filter( ( id ): id is number => typeof id === 'number' )
		: NO_IDS;

/**
 * The post being edited, as the IGNY8 sidebar shows it. Meta comes from the editor (edit context, so the
 * `_igny8_*` keys are there); term names come from core-data in the view context, which needs no
 * `manage_categories`.
 */
export function useIgny8Post(): Igny8Post {
	const {
		postId,
		postType,
		restBase,
		wordpressStatus,
		meta,
		clusterTerms,
		sectorTerms,
		clusterRecords,
		sectorRecords,
	} = useSelect( ( select ) => {
		const editor = select( editorStore );
		const core = select( coreStore );
		// The raw attributes are returned (stable references from the store); ids are derived below.
		const clusterAttribute =
			editor.getEditedPostAttribute( 'igny8_clusters' );
		const sectorAttribute =
			editor.getEditedPostAttribute( 'igny8_sectors' );
		const clusters = termIds( clusterAttribute );
		const sectors = termIds( sectorAttribute );
		const termQuery = ( include: number[] ) => ( {
			include,
			context: 'view',
			per_page: include.length,
			_fields: 'id,name',
		} );
		const type = editor.getCurrentPostType();
		return {
			postId: editor.getCurrentPostId() ?? 0,
			postType: type,
			restBase: core.getPostType( type )?.rest_base ?? null,
			wordpressStatus: String(
				editor.getCurrentPostAttribute( 'status' ) ?? ''
			),
			meta:
				( editor.getCurrentPostAttribute( 'meta' ) as
					Meta | undefined ) ?? NO_META,
			clusterTerms: clusterAttribute,
			sectorTerms: sectorAttribute,
			clusterRecords: clusters.length
				? core.getEntityRecords(
						'taxonomy',
						'igny8_clusters',
						termQuery( clusters )
					)
				: null,
			sectorRecords: sectors.length
				? core.getEntityRecords(
						'taxonomy',
						'igny8_sectors',
						termQuery( sectors )
					)
				: null,
		};
	}, [] );

	return useMemo( () => {
		const clusterIds = termIds( clusterTerms );
		const sectorIds = termIds( sectorTerms );
		const summary = (
			idKey: string,
			ids: number[],
			records: unknown
		): TermSummary => ( {
			igny8Id: positiveInt( meta[ idKey ] ),
			names: Array.isArray( records )
				? ids
						.map( ( id ) =>
							(
								records as Array< {
									id: number;
									name?: string;
								} >
							 ).find( ( r ) => r.id === id )
						)
						// WordPress stores term names HTML-escaped (`Food &amp; drink`); core's panels decode them too.
						.map( ( r ) => decodeEntities( r?.name ?? '' ) )
						.filter( Boolean )
				: [],
		} );
		const contentId = positiveInt( meta[ igny8Meta.content_id ] );
		const taskId = positiveInt( meta[ igny8Meta.task_id ] );
		return {
			postId,
			postType,
			restBase,
			wordpressStatus,
			isManaged: contentId !== null || taskId !== null,
			contentId,
			taskId,
			cluster: summary(
				igny8Meta.cluster_id,
				clusterIds,
				clusterRecords
			),
			sector: summary( igny8Meta.sector_id, sectorIds, sectorRecords ),
			primaryKeyword: text( meta[ igny8Meta.primary_keyword ] ),
			secondaryKeywords: parseKeywordList(
				meta[ igny8Meta.secondary_keywords ]
			),
			localEdit: parseLocalEdit( meta[ igny8Meta.local_edit ] ),
			mirroredSync: {
				state: text( meta[ igny8Meta.sync_state ] ),
				error: text( meta[ igny8Meta.sync_error ] ),
				lastSynced: text( meta[ igny8Meta.last_synced ] ),
			},
		};
	}, [
		postId,
		postType,
		restBase,
		wordpressStatus,
		meta,
		clusterTerms,
		sectorTerms,
		clusterRecords,
		sectorRecords,
	] );
}
