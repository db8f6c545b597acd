import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type RunResult, run } from './lab';

const require = createRequire(import.meta.url);
const TSX_CLI = require.resolve('tsx/cli');
/** The `koko` command's TypeScript entry point. */
export const KOKO_ENTRY = fileURLToPath(new URL('../../../apps/cli/src/main.ts', import.meta.url));

/** Runs the real `koko` command, inside netns `options.netns` when given (as `ip netns exec` would). */
export async function koko(args: string[], options: { netns?: string } = {}): Promise<RunResult> {
  const command = [process.execPath, TSX_CLI, KOKO_ENTRY, ...args];
  return run(options.netns ? ['ip', 'netns', 'exec', options.netns, ...command] : command);
}

/** Runs `koko --json` and returns its parsed output with the exit code. */
export async function kokoJson(args: string[], options: { netns?: string } = {}): Promise<{ exitCode: number; output: Record<string, unknown> }> {
  const result = await koko([...args, '--json'], options);
  try {
    return { exitCode: result.exitCode, output: JSON.parse(result.stdout) as Record<string, unknown> };
  } catch {
    throw new Error(`koko --json printed no JSON (exit ${result.exitCode}): ${result.stdout}${result.stderr}`);
  }
}
