/**
 * Types of the Settings → IGNY8 screen. Shapes of `/igny8/v1/settings` (GET/POST) and
 * `/igny8/v1/settings/test-connection` as agreed with the sidecar.
 */

export type SyncTarget = 'tasks' | 'webhook';
export type SyncMode = 'auto' | 'manual';
/** How `content_html` is stored: native blocks (default) or the HTML as sent. */
export type ContentFormat = 'blocks' | 'html';
/** What a republish does to WordPress edits (issue #13 §4). */
export type RepublishPolicy = 'overwrite' | 'keep_local';

/** What the screen can change. Secrets are not in here: they are write-only (see SettingsSecrets). */
export interface EditableSettings {
	api_base_url: string;
	email: string;
	sync_target: SyncTarget;
	connection_enabled: boolean;
	allowed_post_types: string[];
	default_post_status: string;
	default_author: number;
	sync_mode: SyncMode;
	content_format: ContentFormat;
	republish_policy: RepublishPolicy;
	/** Deliver WordPress edits of IGNY8 posts to IGNY8. */
	content_sync: boolean;
}

export interface ConnectionInfo {
	state: string;
	last_error: string | null;
	checked_at: string | null;
}

export interface SettingsReply extends EditableSettings {
	site_id: string;
	api_key_present: boolean;
	password_present: boolean;
	token_present: boolean;
	connection: ConnectionInfo | null;
	fingerprints: { shim: string | null; sidecar: string | null } | null;
	/** The saved overrides of the contract's status maps (missing on an older sidecar). */
	status_map_igny8_to_wp?: Record< string, string >;
	status_map_wp_to_igny8?: Record< string, string >;
}

/** Entered in the form, sent once with the save, then forgotten: never read back from the server. */
export interface SettingsSecrets {
	api_key: string;
	password: string;
}

export type FieldName = keyof EditableSettings | keyof SettingsSecrets;

/** Validation messages by field, from the browser checks and from a 422 envelope's `field`. */
export type FieldErrors = Partial< Record< FieldName, string > >;

export interface TestConnectionReply {
	ok: boolean;
	message: string;
	sites?: Array< { id: number | string; name?: string } >;
}

export interface ConnectionTestResult {
	ok: boolean;
	message: string;
}

export interface AuthorOption {
	id: number;
	name: string;
}

/** `GET /igny8/v1/admin/sidecar`: the Sidecar card (never holds the secret: `env` is masked). */
export interface SidecarPairing {
	url: string | null;
	reachable: boolean;
	version: string | null;
	protocol: string | null;
	plugin: { version: string; protocol: string };
	fingerprints: {
		site: string | null;
		sidecar: string | null;
		match: boolean | null;
	};
	secret_source: 'wp-config' | 'option';
	/** `hosted`: enrolled on a hosted (multi-site) sidecar; `own`: a sidecar run for this site alone. */
	mode: 'hosted' | 'own';
	hosted: { url: string; key_id: string; enrolled_at: number } | null;
	/** False when wp-config fixes the sidecar URL or the secret. */
	can_enrol: boolean;
	previous_until: number | null;
	/**
	 * Whom an https sidecar's certificate must chain to: `wp-config` (the CA file IGNY8_SIDECAR_CA_BUNDLE names) or
	 * `wordpress` (WordPress's CA bundle); null for plain http (loopback).
	 */
	tls: 'wp-config' | 'wordpress' | null;
	/** The health check's round trip, when the sidecar answered. */
	latency_ms: number | null;
	/** `reason` for SIDECAR_TLS_FAILED (untrusted, host_mismatch, expired, handshake, ca_bundle) and SIDECAR_UNAVAILABLE. */
	problem: { code: string; message: string; reason?: string } | null;
	env: string;
}
