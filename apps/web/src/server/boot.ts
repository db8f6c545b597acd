import { closeController, getController } from './controller';

/** How long a stopping server waits for the controller to close before it exits anyway, in milliseconds. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Opens the controller when the Next server starts, so hosts are watched before the first
 * request. When NEXT_MANUAL_SIG_HANDLE is set (pnpm start sets it), Next leaves SIGINT and SIGTERM
 * to the app: the controller then closes its database cleanly, folding the write-ahead log back
 * into the file, before the process exits.
 */
export async function bootController(): Promise<void> {
  const controller = await getController();
  if (!process.env.NEXT_MANUAL_SIG_HANDLE) return;

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    controller.log.info({ signal }, 'stopping the web server');
    const timer = setTimeout(() => process.exit(1), CLOSE_TIMEOUT_MS);
    timer.unref();
    closeController().then(
      () => process.exit(0),
      (error: unknown) => {
        controller.log.error({ error: String(error) }, 'closing the controller failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
