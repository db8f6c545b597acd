import { fileURLToPath } from 'node:url';

/** Screenshots of the main views, kept as test artifacts (git-ignored with test-results). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));
