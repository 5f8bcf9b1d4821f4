/** One row of the activity log, as `GET /igny8/v1/activity` answers it (the sidecar's shape). */
export interface ActivityRow {
	id: number;
	at: string;
	direction: 'in' | 'out';
	kind: string;
	route: string | null;
	target: string | null;
	content_id: string | null;
	post_id: number | null;
	outcome: string;
	code: string | null;
	http_status: number | null;
	duration_ms: number | null;
	request_id: string | null;
	attempts: number | null;
	next_retry_at: string | null;
	error: string | null;
}

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
