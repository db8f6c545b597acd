import { existsSync } from 'node:fs';
import { KokoError } from '@koko/core';
import { CommandError, runCommand } from './exec';
import { type Batch, type Plan, type Step, batchCommand, toBatches } from './plan';

/** The outcome of applying a plan. */
export interface ApplyResult {
  steps: number;
  batches: number;
  durationMs: number;
}

/** Progress of a running plan: called before each batch starts. */
export type ProgressListener = (event: { batch: number; batches: number; stepsDone: number; steps: number; namespace: string }) => void;

/** `ip -batch` and `tc -batch` name the failing line of their input as "Command failed -:N". */
const FAILED_LINE = /Command failed -:(\d+)/;

/** Returns the index of the failing step in a batch, from the line number the tool printed. */
function failedStepIndex(batch: Batch, error: CommandError): number {
  const match = FAILED_LINE.exec(error.stderr);
  if (!match || batch.tool === 'sysctl') return 0;
  return Math.min(Math.max(Number(match[1]) - 1, 0), batch.steps.length - 1);
}

/**
 * Kernel messages that do not say what to do, with the advice koko adds. A vxlan's socket stays in
 * the namespace that made it after koko moves the device into its endpoint's namespace, so a
 * clash can come from a vxlan the user does not see where koko runs.
 */
const KERNEL_ADVICE: [RegExp, string][] = [
  [/VXLAN device with the specified VNI already exists/, 'Another vxlan made from this namespace uses the same VNI and UDP port, even if it now lives in another namespace; pick another VNI or port, or delete that vxlan'],
];

/** Returns the advice for a tool message, starting with a space, or an empty string. */
function adviceFor(message: string): string {
  const advice = KERNEL_ADVICE.find(([pattern]) => pattern.test(message))?.[1];
  return advice ? ` ${advice}.` : '';
}

/** Returns the tool's own message without the batch bookkeeping line. */
function toolMessage(error: CommandError): string {
  const text = error.stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !FAILED_LINE.test(line))
    .join('; ')
    .replace(/\.+$/, '');
  return text || error.message;
}

/**
 * Undoes completed steps in reverse order. Errors do not stop the rollback; they are returned so
 * the caller can report what may be left. A namespace that vanished took its interfaces with it.
 */
async function rollback(done: readonly Step[]): Promise<string[]> {
  const undoSteps = done
    .filter((step) => step.undo)
    .reverse()
    .map((step) => ({ ...step.undo! }));
  const problems: string[] = [];
  for (const batch of toBatches(undoSteps)) {
    if (batch.namespace.file && !existsSync(batch.namespace.file)) continue;
    const { argv, input } = batchCommand(batch, { force: true });
    try {
      await runCommand(argv, input);
    } catch (error) {
      problems.push(`${batch.steps.map((step) => step.description).join(', ')} in ${batch.namespace.label}: ${error instanceof CommandError ? toolMessage(error) : String(error)}`);
    }
  }
  return problems;
}

/** Names the namespaces of a plan that disappeared while it ran, such as a container that stopped. */
function vanishedNamespaces(plan: Plan): string {
  const gone = new Map<string, string>();
  for (const step of plan.steps) {
    if (step.namespace.file && !existsSync(step.namespace.file)) gone.set(step.namespace.key, step.namespace.label);
  }
  if (gone.size === 0) return '';
  return ` ${[...gone.values()].join(', ')} no longer exists (a container stopped or a namespace was deleted); start it again and rerun the command.`;
}

/**
 * Runs a plan batch by batch. If a step fails, undoes every step that ran, then throws a KokoError
 * naming the failing step, the tool's message and the outcome of the rollback.
 */
export async function applyPlan(plan: Plan, onProgress?: ProgressListener): Promise<ApplyResult> {
  const started = performance.now();
  const batches = toBatches(plan.steps);
  const done: Step[] = [];

  for (const [index, batch] of batches.entries()) {
    onProgress?.({ batch: index + 1, batches: batches.length, stepsDone: done.length, steps: plan.steps.length, namespace: batch.namespace.label });
    const { argv, input } = batchCommand(batch);
    try {
      await runCommand(argv, input);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      const failedIndex = failedStepIndex(batch, error);
      done.push(...batch.steps.slice(0, failedIndex));
      const failed = batch.steps[failedIndex]!;
      const problems = await rollback(done);
      const position = plan.steps.indexOf(failed) + 1;
      const outcome =
        problems.length === 0
          ? done.length === 0
            ? 'Nothing had been changed.'
            : `Rolled back the ${done.length} step(s) that had run; the namespaces are as they were.`
          : `Rollback was incomplete: ${problems.join('; ')}. Check with ip link in those namespaces.`;
      throw new KokoError(
        'failed',
        `step ${position} of ${plan.steps.length} failed (${failed.description} in ${failed.namespace.label}): ${toolMessage(error)}.${adviceFor(toolMessage(error))}${failed.hint ? ` ${failed.hint}.` : ''}${vanishedNamespaces(plan)} ${outcome}`,
      );
    }
    done.push(...batch.steps);
  }

  return { steps: plan.steps.length, batches: batches.length, durationMs: Math.round(performance.now() - started) };
}
