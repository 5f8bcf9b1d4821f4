/**
 * WordPress dependencies
 */
import { Button, Notice, PanelBody, Spinner } from '@wordpress/components';
import { createElement, Fragment } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { Missing } from './details';
import { useTaskBrief } from './use-task-brief';

/**
 * `target_keywords` → "Target keywords".
 * @param key
 */
export function fieldLabel( key: string ): string {
	const words = key.replace( /[_-]+/g, ' ' ).trim();
	return words ? words.charAt( 0 ).toUpperCase() + words.slice( 1 ) : key;
}

/**
 * Any JSON value of the brief, as text: React escapes every string, so HTML in a brief shows as its characters.
 * @param root0
 * @param root0.value
 */
export function BriefValue( { value }: { value: unknown } ) {
	if ( value === null || value === undefined || value === '' ) {
		return <Missing />;
	}
	if ( Array.isArray( value ) ) {
		return (
			<ul className="igny8-brief__list">
				{ value.map( ( item, index ) => (
					<li key={ index }>
						<BriefValue value={ item } />
					</li>
				) ) }
			</ul>
		);
	}
	if ( typeof value === 'object' ) {
		return (
			<dl className="igny8-brief__fields">
				{ Object.entries( value as Record< string, unknown > ).map(
					( [ key, item ] ) => (
						<div className="igny8-brief__field" key={ key }>
							<dt>{ fieldLabel( key ) }</dt>
							<dd>
								<BriefValue value={ item } />
							</dd>
						</div>
					)
				) }
			</dl>
		);
	}
	return <span className="igny8-brief__text">{ String( value ) }</span>;
}

/**
 * The task brief panel (collapsed at first): whatever fields IGNY8's brief holds, and **Refresh brief**.
 * @param root0
 * @param root0.postId
 */
export function BriefPanel( { postId }: { postId: number } ) {
	const { reply, isLoading, isRefreshing, problem, refreshBrief } =
		useTaskBrief( postId, true );
	const state = reply?.fetch?.state;
	const busy = isRefreshing || state === 'pending' || state === 'in_flight';
	return (
		<PanelBody
			title={ __( 'Task brief', 'igny8-bridge' ) }
			initialOpen={ false }
			className="igny8-brief"
		>
			{ problem && (
				<Notice status="error" isDismissible={ false }>
					{ problem }
				</Notice>
			) }
			{ state === 'failed' || state === 'dead' ? (
				<Notice status="warning" isDismissible={ false }>
					{ sprintf(
						/* translators: %s: why the brief could not be fetched. */
						__(
							'The brief could not be fetched: %s',
							'igny8-bridge'
						),
						reply?.fetch?.last_error ?? ''
					) }
				</Notice>
			) : null }
			{ reply?.brief !== null && reply?.brief !== undefined ? (
				<Fragment>
					<div className="igny8-brief__content">
						<BriefValue value={ reply.brief } />
					</div>
					{ reply.cached_at && (
						<p className="igny8-note igny8-brief__cached">
							{ sprintf(
								/* translators: %s: date and time. */
								__( 'Fetched %s', 'igny8-bridge' ),
								new Date( reply.cached_at ).toLocaleString()
							) }
						</p>
					) }
				</Fragment>
			) : (
				! isLoading && (
					<p className="igny8-note">
						{ __(
							'No brief is cached for this task yet.',
							'igny8-bridge'
						) }
					</p>
				)
			) }
			<Button
				variant="secondary"
				onClick={ refreshBrief }
				isBusy={ busy }
				disabled={ busy }
			>
				{ __( 'Refresh brief', 'igny8-bridge' ) }
			</Button>
			{ busy && <Spinner /> }
		</PanelBody>
	);
}
