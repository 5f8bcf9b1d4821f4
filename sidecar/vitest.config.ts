import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Every test file starts with outbound network blocked except loopback.
    setupFiles: ['test/setup/block-network.ts'],
    restoreMocks: true,
  },
});
