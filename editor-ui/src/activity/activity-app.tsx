/**
 * WordPress dependencies
 */
import {
	Button,
	Card,
	CardBody,
	CardHeader,
	Notice,
	SelectControl,
	Spinner,
	TextControl,
} from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { toApiError } from '../common/api-error';
import {
	ACTIVITY_KINDS,
	ACTIVITY_OUTCOMES,
	RETENTION_BOUNDS,
} from '../common/contract';
import { relativeTime } from '../common/relative-time';
import type { ActivityFilters, ActivityRow, Retention } from './types';
import { exportCsv, useActivity, useRetention } from './use-activity';

const NO_FILTERS: ActivityFilters = {
	kind: '',
	outcome: '',
	post_id: '',
	search: '',
};

const label = ( value: string ) => value.replace( /_/g, ' ' );

/**
 * "2 (retry)": a delivery tried more than once.
 * @param row The row.
 */
function attemptsText( row: ActivityRow ): string {
	if ( row.attempts === null ) {
		return '';
	}
	return row.attempts > 1
		? sprintf(
				/* translators: %d: attempt number. */
				__( '%d (retry)', 'igny8-bridge' ),
				row.attempts
			)
		: String( row.attempts );
}

function ActivityTable( { rows }: { rows: ActivityRow[] } ) {
	return (
		<table className="widefat striped igny8-activity-table">
			<thead>
				<tr>
					<th>{ __( 'Time', 'igny8-bridge' ) }</th>
					<th>{ __( 'Direction', 'igny8-bridge' ) }</th>
					<th>{ __( 'Kind', 'igny8-bridge' ) }</th>
					<th>{ __( 'Route / target', 'igny8-bridge' ) }</th>
					<th>{ __( 'Post', 'igny8-bridge' ) }</th>
					<th>{ __( 'Content id', 'igny8-bridge' ) }</th>
					<th>{ __( 'Outcome', 'igny8-bridge' ) }</th>
					<th>{ __( 'Attempts', 'igny8-bridge' ) }</th>
					<th>{ __( 'Next retry', 'igny8-bridge' ) }</th>
					<th>{ __( 'Duration', 'igny8-bridge' ) }</th>
					<th>{ __( 'Request id', 'igny8-bridge' ) }</th>
					<th>{ __( 'Error', 'igny8-bridge' ) }</th>
				</tr>
			</thead>
			<tbody>
				{ rows.map( ( row ) => (
					<tr
						key={ row.id }
						data-outcome={ row.outcome }
						data-kind={ row.kind }
					>
						<td title={ row.at }>{ relativeTime( row.at ) }</td>
						<td>
							{ row.direction === 'in'
								? __( 'IGNY8 → site', 'igny8-bridge' )
								: __( 'site → IGNY8', 'igny8-bridge' ) }
						</td>
						<td>{ label( row.kind ) }</td>
						<td>
							{ ( row.route ?? row.target ) !== null && (
								<code>{ row.route ?? row.target }</code>
							) }
						</td>
						<td>
							{ row.post_id !== null && (
								<a
									href={ `post.php?post=${ row.post_id }&action=edit` }
								>
									{ row.post_id }
								</a>
							) }
						</td>
						<td>{ row.content_id ?? '' }</td>
						<td>
							<span
								className={ `igny8-outcome igny8-outcome--${ row.outcome }` }
								title={ ACTIVITY_OUTCOMES[ row.outcome ] ?? '' }
							>
								{ label( row.outcome ) }
							</span>
							{ row.code !== null && (
								<code className="igny8-activity-code">
									{ row.code }
								</code>
							) }
						</td>
						<td>{ attemptsText( row ) }</td>
						<td title={ row.next_retry_at ?? '' }>
							{ row.next_retry_at !== null
								? relativeTime( row.next_retry_at )
								: '' }
						</td>
						<td>
							{ row.duration_ms !== null
								? `${ row.duration_ms } ms`
								: '' }
						</td>
						<td>
							{ row.request_id !== null && (
								<code>{ row.request_id }</code>
							) }
						</td>
						<td className="igny8-activity-error">
							{ row.error ?? '' }
						</td>
					</tr>
				) ) }
			</tbody>
		</table>
	);
}

