import { type Namespace, inNamespace } from './namespace';

/** The programs a plan runs; each gets one process per namespace per batch. */
export type Tool = 'ip' | 'tc' | 'sysctl';

/** One change: a single `ip` or `tc` command line (or one sysctl setting) in one namespace. */
export interface Step {
  namespace: Namespace;
  tool: Tool;
  /** Arguments after the program name; every value was validated, so none contains whitespace. */
  args: string[];
  /** A description of the step, for progress and error messages. */
  description: string;
  /** A likely cause to add to the error when this step fails, where the kernel's message is vague. */
  hint?: string;
  /** The step that reverses this one if a later step fails; absent where deleting the interface is enough. */
  undo?: Omit<Step, 'undo'>;
}

/** An ordered list of steps, plus what they are for. */
export interface Plan {
  /** One line per link or interface the plan makes or removes. */
  summary: string[];
  steps: Step[];
}

/** Consecutive steps that run in one process. */
export interface Batch {
  namespace: Namespace;
  tool: Tool;
  steps: Step[];
}

/** Groups consecutive steps with the same namespace and tool into one batch each. */
export function toBatches(steps: readonly Step[]): Batch[] {
  const batches: Batch[] = [];
  for (const step of steps) {
    const last = batches.at(-1);
    if (last && last.namespace.key === step.namespace.key && last.tool === step.tool) last.steps.push(step);
    else batches.push({ namespace: step.namespace, tool: step.tool, steps: [step] });
  }
  return batches;
}

/** Builds the argv and standard input that run a batch; `ip -batch -` and `tc -batch -` read lines from stdin. */
export function batchCommand(batch: Batch, options: { force?: boolean } = {}): { argv: string[]; input: string | undefined } {
  if (batch.tool === 'sysctl') {
    const settings = batch.steps.flatMap((step) => step.args);
    return { argv: inNamespace(batch.namespace, ['sysctl', '-q', '-w', ...settings]), input: undefined };
  }
  const argv = [batch.tool, ...(options.force ? ['-force'] : []), '-batch', '-'];
  const input = batch.steps.map((step) => `${step.args.join(' ')}\n`).join('');
  return { argv: inNamespace(batch.namespace, argv), input };
}

const SHELL_SAFE = /^[A-Za-z0-9_./:=@+%,-]+$/;

function shellQuote(word: string): string {
  return SHELL_SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Renders a plan as the shell commands that would run it, one heredoc per batch, for `--dry-run`. */
export function renderPlan(plan: Plan): string {
  const lines = plan.summary.map((line) => `# ${line}`);
  let previousNamespace: string | undefined;
  for (const batch of toBatches(plan.steps)) {
    const { argv, input } = batchCommand(batch);
    if (batch.namespace.key !== previousNamespace) lines.push(`# in ${batch.namespace.label}`);
    previousNamespace = batch.namespace.key;
    const command = argv.map(shellQuote).join(' ');
    if (input === undefined) lines.push(command);
    else lines.push(`${command} <<'EOF'`, ...input.trimEnd().split('\n'), 'EOF');
  }
  return `${lines.join('\n')}\n`;
}

/** Describes the batches of a plan as data, for `--json` output and the agent's dry run. */
export function describeBatches(plan: Plan): { namespace: string; argv: string[]; input: string[] | undefined }[] {
  return toBatches(plan.steps).map((batch) => {
    const { argv, input } = batchCommand(batch);
    return { namespace: batch.namespace.label, argv, input: input?.trimEnd().split('\n') };
  });
}
