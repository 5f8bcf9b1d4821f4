/**
 * The @wordpress/scripts default config, plus the classic JSX runtime (see babel.config.js): JSX compiles to
 * `createElement` from @wordpress/element, so that import is used by every JSX expression.
 */
const defaults = require( '@wordpress/scripts/config/eslint.config.cjs' );

module.exports = [
	...defaults,
	{
		settings: { react: { pragma: 'createElement', fragment: 'Fragment', version: '17.0' } },
		rules: { 'react/jsx-uses-react': 'error' },
	},
];
