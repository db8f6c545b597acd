import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostLab } from '@koko/testkit';
import { mutate, query } from '../support/app';
import { dragLink, edgeByEnds, expect, linkForm, openCanvas, test } from '../support/fixtures';
import { SCREENSHOT_DIR } from '../support/paths';

// Two simulated hosts from the lab harness (pnpm lab:hosts uses the same code), registered with
// the app under test. The tests drag a link from a node of one host group to a node of the other
// and stop one agent; they build on each other.
test.describe.configure({ mode: 'serial' });

const prefix = `kmh${randomBytes(2).toString('hex')}`;
const hostIds: Record<number, string> = {};
// Made in beforeAll, not when the file loads: Playwright loads spec files in more than one process.
let workDir = '';
let lab: HostLab;

interface TopologyShape {
  hosts: { id: string; name: string; nodes: { id: string; kind: string; name: string }[] }[];
  links: { id: string; endpoints: { hostId: string }[] }[];
}

function appUrlOf(): string {
  const url = process.env.KOKO_E2E_URL;
  if (!url) throw new Error('KOKO_E2E_URL is not set; run the tests with `pnpm --filter @koko/e2e test`, whose global setup starts the app');
  return url;
}

async function nodeIdOf(url: string, host: number, node: string): Promise<string> {
  const topology = await query<TopologyShape>(url, 'topology.get', {});
  const found = topology.hosts.find((entry) => entry.id === hostIds[host])?.nodes.find((entry) => entry.kind === 'netns' && entry.name === node);
  if (!found) throw new Error(`node ${node} of lab host ${host} is not in the topology`);
  return found.id;
}

function hostGroup(page: import('@playwright/test').Page, host: number) {
  return page.locator(`[data-testid=host-group][data-host-name="${prefix}-h${host}"]`);
}

/** What the dragged link was made with, for the test that stops an agent. */
const made = { from: '', to: '', ifnameA: '', ifnameB: '', addressB: '' };

test.beforeAll(async () => {
  const url = appUrlOf();
  workDir = mkdtempSync(join(tmpdir(), 'kmh-e2e-'));
  lab = new HostLab({ prefix, dir: join(workDir, 'lab') });
  await lab.up(2, { nodes: 1 });
  for (const host of lab.requireState().hosts) {
    const added = await mutate<{ id: string }>(url, 'hosts.add', { name: host.name, agent: { socketPath: host.socketPath }, token: lab.token(host.index) });
    hostIds[host.index] = added.id;
  }
});

test.afterAll(async () => {
  const url = appUrlOf();
  const ids = new Set(Object.values(hostIds));
  const topology = await query<TopologyShape>(url, 'topology.get', {}).catch(() => undefined);
  for (const link of topology?.links ?? []) {
    if (link.endpoints.some((end) => ids.has(end.hostId))) await mutate(url, 'links.delete', { id: link.id, force: true }).catch(() => undefined);
  }
  for (const id of ids) await mutate(url, 'hosts.remove', { id }).catch(() => undefined);
  await lab?.down();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('drag between host groups makes a vxlan pair', async ({ page, appUrl }) => {
  await openCanvas(page, appUrl, prefix);
  await expect(hostGroup(page, 1)).toContainText('online');
  await expect(hostGroup(page, 2)).toContainText('online');

  made.from = await nodeIdOf(appUrl, 1, 'n1');
  made.to = await nodeIdOf(appUrl, 2, 'n1');
  await dragLink(page, made.from, made.to);

  const form = linkForm(page);
  await expect(form.getByTestId('link-kind')).toContainText(`vxlan pair between ${prefix}-h1 and ${prefix}-h2`);
  await expect(form.locator('input[name="a.ifname"]')).not.toHaveValue('');
  made.ifnameA = await form.locator('input[name="a.ifname"]').inputValue();
  made.ifnameB = await form.locator('input[name="b.ifname"]').inputValue();
  made.addressB = await form.locator('input[name="b.addresses"]').inputValue();
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(form).toBeHidden();

  const edge = edgeByEnds(page, `${made.from}/${made.ifnameA}`, `${made.to}/${made.ifnameB}`);
  await expect(edge).toHaveAttribute('data-status', 'up');
  const linkId = await edge.getAttribute('data-link-id');
  const links = await query<{ id: string; kind: string; vni: number | null; mtu: number | null }[]>(appUrl, 'links.list', {});
  const link = links.find((entry) => entry.id === linkId);
  expect(link).toMatchObject({ kind: 'vxlan', mtu: 1450 });
  await expect(edge).toContainText(`VNI ${link!.vni}`);
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'multi-host.png') });

  const details = JSON.parse((await lab.inNode(1, 'n1', ['ip', '-json', '-details', 'link', 'show', made.ifnameA])).stdout) as { mtu: number; linkinfo: { info_data: { id: number; remote: string } } }[];
  expect(details[0]).toMatchObject({ mtu: 1450, linkinfo: { info_data: { id: link!.vni, remote: '198.18.0.2' } } });
  const ping = await lab.inNode(1, 'n1', ['ping', '-c', '2', '-i', '0.2', '-W', '2', made.addressB.split('/')[0]!]);
  expect(ping.exitCode, ping.stdout + ping.stderr).toBe(0);
});

test('stopped agent shows its host offline', async ({ page, appUrl }) => {
  await openCanvas(page, appUrl, prefix);
  const edge = edgeByEnds(page, `${made.from}/${made.ifnameA}`, `${made.to}/${made.ifnameB}`);
  await expect(edge).toHaveAttribute('data-status', 'up');

  await lab.stopAgent(2, 'SIGKILL');
  await expect(hostGroup(page, 2)).toContainText('offline', { timeout: 5000 });
  await expect(hostGroup(page, 1)).toContainText('online');
  await expect(edge).toHaveAttribute('data-status', 'unknown');

  await lab.startAgent(2);
  await expect(hostGroup(page, 2)).toContainText('online', { timeout: 15_000 });
  await expect(edge).toHaveAttribute('data-status', 'up');
});
