/** One process of an agent's plan: its argv and the lines it reads on standard input. */
export interface PlanBatch {
  namespace: string;
  argv: string[];
  input?: string[];
}

/** The agent's dry run of a change. */
export interface PlanLike {
  links?: { summary: string }[];
  deleted?: string[];
  batches: PlanBatch[];
}

/** A host's part of a dry run, as the controller returns it for a link across hosts. */
export interface HostPlanLike {
  hostName?: string;
  host?: string;
  hostId?: string;
  plan: PlanLike;
}

const SAFE_WORD = /^[A-Za-z0-9_./:=@%+,-]+$/;

function shellWord(word: string): string {
  return SAFE_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function isPlan(value: unknown): value is PlanLike {
  return typeof value === 'object' && value !== null && Array.isArray((value as PlanLike).batches);
}

function isHostPlan(value: unknown): value is HostPlanLike {
  return typeof value === 'object' && value !== null && isPlan((value as HostPlanLike).plan);
}

/** Renders one agent plan as the shell commands it runs, with its summary lines as comments. */
export function formatAgentPlan(plan: PlanLike): string {
  const lines: string[] = [];
  for (const link of plan.links ?? []) lines.push(`# ${link.summary}`);
  for (const deleted of plan.deleted ?? []) lines.push(`# delete ${deleted}`);
  let namespace: string | undefined;
  for (const batch of plan.batches) {
    if (batch.namespace !== namespace) lines.push(`# in ${batch.namespace}`);
    namespace = batch.namespace;
    const command = batch.argv.map(shellWord).join(' ');
    if (batch.input === undefined) lines.push(command);
    else lines.push(`${command} <<'EOF'`, ...batch.input, 'EOF');
  }
  return lines.join('\n');
}

/**
 * Renders what `links.plan` returns as text for the dashboard: a plan, a list of per-host plans
 * (a vxlan pair has one per host), or an object with such a list under `hosts` or `plans`.
 */
export function formatPlan(result: unknown): string {
  if (typeof result === 'string') return result;
  if (isPlan(result)) return formatAgentPlan(result);

  const list = Array.isArray(result) ? result : ((result as { hosts?: unknown[]; plans?: unknown[] } | null)?.hosts ?? (result as { plans?: unknown[] } | null)?.plans);
  if (Array.isArray(list) && list.every(isHostPlan)) {
    return list.map((entry) => `# on host ${entry.hostName ?? entry.host ?? entry.hostId ?? '?'}\n${formatAgentPlan(entry.plan)}`).join('\n\n');
  }
  return JSON.stringify(result, null, 2);
}
