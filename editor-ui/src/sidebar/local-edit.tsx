/**
 * WordPress dependencies
 */
import { Notice } from '@wordpress/components';
import { createElement } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { relativeTime } from '../common/relative-time';
import type { LocalEdit } from './types';
import { useTick } from './use-tick';

const FIELD_LABELS: Readonly< Record< string, () => string > > = {
	post_title: () => __( 'title', 'igny8-bridge' ),
	post_content: () => __( 'content', 'igny8-bridge' ),
	post_excerpt: () => __( 'excerpt', 'igny8-bridge' ),
};

/**
 * "Edited in WordPress": the post differs from what IGNY8 last wrote (contract meta.local_edits), with when, by
 * whom and what. The text comes from post meta and is rendered as text (React escapes it).
 * @param root0
 * @param root0.edit
 */
export function LocalEditNotice( { edit }: { edit: LocalEdit | null } ) {
	useTick( 30_000 );
	if ( ! edit ) {
		return null;
	}
	const fields = edit.fields
		.map( ( field ) => FIELD_LABELS[ field ]?.() ?? field )
		.join( ', ' );
	const when = relativeTime( edit.at );
	const user =
		edit.userName ||
		/* translators: %d: WordPress user id. */
		sprintf( __( 'user %d', 'igny8-bridge' ), edit.userId ?? 0 );
	// An edit without a user came from code: WP-CLI, cron, an import or another plugin.
	const detail =
		edit.userName || edit.userId
			? sprintf(
					/* translators: 1: a time span ("5 mins ago"), 2: a user's name, 3: field names ("title, content"). */
					__( '%1$s by %2$s (%3$s).', 'igny8-bridge' ),
					when,
					user,
					fields
				)
			: sprintf(
					/* translators: 1: a time span ("5 mins ago"), 2: field names ("title, content"). */
					__(
						'%1$s, not in the editor: by WP-CLI, cron or code (%2$s).',
						'igny8-bridge'
					),
					when,
					fields
				);
	return (
		<Notice
			status="warning"
			isDismissible={ false }
			className="igny8-local-edit"
		>
			<strong>{ __( 'Edited in WordPress', 'igny8-bridge' ) }</strong>
			<span className="igny8-local-edit__detail">{ detail }</span>
			<time className="igny8-local-edit__time" dateTime={ edit.at }>
				{ new Date( edit.at ).toLocaleString() }
			</time>
		</Notice>
	);
}
