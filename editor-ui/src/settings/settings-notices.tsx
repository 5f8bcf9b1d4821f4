/**
 * WordPress dependencies
 */
import { NoticeList } from '@wordpress/components';
import { useDispatch, useSelect } from '@wordpress/data';
import { createElement } from '@wordpress/element';
import { store as noticesStore } from '@wordpress/notices';

/** The screen's notices (save, load, actions), each with a stable id so a new one replaces the old. */
export function SettingsNotices() {
	const { notices } = useSelect(
		( select ) => ( { notices: select( noticesStore ).getNotices() } ),
		[]
	);
	const { removeNotice } = useDispatch( noticesStore );
	if ( ! notices.length ) {
		return null;
	}
	return (
		<NoticeList
			className="igny8-settings__notices"
			notices={ notices.map( ( notice ) => ( {
				id: notice.id,
				status: notice.status,
				content: notice.content,
				isDismissible: notice.isDismissible,
			} ) ) }
			onRemove={ ( id: string ) => removeNotice( id ) }
		/>
	);
}