function RetentionCard() {
	const { retention, save } = useRetention();
	const [ draft, setDraft ] = useState< Retention | null >( null );
	const [ message, setMessage ] = useState< {
		status: 'success' | 'error';
		text: string;
	} | null >( null );
	const value = draft ?? retention;
	if ( value === null ) {
		return null;
	}
	const update = ( field: keyof Retention, text: string ) =>
		setDraft( { ...value, [ field ]: Number( text ) } );
	const submit = () => {
		save( value )
			.then( () => {
				setDraft( null );
				setMessage( {
					status: 'success',
					text: __( 'Retention saved.', 'igny8-bridge' ),
				} );
			} )
			.catch( ( failure: unknown ) =>
				setMessage( {
					status: 'error',
					text: toApiError(
						failure,
						__(
							'The retention could not be saved.',
							'igny8-bridge'
						)
					).message,
				} )
			);
	};
	return (
		<Card className="igny8-card">
			<CardHeader>
				<h2>{ __( 'Retention', 'igny8-bridge' ) }</h2>
			</CardHeader>
			<CardBody>
				{ message !== null && (
					<Notice
						status={ message.status }
						onRemove={ () => setMessage( null ) }
					>
						{ message.text }
					</Notice>
				) }
				<div className="igny8-activity-retention">
					<TextControl
						__nextHasNoMarginBottom
						__next40pxDefaultSize
						type="number"
						label={ __( 'Keep rows for (days)', 'igny8-bridge' ) }
						min={ RETENTION_BOUNDS.days.minimum }
						max={ RETENTION_BOUNDS.days.maximum }
						value={ String( value.activity_retention_days ) }
						onChange={ ( text ) =>
							update( 'activity_retention_days', text )
						}
					/>
					<TextControl
						__nextHasNoMarginBottom
						__next40pxDefaultSize
						type="number"
						label={ __( 'Keep at most (rows)', 'igny8-bridge' ) }
						min={ RETENTION_BOUNDS.rows.minimum }
						max={ RETENTION_BOUNDS.rows.maximum }
						value={ String( value.activity_max_rows ) }
						onChange={ ( text ) =>
							update( 'activity_max_rows', text )
						}
					/>
					<Button
						variant="secondary"
						onClick={ submit }
						disabled={ draft === null }
					>
						{ __( 'Save retention', 'igny8-bridge' ) }
					</Button>
				</div>
				<p className="description">
					{ __(
						'Older rows are removed by the sidecar in the background, every few minutes.',
						'igny8-bridge'
					) }
				</p>
			</CardBody>
		</Card>
	);
}

