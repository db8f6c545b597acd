import { Lab, mustRun, run } from '@koko/testkit';
import { join } from 'node:path';
import { query } from '../support/app';
import { DISPLAY_NAME, dragLink, edgeByEnds, expect, linkForm, nodeCard, nodeIdOf, openCanvas, test } from '../support/fixtures';
import { SCREENSHOT_DIR } from '../support/paths';

// One lab for the whole file: the tests build on each other (create, check, delete, restore).
test.describe.configure({ mode: 'serial' });

const lab = new Lab('kui');
let containerA = '';
let containerB = '';
let netns = '';

/** What the first test's link was made with, for the tests that follow. */
const createdLink = { linkId: '', nodeA: '', nodeB: '', ifnameA: '', ifnameB: '', addressA: '', addressB: '' };

function bare(address: string): string {
  return address.split('/')[0]!;
}

async function interfacesOf(container: string): Promise<string[]> {
  const output = await mustRun(['docker', 'exec', container, 'ip', '-o', 'link', 'show']);
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':')[1]!.trim().split('@')[0]!);
}

test.beforeAll(async () => {
  containerA = await lab.container('a');
  containerB = await lab.container('b');
  netns = await lab.netns('n1');
});

test.afterAll(async () => {
  await lab.cleanup();
});

test('canvas shows containers and netns', async ({ page, appUrl }) => {
  await openCanvas(page, appUrl, lab.prefix);

  await expect(nodeCard(page, containerA)).toContainText('koko-test-busybox');
  await expect(nodeCard(page, containerA)).toContainText('running');
  await expect(nodeCard(page, containerB)).toBeVisible();
  await expect(nodeCard(page, netns)).toContainText('netns');
  await expect(page.getByTestId('host-group').first()).toContainText('online');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'canvas.png') });
});

test('dragged link carries ping', async ({ page, browser, appUrl }) => {
  // A second browser follows the same canvas; it must see the link without a reload.
  const otherContext = await browser.newContext();
  await otherContext.addInitScript(() => window.localStorage.setItem('koko.displayName', 'kui-watcher'));
  const other = await otherContext.newPage();
  await openCanvas(other, appUrl, lab.prefix);

  await openCanvas(page, appUrl, lab.prefix);
  createdLink.nodeA = await nodeIdOf(page, containerA);
  createdLink.nodeB = await nodeIdOf(page, containerB);
  await dragLink(page, createdLink.nodeA, createdLink.nodeB);

  const form = linkForm(page);
  await expect(form.getByTestId('link-kind')).toContainText('veth pair');
  await expect(form.locator('input[name="a.ifname"]')).not.toHaveValue('');
  createdLink.ifnameA = await form.locator('input[name="a.ifname"]').inputValue();
  createdLink.ifnameB = await form.locator('input[name="b.ifname"]').inputValue();
  createdLink.addressA = await form.locator('input[name="a.addresses"]').inputValue();
  createdLink.addressB = await form.locator('input[name="b.addresses"]').inputValue();
  expect(createdLink.addressA).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  expect(createdLink.addressB).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'link-form.png') });

  await form.getByRole('button', { name: 'Create' }).click();
  await expect(form).toBeHidden();
  const edge = edgeByEnds(page, `${createdLink.nodeA}/${createdLink.ifnameA}`, `${createdLink.nodeB}/${createdLink.ifnameB}`);
  await expect(edge).toHaveAttribute('data-status', 'up');
  createdLink.linkId = (await edge.getAttribute('data-link-id')) ?? '';
  expect(createdLink.linkId).not.toMatch(/^pending:/);

  // Every open dashboard must show a change within a second.
  const seenHere = Date.now();
  await expect(edgeByEnds(other, `${createdLink.nodeA}/${createdLink.ifnameA}`, `${createdLink.nodeB}/${createdLink.ifnameB}`)).toHaveAttribute('data-status', 'up', { timeout: 1000 });
  test.info().annotations.push({ type: 'second browser delay', description: `${Date.now() - seenHere} ms after the first browser showed the link up` });
  await otherContext.close();

  const addresses = await mustRun(['docker', 'exec', containerA, 'ip', '-o', 'addr', 'show', 'dev', createdLink.ifnameA]);
  expect(addresses).toContain(createdLink.addressA);
  expect(await lab.pingFromContainer(containerA, bare(createdLink.addressB))).toBe(true);
  expect(await lab.pingFromContainer(containerB, bare(createdLink.addressA))).toBe(true);

  await page.locator(`.react-flow__edge[data-id="${createdLink.linkId}"]`).focus();
  await page.keyboard.press('Enter');
  const panel = page.getByTestId('link-panel');
  await expect(panel).toContainText(containerA);
  await expect(panel).toContainText(createdLink.addressB);
  await expect(panel).toContainText(DISPLAY_NAME);
  await expect(panel.getByTestId('link-status')).toHaveText('up');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'link-details.png') });
});

