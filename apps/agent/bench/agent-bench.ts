/**
 * Benchmarks the host agent against its baselines on this machine, as root:
 *   - one veth through the agent API (median of 50) against one `koko` CLI run for the same link;
 *   - 500 veths in one batch request against running the same plan's `ip -batch` processes directly;
 *   - one inventory read with 200 netns and 1000 interfaces.
 * Run with `pnpm bench` (turbo) or `pnpm --filter @koko/agent bench`. Prints a Markdown table.
 */
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LinkRequestInput } from '@koko/core';
import { execa } from 'execa';
import { Lab, type RunningAgent, TSX_CLI, followChanges, sh, startAgent } from '../test/helpers';
import { median, timed } from '@koko/testkit';

const SINGLE_RUNS = 50;
const CLI_RUNS = 5;
const BATCH_LINKS = 500;
const BATCH_RUNS = 3;
const INVENTORY_NETNS = 200;
const INVENTORY_INTERFACES = 1000;
const INVENTORY_RUNS = 5;
/** Interface group for the batch links, so one `ip link del group` removes them. */
const BENCH_GROUP = 4711;

const CLI_ENTRY = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));



function veth(a: string, b: string, ifA: string, ifB: string): LinkRequestInput {
  return { kind: 'veth', a: { node: { kind: 'netns', name: a }, ifname: ifA }, b: { node: { kind: 'netns', name: b }, ifname: ifB } };
}

async function benchSingle(agent: RunningAgent, a: string, b: string) {
  const apiTimes: number[] = [];
  for (let run = 0; run < SINGLE_RUNS; run++) {
    apiTimes.push(await timed(() => agent.client.create.mutate({ link: veth(a, b, 'kbs0', 'kbs1') })));
    await sh('ip', '-n', a, 'link', 'del', 'kbs0');
  }
  const cliTimes: number[] = [];
  for (let run = 0; run < CLI_RUNS; run++) {
    cliTimes.push(await timed(() => execa(process.execPath, [TSX_CLI, CLI_ENTRY, '-n', `${a},kbc0`, '-n', `${b},kbc1`])));
    await sh('ip', '-n', a, 'link', 'del', 'kbc0');
  }
  return { api: median(apiTimes), cli: median(cliTimes) };
}

async function benchBatch(agent: RunningAgent, a: string, b: string) {
  const links = Array.from({ length: BATCH_LINKS }, (_, index) => veth(a, b, `kbb${index}a`, `kbb${index}b`));
  const options = { group: BENCH_GROUP };
  const plan = await agent.client.plan.mutate({ create: links, options });
  const apiTimes: number[] = [];
  const floorTimes: number[] = [];

  for (let run = 0; run < BATCH_RUNS; run++) {
    apiTimes.push(await timed(() => agent.client.applyBatch.mutate({ create: links, options })));
    await sh('ip', '-n', a, 'link', 'del', 'group', String(BENCH_GROUP));

    floorTimes.push(
      await timed(async () => {
        for (const batch of plan.batches) {
          await execa(batch.argv[0]!, batch.argv.slice(1), { input: batch.input ? `${batch.input.join('\n')}\n` : '' });
        }
      }),
    );
    await sh('ip', '-n', a, 'link', 'del', 'group', String(BENCH_GROUP));
  }
  return { api: median(apiTimes), floor: median(floorTimes), processes: plan.batches.length };
}

/** Makes INVENTORY_NETNS fresh netns joined in a ring by INVENTORY_INTERFACES / 2 veths, made by koko or by hand. */
async function makeRing(agent: RunningAgent, lab: Lab, round: string, byKoko: boolean): Promise<string[]> {
  const names = Array.from({ length: INVENTORY_NETNS }, (_, index) => `${lab.prefix}-${round}${index}`);
  await execa('ip', ['-batch', '-'], { input: names.map((name) => `netns add ${name}\n`).join('') });
  lab.namespaces.push(...names);
  const pairs = Array.from({ length: INVENTORY_INTERFACES / 2 }, (_, index) => ({
    from: names[index % INVENTORY_NETNS]!,
    to: names[(index + 1) % INVENTORY_NETNS]!,
    ifA: `kbi${index}a`,
    ifB: `kbi${index}b`,
  }));
  if (byKoko) {
    await agent.client.applyBatch.mutate({ create: pairs.map((pair) => veth(pair.from, pair.to, pair.ifA, pair.ifB)) });
  } else {
    await execa('ip', ['-batch', '-'], { input: pairs.map((pair) => `link add ${pair.ifA} netns ${pair.from} type veth peer name ${pair.ifB} netns ${pair.to}\n`).join('') });
  }
  return names;
}

