/**
 * WordPress dependencies
 */
import * as editor from '@wordpress/editor';
import * as editPost from '@wordpress/edit-post';

/**
 * The slots moved from wp.editPost to wp.editor in WordPress 6.6 (and the old ones log a deprecation there).
 * Pick whichever exists at run time so the same bundle works on 6.1, 6.5 and 6.6+.
 */
export const PluginSidebar = editor.PluginSidebar ?? editPost.PluginSidebar;
export const PluginDocumentSettingPanel =
	editor.PluginDocumentSettingPanel ?? editPost.PluginDocumentSettingPanel;
