/**
 * Creates and deletes N veth links between two namespaces through the engine, and compares the time
 * with the floor: hand-written `ip -batch` input doing the same kernel work (create, tag, bring up,
 * delete) in the same run. Prints a markdown table of medians and ratios. Run as root: pnpm bench.
 */
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { applyPlan, planCreate, planDelete } from '../src/index';
import { median, timed } from '@koko/testkit';

const SIZES = [100, 500];
const ROUNDS = 3;

async function sh(argv: string[], input?: string): Promise<void> {
  await execa(argv[0]!, argv.slice(1), { input: input ?? '' });
}



function names(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `b${index}`);
}

async function floorCreate(a: string, b: string, count: number): Promise<void> {
  const ifnames = names(count);
  await sh(['ip', '-batch', '-'], ifnames.map((name) => `link add ${name} netns /run/netns/${a} type veth peer name ${name} netns /run/netns/${b}\n`).join(''));
  for (const netns of [a, b]) {
    await sh(['nsenter', `--net=/run/netns/${netns}`, 'ip', '-batch', '-'], ifnames.map((name) => `link set dev ${name} alias koko:bench\nlink set dev ${name} up\n`).join(''));
  }
}

/** The fastest hand-written delete: move the interfaces into one group, then delete the group. */
async function floorDelete(a: string, count: number): Promise<void> {
  const lines = names(count).map((name) => `link set dev ${name} group 4242\n`);
  await sh(['nsenter', `--net=/run/netns/${a}`, 'ip', '-batch', '-'], `${lines.join('')}link delete group 4242\n`);
}

async function engineCreate(a: string, b: string, count: number): Promise<void> {
  const links = names(count).map((name) => ({
    kind: 'veth' as const,
    a: { node: { kind: 'netns' as const, name: a }, ifname: name },
    b: { node: { kind: 'netns' as const, name: b }, ifname: name },
  }));
  await applyPlan(await planCreate(links));
}

async function engineDelete(a: string, count: number): Promise<void> {
  await applyPlan(await planDelete(names(count).map((name) => ({ node: { kind: 'netns' as const, name: a }, ifname: name }))));
}

async function main(): Promise<void> {
  const prefix = `kbench${randomBytes(2).toString('hex')}`;
  const a = `${prefix}-a`;
  const b = `${prefix}-b`;
  await sh(['ip', 'netns', 'add', a]);
  await sh(['ip', 'netns', 'add', b]);
  const rows: string[] = [];
  try {
    for (const count of SIZES) {
      const times = { floorCreate: [] as number[], engineCreate: [] as number[], floorDelete: [] as number[], engineDelete: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        times.floorCreate.push(await timed(() => floorCreate(a, b, count)));
        times.floorDelete.push(await timed(() => floorDelete(a, count)));
        times.engineCreate.push(await timed(() => engineCreate(a, b, count)));
        times.engineDelete.push(await timed(() => engineDelete(a, count)));
      }
      const create = [median(times.floorCreate), median(times.engineCreate)] as const;
      const remove = [median(times.floorDelete), median(times.engineDelete)] as const;
      rows.push(`| ${count} | create | ${create[0].toFixed(0)} | ${create[1].toFixed(0)} | ${(create[1] / create[0]).toFixed(2)}× |`);
      rows.push(`| ${count} | delete | ${remove[0].toFixed(0)} | ${remove[1].toFixed(0)} | ${(remove[1] / remove[0]).toFixed(2)}× |`);
    }
  } finally {
    await execa('ip', ['netns', 'del', a], { reject: false });
    await execa('ip', ['netns', 'del', b], { reject: false });
  }
  console.log(`Link engine: veth links between two namespaces, median of ${ROUNDS} rounds (ms)\n`);
  console.log('| links | work | floor (ip -batch) | engine | ratio |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

await main();
