/**
 * Types of the IGNY8 sidebar.
 */

import type { SyncStateName } from '../common/contract';

/** Sync states as the editor sync route reports them (`GET /igny8/v1/editor/posts/{id}/sync`): the contract's. */
export type { SyncStateName };

/** `data` of the editor sync route's envelope (GET = read, POST = Sync now). */
export interface SyncStateReply {
	post_id: number;
	state: SyncStateName;
	attempts: number;
	last_error: string | null;
	next_retry_at: string | null;
	last_synced_at: string | null;
	updated_at: string | null;
	sync_mode: 'auto' | 'manual' | string;
	/** Present when the sidecar reports the mapped status itself; otherwise the contract map gives it. */
	igny8_status?: string;
}

/** Where the shown sync state came from: the live route, or the state WordPress mirrored into post meta. */
export type SyncStateSource = 'route' | 'meta';

export interface SyncState {
	/**
	 * As shown. A delivery that failed and waits for its automatic retry (the sidecar's `pending` with attempts
	 * and an error) is shown as `failed` with `retrying`.
	 */
	state: SyncStateName;
	retrying: boolean;
	attempts: number | null;
	lastError: string | null;
	nextRetryAt: string | null;
	lastSyncedAt: string | null;
	syncMode: string | null;
	igny8Status: string | null;
	source: SyncStateSource;
}

export interface TermSummary {
	/** IGNY8 id, from post meta (`_igny8_cluster_id` / `_igny8_sector_id`). */
	igny8Id: number | null;
	/** Names of the post's terms in the IGNY8 taxonomy (view context: no `manage_categories` needed). */
	names: string[];
}

/** The post differs from what IGNY8 last wrote (`_igny8_local_edit`, issue #13 §4). */
export interface LocalEdit {
	/** ISO 8601 (UTC). */
	at: string;
	userId: number | null;
	userName: string | null;
	/** WordPress fields: post_title, post_content, post_excerpt. */
	fields: string[];
}

/** Everything the sidebar shows about the post being edited, read from the editor and core-data stores. */
export interface Igny8Post {
	postId: number;
	postType: string;
	/** The post type's REST base (`posts`, `pages`), once core-data has it. */
	restBase: string | null;
	/** Saved status (what IGNY8 has been told about, or will be). */
	wordpressStatus: string;
	isManaged: boolean;
	contentId: number | null;
	taskId: number | null;
	cluster: TermSummary;
	sector: TermSummary;
	primaryKeyword: string | null;
	secondaryKeywords: string[];
	/** Set while the post is "edited in WordPress". */
	localEdit: LocalEdit | null;
	/** The sync state WordPress mirrored into post meta (fallback when the route is not available). */
	mirroredSync: {
		state: string | null;
		error: string | null;
		lastSynced: string | null;
	};
}

export interface SyncController {
	sync: SyncState | null;
	isLoading: boolean;
	isSyncing: boolean;
	/** Set when the live route failed for a reason other than not existing yet. */
	routeProblem: string | null;
	/** The live route does not exist in this sidecar version: Sync now cannot work either. */
	routeMissing: boolean;
	syncNow: () => Promise< void >;
	refresh: () => Promise< void >;
}
