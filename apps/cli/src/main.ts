import { readFileSync } from 'node:fs';
import { type CreateOptions, type KokoCommand, type KokoErrorCode, type LinkRequest, isKokoError, parseKokoArgs } from '@koko/core';
import { applyPlan, describeBatches, planCreate, planDelete, renderPlan } from '@koko/linux';
import { HELP } from './help';

/** Exit status per error category: 2 for input the user can fix by editing the command, 1 for the rest. */
const EXIT_CODE: Record<KokoErrorCode, number> = { invalid: 2, conflict: 1, 'not-found': 1, unsupported: 1, failed: 1 };

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : text);
}

/** Ends and fields every link has, which the JSON output lists elsewhere or not at all. */
const NOT_SETTINGS = new Set(['kind', 'id', 'a', 'b', 'endpoint']);

/** Returns the link-wide settings of a request for the JSON output: parent, remote, VNI, port, VLAN id, mode, MTU and group, where given. */
function settingsOf(link: LinkRequest, options: CreateOptions): Record<string, unknown> {
  const settings = Object.fromEntries(Object.entries(link).filter(([key, value]) => !NOT_SETTINGS.has(key) && value !== undefined));
  return options.group === undefined ? settings : { ...settings, group: options.group };
}

/** Returns the counts and the commands of a plan for a dry run's JSON output; a run reports the same counts from applyPlan. */
function planOutput(plan: Parameters<typeof describeBatches>[0]) {
  const commands = describeBatches(plan);
  return { steps: plan.steps.length, batches: commands.length, commands };
}

async function runCreate(command: Extract<KokoCommand, { action: 'create' }>): Promise<void> {
  const { flags } = command;
  const plan = await planCreate([command.link], command.options);
  const settings = settingsOf(command.link, command.options);
  const links = plan.links.map(({ id, kind, summary, interfaces }) => ({ id, kind, summary, settings, interfaces }));
  if (flags.dryRun) {
    print(flags.json, { ok: true, action: 'create', dryRun: true, links, ...planOutput(plan) }, renderPlan(plan));
    return;
  }
  const result = await applyPlan(plan);
  print(flags.json, { ok: true, action: 'create', dryRun: false, links, ...result }, links.map((link) => `created ${link.summary}\n`).join(''));
}

async function runDelete(command: Extract<KokoCommand, { action: 'delete' }>): Promise<void> {
  const { flags } = command;
  const plan = await planDelete(command.targets);
  if (flags.dryRun) {
    print(flags.json, { ok: true, action: 'delete', dryRun: true, deleted: plan.interfaces, ...planOutput(plan) }, renderPlan(plan));
    return;
  }
  const result = await applyPlan(plan);
  const text = plan.summary.map((line) => `${line.replace(/^delete/, 'deleted')}\n`).join('');
  // koko deletes the interfaces it is given, and prints a note for each one it did not make.
  const foreign = flags.json ? [] : plan.interfaces.filter((entry) => entry.linkId === undefined);
  for (const deleted of foreign) process.stderr.write(`koko: note: ${deleted.ifname} in ${deleted.namespace} was not made by koko\n`);
  print(flags.json, { ok: true, action: 'delete', dryRun: false, deleted: plan.interfaces, ...result }, text);
}

/** Runs one `koko` command line and returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const json = args.includes('--json');
  try {
    const command = parseKokoArgs(args);
    switch (command.action) {
      case 'help':
        process.stdout.write(HELP);
        return 0;
      case 'version':
        print(json, { ok: true, version: version() }, `koko ${version()}\n`);
        return 0;
      case 'create':
        await runCreate(command);
        return 0;
      case 'delete':
        await runDelete(command);
        return 0;
    }
  } catch (error) {
    if (!isKokoError(error)) throw error;
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, dryRun: args.includes('--dry-run'), error: { code: error.code, message: error.message, field: error.field } })}\n`);
    else process.stderr.write(`koko: ${error.message}\n`);
    return EXIT_CODE[error.code];
  }
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`koko: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
