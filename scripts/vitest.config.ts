import { defineConfig } from 'vitest/config';

// scripts/*.test.ts: the release artifacts (dist/, built by `npm run release` first) and the version check.
export default defineConfig( {
	test: {
		include: [ '*.test.ts' ],
		environment: 'node',
		testTimeout: 60_000,
	},
} );
