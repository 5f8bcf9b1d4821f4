/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type {
	EditableSettings,
	FieldErrors,
	FieldName,
	SettingsSecrets,
} from './types';

export const API_KEY_MIN_LENGTH = 32;

const LOOPBACK_HOSTS = [ 'localhost', '127.0.0.1', '[::1]' ];

/**
 * https, or plain http for a loopback host (development against a local IGNY8 or the simulator).
 * @param value What was entered.
 */
export function validateBaseUrl( value: string ): string | undefined {
	if ( value.trim() === '' ) {
		return undefined;
	}
	let url: URL;
	try {
		url = new URL( value.trim() );
	} catch {
		return __(
			'Enter a full URL, such as https://app.igny8.com.',
			'igny8-bridge'
		);
	}
	if ( url.protocol === 'https:' ) {
		return undefined;
	}
	if ( url.protocol === 'http:' && LOOPBACK_HOSTS.includes( url.hostname ) ) {
		return undefined;
	}
	return __(
		'The URL must start with https:// (http:// only for localhost or 127.0.0.1).',
		'igny8-bridge'
	);
}

export function validateApiKey( value: string ): string | undefined {
	if ( value === '' ) {
		return undefined;
	}
	if ( value.length < API_KEY_MIN_LENGTH || /\s/.test( value ) ) {
		return __(
			'The API key must be at least 32 characters, without spaces.',
			'igny8-bridge'
		);
	}
	return undefined;
}

export function validateSettings(
	settings: EditableSettings,
	secrets: SettingsSecrets
): FieldErrors {
	const errors: FieldErrors = {};
	const url = validateBaseUrl( settings.api_base_url );
	if ( url ) {
		errors.api_base_url = url;
	}
	const key = validateApiKey( secrets.api_key );
	if ( key ) {
		errors.api_key = key;
	}
	if (
		settings.email.trim() !== '' &&
		! /^[^\s@]+@[^\s@]+$/.test( settings.email.trim() )
	) {
		errors.email = __( 'Enter an email address.', 'igny8-bridge' );
	}
	if ( settings.allowed_post_types.length === 0 ) {
		errors.allowed_post_types = __(
			'Allow at least one post type.',
			'igny8-bridge'
		);
	}
	return errors;
}

const FIELD_ALIASES: Record< string, FieldName > = {
	key: 'api_key',
	igny8_api_base_url: 'api_base_url',
	igny8_sync_target: 'sync_target',
	igny8_connection_enabled: 'connection_enabled',
	igny8_allowed_post_types: 'allowed_post_types',
	igny8_default_post_status: 'default_post_status',
	igny8_default_author: 'default_author',
	igny8_sync_mode: 'sync_mode',
	igny8_content_format: 'content_format',
	igny8_republish_policy: 'republish_policy',
	igny8_content_sync: 'content_sync',
};

const FIELDS: readonly FieldName[] = [
	'api_base_url',
	'email',
	'sync_target',
	'connection_enabled',
	'allowed_post_types',
	'default_post_status',
	'default_author',
	'sync_mode',
	'content_format',
	'republish_policy',
	'content_sync',
	'api_key',
	'password',
];

/**
 * The form field a server-side `field` names (the sidecar's wire names, or the shim's option names).
 * @param field The `field` of an error envelope.
 */
export function fieldFromServer(
	field: string | undefined
): FieldName | undefined {
	if ( ! field ) {
		return undefined;
	}
	const name = FIELD_ALIASES[ field ] ?? field;
	return FIELDS.includes( name as FieldName )
		? ( name as FieldName )
		: undefined;
}