test('invalid name shows error, creates nothing', async ({ page, appUrl }) => {
  const linksBefore = (await query<{ links: unknown[] }>(appUrl, 'topology.get', {})).links.length;
  const interfacesBefore = await interfacesOf(containerA);

  await openCanvas(page, appUrl, lab.prefix);
  await dragLink(page, await nodeIdOf(page, containerA), await nodeIdOf(page, netns));
  const form = linkForm(page);
  await expect(form.locator('input[name="a.ifname"]')).not.toHaveValue('');
  await form.locator('input[name="a.ifname"]').fill('bad name');
  await form.locator('input[name="b.addresses"]').fill('10.0.0.300/24');
  await form.getByRole('button', { name: 'Create' }).click();

  await expect(form.getByTestId('error-a.ifname')).toContainText('contains a space');
  await expect(form.getByTestId('error-b.addresses')).toContainText('10.0.0.300/24');
  await expect(form.locator('input[name="a.ifname"]')).toHaveAttribute('aria-invalid', 'true');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'link-form-error.png') });

  await page.keyboard.press('Escape');
  await expect(form).toBeHidden();
  expect((await query<{ links: unknown[] }>(appUrl, 'topology.get', {})).links).toHaveLength(linksBefore);
  expect(await interfacesOf(containerA)).toEqual(interfacesBefore);
  expect(await lab.linkNames(netns)).toEqual(['lo']);
});

test('Delete key removes link from kernel', async ({ page, appUrl }) => {
  await openCanvas(page, appUrl, lab.prefix);
  const edge = edgeByEnds(page, `${createdLink.nodeA}/${createdLink.ifnameA}`, `${createdLink.nodeB}/${createdLink.ifnameB}`);
  await expect(edge).toHaveAttribute('data-status', 'up');

  await page.locator(`.react-flow__edge[data-id="${createdLink.linkId}"]`).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('link-panel')).toBeVisible();
  await page.keyboard.press('Delete');

  await expect(edge).toHaveCount(0);
  expect(await interfacesOf(containerA)).not.toContain(createdLink.ifnameA);
  expect(await interfacesOf(containerB)).not.toContain(createdLink.ifnameB);
  expect((await run(['docker', 'exec', containerA, 'ping', '-c', '1', '-W', '1', bare(createdLink.addressB)])).exitCode).not.toBe(0);
});

test('restore from history recreates link', async ({ page, appUrl }) => {
  await page.goto(`${appUrl}/history`);
  const creates = page.locator(`[data-testid=history-entry][data-action="link.create"]`);
  const create = creates.filter({ hasText: createdLink.ifnameA }).first();
  await expect(create).toBeVisible();
  await expect(create).toContainText(DISPLAY_NAME);
  await expect(page.locator(`[data-testid=history-entry][data-action="link.delete"]`).first()).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'history.png') });

  await create.click();
  const details = page.getByTestId('history-details');
  await expect(details).toContainText('link.create');
  await details.getByRole('button', { name: /Restore to this point/ }).click();
  const confirm = page.getByTestId('restore-confirm');
  await expect(confirm.getByTestId('restore-add')).toContainText(createdLink.ifnameA);
  await expect(confirm.getByTestId('restore-add').locator('li')).toHaveCount(1);
  await expect(confirm.getByTestId('restore-remove').locator('li')).toHaveCount(0);
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'history-restore.png') });

  await confirm.getByRole('button', { name: 'Restore' }).click();
  await expect(page.getByTestId('toast-success')).toContainText('Restored');

  await openCanvas(page, appUrl, lab.prefix);
  await expect(edgeByEnds(page, `${createdLink.nodeA}/${createdLink.ifnameA}`, `${createdLink.nodeB}/${createdLink.ifnameB}`)).toHaveAttribute('data-status', 'up');
  expect(await lab.pingFromContainer(containerA, bare(createdLink.addressB))).toBe(true);
});

test('agent error shows on edge and toast', async ({ page, appUrl }) => {
  const stopped = await lab.container('stopped');
  await openCanvas(page, appUrl, lab.prefix);
  const stoppedId = await nodeIdOf(page, stopped);
  await lab.stopContainer(stopped);
  await expect(nodeCard(page, stopped)).not.toContainText('running');

  const interfacesBefore = await interfacesOf(containerA);
  const nodeA = await nodeIdOf(page, containerA);
  await dragLink(page, nodeA, stoppedId);
  const form = linkForm(page);
  await expect(form.locator('input[name="b.ifname"]')).not.toHaveValue('');
  const ifnameA = await form.locator('input[name="a.ifname"]').inputValue();
  const ifnameB = await form.locator('input[name="b.ifname"]').inputValue();
  await form.getByRole('button', { name: 'Create' }).click();

  const toast = page.getByTestId('toast-error');
  await expect(toast).toContainText(`container "${stopped}" is not running`);
  await expect(toast).toContainText(`docker start ${stopped}`);
  const edge = edgeByEnds(page, `${nodeA}/${ifnameA}`, `${stoppedId}/${ifnameB}`);
  await expect(edge).toHaveAttribute('data-status', 'failed');
  await expect(edge).toContainText('is not running');
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'link-error.png') });
  expect(await interfacesOf(containerA)).toEqual(interfacesBefore);
});
