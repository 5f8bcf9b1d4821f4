/**
 * WordPress dependencies
 */
import { createElement, Fragment } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { Igny8SidebarContent, Igny8Summary } from './igny8-sidebar';
import { PluginDocumentSettingPanel, PluginSidebar } from './slots';
import { useIgny8Post } from './use-igny8-post';
import { useSyncState } from './use-sync-state';

/**
 * The plugin root, always mounted in the post editor: one post reader and one sync state, shared by the
 * document panel summary and the sidebar.
 */
export function Igny8Plugin() {
	const post = useIgny8Post();
	const controller = useSyncState( post );
	return (
		<Fragment>
			{ PluginDocumentSettingPanel && (
				<PluginDocumentSettingPanel
					name="igny8-summary"
					title={ __( 'IGNY8', 'igny8-bridge' ) }
					className="igny8-summary-panel"
				>
					<Igny8Summary post={ post } controller={ controller } />
				</PluginDocumentSettingPanel>
			) }
			{ PluginSidebar && (
				<PluginSidebar
					name="igny8-sidebar"
					title={ __( 'IGNY8', 'igny8-bridge' ) }
					className="igny8-sidebar"
				>
					<Igny8SidebarContent
						post={ post }
						controller={ controller }
					/>
				</PluginSidebar>
			) }
		</Fragment>
	);
}
