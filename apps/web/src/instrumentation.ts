/** Next.js calls this once when the server starts: the controller then opens and starts watching hosts. */
export async function register(): Promise<void> {
  // Only the Node.js server runs the controller; `next build` loads this file too and must not open the database.
  if (process.env.NEXT_RUNTIME !== 'nodejs' || process.env.NEXT_PHASE === 'phase-production-build') return;
  const { bootController } = await import('./server/boot');
  await bootController();
}
