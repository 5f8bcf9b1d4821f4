/**
 * WordPress dependencies
 */
import {
	Button,
	Card,
	CardBody,
	CardHeader,
	Notice,
	Spinner,
	TextControl,
} from '@wordpress/components';
import { createElement, Fragment, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { useSidecarPairing } from './use-sidecar-pairing';

/**
 * "Use a hosted sidecar": the hosted sidecar's URL and the single-use code its operator issued for this site. The
 * shim generates a fresh secret and registers it with the code in one https call; nothing is copied by hand.
 * @param root0
 * @param root0.busy
 * @param root0.hosted
 * @param root0.onEnrol
 */
function EnrolForm( {
	busy,
	hosted,
	onEnrol,
}: {
	busy: boolean;
	/** The site is already on a hosted sidecar: enrolling moves it. */
	hosted: boolean;
	onEnrol: ( url: string, code: string ) => void;
} ) {
	const [ url, setUrl ] = useState( '' );
	const [ code, setCode ] = useState( '' );
	return (
		<form
			className="igny8-sidecar-enrol"
			data-igny8="sidecar-enrol"
			onSubmit={ ( event ) => {
				event.preventDefault();
				onEnrol( url.trim(), code.trim() );
			} }
		>
			<h3>
				{ hosted
					? __( 'Move to another hosted sidecar', 'igny8-bridge' )
					: __( 'Use a hosted sidecar', 'igny8-bridge' ) }
			</h3>
			<p className="description">
				{ __(
					'Paste the hosted sidecar URL and the enrolment code its operator gave you. The code works once, for this site address only.',
					'igny8-bridge'
				) }
				{ hosted &&
					' ' +
						__(
							'Once the new one accepts the code, this site stops using the one above.',
							'igny8-bridge'
						) }
			</p>
			<TextControl
				__nextHasNoMarginBottom
				__next40pxDefaultSize
				label={ __( 'Hosted sidecar URL', 'igny8-bridge' ) }
				type="url"
				value={ url }
				placeholder="https://sidecar.example.com"
				onChange={ setUrl }
			/>
			<TextControl
				__nextHasNoMarginBottom
				__next40pxDefaultSize
				label={ __( 'Enrolment code', 'igny8-bridge' ) }
				value={ code }
				autoComplete="off"
				onChange={ setCode }
			/>
			<div className="igny8-actions">
				<Button
					variant="primary"
					type="submit"
					isBusy={ busy }
					disabled={ busy || url.trim() === '' || code.trim() === '' }
				>
					{ __( 'Enrol this site', 'igny8-bridge' ) }
				</Button>
			</div>
		</form>
	);
}

/**
 * Settings → IGNY8 → Sidecar: where the sidecar is (its own, or a hosted one), whether it answers and with which
 * version, both key fingerprints, and for a sidecar of its own the exact lines for its env file. The secret is
 * fetched only when an administrator asks.
 */
export function SidecarCard() {
	const {
		pairing,
		revealedEnv,
		error,
		busy,
		reload,
		reveal,
		hide,
		rotate,
		enrol,
	} = useSidecarPairing();
	const [ confirmRotate, setConfirmRotate ] = useState( false );

	let body;
	if ( ! pairing ) {
		body =
			busy === 'load' ? (
				<p className="igny8-loading">
					<Spinner />{ ' ' }
					{ __( 'Checking the sidecar…', 'igny8-bridge' ) }
				</p>
			) : null;
	} else {
		const fp = pairing.fingerprints;
		let answers: string = __( 'Does not answer', 'igny8-bridge' );
		if ( pairing.reachable ) {
			answers =
				pairing.latency_ms === null
					? sprintf(
							/* translators: %s: sidecar version. */
							__( 'Answers, version %s', 'igny8-bridge' ),
							pairing.version ?? '?'
						)
					: sprintf(
							/* translators: 1: sidecar version, 2: round trip in milliseconds. */
							__(
								'Answers, version %1$s (%2$d ms)',
								'igny8-bridge'
							),
							pairing.version ?? '?',
							pairing.latency_ms
						);
		} else if ( pairing.problem?.code === 'SIDECAR_TLS_FAILED' ) {
			answers = __( 'Certificate refused', 'igny8-bridge' );
		}
		let connection: string = __(
			'Plain http (only to this machine or the development host wp-config names)',
			'igny8-bridge'
		);
		if ( pairing.tls === 'wp-config' ) {
			connection = __(
				'https, certificate checked against the CA file in wp-config.php (IGNY8_SIDECAR_CA_BUNDLE)',
				'igny8-bridge'
			);
		} else if ( pairing.tls === 'wordpress' ) {
			connection = __(
				'https, certificate checked against WordPress’s CA bundle',
				'igny8-bridge'
			);
		}
		const hosted = pairing.mode === 'hosted';
		let match: string = __( 'Not checked', 'igny8-bridge' );
		if ( fp.match === true ) {
			match = __( 'Match', 'igny8-bridge' );
		} else if ( fp.match === false ) {
			match = __( 'Do not match', 'igny8-bridge' );
		}
		body = (
			<Fragment>
				<dl className="igny8-sidecar-facts">
					<dt>{ __( 'Kind', 'igny8-bridge' ) }</dt>
					<dd data-igny8="sidecar-mode">
						{ hosted
							? __( 'Hosted sidecar', 'igny8-bridge' )
							: __( 'Sidecar of this site', 'igny8-bridge' ) }
					</dd>
					<dt>{ __( 'Sidecar URL', 'igny8-bridge' ) }</dt>
					<dd>
						<code>{ pairing.url ?? '—' }</code>
					</dd>
					{ pairing.url !== null && (
						<Fragment>
							<dt>{ __( 'Connection', 'igny8-bridge' ) }</dt>
							<dd data-igny8="sidecar-tls">{ connection }</dd>
						</Fragment>
					) }
					<dt>{ __( 'Status', 'igny8-bridge' ) }</dt>
					<dd data-igny8="sidecar-status">{ answers }</dd>
					<dt>{ __( 'Plugin', 'igny8-bridge' ) }</dt>
					<dd>
						{ sprintf(
							/* translators: 1: plugin version, 2: protocol version. */
							__( 'version %1$s, protocol %2$s', 'igny8-bridge' ),
							pairing.plugin.version,
							pairing.plugin.protocol
						) }
					</dd>
					<dt>{ __( 'Key fingerprints', 'igny8-bridge' ) }</dt>
					<dd data-igny8="sidecar-fingerprints">
						{ sprintf(
							/* translators: 1: this site's key fingerprint, 2: the sidecar's, 3: Match / Do not match. */
							__(
								'site %1$s · sidecar %2$s · %3$s',
								'igny8-bridge'
							),
							fp.site ?? '—',
							fp.sidecar ?? '—',
							match
						) }
					</dd>
				</dl>
				{ pairing.problem && (
					<Notice status="warning" isDismissible={ false }>
						<span data-igny8="sidecar-problem">
							{ pairing.problem.message }
						</span>
					</Notice>
				) }
				{ hosted ? (
					<div className="igny8-actions">
						<Button
							variant="tertiary"
							isBusy={ busy === 'load' }
							disabled={ busy !== null }
							onClick={ () => void reload() }
						>
							{ __( 'Check again', 'igny8-bridge' ) }
						</Button>
						{ /* The hosted sidecar gets the new secret in the same signed call: nothing to copy. */ }
						<Button
							variant="secondary"
							isDestructive
							isBusy={ busy === 'rotate' }
							disabled={ busy !== null || ! pairing.reachable }
							onClick={ () => void rotate() }
						>
							{ __( 'Generate new secret', 'igny8-bridge' ) }
						</Button>
					</div>
				) : (
					<Fragment>
						<p>
							{ __(
								'Give the sidecar these lines (its env file, e.g. /etc/igny8-sidecar/igny8-sidecar.env), then restart it:',
								'igny8-bridge'
							) }
						</p>
						<pre
							className="igny8-sidecar-env"
							data-igny8="sidecar-env"
						>
							{ revealedEnv ?? pairing.env }
						</pre>
						<div className="igny8-actions">
							{ revealedEnv === null ? (
								<Button
									variant="secondary"
									isBusy={ busy === 'reveal' }
									disabled={ busy !== null }
									onClick={ () => void reveal() }
								>
									{ __( 'Reveal secret', 'igny8-bridge' ) }
								</Button>
							) : (
								<Button variant="secondary" onClick={ hide }>
									{ __( 'Hide secret', 'igny8-bridge' ) }
								</Button>
							) }
							<Button
								variant="tertiary"
								isBusy={ busy === 'load' }
								disabled={ busy !== null }
								onClick={ () => void reload() }
							>
								{ __( 'Check again', 'igny8-bridge' ) }
							</Button>
							{ pairing.secret_source === 'option' &&
								( confirmRotate ? (
									<Fragment>
										<span>
											{ __(
												'The sidecar must get the new lines within 10 minutes. Continue?',
												'igny8-bridge'
											) }
										</span>
										<Button
											variant="primary"
											isDestructive
											isBusy={ busy === 'rotate' }
											disabled={ busy !== null }
											onClick={ () => {
												setConfirmRotate( false );
												void rotate();
											} }
										>
											{ __(
												'Yes, generate',
												'igny8-bridge'
											) }
										</Button>
										<Button
											variant="tertiary"
											onClick={ () =>
												setConfirmRotate( false )
											}
										>
											{ __( 'Cancel', 'igny8-bridge' ) }
										</Button>
									</Fragment>
								) : (
									<Button
										variant="secondary"
										isDestructive
										disabled={ busy !== null }
										onClick={ () =>
											setConfirmRotate( true )
										}
									>
										{ __(
											'Generate new secret',
											'igny8-bridge'
										) }
									</Button>
								) ) }
						</div>
					</Fragment>
				) }
				{ pairing.previous_until !== null && (
					<p className="description">
						{ sprintf(
							/* translators: %s: time at which the previous secret stops working. */
							__(
								'The previous secret keeps working until %s.',
								'igny8-bridge'
							),
							new Date(
								pairing.previous_until * 1000
							).toLocaleTimeString()
						) }
					</p>
				) }
				{ pairing.can_enrol && (
					<EnrolForm
						busy={ busy === 'enrol' }
						hosted={ hosted }
						onEnrol={ ( url, code ) => void enrol( url, code ) }
					/>
				) }
			</Fragment>
		);
	}

	return (
		<Card className="igny8-card" data-igny8="sidecar-card">
			<CardHeader>
				<h2>
					{ pairing?.mode === 'hosted'
						? __( 'Hosted sidecar', 'igny8-bridge' )
						: __( 'Sidecar', 'igny8-bridge' ) }
				</h2>
			</CardHeader>
			<CardBody>
				{ error && (
					<Notice status="error" isDismissible={ false }>
						{ error.message }
					</Notice>
				) }
				{ body }
			</CardBody>
		</Card>
	);
}
