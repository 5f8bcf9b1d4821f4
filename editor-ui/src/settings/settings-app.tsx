/**
 * WordPress dependencies
 */
import {
	Button,
	Card,
	CardBody,
	CardHeader,
	CheckboxControl,
	Notice,
	SelectControl,
	Spinner,
	TextControl,
	ToggleControl,
} from '@wordpress/components';
import { createElement, Fragment, useCallback } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { relativeTime } from '../common/relative-time';
import {
	CONTRACT_POST_TYPES,
	DEFAULT_POST_STATUSES,
	routes,
} from '../common/contract';
import { SettingsNotices } from './settings-notices';
import { ResyncSection } from './resync-section';
import { SidecarCard } from './sidecar-card';
import { StatusMapCard } from './status-map-card';
import type {
	AuthorOption,
	ContentFormat,
	FieldErrors,
	RepublishPolicy,
	FieldName,
	SettingsReply,
	SyncMode,
	SyncTarget,
} from './types';
import { useAuthors } from './use-authors';
import { useConnectionTest } from './use-connection-test';
import { useSettings } from './use-settings';
import { useSettingsAction } from './use-settings-action';

const postTypeLabel = ( type: string ): string =>
	( {
		post: __( 'Posts', 'igny8-bridge' ),
		page: __( 'Pages', 'igny8-bridge' ),
		product: __( 'Products (WooCommerce)', 'igny8-bridge' ),
	} )[ type ] ?? type;

const postStatusLabel = ( status: string ): string =>
	( {
		draft: __( 'Draft', 'igny8-bridge' ),
		pending: __( 'Pending review', 'igny8-bridge' ),
		publish: __( 'Published', 'igny8-bridge' ),
		private: __( 'Private', 'igny8-bridge' ),
	} )[ status ] ?? status;

const connectionStateLabel = ( state: string ): string =>
	( {
		connected: __( 'Connected', 'igny8-bridge' ),
		not_configured: __( 'Not configured', 'igny8-bridge' ),
		disconnected: __( 'Not connected', 'igny8-bridge' ),
		reauth_required: __(
			'Log in again (the saved login was refused)',
			'igny8-bridge'
		),
		error: __( 'Error', 'igny8-bridge' ),
		paused: __( 'Paused after repeated login failures', 'igny8-bridge' ),
	} )[ state ] ?? state;

/**
 * Props that put a field's validation message in its help text and mark the input invalid.
 * @param errors Messages by field.
 * @param field  The field.
 * @param help   The help text shown while the field is valid.
 */
function fieldState( errors: FieldErrors, field: FieldName, help: string ) {
	const error = errors[ field ];
	return {
		help: error ?? help,
		className: error ? 'igny8-field has-error' : 'igny8-field',
		'aria-invalid': error ? true : undefined,
	};
}

function PresenceBadge( {
	present,
	label,
}: {
	present: boolean;
	label: string;
} ) {
	return (
		<span
			className={ `igny8-presence ${ present ? 'is-present' : 'is-absent' }` }
		>
			{ present
				? /* translators: %s: a secret's name, e.g. "API key". */
					sprintf( __( '%s: present', 'igny8-bridge' ), label )
				: /* translators: %s: a secret's name, e.g. "API key". */
					sprintf( __( '%s: absent', 'igny8-bridge' ), label ) }
		</span>
	);
}

function ConnectionSummary( { saved }: { saved: SettingsReply } ) {
	const connection = saved.connection;
	return (
		<div className="igny8-connection-summary">
			<p>
				<strong>{ __( 'Connection:', 'igny8-bridge' ) }</strong>{ ' ' }
				{ connection
					? connectionStateLabel( connection.state )
					: __( 'Unknown', 'igny8-bridge' ) }
				{ connection?.checked_at && (
					<span className="igny8-muted">
						{ ' ' }
						{ sprintf(
							/* translators: %s: how long ago, e.g. "5 mins ago". */
							__( '(checked %s)', 'igny8-bridge' ),
							relativeTime( connection.checked_at )
						) }
					</span>
				) }
			</p>
			{ connection?.last_error && (
				<p className="igny8-muted">
					{ __( 'Last error:', 'igny8-bridge' ) }{ ' ' }
					{ connection.last_error }
				</p>
			) }
			<p className="igny8-presence-list">
				<PresenceBadge
					present={ saved.api_key_present }
					label={ __( 'API key', 'igny8-bridge' ) }
				/>
				<PresenceBadge
					present={ saved.password_present }
					label={ __( 'Password', 'igny8-bridge' ) }
				/>
				<PresenceBadge
					present={ saved.token_present }
					label={ __( 'Login token', 'igny8-bridge' ) }
				/>
			</p>
		</div>
	);
}

