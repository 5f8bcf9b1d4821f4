/**
 * WordPress dependencies
 */
import { humanTimeDiff } from '@wordpress/date';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
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
 * One line for the state, e.g. "Synced 5 minutes ago", "Pending: sending to IGNY8 now".
 * @param sync
 */
export function syncStateSentence( sync: SyncState ): string {
	if ( sync.state === 'synced' && sync.lastSyncedAt ) {
		return sprintf(
			/* translators: %s: how long ago, e.g. "5 minutes ago". */
			__( 'Synced %s', 'igny8-bridge' ),
			humanTimeDiff( sync.lastSyncedAt )
		);
	}
	if ( sync.state === 'in_flight' ) {
		return __( 'Pending: sending to IGNY8 now', 'igny8-bridge' );
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