export function ActivityApp() {
	const [ draft, setDraft ] = useState< ActivityFilters >( NO_FILTERS );
	const [ filters, setFilters ] = useState< ActivityFilters >( NO_FILTERS );
	const [ page, setPage ] = useState( 1 );
	const [ exportError, setExportError ] = useState< string | null >( null );
	const { data, error, loading, reload } = useActivity( filters, page );

	const apply = ( next: ActivityFilters ) => {
		setDraft( next );
		setFilters( next );
		setPage( 1 );
	};
	const choose = ( field: keyof ActivityFilters ) => ( value: string ) =>
		apply( { ...draft, [ field ]: value } );

	return (
		<div className="igny8-activity">
			<h1>{ __( 'IGNY8 Activity', 'igny8-bridge' ) }</h1>
			<p>
				{ __(
					'Every call IGNY8 made to this site and every change the site sent to IGNY8, newest first.',
					'igny8-bridge'
				) }
			</p>
			<form
				className="igny8-activity-filters"
				onSubmit={ ( event ) => {
					event.preventDefault();
					apply( draft );
				} }
			>
				<SelectControl
					__nextHasNoMarginBottom
					__next40pxDefaultSize
					label={ __( 'Kind', 'igny8-bridge' ) }
					value={ draft.kind }
					options={ [
						{ value: '', label: __( 'All kinds', 'igny8-bridge' ) },
						...ACTIVITY_KINDS.map( ( kind ) => ( {
							value: kind,
							label: label( kind ),
						} ) ),
					] }
					onChange={ choose( 'kind' ) }
				/>
				<SelectControl
					__nextHasNoMarginBottom
					__next40pxDefaultSize
					label={ __( 'Outcome', 'igny8-bridge' ) }
					value={ draft.outcome }
					options={ [
						{
							value: '',
							label: __( 'All outcomes', 'igny8-bridge' ),
						},
						...Object.keys( ACTIVITY_OUTCOMES ).map(
							( outcome ) => ( {
								value: outcome,
								label: label( outcome ),
							} )
						),
					] }
					onChange={ choose( 'outcome' ) }
				/>
				<TextControl
					__nextHasNoMarginBottom
					__next40pxDefaultSize
					type="number"
					label={ __( 'Post id', 'igny8-bridge' ) }
					value={ draft.post_id }
					onChange={ ( value ) =>
						setDraft( { ...draft, post_id: value } )
					}
				/>
				<TextControl
					__nextHasNoMarginBottom
					__next40pxDefaultSize
					label={ __( 'Content id or request id', 'igny8-bridge' ) }
					value={ draft.search }
					onChange={ ( value ) =>
						setDraft( { ...draft, search: value } )
					}
				/>
				<Button variant="primary" type="submit">
					{ __( 'Filter', 'igny8-bridge' ) }
				</Button>
				<Button variant="secondary" onClick={ reload }>
					{ __( 'Refresh', 'igny8-bridge' ) }
				</Button>
				<Button
					variant="secondary"
					onClick={ () => {
						setExportError( null );
						exportCsv( filters ).catch( ( failure: unknown ) =>
							setExportError(
								toApiError(
									failure,
									__( 'The export failed.', 'igny8-bridge' )
								).message
							)
						);
					} }
				>
					{ __( 'Export CSV', 'igny8-bridge' ) }
				</Button>
			</form>
			{ error !== null && (
				<Notice status="error" isDismissible={ false }>
					{ error.message }
				</Notice>
			) }
			{ exportError !== null && (
				<Notice
					status="error"
					onRemove={ () => setExportError( null ) }
				>
					{ exportError }
				</Notice>
			) }
			{ loading && data === null && <Spinner /> }
			{ data !== null && data.rows.length === 0 && (
				<p className="igny8-activity-empty">
					{ __( 'No activity matches.', 'igny8-bridge' ) }
				</p>
			) }
			{ data !== null && data.rows.length > 0 && (
				<ActivityTable rows={ data.rows } />
			) }
			{ data !== null && (
				<div className="igny8-activity-pages">
					<Button
						variant="tertiary"
						disabled={ page <= 1 }
						onClick={ () => setPage( page - 1 ) }
					>
						{ __( '‹ Newer', 'igny8-bridge' ) }
					</Button>
					<span>
						{ sprintf(
							/* translators: 1: page, 2: pages, 3: rows. */
							__(
								'Page %1$d of %2$d (%3$d rows)',
								'igny8-bridge'
							),
							data.page,
							data.pages,
							data.total
						) }
					</span>
					<Button
						variant="tertiary"
						disabled={ page >= data.pages }
						onClick={ () => setPage( page + 1 ) }
					>
						{ __( 'Older ›', 'igny8-bridge' ) }
					</Button>
					{ loading && <Spinner /> }
				</div>
			) }
			<RetentionCard />
		</div>
	);
}
