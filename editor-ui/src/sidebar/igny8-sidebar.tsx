/**
 * WordPress dependencies
 */
import { PanelBody } from '@wordpress/components';
import { createElement, Fragment } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { igny8StatusFor } from '../common/contract';
import { BriefPanel } from './brief-panel';
import { DetailList, Missing } from './details';
import { igny8StatusLabel, wordpressStatusLabel } from './labels';
import { LocalEditNotice } from './local-edit';
import { SyncBadge, SyncSection } from './sync-status';
import type { Igny8Post, SyncController, TermSummary } from './types';

interface Props {
	post: Igny8Post;
	controller: SyncController;
}

function TermValue( { term }: { term: TermSummary } ) {
	if ( ! term.names.length && term.igny8Id === null ) {
		return <Missing />;
	}
	return (
		<Fragment>
			{ term.names.length > 0 && (
				<span className="igny8-term-name">
					{ term.names.join( ', ' ) }
				</span>
			) }
			{ term.igny8Id !== null && (
				<span className="igny8-id">
					{
						/* translators: %d: IGNY8 id. */
						sprintf( __( 'ID %d', 'igny8-bridge' ), term.igny8Id )
					}
				</span>
			) }
		</Fragment>
	);
}

const idValue = ( id: number | null ) =>
	id === null ? (
		<Missing />
	) : (
		<span className="igny8-id">{ String( id ) }</span>
	);

export function NotManaged() {
	return (
		<div className="igny8-not-managed">
			<p className="igny8-not-managed__title">
				{ __( 'Not managed by IGNY8', 'igny8-bridge' ) }
			</p>
			<p className="igny8-note">
				{ __(
					'This post has no IGNY8 content or task id, so nothing is synced to IGNY8.',
					'igny8-bridge'
				) }
			</p>
		</div>
	);
}

/**
 * The full sidebar: content, keywords, and status with sync.
 * @param root0
 * @param root0.post
 * @param root0.controller
 */
export function Igny8SidebarContent( { post, controller }: Props ) {
	if ( ! post.isManaged ) {
		return (
			<PanelBody>
				<NotManaged />
			</PanelBody>
		);
	}
	const igny8Status =
		controller.sync?.igny8Status ?? igny8StatusFor( post.wordpressStatus );
	return (
		<Fragment>
			<PanelBody title={ __( 'Content', 'igny8-bridge' ) }>
				<DetailList
					items={ [
						{
							key: 'cluster',
							label: __( 'Cluster', 'igny8-bridge' ),
							value: <TermValue term={ post.cluster } />,
						},
						{
							key: 'sector',
							label: __( 'Sector', 'igny8-bridge' ),
							value: <TermValue term={ post.sector } />,
						},
						{
							key: 'content-id',
							label: __( 'Content ID', 'igny8-bridge' ),
							value: idValue( post.contentId ),
						},
						{
							key: 'task-id',
							label: __( 'Task ID', 'igny8-bridge' ),
							value: idValue( post.taskId ),
						},
					] }
				/>
			</PanelBody>
			<PanelBody title={ __( 'Keywords', 'igny8-bridge' ) }>
				<DetailList
					items={ [
						{
							key: 'primary',
							label: __( 'Primary', 'igny8-bridge' ),
							value: post.primaryKeyword ?? <Missing />,
						},
						{
							key: 'secondary',
							label: __( 'Secondary', 'igny8-bridge' ),
							value: post.secondaryKeywords.length ? (
								<ul className="igny8-keywords">
									{ post.secondaryKeywords.map(
										( keyword ) => (
											<li key={ keyword }>{ keyword }</li>
										)
									) }
								</ul>
							) : (
								<Missing />
							),
						},
					] }
				/>
			</PanelBody>
			<PanelBody title={ __( 'Status and sync', 'igny8-bridge' ) }>
				<DetailList
					items={ [
						{
							key: 'wp-status',
							label: __( 'WordPress status', 'igny8-bridge' ),
							value: wordpressStatusLabel( post.wordpressStatus ),
						},
						{
							key: 'igny8-status',
							label: __( 'IGNY8 status', 'igny8-bridge' ),
							value: igny8StatusLabel( igny8Status ),
						},
					] }
				/>
				<LocalEditNotice edit={ post.localEdit } />
				<SyncSection controller={ controller } />
			</PanelBody>
			{ post.taskId !== null && <BriefPanel postId={ post.postId } /> }
		</Fragment>
	);
}

/**
 * The short version in the document settings panel.
 * @param root0
 * @param root0.post
 * @param root0.controller
 */
export function Igny8Summary( { post, controller }: Props ) {
	if ( ! post.isManaged ) {
		return <NotManaged />;
	}
	return (
		<Fragment>
			<SyncBadge controller={ controller } />
			<LocalEditNotice edit={ post.localEdit } />
			<DetailList
				className="is-compact"
				items={ [
					{
						key: 'cluster',
						label: __( 'Cluster', 'igny8-bridge' ),
						value: <TermValue term={ post.cluster } />,
					},
					{
						key: 'content-id',
						label: __( 'Content ID', 'igny8-bridge' ),
						value: idValue( post.contentId ),
					},
				] }
			/>
		</Fragment>
	);
}
