/**
 * Classic JSX runtime (createElement from @wordpress/element): WordPress 6.1 ships React 17 and registers the
 * `react-jsx-runtime` script handle only from 6.6 on, so a bundle built for the automatic runtime (what
 * @wordpress/babel-preset-default hard-codes) would silently not load on 6.1 and 6.5.
 *
 * This is the preset's recipe with the runtime switched. `jsxPragma` tells the TypeScript transform that the
 * `createElement` import is used by JSX, so it is not elided as unused.
 */
module.exports = ( api ) => {
	api.cache( true );
	return {
		presets: [
			[
				'@babel/preset-env',
				{ bugfixes: true, modules: false, targets: { browsers: require( '@wordpress/browserslist-config' ) } },
			],
			[
				'@babel/preset-typescript',
				{ isTSX: true, allExtensions: true, jsxPragma: 'createElement', jsxPragmaFrag: 'Fragment' },
			],
		],
		plugins: [
			[ '@babel/plugin-transform-react-jsx', { runtime: 'classic', pragma: 'createElement', pragmaFrag: 'Fragment' } ],
			[ '@babel/plugin-transform-runtime', { helpers: true, useESModules: false } ],
		],
	};
};