function Diagnostics( { saved }: { saved: SettingsReply } ) {
	const shim = saved.fingerprints?.shim ?? null;
	const sidecar = saved.fingerprints?.sidecar ?? null;
	const mismatch = shim !== null && sidecar !== null && shim !== sidecar;
	return (
		<Fragment>
			<dl className="igny8-settings-details">
				<div>
					<dt>{ __( 'IGNY8 site ID', 'igny8-bridge' ) }</dt>
					<dd>
						{ saved.site_id ||
							__(
								'Not known yet (found on the first successful connection)',
								'igny8-bridge'
							) }
					</dd>
				</div>
				<div>
					<dt>
						{ __( 'Key fingerprint (WordPress)', 'igny8-bridge' ) }
					</dt>
					<dd>
						<code>{ shim ?? __( 'unknown', 'igny8-bridge' ) }</code>
					</dd>
				</div>
				<div>
					<dt>
						{ __( 'Key fingerprint (sidecar)', 'igny8-bridge' ) }
					</dt>
					<dd>
						<code>
							{ sidecar ?? __( 'not reachable', 'igny8-bridge' ) }
						</code>
					</dd>
				</div>
			</dl>
			{ mismatch && (
				<Notice status="warning" isDismissible={ false }>
					{ __(
						'The fingerprints differ: WordPress and the sidecar use different secrets, so every IGNY8 request fails with SIDECAR_AUTH_MISMATCH. Give both the same secret.',
						'igny8-bridge'
					) }
				</Notice>
			) }
		</Fragment>
	);
}

function authorOptions( authors: AuthorOption[], current: number ) {
	const options = [
		{
			value: '0',
			label: __( 'IGNY8 integration user (default)', 'igny8-bridge' ),
		},
		...authors.map( ( author ) => ( {
			value: String( author.id ),
			label: author.name,
		} ) ),
	];
	if (
		current !== 0 &&
		! authors.some( ( author ) => author.id === current )
	) {
		options.push( {
			value: String( current ),
			/* translators: %d: user id. */
			label: sprintf( __( 'User #%d', 'igny8-bridge' ), current ),
		} );
	}
	return options;
}

