import { execa } from 'execa';

/** The result of one finished command. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** A command that exited non-zero or could not start; keeps what it printed for the error message. */
export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`${argv.join(' ')} failed${exitCode === undefined ? '' : ` with exit code ${exitCode}`}: ${stderr.trim() || stdout.trim() || 'no output'}`);
  }
}

/** Called after every command, for logs and tests that count processes. */
export type CommandObserver = (argv: readonly string[], durationMs: number, error?: CommandError) => void;

let observer: CommandObserver | undefined;

export function observeCommands(next: CommandObserver | undefined): void {
  observer = next;
}

/** Runs `argv` directly (never through a shell), feeding `input` on standard input. */
export async function runCommand(argv: readonly string[], input?: string): Promise<CommandOutput> {
  const [file, ...args] = argv;
  if (!file) throw new Error('runCommand needs a program to run');
  const started = performance.now();
  const result = await execa(file, args, { input: input ?? '', reject: false, stripFinalNewline: false, env: { LC_ALL: 'C' } });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? result.message ?? '');
  const error = result.failed ? new CommandError(argv, result.exitCode, result.exitCode === undefined ? (result.message ?? stderr) : stderr, stdout) : undefined;
  observer?.(argv, performance.now() - started, error);
  if (error) throw error;
  return { stdout, stderr };
}
