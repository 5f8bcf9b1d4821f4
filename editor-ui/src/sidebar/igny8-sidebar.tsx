/**
 * WordPress dependencies
 */
import { createElement, Fragment } from '@wordpress/element';
import { useSelect } from '@wordpress/data';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { PluginDocumentSettingPanel, PluginSidebar } from './slots';

interface EditorSelectors {
	getEditedPostAttribute( name: 'meta' ): Record< string, unknown > | undefined;
}

export function Igny8Sidebar() {
	const { contentId } = useSelect( ( select ) => {
		const editorStore = select( 'core/editor' ) as unknown as EditorSelectors;
		const meta = editorStore.getEditedPostAttribute( 'meta' ) ?? {};
		return { contentId: Number( meta._igny8_content_id ?? 0 ) };
	}, [] );

	const summary = contentId
		? `${ __( 'IGNY8 content', 'igny8-bridge' ) } #${ contentId }`
		: __( 'Not managed by IGNY8', 'igny8-bridge' );

	return (
		<Fragment>
			{ PluginDocumentSettingPanel && (
				<PluginDocumentSettingPanel name="igny8-summary" title={ __( 'IGNY8', 'igny8-bridge' ) }>
					<p>{ summary }</p>
				</PluginDocumentSettingPanel>
			) }
			{ PluginSidebar && (
				<PluginSidebar name="igny8-sidebar" title={ __( 'IGNY8', 'igny8-bridge' ) }>
					<div className="igny8-sidebar">
						<p>{ summary }</p>
					</div>
				</PluginSidebar>
			) }
		</Fragment>
	);
}
