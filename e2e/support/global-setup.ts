import { mkdirSync } from 'node:fs';
import { buildWebApp, startApp } from './app';
import { SCREENSHOT_DIR } from './paths';

/**
 * Builds the web app once, starts it with `pnpm start` on a free port with a fresh database, and
 * passes its URL to the tests in KOKO_E2E_URL. Set KOKO_E2E_SKIP_BUILD=1 to reuse the last build.
 * Returns the teardown that stops the app.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  if (process.env.KOKO_E2E_SKIP_BUILD !== '1') await buildWebApp();
  const app = await startApp();
  process.env.KOKO_E2E_URL = app.url;
  return () => app.stop();
}
