/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { useDispatch } from '@wordpress/data';
import { useCallback, useEffect, useMemo, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';
import { store as noticesStore } from '@wordpress/notices';

/**
 * Internal dependencies
 */
import { envelopeData, toApiError, type ApiError } from '../common/api-error';
import { useMountedRef } from '../common/use-mounted-ref';
import { routes } from '../common/contract';
import type {
	EditableSettings,
	FieldErrors,
	FieldName,
	SettingsReply,
	SettingsSecrets,
} from './types';
import { fieldFromServer, validateSettings } from './validation';

export const NOTICE_LOAD = 'igny8-bridge/settings-load';
export const NOTICE_SAVE = 'igny8-bridge/settings-save';

const NO_SECRETS: SettingsSecrets = { api_key: '', password: '' };

export function editableFrom( reply: SettingsReply ): EditableSettings {
	return {
		api_base_url: reply.api_base_url ?? '',
		email: reply.email ?? '',
		sync_target: reply.sync_target ?? 'tasks',
		connection_enabled: reply.connection_enabled !== false,
		allowed_post_types: Array.isArray( reply.allowed_post_types )
			? reply.allowed_post_types
			: [],
		default_post_status: reply.default_post_status ?? 'draft',
		default_author: Number( reply.default_author ?? 0 ),
		sync_mode: reply.sync_mode ?? 'auto',
		content_format: reply.content_format ?? 'blocks',
		republish_policy: reply.republish_policy ?? 'overwrite',
		content_sync: reply.content_sync !== false,
	};
}

const sameValue = ( a: unknown, b: unknown ) =>
	Array.isArray( a ) && Array.isArray( b )
		? [ ...a ].sort().join( '\n' ) === [ ...b ].sort().join( '\n' )
		: a === b;

/**
 * The fields whose value differs from the saved settings.
 * @param draft The form.
 * @param saved The saved settings.
 */
export function changedFields(
	draft: EditableSettings,
	saved: EditableSettings
): Partial< EditableSettings > {
	const changes: Record< string, unknown > = {};
	for ( const key of Object.keys( draft ) as Array<
		keyof EditableSettings
	> ) {
		if ( ! sameValue( draft[ key ], saved[ key ] ) ) {
			changes[ key ] = draft[ key ];
		}
	}
	return changes as Partial< EditableSettings >;
}

export interface SettingsController {
	saved: SettingsReply | null;
	draft: EditableSettings | null;
	secrets: SettingsSecrets;
	errors: FieldErrors;
	loadError: ApiError | null;
	isSaving: boolean;
	isDirty: boolean;
	update: < K extends keyof EditableSettings >(
		field: K,
		value: EditableSettings[ K ]
	) => void;
	setSecret: ( field: keyof SettingsSecrets, value: string ) => void;
	save: () => Promise< void >;
	reload: ( resetForm?: boolean ) => Promise< void >;
}

/**
 * Reads `GET /igny8/v1/settings`, keeps the form's draft, and saves only the changed fields (plus the API key
 * and password when entered) with `POST /igny8/v1/settings`. Secrets are cleared from the form as soon as the
 * save succeeds; the server only ever answers whether they are present.
 */
export function useSettings(): SettingsController {
	const [ saved, setSaved ] = useState< SettingsReply | null >( null );
	const [ draft, setDraft ] = useState< EditableSettings | null >( null );
	const [ secrets, setSecrets ] = useState< SettingsSecrets >( NO_SECRETS );
	const [ errors, setErrors ] = useState< FieldErrors >( {} );
	const [ loadError, setLoadError ] = useState< ApiError | null >( null );
	const [ isSaving, setIsSaving ] = useState( false );
	const { createErrorNotice, createSuccessNotice, removeNotice } =
		useDispatch( noticesStore );
	const mounted = useMountedRef();

	const apply = useCallback( ( reply: SettingsReply ) => {
		setSaved( reply );
		setDraft( editableFrom( reply ) );
	}, [] );

	// Reads the settings again; the form keeps what the user typed unless resetForm.
	const reload = useCallback(
		async ( resetForm = true ) => {
			try {
				const reply = envelopeData< SettingsReply >(
					await apiFetch( { path: routes.settings } )
				);
				if ( mounted.current ) {
					if ( resetForm ) {
						apply( reply );
					} else {
						setSaved( reply );
						setDraft(
							( current ) => current ?? editableFrom( reply )
						);
					}
					setLoadError( null );
					removeNotice( NOTICE_LOAD );
				}
			} catch ( error ) {
				const apiError = toApiError(
					error,
					__( 'The settings could not be read.', 'igny8-bridge' )
				);
				if ( mounted.current ) {
					setLoadError( apiError );
				}
				createErrorNotice(
					sprintf(
						/* translators: %s: why the settings could not be read. */
						__(
							'The IGNY8 settings could not be loaded: %s',
							'igny8-bridge'
						),
						apiError.message
					),
					{ id: NOTICE_LOAD }
				);
			}
		},
		[ apply, createErrorNotice, mounted, removeNotice ]
	);

	useEffect( () => {
		reload();
	}, [ reload ] );

	const savedEditable = useMemo(
		() => ( saved ? editableFrom( saved ) : null ),
		[ saved ]
	);
	const changes = useMemo(
		() =>
			draft && savedEditable ? changedFields( draft, savedEditable ) : {},
		[ draft, savedEditable ]
	);
	const isDirty =
		Object.keys( changes ).length > 0 ||
		secrets.api_key !== '' ||
		secrets.password !== '';

	const clearError = ( field: FieldName ) =>
		setErrors( ( current ) => {
			if ( ! current[ field ] ) {
				return current;
			}
			const next = { ...current };
			delete next[ field ];
			return next;
		} );

	const update = < K extends keyof EditableSettings >(
		field: K,
		value: EditableSettings[ K ]
	) => {
		setDraft( ( current ) =>
			current ? { ...current, [ field ]: value } : current
		);
		clearError( field );
	};

	const setSecret = ( field: keyof SettingsSecrets, value: string ) => {
		setSecrets( ( current ) => ( { ...current, [ field ]: value } ) );
		clearError( field );
	};

	const save = async () => {
		if ( ! draft || ! saved ) {
			return;
		}
		removeNotice( NOTICE_SAVE );
		const found = validateSettings( draft, secrets );
		// A new IGNY8 address must not inherit the old one's secrets (SPEC §9): the credential that target uses is
		// entered again.
		if ( changes.api_base_url !== undefined && saved.api_base_url !== '' ) {
			if (
				draft.sync_target === 'webhook' &&
				secrets.api_key === '' &&
				! found.api_key
			) {
				found.api_key = __(
					'Enter the API key again: the IGNY8 URL changed.',
					'igny8-bridge'
				);
			}
			if (
				draft.sync_target === 'tasks' &&
				secrets.password === '' &&
				! found.password
			) {
				found.password = __(
					'Enter the password again: the IGNY8 URL changed.',
					'igny8-bridge'
				);
			}
		}
		setErrors( found );
		if ( Object.keys( found ).length ) {
			createErrorNotice(
				__(
					'The settings were not saved: check the highlighted fields.',
					'igny8-bridge'
				),
				{
					id: NOTICE_SAVE,
				}
			);
			return;
		}
		const body: Record< string, unknown > = { ...changes };
		if ( secrets.api_key !== '' ) {
			body.api_key = secrets.api_key;
		}
		if ( secrets.password !== '' ) {
			body.password = secrets.password;
		}
		setIsSaving( true );
		try {
			const reply = envelopeData< SettingsReply >(
				await apiFetch( {
					path: routes.settings,
					method: 'POST',
					data: body,
				} )
			);
			if ( mounted.current ) {
				apply( reply );
				setSecrets( NO_SECRETS );
				setErrors( {} );
			}
			createSuccessNotice( __( 'Settings saved.', 'igny8-bridge' ), {
				id: NOTICE_SAVE,
			} );
		} catch ( error ) {
			const apiError = toApiError(
				error,
				__( 'The request did not reach WordPress.', 'igny8-bridge' )
			);
			const field = fieldFromServer( apiError.field );
			if ( field && mounted.current ) {
				setErrors( { [ field ]: apiError.message } );
			}
			createErrorNotice(
				sprintf(
					/* translators: %s: why the save failed. */
					__( 'The settings were not saved: %s', 'igny8-bridge' ),
					apiError.message
				),
				{ id: NOTICE_SAVE }
			);
		} finally {
			if ( mounted.current ) {
				setIsSaving( false );
			}
		}
	};

	return {
		saved,
		draft,
		secrets,
		errors,
		loadError,
		isSaving,
		isDirty,
		update,
		setSecret,
		save,
		reload,
	};
}
