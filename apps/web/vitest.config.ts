import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Server tests start real agent processes, containers and the Next server, on the real kernel.
    testTimeout: 90_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
  },
});
