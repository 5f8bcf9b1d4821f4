/**
 * `@wordpress/editor` and `@wordpress/edit-post` are webpack externals (wp.editor, wp.editPost) and are not
 * installed: their current npm releases do not resolve here. We type only what we use, and both slot
 * components as possibly undefined, since which package has them depends on the WordPress version.
 */
declare module '@wordpress/editor' {
	import type { ComponentType, ReactNode } from 'react';
	import type { ReduxStoreConfig, StoreDescriptor } from '@wordpress/data';

	export const PluginSidebar:
		| ComponentType< {
				name: string;
				title: string;
				icon?: ReactNode;
				className?: string;
				children?: ReactNode;
		  } >
		| undefined;
	export const PluginDocumentSettingPanel:
		| ComponentType< {
				name: string;
				title: string;
				className?: string;
				icon?: ReactNode;
				children?: ReactNode;
		  } >
		| undefined;

	/** The `core/editor` selectors we read (state first, as redux-store selectors are declared). */
	export interface EditorSelectors {
		getCurrentPostId: ( state: unknown ) => number | null;
		getCurrentPostType: ( state: unknown ) => string;
		getCurrentPostAttribute: ( state: unknown, name: string ) => unknown;
		getEditedPostAttribute: ( state: unknown, name: string ) => unknown;
		isSavingPost: ( state: unknown ) => boolean;
		isAutosavingPost: ( state: unknown ) => boolean;
		didPostSaveRequestSucceed: ( state: unknown ) => boolean;
	}

	export const store: StoreDescriptor<
		ReduxStoreConfig< unknown, Record< string, never >, EditorSelectors >
	>;
}
declare module '@wordpress/edit-post' {
	export {
		PluginSidebar,
		PluginDocumentSettingPanel,
	} from '@wordpress/editor';
}
