/**
 * WordPress dependencies
 */
import { Button, Notice, Spinner } from '@wordpress/components';
import { createElement, Fragment } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { relativeTime } from '../common/relative-time';
import { DetailList, type Detail } from './details';
import { syncStateLabel, syncStateSentence, syncStateTone } from './labels';
import type { SyncController } from './types';
import { useTick } from './use-tick';

/**
 * The sync state badge and sentence; a live region, so a change (pending → synced) is announced.
 * @param root0
 * @param root0.controller
 */
export function SyncBadge( { controller }: { controller: SyncController } ) {
	useTick( 30_000 );
	const { sync } = controller;
	if ( ! sync ) {
		return (
			<div className="igny8-sync-state" role="status">
				<Spinner />
				<span>{ __( 'Loading sync state…', 'igny8-bridge' ) }</span>
			</div>
		);
	}
	const tone = syncStateTone( sync.state );
	const sentence = syncStateSentence( sync );
	const label = syncStateLabel( sync.state );
	return (
		<div
			className="igny8-sync-state"
			role="status"
			data-sync-state={ sync.state }
		>
			<span className={ `igny8-sync-badge is-${ tone }` }>{ label }</span>
			{ sentence !== label && (
				<span className="igny8-sync-state__sentence">{ sentence }</span>
			) }
			{ ( sync.state === 'pending' || sync.state === 'in_flight' ) && (
				<Spinner />
			) }
		</div>
	);
}

/**
 * State, failure details (last error, attempts, next retry) and the Sync now button.
 * @param root0
 * @param root0.controller
 */
export function SyncSection( { controller }: { controller: SyncController } ) {
	const { sync, isSyncing, routeProblem, routeMissing, syncNow } = controller;
	const failed = sync?.state === 'failed' || sync?.state === 'dead';
	const details: Detail[] = [];
	if ( failed && sync?.attempts !== null && sync?.attempts !== undefined ) {
		details.push( {
			key: 'attempts',
			label: __( 'Attempts', 'igny8-bridge' ),
			value: String( sync.attempts ),
		} );
	}
	if ( failed && sync?.nextRetryAt ) {
		details.push( {
			key: 'next-retry',
			label: __( 'Next retry', 'igny8-bridge' ),
			value: (
				<time dateTime={ sync.nextRetryAt }>
					{ Date.parse( sync.nextRetryAt ) <= Date.now()
						? __( 'Due now', 'igny8-bridge' )
						: relativeTime( sync.nextRetryAt ) }
				</time>
			),
		} );
	}
	if ( sync?.state === 'dead' ) {
		details.push( {
			key: 'next-retry',
			label: __( 'Next retry', 'igny8-bridge' ),
			value: __( 'None: use Sync now', 'igny8-bridge' ),
		} );
	}
	return (
		<Fragment>
			<SyncBadge controller={ controller } />
			{ failed && (
				<Notice
					status="error"
					isDismissible={ false }
					className="igny8-sync-error"
				>
					<strong>{ __( 'Last error:', 'igny8-bridge' ) }</strong>{ ' ' }
					<span className="igny8-sync-error__message">
						{ sync?.lastError ||
							__( 'IGNY8 did not say why.', 'igny8-bridge' ) }
					</span>
				</Notice>
			) }
			{ details.length > 0 && <DetailList items={ details } /> }
			{ routeProblem && (
				<p className="igny8-note">
					{ __(
						'Showing the last recorded state. The IGNY8 service did not answer:',
						'igny8-bridge'
					) }{ ' ' }
					{ routeProblem }
				</p>
			) }
			<div className="igny8-sync-actions">
				<Button
					variant="secondary"
					isBusy={ isSyncing }
					aria-disabled={ isSyncing || routeMissing }
					aria-describedby={
						routeMissing ? 'igny8-sync-now-help' : undefined
					}
					onClick={
						isSyncing || routeMissing
							? undefined
							: () => void syncNow()
					}
				>
					{ isSyncing
						? __( 'Syncing…', 'igny8-bridge' )
						: __( 'Sync now', 'igny8-bridge' ) }
				</Button>
				{ routeMissing && (
					<p className="igny8-note" id="igny8-sync-now-help">
						{ __(
							'Sync now needs a newer IGNY8 service; saving the post still records the change.',
							'igny8-bridge'
						) }
					</p>
				) }
			</div>
		</Fragment>
	);
}