async function timeInventory(agent: RunningAgent) {
  const times: number[] = [];
  let seen = { namespaces: 0, interfaces: 0, unresolvedPeers: 0 };
  for (let run = 0; run < INVENTORY_RUNS; run++) {
    times.push(
      await timed(async () => {
        const inventory = await agent.client.inventory.query();
        const interfaces = inventory.namespaces.flatMap((namespace) => namespace.interfaces);
        seen = {
          namespaces: inventory.namespaces.length,
          interfaces: interfaces.length,
          unresolvedPeers: interfaces.filter((info) => info.kind === 'veth' && !info.peer?.ifname).length,
        };
      }),
    );
  }
  return { median: median(times), min: Math.min(...times), ...seen };
}

/**
 * Times the inventory twice: alone, and while a client follows the change stream, as a controller
 * does. The agent then keeps one `ip -batch` reader per namespace and reads through those.
 */
async function timeInventoryBothWays(agent: RunningAgent) {
  const alone = await timeInventory(agent);
  // Watching 200 namespaces starts 400 processes before the agent sends ready.
  const { stop } = await followChanges(agent, 120_000);
  try {
    return { alone, following: await timeInventory(agent) };
  } finally {
    stop();
  }
}

/** Times the inventory over koko's tagged veths, then over the same ring of untagged veths made by hand. */
async function benchInventory(agent: RunningAgent, lab: Lab) {
  const kokoRing = await makeRing(agent, lab, 'k', true);
  const tagged = await timeInventoryBothWays(agent);
  await execa('ip', ['-batch', '-'], { input: kokoRing.map((name) => `netns del ${name}\n`).join('') });
  await makeRing(agent, lab, 'f', false);
  const foreign = await timeInventoryBothWays(agent);
  return { tagged, foreign };
}

async function main(): Promise<void> {
  const lab = new Lab('kagbench');
  let agent: RunningAgent | undefined;
  try {
    const [a, b] = await Promise.all([lab.netns('a'), lab.netns('b')]);
    agent = await startAgent();
    await agent.client.create.mutate({ link: veth(a, b, 'kwarm0', 'kwarm1') });
    await sh('ip', '-n', a, 'link', 'del', 'kwarm0');

    const single = await benchSingle(agent, a, b);
    const batch = await benchBatch(agent, a, b);
    const inventory = await benchInventory(agent, lab);
    const format = (ms: number) => `${ms.toFixed(1)} ms`;

    process.stdout.write(
      [
        `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, kernel ${release()}, Node ${process.version}.`,
        '',
        '| measure | agent | baseline | ratio | target |',
        '|---|---|---|---|---|',
        `| one veth, API median of ${SINGLE_RUNS} vs \`koko\` CLI (node + tsx, median of ${CLI_RUNS}) | ${format(single.api)} | ${format(single.cli)} | ${(single.api / single.cli).toFixed(3)}× | ≤ 0.5× |`,
        `| ${BATCH_LINKS} veths in one batch request vs the same plan's ${batch.processes} \`ip -batch\` processes (median of ${BATCH_RUNS}) | ${format(batch.api)} | ${format(batch.floor)} | ${(batch.api / batch.floor).toFixed(2)}× | ≤ 1.5× |`,
        ...(['tagged', 'foreign'] as const).flatMap((variant) =>
          (['alone', 'following'] as const).map((mode) => {
            const result = inventory[variant][mode];
            const origin = variant === 'tagged' ? 'koko veths' : 'veths made by hand (no koko tag)';
            const following = mode === 'alone' ? 'no client follows the change stream' : 'a client follows the change stream';
            return `| inventory, ${INVENTORY_NETNS} netns + ${INVENTORY_INTERFACES} interfaces of ${origin}, ${following}; saw ${result.namespaces} namespaces, ${result.interfaces} interfaces, ${result.unresolvedPeers} veth peers unresolved; median of ${INVENTORY_RUNS}, best ${format(result.min)} | ${format(result.median)} | | | ≤ 250 ms |`;
          }),
        ),
        '',
      ].join('\n'),
    );
  } finally {
    await agent?.stop();
    await lab.cleanup();
  }
}

await main();
