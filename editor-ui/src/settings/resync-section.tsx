/**
 * WordPress dependencies
 */
import { Button, Notice } from '@wordpress/components';
import { createElement } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { useResync, type ResyncProgress } from './use-resync';

/**
 * The progress as one sentence.
 * @param progress The pass.
 */
function describe( progress: ResyncProgress ): string {
	if ( progress.state === 'done' ) {
		return sprintf(
			/* translators: 1: posts, 2: posts queued, 3: changes still waiting for delivery. */
			__(
				'Resync done: %1$d managed posts, %2$d queued for delivery. Waiting for delivery: %3$d.',
				'igny8-bridge'
			),
			progress.processed,
			progress.enqueued,
			progress.queue.waiting
		);
	}
	if ( progress.state === 'running' ) {
		return sprintf(
			/* translators: 1: posts done, 2: all posts. */
			__( 'Resyncing: %1$d of %2$s managed posts.', 'igny8-bridge' ),
			progress.processed,
			progress.total === null ? '?' : String( progress.total )
		);
	}
	return __( 'No resync has run yet.', 'igny8-bridge' );
}

/**
 * "Resync everything" with its progress: delivers every managed post's current state to IGNY8 once (the same job as
 * `wp igny8 resync --all`). A pass left half done (the page closed) is continued by the next click.
 */
export function ResyncSection() {
	const { progress, isRunning, error, run } = useResync();
	return (
		<div className="igny8-resync">
			<p className="igny8-help">
				{ __(
					"Sends every IGNY8 post's current state to IGNY8 once, for example after IGNY8 lost data. Posts already waiting are not sent twice.",
					'igny8-bridge'
				) }
			</p>
			<div className="igny8-actions">
				<Button
					variant="secondary"
					isBusy={ isRunning }
					aria-disabled={ isRunning }
					onClick={ isRunning ? undefined : () => void run() }
				>
					{ __( 'Resync everything', 'igny8-bridge' ) }
				</Button>
			</div>
			{ progress && progress.state !== 'idle' && (
				<div className="igny8-resync__progress">
					<progress
						aria-label={ __( 'Resync progress', 'igny8-bridge' ) }
						max={ 100 }
						value={ progress.percent }
					/>
					<p role="status" data-state={ progress.state }>
						{ describe( progress ) }
					</p>
				</div>
			) }
			{ error && (
				<Notice status="error" isDismissible={ false }>
					{ sprintf(
						/* translators: %s: why the resync stopped. */
						__(
							'The resync stopped: %s Click again to continue.',
							'igny8-bridge'
						),
						error.message
					) }
				</Notice>
			) }
		</div>
	);
}
