import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Every test file starts with outbound network blocked except loopback.
    setupFiles: ['test/setup/block-network.ts'],
    // The PostgreSQL store's tests (test/adapters/queue-store, site-registry) share one private server.
    globalSetup: ['test/setup/postgres.ts'],
    restoreMocks: true,
    // CI runs this suite beside two WordPress instances on 2 cores: the store and log-canary tests that drive
    // real PostgreSQL or several sync cycles took just over the 5 s default there. Not a performance bound.
    testTimeout: 30_000,
  },
});
