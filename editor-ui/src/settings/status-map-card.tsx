/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import {
	Button,
	Card,
	CardBody,
	CardHeader,
	Notice,
	SelectControl,
} from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { envelopeData, toApiError } from '../common/api-error';
import {
	IGNY8_STATUSES,
	routes,
	STATUS_MAP_DEFAULTS,
	WP_STATUSES,
	type StatusMapDirection,
} from '../common/contract';
import type { SettingsReply } from './types';

type Maps = Record< StatusMapDirection, Record< string, string > >;

const DIRECTIONS: StatusMapDirection[] = [ 'igny8_to_wp', 'wp_to_igny8' ];

/**
 * The active maps: the contract's defaults with the saved overrides on top (the sidecar's activeStatusMap()).
 * @param saved The settings reply.
 */
function activeMaps( saved: SettingsReply ): Maps {
	return {
		igny8_to_wp: {
			...STATUS_MAP_DEFAULTS.igny8_to_wp,
			...( saved.status_map_igny8_to_wp ?? {} ),
		},
		wp_to_igny8: {
			...STATUS_MAP_DEFAULTS.wp_to_igny8,
			...( saved.status_map_wp_to_igny8 ?? {} ),
		},
	};
}

/**
 * What differs from the defaults: that is what is saved, so a later change of a default still applies.
 * @param map       One direction's active map.
 * @param direction Which.
 */
function overridesOf(
	map: Record< string, string >,
	direction: StatusMapDirection
): Record< string, string > {
	return Object.fromEntries(
		Object.entries( map ).filter(
			( [ key, value ] ) =>
				STATUS_MAP_DEFAULTS[ direction ][ key ] !== value
		)
	);
}

/**
 * "Status mapping": both directions of the status map, each status a select of what the other side accepts (the
 * sidecar validates again), saved on its own through the settings route; "Reset to defaults" saves no overrides.
 * @param props        Props.
 * @param props.saved  The settings as loaded.
 * @param props.onSave Called with the settings reply after a save.
 */
export function StatusMapCard( {
	saved,
	onSave,
}: {
	saved: SettingsReply;
	onSave: ( reply: SettingsReply ) => void;
} ) {
	const [ maps, setMaps ] = useState< Maps >( () => activeMaps( saved ) );
	const [ busy, setBusy ] = useState( false );
	const [ result, setResult ] = useState< {
		ok: boolean;
		message: string;
	} | null >( null );

	const store = async ( next: Maps, done: string ) => {
		setBusy( true );
		setResult( null );
		try {
			const reply = envelopeData< SettingsReply >(
				await apiFetch( {
					path: routes.settings,
					method: 'POST',
					data: {
						status_map_igny8_to_wp: overridesOf(
							next.igny8_to_wp,
							'igny8_to_wp'
						),
						status_map_wp_to_igny8: overridesOf(
							next.wp_to_igny8,
							'wp_to_igny8'
						),
					},
				} )
			);
			setMaps( activeMaps( reply ) );
			onSave( reply );
			setResult( { ok: true, message: done } );
		} catch ( error ) {
			const apiError = toApiError(
				error,
				__( 'The request did not reach WordPress.', 'igny8-bridge' )
			);
			setResult( {
				ok: false,
				message: sprintf(
					/* translators: %s: why saving failed. */
					__( 'The status maps were not saved: %s', 'igny8-bridge' ),
					apiError.message
				),
			} );
		} finally {
			setBusy( false );
		}
	};

	const defaults: Maps = {
		igny8_to_wp: { ...STATUS_MAP_DEFAULTS.igny8_to_wp },
		wp_to_igny8: { ...STATUS_MAP_DEFAULTS.wp_to_igny8 },
	};
	const isDefault = DIRECTIONS.every(
		( direction ) =>
			Object.keys( overridesOf( maps[ direction ], direction ) )
				.length === 0
	);

	const table = ( direction: StatusMapDirection ) => {
		const options = (
			direction === 'igny8_to_wp' ? WP_STATUSES : IGNY8_STATUSES
		).map( ( value ) => ( { label: value, value } ) );
		return (
			<table
				className="igny8-status-map__table widefat striped"
				data-direction={ direction }
			>
				<thead>
					<tr>
						<th scope="col">
							{ direction === 'igny8_to_wp'
								? __( 'IGNY8 status', 'igny8-bridge' )
								: __( 'WordPress status', 'igny8-bridge' ) }
						</th>
						<th scope="col">
							{ direction === 'igny8_to_wp'
								? __( 'WordPress status', 'igny8-bridge' )
								: __( 'IGNY8 status', 'igny8-bridge' ) }
						</th>
						<th scope="col">{ __( 'Default', 'igny8-bridge' ) }</th>
					</tr>
				</thead>
				<tbody>
					{ Object.entries( maps[ direction ] ).map(
						( [ from, to ] ) => (
							<tr key={ from }>
								<th scope="row">
									<code>{ from }</code>
								</th>
								<td>
									<SelectControl
										__nextHasNoMarginBottom
										label={ sprintf(
											/* translators: %s: a status. */
											__( 'Maps %s to', 'igny8-bridge' ),
											from
										) }
										hideLabelFromVision
										value={ to }
										options={ options }
										onChange={ ( value: string ) =>
											setMaps( {
												...maps,
												[ direction ]: {
													...maps[ direction ],
													[ from ]: value,
												},
											} )
										}
									/>
								</td>
								<td>
									<code>
										{
											STATUS_MAP_DEFAULTS[ direction ][
												from
											]
										}
									</code>
								</td>
							</tr>
						)
					) }
				</tbody>
			</table>
		);
	};

	return (
		<Card className="igny8-card igny8-status-map">
			<CardHeader>
				<h2>{ __( 'Status mapping', 'igny8-bridge' ) }</h2>
			</CardHeader>
			<CardBody>
				<h3>{ __( 'IGNY8 → WordPress', 'igny8-bridge' ) }</h3>
				<p className="description">
					{ __(
						'The WordPress status a post gets when IGNY8 publishes it with this status.',
						'igny8-bridge'
					) }
				</p>
				{ table( 'igny8_to_wp' ) }
				<h3>{ __( 'WordPress → IGNY8', 'igny8-bridge' ) }</h3>
				<p className="description">
					{ __(
						'The IGNY8 status a WordPress status is reported as: sent by the sync, and the map that /post-status answers as status_mapping.',
						'igny8-bridge'
					) }
				</p>
				{ table( 'wp_to_igny8' ) }
				{ result && (
					<Notice
						status={ result.ok ? 'success' : 'error' }
						isDismissible={ false }
						className="igny8-status-map__result"
					>
						{ result.message }
					</Notice>
				) }
				<div className="igny8-status-map__actions">
					<Button
						variant="primary"
						isBusy={ busy }
						aria-disabled={ busy }
						onClick={ () =>
							! busy &&
							void store(
								maps,
								__( 'Status maps saved.', 'igny8-bridge' )
							)
						}
					>
						{ __( 'Save status maps', 'igny8-bridge' ) }
					</Button>
					<Button
						variant="secondary"
						disabled={ busy || isDefault }
						onClick={ () =>
							void store(
								defaults,
								__(
									'Status maps reset to the defaults.',
									'igny8-bridge'
								)
							)
						}
					>
						{ __( 'Reset to defaults', 'igny8-bridge' ) }
					</Button>
				</div>
			</CardBody>
		</Card>
	);
}
