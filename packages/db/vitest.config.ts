import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Some tests start child processes (tsx, the Prisma CLI), which take a few seconds each.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
