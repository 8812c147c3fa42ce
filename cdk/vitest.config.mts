import { defineConfig } from 'vitest/config';

// Each test synthesizes whole stacks (and the parity test runs SAM's translator): give them time,
// but bounded.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
