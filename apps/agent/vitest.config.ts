import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each file starts real agent processes through tsx and drives the real kernel and Docker.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
