/**
 * `@wordpress/editor` and `@wordpress/edit-post` are webpack externals (wp.editor, wp.editPost) and are not
 * installed: their current npm releases do not resolve here. We type only what we use, and both slot
 * components as possibly undefined, since which package has them depends on the WordPress version.
 */
declare module '@wordpress/editor' {
	import type { ComponentType, ReactNode } from 'react';
	export const PluginSidebar: ComponentType< { name: string; title: string; icon?: ReactNode; children?: ReactNode } > | undefined;
	export const PluginDocumentSettingPanel:
		| ComponentType< { name: string; title: string; className?: string; children?: ReactNode } >
		| undefined;
	export const store: unknown;
}
declare module '@wordpress/edit-post' {
	export { PluginSidebar, PluginDocumentSettingPanel } from '@wordpress/editor';
}
