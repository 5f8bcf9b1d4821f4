/** One row of the activity log, as `GET /igny8/v1/activity` answers it: the sidecar's own type (erased at build). */
export type { ActivityRow } from '../../../sidecar/src/contract/wire-types';
import type { ActivityRow } from '../../../sidecar/src/contract/wire-types';

export interface ActivityPage {
	rows: ActivityRow[];
	total: number;
	page: number;
	per_page: number;
	pages: number;
}

export interface ActivityFilters {
	kind: string;
	outcome: string;
	post_id: string;
	search: string;
}

export interface Retention {
	activity_retention_days: number;
	activity_max_rows: number;
}