/** Settings → IGNY8. */
export function SettingsApp() {
	const settings = useSettings();
	const {
		saved,
		draft,
		secrets,
		errors,
		isSaving,
		isDirty,
		update,
		setSecret,
		save,
		reload,
	} = settings;
	// After a test only the connection state changed: keep what the user typed.
	const refreshConnectionState = useCallback(
		() => void reload( false ),
		[ reload ]
	);
	const connectionTest = useConnectionTest( refreshConnectionState );
	const { authors } = useAuthors();
	const syncAll = useSettingsAction(
		routes.syncAllPending,
		'igny8-bridge/sync-all-pending',
		__( 'Pending changes were queued for IGNY8.', 'igny8-bridge' )
	);
	const syncStructure = useSettingsAction(
		routes.syncStructure,
		'igny8-bridge/sync-structure',
		__( 'The site structure was queued for IGNY8.', 'igny8-bridge' )
	);

	const togglePostType = ( type: string, allowed: boolean ) => {
		if ( ! draft ) {
			return;
		}
		const others = draft.allowed_post_types.filter( ( t ) => t !== type );
		update( 'allowed_post_types', allowed ? [ ...others, type ] : others );
	};

	let body;
	if ( ! saved || ! draft ) {
		body = settings.loadError ? (
			<Card>
				<CardBody>
					<p>
						{ __(
							'The settings could not be loaded.',
							'igny8-bridge'
						) }
					</p>
					<Button
						variant="secondary"
						onClick={ () => void reload( true ) }
					>
						{ __( 'Try again', 'igny8-bridge' ) }
					</Button>
				</CardBody>
			</Card>
		) : (
			<p className="igny8-loading">
				<Spinner /> { __( 'Loading settings…', 'igny8-bridge' ) }
			</p>
		);
	} else {
		body = (
			<form
				className="igny8-settings__form"
				noValidate
				onSubmit={ ( event ) => {
					event.preventDefault();
					void save();
				} }
			>
				<Card className="igny8-card">
					<CardHeader>
						<h2>{ __( 'Connection', 'igny8-bridge' ) }</h2>
					</CardHeader>
					<CardBody>
						<ConnectionSummary saved={ saved } />
						<TextControl
							label={ __( 'IGNY8 API base URL', 'igny8-bridge' ) }
							type="url"
							value={ draft.api_base_url }
							onChange={ ( value: string ) =>
								update( 'api_base_url', value )
							}
							placeholder="https://app.igny8.com"
							autoComplete="off"
							{ ...fieldState(
								errors,
								'api_base_url',
								__(
									'https:// (http:// only for localhost or 127.0.0.1).',
									'igny8-bridge'
								)
							) }
						/>
						<TextControl
							label={ __( 'IGNY8 email', 'igny8-bridge' ) }
							type="email"
							value={ draft.email }
							onChange={ ( value: string ) =>
								update( 'email', value )
							}
							autoComplete="off"
							{ ...fieldState(
								errors,
								'email',
								__(
									'The IGNY8 account that reports status changes.',
									'igny8-bridge'
								)
							) }
						/>
						<TextControl
							label={ __( 'IGNY8 password', 'igny8-bridge' ) }
							type="password"
							value={ secrets.password }
							onChange={ ( value: string ) =>
								setSecret( 'password', value )
							}
							autoComplete="new-password"
							{ ...fieldState(
								errors,
								'password',
								saved.password_present
									? __(
											'A password is saved and never shown. Leave empty to keep it.',
											'igny8-bridge'
										)
									: __(
											'No password is saved.',
											'igny8-bridge'
										)
							) }
						/>
						<TextControl
							label={ __( 'API key', 'igny8-bridge' ) }
							type="password"
							value={ secrets.api_key }
							onChange={ ( value: string ) =>
								setSecret( 'api_key', value )
							}
							autoComplete="off"
							{ ...fieldState(
								errors,
								'api_key',
								saved.api_key_present
									? __(
											'A key is saved and never shown. Enter a new one (32+ characters) to replace it.',
											'igny8-bridge'
										)
									: __(
											'No key is saved. IGNY8 needs one (32+ characters) to publish here.',
											'igny8-bridge'
										)
							) }
						/>
						<ToggleControl
							label={ __( 'Connection enabled', 'igny8-bridge' ) }
							help={ __(
								'When off, IGNY8 requests are refused (403) and nothing is synced.',
								'igny8-bridge'
							) }
							checked={ draft.connection_enabled }
							onChange={ ( value: boolean ) =>
								update( 'connection_enabled', value )
							}
						/>
						<div className="igny8-test-connection">
							<Button
								variant="secondary"
								isBusy={ connectionTest.isTesting }
								aria-disabled={ connectionTest.isTesting }
								onClick={
									connectionTest.isTesting
										? undefined
										: () => void connectionTest.test()
								}
							>
								{ connectionTest.isTesting
									? __( 'Testing…', 'igny8-bridge' )
									: __( 'Test connection', 'igny8-bridge' ) }
							</Button>
							{ isDirty && (
								<span className="igny8-muted">
									{ __(
										'The test uses the saved settings: save your changes first.',
										'igny8-bridge'
									) }
								</span>
							) }
						</div>
						<div
							aria-live="polite"
							className="igny8-test-connection__result"
						>
							{ connectionTest.result && (
								<Notice
									status={
										connectionTest.result.ok
											? 'success'
											: 'error'
									}
									isDismissible={ false }
								>
									<strong>
										{ connectionTest.result.ok
											? __(
													'Connection works.',
													'igny8-bridge'
												)
											: __(
													'Connection failed.',
													'igny8-bridge'
												) }
									</strong>{ ' ' }
									{ connectionTest.result.message }
								</Notice>
							) }
						</div>
					</CardBody>
				</Card>

				<Card className="igny8-card">
					<CardHeader>
						<h2>{ __( 'Sync', 'igny8-bridge' ) }</h2>
					</CardHeader>
					<CardBody>
						<SelectControl
							label={ __( 'Sync target', 'igny8-bridge' ) }
							value={ draft.sync_target }
							options={ [
								{
									value: 'tasks',
									label: __(
										'Writer tasks (email and password)',
										'igny8-bridge'
									),
								},
								{
									value: 'webhook',
									label: __(
										'Webhook (API key)',
										'igny8-bridge'
									),
								},
							] }
							onChange={ ( value: string ) =>
								update( 'sync_target', value as SyncTarget )
							}
							{ ...fieldState(
								errors,
								'sync_target',
								__(
									'Where WordPress status changes are reported.',
									'igny8-bridge'
								)
							) }
						/>
						<SelectControl
							label={ __( 'Sync mode', 'igny8-bridge' ) }
							value={ draft.sync_mode }
							options={ [
								{
									value: 'auto',
									label: __(
										'Automatic: send each change',
										'igny8-bridge'
									),
								},
								{
									value: 'manual',
									label: __(
										'Manual: only on Sync now or Sync all pending',
										'igny8-bridge'
									),
								},
							] }
							onChange={ ( value: string ) =>
								update( 'sync_mode', value as SyncMode )
							}
							{ ...fieldState( errors, 'sync_mode', '' ) }
						/>
						<div className="igny8-actions">
							<Button
								variant="secondary"
								isBusy={ syncAll.isRunning }
								aria-disabled={ syncAll.isRunning }
								onClick={
									syncAll.isRunning
										? undefined
										: () => void syncAll.run()
								}
							>
								{ __( 'Sync all pending', 'igny8-bridge' ) }
							</Button>
							<Button
								variant="secondary"
								isBusy={ syncStructure.isRunning }
								aria-disabled={ syncStructure.isRunning }
								onClick={
									syncStructure.isRunning
										? undefined
										: () => void syncStructure.run()
								}
							>
								{ __( 'Sync site structure', 'igny8-bridge' ) }
							</Button>
						</div>
						<ResyncSection />
					</CardBody>
				</Card>

				<Card className="igny8-card">
					<CardHeader>
						<h2>{ __( 'Publishing', 'igny8-bridge' ) }</h2>
					</CardHeader>
					<CardBody>
						<fieldset
							className={
								errors.allowed_post_types
									? 'igny8-fieldset has-error'
									: 'igny8-fieldset'
							}
							aria-describedby="igny8-post-types-help"
						>
							<legend>
								{ __( 'Allowed post types', 'igny8-bridge' ) }
							</legend>
							{ CONTRACT_POST_TYPES.map( ( type ) => (
								<CheckboxControl
									key={ type }
									label={ postTypeLabel( type ) }
									checked={ draft.allowed_post_types.includes(
										type
									) }
									onChange={ ( checked: boolean ) =>
										togglePostType( type, checked )
									}
								/>
							) ) }
							<p
								id="igny8-post-types-help"
								className="igny8-help"
							>
								{ errors.allowed_post_types ??
									__(
										'IGNY8 may create and update only these types.',
										'igny8-bridge'
									) }
							</p>
						</fieldset>
						<SelectControl
							label={ __(
								'Default post status',
								'igny8-bridge'
							) }
							value={ draft.default_post_status }
							options={ DEFAULT_POST_STATUSES.map(
								( status ) => ( {
									value: status,
									label: postStatusLabel( status ),
								} )
							) }
							onChange={ ( value: string ) =>
								update( 'default_post_status', value )
							}
							{ ...fieldState(
								errors,
								'default_post_status',
								__(
									'Used when IGNY8 sends no status.',
									'igny8-bridge'
								)
							) }
						/>
						<SelectControl
							label={ __( 'Default author', 'igny8-bridge' ) }
							value={ String( draft.default_author ) }
							options={ authorOptions(
								authors,
								draft.default_author
							) }
							onChange={ ( value: string ) =>
								update( 'default_author', Number( value ) )
							}
							{ ...fieldState(
								errors,
								'default_author',
								__(
									'Used when the IGNY8 author has no account here.',
									'igny8-bridge'
								)
							) }
						/>
						<SelectControl
							label={ __( 'Content format', 'igny8-bridge' ) }
							value={ draft.content_format }
							options={ [
								{
									value: 'blocks',
									label: __(
										'Blocks: convert the HTML to native blocks',
										'igny8-bridge'
									),
								},
								{
									value: 'html',
									label: __(
										'HTML: store it as sent (opens as a Classic block)',
										'igny8-bridge'
									),
								},
							] }
							onChange={ ( value: string ) =>
								update(
									'content_format',
									value as ContentFormat
								)
							}
							{ ...fieldState(
								errors,
								'content_format',
								__(
									'How IGNY8 articles are stored. Content that already has blocks is kept as it is.',
									'igny8-bridge'
								)
							) }
						/>
						<SelectControl
							label={ __(
								'When IGNY8 republishes a post edited in WordPress',
								'igny8-bridge'
							) }
							value={ draft.republish_policy }
							options={ [
								{
									value: 'overwrite',
									label: __(
										'Overwrite: keep the edited version as a revision',
										'igny8-bridge'
									),
								},
								{
									value: 'keep_local',
									label: __(
										'Keep local edits: refuse the republish (409) unless IGNY8 forces it',
										'igny8-bridge'
									),
								},
							] }
							onChange={ ( value: string ) =>
								update(
									'republish_policy',
									value as RepublishPolicy
								)
							}
							{ ...fieldState(
								errors,
								'republish_policy',
								__(
									'An edit of the title, content or excerpt in WordPress is never lost silently: IGNY8 is told which fields differ, and an overwritten version stays in the revisions.',
									'igny8-bridge'
								)
							) }
						/>
						<ToggleControl
							label={ __(
								'Send WordPress edits to IGNY8',
								'igny8-bridge'
							) }
							help={ __(
								'When an editor changes the title, content or excerpt of an IGNY8 post, IGNY8 receives the new version.',
								'igny8-bridge'
							) }
							checked={ draft.content_sync }
							onChange={ ( value: boolean ) =>
								update( 'content_sync', value )
							}
						/>
					</CardBody>
				</Card>

				<Card className="igny8-card">
					<CardHeader>
						<h2>{ __( 'Diagnostics', 'igny8-bridge' ) }</h2>
					</CardHeader>
					<CardBody>
						<Diagnostics saved={ saved } />
					</CardBody>
				</Card>

				<div className="igny8-settings__footer">
					<SettingsNotices />
					<Button
						type="submit"
						variant="primary"
						isBusy={ isSaving }
						aria-disabled={ isSaving }
					>
						{ isSaving
							? __( 'Saving…', 'igny8-bridge' )
							: __( 'Save settings', 'igny8-bridge' ) }
					</Button>
				</div>
			</form>
		);
		body = (
			<>
				{ body }
				{ /* Its own save: a form inside the settings form is not allowed, and the maps are saved apart. */ }
				<StatusMapCard
					saved={ saved }
					onSave={ refreshConnectionState }
				/>
			</>
		);
	}

	return (
		<div className="igny8-settings">
			<h1>{ __( 'IGNY8 Bridge', 'igny8-bridge' ) }</h1>
			{ ( ! saved || ! draft ) && <SettingsNotices /> }
			<SidecarCard />
			{ body }
		</div>
	);
}
