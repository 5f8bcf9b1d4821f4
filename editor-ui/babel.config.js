/**
 * Classic JSX runtime (createElement from @wordpress/element): WordPress 6.1 ships React 17 and registers the
 * `react-jsx-runtime` script handle only from 6.6 on, so a bundle built for the automatic runtime would silently
 * not load on 6.1 and 6.5. Plugins listed here run before the preset's automatic-runtime transform, so no JSX is
 * left for it.
 */
module.exports = ( api ) => {
	api.cache( true );
	return {
		presets: [ '@wordpress/babel-preset-default' ],
		plugins: [
			[
				'@babel/plugin-transform-react-jsx',
				{ runtime: 'classic', pragma: 'createElement', pragmaFrag: 'Fragment' },
			],
		],
	};
};
