import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test drives the real kernel and Docker, which is slow on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
