/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { relativeTime } from '../common/relative-time';
import type { SyncState, SyncStateName } from './types';

/** Visual tone of a sync state (a CSS modifier; the text always says the state too). */
export type SyncTone = 'success' | 'pending' | 'error' | 'neutral';

export function syncStateLabel( state: SyncStateName ): string {
	switch ( state ) {
		case 'synced':
			return __( 'Synced', 'igny8-bridge' );
		case 'pending':
		case 'in_flight':
			return __( 'Pending', 'igny8-bridge' );
		case 'pending_manual':
			return __( 'Pending (manual)', 'igny8-bridge' );
		case 'failed':
			return __( 'Failed', 'igny8-bridge' );
		case 'dead':
			return __( 'Failed (gave up)', 'igny8-bridge' );
		default:
			return __( 'Never synced', 'igny8-bridge' );
	}
}

export function syncStateTone( state: SyncStateName ): SyncTone {
	switch ( state ) {
		case 'synced':
			return 'success';
		case 'pending':
		case 'in_flight':
		case 'pending_manual':
			return 'pending';
		case 'failed':
		case 'dead':
			return 'error';
		default:
			return 'neutral';
	}
}

/**
 * What goes with the state's badge, e.g. "5 mins ago" (synced) or "Pending: sending to IGNY8 now".
 *
 * @param sync The sync state.
 */
export function syncStateSentence( sync: SyncState ): string {
	if ( sync.state === 'synced' && sync.lastSyncedAt ) {
		return relativeTime( sync.lastSyncedAt );
	}
	if ( sync.state === 'in_flight' ) {
		return __( 'Pending: sending to IGNY8 now', 'igny8-bridge' );
	}
	if ( sync.state === 'failed' && sync.source === 'route' ) {
		return sync.retrying
			? __( 'Retrying automatically', 'igny8-bridge' )
			: __( 'Not retried: fix the cause, then Sync now', 'igny8-bridge' );
	}
	if ( sync.state === 'pending_manual' ) {
		return __( 'Pending (manual): sent on Sync now', 'igny8-bridge' );
	}
	return syncStateLabel( sync.state );
}

export function wordpressStatusLabel( status: string ): string {
	switch ( status ) {
		case 'publish':
			return __( 'Published', 'igny8-bridge' );
		case 'future':
			return __( 'Scheduled', 'igny8-bridge' );
		case 'draft':
		case 'auto-draft':
			return __( 'Draft', 'igny8-bridge' );
		case 'pending':
			return __( 'Pending review', 'igny8-bridge' );
		case 'private':
			return __( 'Private', 'igny8-bridge' );
		case 'trash':
			return __( 'Trash', 'igny8-bridge' );
		default:
			return status;
	}
}

export function igny8StatusLabel( status: string ): string {
	switch ( status ) {
		case 'completed':
			return __( 'Completed', 'igny8-bridge' );
		case 'draft':
			return __( 'Draft', 'igny8-bridge' );
		case 'pending':
			return __( 'Pending', 'igny8-bridge' );
		case 'archived':
			return __( 'Archived', 'igny8-bridge' );
		default:
			return status;
	}
}
