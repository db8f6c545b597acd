import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the controller's logger: JSON lines on standard output, level from KOKO_LOG_LEVEL (default info). */
export function createLogger(level = process.env.KOKO_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'koko-controller', level });
}
